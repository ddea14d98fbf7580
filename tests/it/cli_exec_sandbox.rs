//! The sandbox and capabilities through `llmos exec`: escapes through `..`, absolute
//! paths, symbolic links and params are refused naming the step, with nothing written
//! outside the root; a refused capability leaves no step done.

use std::path::{Path, PathBuf};

use crate::support::cli_exec::{BIN, spec_dir};
use predicates::prelude::*;

/// A temp folder holding the workspace root `ws/` and an `outside/` folder beside it.
struct Jail {
    _dir: tempfile::TempDir,
    base: PathBuf,
}

impl Jail {
    fn new() -> Jail {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir(base.join("ws")).unwrap();
        std::fs::create_dir(base.join("outside")).unwrap();
        std::fs::write(base.join("outside/secret.txt"), "secret").unwrap();
        Jail { _dir: dir, base }
    }

    fn root(&self) -> PathBuf {
        self.base.join("ws")
    }

    fn outside(&self) -> PathBuf {
        self.base.join("outside")
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn exec(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::new(BIN);
        c.current_dir(self.root())
            .env_remove("LLMOS_HOME")
            .env("NO_COLOR", "1")
            .arg("exec")
            .args(args);
        c
    }

    /// Every entry under the base folder other than the workspace, sorted.
    fn outside_entries(&self) -> Vec<String> {
        let mut out: Vec<String> = walkdir::WalkDir::new(&self.base)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap().path().to_path_buf())
            .filter(|p| !p.starts_with(self.root()))
            .map(|p| rel(&self.base, &p))
            .collect();
        out.sort();
        out
    }
}

fn rel(base: &Path, p: &Path) -> String {
    p.strip_prefix(base).unwrap().to_string_lossy().into_owned()
}

const WRITE: &str = "trace w\nparam target: path\nfs.write(path: target, content: \"pwned\")\n";
const READ: &str = "trace r\nparam target: path\nreturn fs.read(path: target)\n";

#[test]
fn dot_dot_escapes_are_refused_naming_the_step() {
    let j = Jail::new();
    j.write("w.llt", WRITE);
    let before = j.outside_entries();
    for target in [
        "../escape.txt",
        "a/../../escape.txt",
        "../outside/new.txt",
        "./../x",
    ] {
        j.exec(&["w.llt", "--set", &format!("target={target}")])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("step 1 `fs.write`"))
            .stderr(predicate::str::contains("leads outside the workspace root"));
    }
    assert_eq!(j.outside_entries(), before);
    assert!(!j.root().join("a").exists());
}

#[test]
fn absolute_paths_are_refused() {
    let j = Jail::new();
    j.write("w.llt", WRITE);
    j.write("r.llt", READ);
    let before = j.outside_entries();
    let target = j.outside().join("abs.txt");
    j.exec(&["w.llt", "--set", &format!("target={}", target.display())])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is an absolute path"));
    let secret = j.outside().join("secret.txt");
    j.exec(&["r.llt", "--set", &format!("target={}", secret.display())])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("step 1 `fs.read`").not())
        .stderr(predicate::str::contains("the `return` value `fs.read`"))
        .stderr(predicate::str::contains("is an absolute path"));
    assert_eq!(j.outside_entries(), before);
}

#[cfg(unix)]
#[test]
fn symlinks_that_lead_outside_are_refused() {
    use std::os::unix::fs::symlink;
    let j = Jail::new();
    j.write("w.llt", WRITE);
    j.write("r.llt", READ);
    symlink(j.outside(), j.root().join("door")).unwrap();
    symlink(j.outside().join("secret.txt"), j.root().join("secret_link")).unwrap();
    symlink(j.outside().join("none.txt"), j.root().join("dangling")).unwrap();
    let before = j.outside_entries();
    for target in [
        "door/new.txt",
        "door/deep/new.txt",
        "secret_link",
        "dangling",
    ] {
        j.exec(&["w.llt", "--set", &format!("target={target}")])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("step 1 `fs.write`"));
    }
    for target in ["door/secret.txt", "secret_link"] {
        j.exec(&["r.llt", "--set", &format!("target={target}")])
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicate::str::contains("leads outside the workspace root"));
    }
    assert_eq!(j.outside_entries(), before);
    assert_eq!(
        std::fs::read_to_string(j.outside().join("secret.txt")).unwrap(),
        "secret"
    );
}

