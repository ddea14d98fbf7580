//! Limits that hold under attack, through the binary: time limits that stop any step
//! (preemption), the sizes of values, files and writes, and numbers on the command line.

mod cli_exec_common;

use cli_exec_common::{Ws, stderr};

#[test]
fn huge_durations_are_a_command_line_error_not_a_panic() {
    let ws = Ws::new();
    ws.write("h.llt", "trace h\nreturn \"hi\"\n");
    for flag in ["--timeout", "--step-timeout"] {
        let out = ws
            .exec(&["h.llt", flag, "18446744073709551615s"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("longer than the longest time limit"),
            "{}",
            stderr(&out)
        );
    }
    let out = ws
        .cmd()
        .args(["run", "say hi", "--timeout", "18446744073709551615s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("longer than the longest time limit"));
    // the longest accepted limit still runs
    ws.exec(&["h.llt", "--timeout", "365days"])
        .assert()
        .success()
        .stdout("hi\n");
}
