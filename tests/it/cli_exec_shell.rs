//! `shell.run` through `llmos exec --allow exec`: the program gets a minimal environment
//! and a process group of its own, killed when the step ends.

#![cfg(unix)]

use std::time::{Duration, Instant};

use crate::support::cli_exec::{Ws, stderr, stdout};

/// Writes `NAME.llt`, one step that runs `sh -c SCRIPT` and returns `ret` (of `r`, the
/// step's result); returns the file name.
fn sh_trace(ws: &Ws, name: &str, script: &str, ret: &str) -> String {
    let file = format!("{name}.llt");
    ws.write(
        &file,
        &format!(
            "trace {name}\nlet r = shell.run(argv: [\"sh\", \"-c\", {script:?}])\nreturn {ret}\n"
        ),
    );
    file
}

/// Right after a run that started a background child writing `late.txt` once it has slept
/// `wake`: waits that long and more (the child started before the run ended, so it would
/// have written by then, however slow the machine), then checks it did not.
fn assert_no_child_outlived(ws: &Ws, wake: Duration) {
    std::thread::sleep(wake + Duration::from_millis(500));
    assert!(
        !ws.path("late.txt").exists(),
        "a background child outlived the step"
    );
}

#[test]
fn the_program_gets_only_path_home_lang_and_the_configured_names() {
    let ws = Ws::new();
    ws.write(
        "env.llt",
        "trace env\nlet r = shell.run(argv: [\"env\"])\nreturn \"{r.stdout}\"\n",
    );
    let run = |ws: &Ws| {
        let out = ws
            .exec(&["env.llt", "--allow", "exec"])
            .env("ANTHROPIC_API_KEY", "sk-secret")
            .env("LLMOS_SECRET_THING", "hidden")
            .env("EXTRA_ALLOWED", "yes")
            .env("LANG", "C.UTF-8")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let mut names: Vec<String> = stdout(&out)
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_owned()))
            .collect();
        names.sort();
        (names, stdout(&out))
    };
    let (names, text) = run(&ws);
    // `env` itself may add nothing; a shell would add PWD and the like, but none is used
    assert_eq!(names, ["HOME", "LANG", "PATH"], "{text}");
    assert!(!text.contains("sk-secret"));
    ws.write(
        ".llmos/config.toml",
        "[shell]\nenv = [\"EXTRA_ALLOWED\", \"NOT_SET\"]\n",
    );
    let (names, text) = run(&ws);
    assert_eq!(names, ["EXTRA_ALLOWED", "HOME", "LANG", "PATH"], "{text}");
    assert!(text.contains("EXTRA_ALLOWED=yes"));
    ws.write(".llmos/config.toml", "[shell]\nenv = [\"NO SPACES\"]\n");
    ws.exec(&["env.llt", "--allow", "exec"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "is not an environment variable name",
        ));
}

#[test]
fn background_children_neither_hold_up_the_step_nor_outlive_it() {
    let ws = Ws::new();
    let bg = sh_trace(
        &ws,
        "bg",
        "(sleep 6; echo late > late.txt) & echo started",
        "\"{r.stdout}\"",
    );
    let t = Instant::now();
    ws.exec(&[&bg, "--allow", "exec"])
        .assert()
        .success()
        .stdout("started\n\n");
    // before: the step waited for `sleep 6`, which holds the output pipe
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_no_child_outlived(&ws, Duration::from_secs(6));
}

#[cfg(target_os = "linux")]
#[test]
fn the_program_leads_a_process_group_of_its_own() {
    let ws = Ws::new();
    // field 5 of /proc/PID/stat is the process group
    let pg = sh_trace(
        &ws,
        "pg",
        "echo $$ $(cut -d' ' -f5 /proc/$$/stat)",
        "\"{r.stdout}\"",
    );
    let out = ws.exec(&[&pg, "--allow", "exec"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let ids: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(ids.len(), 2, "{text}");
    assert_eq!(ids[0], ids[1], "pid and process group differ: {text}");
}

#[test]
fn a_timed_out_program_takes_its_background_children_along() {
    let ws = Ws::new();
    let slow = sh_trace(
        &ws,
        "slow",
        "(sleep 1; echo late > late.txt) & sleep 30",
        "r.status",
    );
    let t = Instant::now();
    ws.exec(&[&slow, "--allow", "exec", "--timeout", "300ms"])
        .assert()
        .code(1);
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_no_child_outlived(&ws, Duration::from_secs(1));
}