#[test]
fn params_of_a_real_trace_cannot_escape() {
    let j = Jail::new();
    std::fs::copy(spec_dir().join("csv_summary.llt"), j.root().join("s.llt")).unwrap();
    std::fs::create_dir(j.root().join("data")).unwrap();
    std::fs::copy(
        spec_dir().join("data/sales.csv"),
        j.root().join("data/sales.csv"),
    )
    .unwrap();
    let before = j.outside_entries();
    // the report param points outside: the write step is refused
    j.exec(&[
        "s.llt",
        "--set",
        "input=data/sales.csv",
        "--set",
        "report=../outside/report.md",
        "--set",
        "prose=p",
    ])
    .assert()
    .code(1)
    .stderr(predicate::str::contains("step 6 `fs.write`"));
    // the input param points outside: the first step is refused
    j.exec(&[
        "s.llt",
        "--set",
        "input=../outside/secret.txt",
        "--set",
        "prose=p",
    ])
    .assert()
    .code(1)
    .stderr(predicate::str::contains("step 1 (`text`) `fs.read`"));
    assert_eq!(j.outside_entries(), before);
    assert!(!j.root().join("summary.md").exists());
}

#[test]
fn the_state_folder_is_off_limits() {
    let j = Jail::new();
    j.write("w.llt", WRITE);
    j.write(".llmos/config.toml", "");
    j.exec(&["w.llt", "--set", "target=.llmos/config.toml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(".llmos/"));
    assert_eq!(
        std::fs::read_to_string(j.root().join(".llmos/config.toml")).unwrap(),
        ""
    );
}

#[test]
fn a_failed_step_stops_the_writes_after_it() {
    let j = Jail::new();
    j.write(
        "t.llt",
        "trace t\nfs.write(path: \"first.txt\", content: \"1\")\n\
         fs.write(path: \"../escape.txt\", content: \"2\")\n\
         fs.write(path: \"third.txt\", content: \"3\")\n",
    );
    j.exec(&["t.llt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("step 2 `fs.write`"));
    assert!(j.root().join("first.txt").exists());
    assert!(!j.root().join("third.txt").exists());
    assert!(!j.base.join("escape.txt").exists());
}

#[test]
fn a_refused_capability_leaves_no_step_done() {
    let j = Jail::new();
    j.write(
        "t.llt",
        "trace t\nfs.write(path: \"before.txt\", content: \"x\")\n\
         let page = http.get(url: \"http://127.0.0.1:9/\")\n\
         fs.write(path: \"after.txt\", content: page)\n",
    );
    j.exec(&["t.llt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "capability `net` not granted: step 2 (`page`) calls `http.get`; pass `--allow net`",
        ));
    assert!(!j.root().join("before.txt").exists());
    assert!(!j.root().join("after.txt").exists());
    assert!(
        !j.root().join(".llmos/runs").exists()
            || j.root()
                .join(".llmos/runs")
                .read_dir()
                .unwrap()
                .next()
                .is_none()
    );
}

#[test]
fn root_flag_sets_the_workspace() {
    let j = Jail::new();
    let other = j.base.join("outside");
    std::fs::write(other.join("h.llt"), WRITE).unwrap();
    // run from `outside/` with the workspace elsewhere: the file lands in the root
    assert_cmd::Command::new(BIN)
        .current_dir(&other)
        .env_remove("LLMOS_HOME")
        .args(["exec", "h.llt", "--root"])
        .arg(j.root())
        .args(["--set", "target=in.txt"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(j.root().join("in.txt")).unwrap(),
        "pwned"
    );
    assert!(!other.join("in.txt").exists());
    assert!(j.root().join(".llmos/runs").is_dir());
}

#[cfg(unix)]
#[test]
fn hard_links_to_outside_or_to_the_state_are_refused() {
    let j = Jail::new();
    j.write("w.llt", WRITE);
    j.write("r.llt", READ);
    j.write(".llmos/config.toml", "");
    let secret = j.outside().join("secret.txt");
    // Hard links need one file system; the temp folder holds both sides.
    std::fs::hard_link(&secret, j.root().join("linked.txt")).unwrap();
    std::fs::hard_link(
        j.root().join(".llmos/config.toml"),
        j.root().join("cfg.toml"),
    )
    .unwrap();
    j.exec(&["r.llt", "--set", "target=linked.txt"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("has 2 hard links"));
    for target in ["linked.txt", "cfg.toml"] {
        j.exec(&["w.llt", "--set", &format!("target={target}")])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("has 2 hard links"));
    }
    j.write(
        "a.llt",
        "trace a\nfs.append(path: \"cfg.toml\", content: \"allow = [\\\"exec\\\"]\")\n",
    );
    j.exec(&["a.llt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("has 2 hard links"));
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "secret");
    assert_eq!(
        std::fs::read_to_string(j.root().join(".llmos/config.toml")).unwrap(),
        ""
    );
}

#[cfg(unix)]
#[test]
fn the_state_folder_inside_the_root_is_refused_under_any_name() {
    use std::os::unix::fs::symlink;
    let j = Jail::new();
    let state = j.root().join("work/state");
    j.write("work/state/config.toml", "");
    j.write("work/notes.txt", "n");
    symlink("work/state", j.root().join("door")).unwrap();
    j.write(
        "grant.llt",
        "trace grant\nparam target: path\n\
         fs.write(path: target, content: \"allow = [\\\"exec\\\"]\\n\")\n",
    );
    for target in [
        "work/state/config.toml",
        "./work/../work/state/config.toml",
        "door/config.toml",
    ] {
        j.exec(&["grant.llt", "--set", &format!("target={target}")])
            .env("LLMOS_HOME", &state)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("the workspace state"));
    }
    assert_eq!(
        std::fs::read_to_string(state.join("config.toml")).unwrap(),
        ""
    );
    // listings leave it out; the folder beside it is fine
    j.write(
        "ls.llt",
        "trace ls\nlet a = fs.list(dir: \"work\")\nlet b = fs.glob(pattern: \"**/*.toml\")\n\
         return \"{a} {b}\"\n",
    );
    j.exec(&["ls.llt"])
        .env("LLMOS_HOME", &state)
        .assert()
        .success()
        .stdout("[\"work/notes.txt\"] []\n");
}

/// Swaps `d` between a folder inside the root and a link to outside as fast as it can,
/// while runs write into `d/`: no write may land outside.
#[cfg(unix)]
#[test]
fn swapping_a_folder_for_a_link_during_writes_never_leads_outside() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let j = Jail::new();
    let root = j.root();
    std::fs::create_dir(root.join("dreal")).unwrap();
    std::os::unix::fs::symlink(j.outside(), root.join("dlink")).unwrap();
    let mut src = String::from("trace many\n");
    for i in 0..40 {
        src.push_str(&format!("fs.write(path: \"d/f{i}.txt\", content: \"x\")\n"));
    }
    j.write("many.llt", &src);
    let before = j.outside_entries();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, root) = (stop.clone(), root.clone());
        std::thread::spawn(move || {
            let mut aside = 0;
            while !stop.load(Ordering::Relaxed) {
                let _ = std::fs::rename(root.join("dreal"), root.join("d"));
                let _ = std::fs::rename(root.join("d"), root.join("dreal"));
                let _ = std::fs::rename(root.join("dlink"), root.join("d"));
                let _ = std::fs::rename(root.join("d"), root.join("dlink"));
                // a folder a run created as `d` goes aside
                if root.join("d").symlink_metadata().is_ok_and(|m| m.is_dir()) {
                    aside += 1;
                    let _ = std::fs::rename(root.join("d"), root.join(format!("aside{aside}")));
                }
            }
        })
    };
    let started = std::time::Instant::now();
    let mut runs = 0;
    while runs < 200 && started.elapsed() < std::time::Duration::from_secs(8) {
        let _ = j.exec(&["many.llt"]).output().unwrap();
        runs += 1;
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    assert!(runs >= 10, "only {runs} runs");
    assert_eq!(j.outside_entries(), before);
}

/// A write or append stopped by its time limit leaves the file as it was: no part of it,
/// no temporary file, not even a moment later.
#[test]
fn a_stopped_write_leaves_nothing_behind() {
    let j = Jail::new();
    j.write("base.txt", "base");
    // 2^25 = 32 MiB of text, then written and appended
    let mut src = String::from("trace big\nlet s0 = \"x\"\n");
    for i in 1..=25 {
        src.push_str(&format!("let s{i} = \"{{s{p}}}{{s{p}}}\"\n", p = i - 1));
    }
    j.write(
        "w.llt",
        &(src.clone() + "fs.write(path: \"out.txt\", content: s25)\n"),
    );
    j.write(
        "a.llt",
        &(src + "fs.append(path: \"base.txt\", content: s25)\n"),
    );
    for file in ["w.llt", "a.llt"] {
        j.exec(&[file, "--step-timeout", "1ms"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("went over its time limit of 1ms"));
        std::thread::sleep(std::time::Duration::from_millis(300));
        let names: Vec<String> = std::fs::read_dir(j.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            !names
                .iter()
                .any(|n| n == "out.txt" || n.starts_with(".llmos-tmp")),
            "{names:?}"
        );
        assert_eq!(
            std::fs::read_to_string(j.root().join("base.txt")).unwrap(),
            "base"
        );
    }
}
