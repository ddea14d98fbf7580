//! `shell.run` through `llmos exec --allow exec`: the program gets a minimal environment
//! and a process group of its own, killed when the step ends.

#![cfg(unix)]

use std::time::{Duration, Instant};

use crate::support::cli_exec::{Ws, stderr, stdout};

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
    ws.write(
        "bg.llt",
        "trace bg\nlet r = shell.run(argv: [\"sh\", \"-c\", \
         \"(sleep 6; echo late > late.txt) & echo started\"])\nreturn \"{r.stdout}\"\n",
    );
    let t = Instant::now();
    ws.exec(&["bg.llt", "--allow", "exec"])
        .assert()
        .success()
        .stdout("started\n\n");
    // before: the step waited for `sleep 6`, which holds the output pipe
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    std::thread::sleep(Duration::from_secs(7).saturating_sub(t.elapsed()));
    assert!(
        !ws.path("late.txt").exists(),
        "a background child outlived the step"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn the_program_leads_a_process_group_of_its_own() {
    let ws = Ws::new();
    // field 5 of /proc/PID/stat is the process group
    ws.write(
        "pg.llt",
        "trace pg\nlet r = shell.run(argv: [\"sh\", \"-c\", \
         \"echo $$ $(cut -d' ' -f5 /proc/$$/stat)\"])\nreturn \"{r.stdout}\"\n",
    );
    let out = ws.exec(&["pg.llt", "--allow", "exec"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let ids: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(ids.len(), 2, "{text}");
    assert_eq!(ids[0], ids[1], "pid and process group differ: {text}");
}

#[test]
fn a_timed_out_program_takes_its_background_children_along() {
    let ws = Ws::new();
    ws.write(
        "slow.llt",
        "trace slow\nlet r = shell.run(argv: [\"sh\", \"-c\", \
         \"(sleep 1; echo late > late.txt) & sleep 30\"])\nreturn r.status\n",
    );
    let t = Instant::now();
    ws.exec(&["slow.llt", "--allow", "exec", "--timeout", "300ms"])
        .assert()
        .code(1);
    assert!(t.elapsed() < Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !ws.path("late.txt").exists(),
        "a background child outlived the run"
    );
}
