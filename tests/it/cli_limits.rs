//! Limits that hold under attack, through the binary: time limits that stop any step
//! (preemption), the sizes of values, files and writes, and numbers on the command line.

use std::time::{Duration, Instant};

use crate::support::cli_exec::{Ws, stderr};

/// Runs `llmos exec ARGS... --json`, which must fail: the error's kind and message.
fn failure(ws: &Ws, args: &[&str]) -> (String, String) {
    let out = ws.exec(args).arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &v["error"];
    (
        e["kind"].as_str().unwrap().to_owned(),
        e["message"].as_str().unwrap().to_owned(),
    )
}

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

/// A pattern within the regex size limit whose search takes most of a minute over
/// [`slow_text`] (no `q` in it, so the search runs to the end).
const SLOW_PATTERN: &str = r"(?:[a-z]*\s?[a-z]*){1500}q";

/// 300 KB of pseudo-random words, the same every time.
fn slow_text() -> String {
    let letters = b"abcdefghij klmnop\n";
    let mut x: u32 = 1;
    (0..300_000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            letters[(x >> 16) as usize % letters.len()] as char
        })
        .collect()
}

/// Reads the text, searches it, then writes what it found.
const REGEX_TRACE: &str = "trace slow_regex\nparam pattern: str\n\
    let text = fs.read(path: \"big.txt\")\n\
    let found = text.regex_find(text: text, pattern: pattern)\n\
    fs.write(path: \"found.txt\", content: \"{found}\")\n\
    return list.len(items: found)\n";

fn regex_ws() -> Ws {
    let ws = Ws::new();
    ws.write("big.txt", &slow_text());
    ws.write("re.llt", REGEX_TRACE);
    ws
}

#[test]
fn the_run_time_limit_stops_a_long_regex_and_nothing_is_written_after() {
    let ws = regex_ws();
    let pattern = format!("pattern={SLOW_PATTERN}");
    let t = Instant::now();
    let out = ws
        .exec(&["re.llt", "--set", &pattern, "--timeout", "1s"])
        .output()
        .unwrap();
    let took = t.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "the run went over its time limit of 1s while step 2 (`found`) `text.regex_find` was running"
        ),
        "{}",
        stderr(&out)
    );
    // The search alone runs for minutes: stopping within seconds is stopping at once.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(!ws.path("found.txt").exists());
}

#[test]
fn a_step_time_limit_stops_a_long_regex() {
    let ws = regex_ws();
    let pattern = format!("pattern={SLOW_PATTERN}");
    let t = Instant::now();
    ws.exec(&["re.llt", "--set", &pattern, "--step-timeout", "300ms"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "step 2 (`found`) `text.regex_find` went over its time limit of 300ms",
        ));
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    assert!(!ws.path("found.txt").exists());
}

#[cfg(unix)]
#[test]
fn sigterm_stops_a_long_regex_at_once() {
    let ws = regex_ws();
    let pattern = format!("pattern={SLOW_PATTERN}");
    let child = ws
        .std_exec(&["re.llt", "--set", &pattern])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The run log shows the read finished: the search has started.
    let runs = ws.path(".llmos/runs");
    let started = Instant::now();
    loop {
        let log = std::fs::read_dir(&runs)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .unwrap_or_default();
        if log.contains("\"step_finished\"") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the run was cancelled (terminated by SIGTERM) while step 2"),
        "{}",
        stderr(&out)
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert!(!ws.path("found.txt").exists());
}

/// Runs `cmd` to its end; its output and the most memory it held (max RSS, bytes).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // wait4: the only way to learn a child's peak memory
#[allow(clippy::zombie_processes)] // reaped by wait4, not by `Child::wait`
fn run_measured(mut cmd: std::process::Command) -> (std::process::Output, u64) {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).unwrap();
        buf
    });
    let mut stderr = Vec::new();
    err.read_to_end(&mut stderr).unwrap();
    let stdout = reader.join().unwrap();
    let mut status: libc::c_int = 0;
    // SAFETY: `status` and `usage` are valid for writes; the pid is our own child, reaped
    // here and never waited for by `child` (which is dropped without waiting).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    use std::os::unix::process::ExitStatusExt;
    let output = std::process::Output {
        status: std::process::ExitStatus::from_raw(code << 8),
        stdout,
        stderr,
    };
    // ru_maxrss is in kilobytes on Linux.
    (output, usage.ru_maxrss as u64 * 1024)
}

#[cfg(target_os = "linux")]
#[test]
fn doubling_a_string_stops_at_the_value_limit_with_little_memory() {
    let ws = Ws::new();
    // 16 bytes doubled 30 times would be 16 GiB
    let mut src = String::from("trace double\nlet s0 = \"xxxxxxxxxxxxxxxx\"\n");
    for i in 1..=30 {
        src.push_str(&format!("let s{i} = \"{{s{p}}}{{s{p}}}\"\n", p = i - 1));
    }
    src.push_str("return text.len(text: s30)\n");
    ws.write("double.llt", &src);
    let (out, rss) = run_measured(ws.std_exec(&["double.llt", "--json"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "limit");
    assert_eq!(
        v["error"]["message"],
        "step 24 (`s23`): the text would take 128 MiB, over the limit of 64 MiB for one value \
         (raise `limits.value` in config.toml)"
    );
    assert!(rss < 200 << 20, "max RSS {} MiB", rss >> 20);
}

#[test]
fn the_value_limit_is_a_config_key() {
    let ws = Ws::new();
    ws.write(".llmos/config.toml", "[limits]\nvalue = \"1 KiB\"\n");
    ws.write(
        "t.llt",
        "trace t\nlet a = text.replace(text: \"aaaa\", from: \"a\", to: \"{big}\")\nreturn a\n"
            .replace("{big}", &"b".repeat(300))
            .as_str(),
    );
    assert_eq!(
        failure(&ws, &["t.llt"]),
        (
            "limit".to_owned(),
            "step 1 (`a`) `text.replace`: the result would take 1.1 KiB, over the limit of 1 KiB \
             for one value (raise `limits.value` in config.toml)"
                .to_owned()
        )
    );
    ws.write(".llmos/config.toml", "[limits]\nvalue = \"lots\"\n");
    ws.exec(&["t.llt"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("`lots` is not a size"));
}

#[test]
fn csv_parse_refuses_a_text_over_its_limit() {
    let ws = Ws::new();
    // 32 MiB of rows
    let row = "1,2,3,4,5,6,7\n";
    let mut text = String::from("a,b,c,d,e,f,g\n");
    while text.len() < 32 << 20 {
        text.push_str(row);
    }
    ws.write("big.csv", &text);
    ws.write(
        "c.llt",
        "trace c\nlet t = fs.read(path: \"big.csv\")\nlet rows = csv.parse(text: t)\n\
         return list.len(items: rows)\n",
    );
    let (kind, message) = failure(&ws, &["c.llt"]);
    assert_eq!(kind, "limit");
    assert!(
        message.starts_with("step 2 (`rows`) `csv.parse`: the text is ")
            && message.ends_with(
                ", over the limit of 16 MiB for the text of csv.parse (raise \
                 `limits.csv_input` in config.toml)"
            ),
        "{message}"
    );
    // raised, the table is still bounded by the value limit
    ws.write(".llmos/config.toml", "[limits]\ncsv_input = \"64 MiB\"\n");
    let (kind, message) = failure(&ws, &["c.llt"]);
    assert_eq!(kind, "limit");
    assert!(
        message.contains("for one value (raise `limits.value`"),
        "{message}"
    );
}

#[test]
fn appends_stop_at_the_run_write_quota() {
    let ws = Ws::new();
    ws.write(
        ".llmos/config.toml",
        "[limits]\nrun_writes = \"3 MiB\"\nfile_write = \"10 MiB\"\n",
    );
    ws.write("chunk.txt", &"y".repeat(1 << 20));
    let mut src = String::from("trace app\nlet chunk = fs.read(path: \"chunk.txt\")\n");
    for _ in 0..8 {
        src.push_str("fs.append(path: \"log.txt\", content: chunk)\n");
    }
    ws.write("app.llt", &src);
    assert_eq!(
        failure(&ws, &["app.llt"]).1,
        "step 5 `fs.append`: the run's writes would come to 4 MiB, over the limit of 3 MiB \
         for all writes of a run (raise `limits.run_writes` in config.toml)"
    );
    assert_eq!(
        std::fs::metadata(ws.path("log.txt")).unwrap().len(),
        3 << 20
    );
    // the default quota holds as well: 300 appends of 1 MiB stop at 256 MiB
    ws.write(".llmos/config.toml", "");
    ws.write("bytes.txt", &"z".repeat(1 << 20));
    let mut src = String::from("trace many\nlet c = fs.read(path: \"bytes.txt\")\n");
    for i in 0..300 {
        src.push_str(&format!(
            "fs.append(path: \"f{}.txt\", content: c)\n",
            i % 8
        ));
    }
    ws.write("many.llt", &src);
    let (kind, message) = failure(&ws, &["many.llt"]);
    assert_eq!(kind, "limit");
    assert!(
        message.contains("over the limit of 256 MiB for all writes of a run"),
        "{message}"
    );
    let written: u64 = (0..8)
        .map(|i| std::fs::metadata(ws.path(&format!("f{i}.txt"))).map_or(0, |m| m.len()))
        .sum();
    assert_eq!(written, 256 << 20);
}

#[cfg(target_os = "linux")]
#[test]
fn a_loop_stops_at_the_value_limit_before_its_list_fills_memory() {
    let ws = Ws::new();
    ws.write("big.txt", &"b".repeat(8 << 20));
    // 1,000 elements of 16 MiB each would be 16 GiB
    let mut items = String::from("[");
    for i in 0..1000 {
        items.push_str(if i == 0 { "0" } else { ",0" });
    }
    items.push(']');
    ws.write(
        "loop.llt",
        &format!(
            "trace loop\nlet big = fs.read(path: \"big.txt\")\n\
             let xs = json.parse(text: \"{items}\")\n\
             let copies = for x in xs {{\n    \"{{big}}{{big}}\"\n}}\n\
             return list.len(items: copies)\n"
        ),
    );
    let (out, rss) = run_measured(ws.std_exec(&["loop.llt", "--json"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "limit", "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("over the limit of 64 MiB for one value"),
        "{message}"
    );
    assert!(rss < 200 << 20, "max RSS {} MiB", rss >> 20);
}

/// The values a loop's body holds count against `limits.run_values` with the run's own:
/// one body holding three copies of a 12 MiB text goes over 30 MiB although each value
/// is under the 16 MiB value limit (before, values inside blocks were not counted against
/// the run's total, so `jobs` bodies could each hold that much at once).
#[test]
fn the_values_a_loop_body_holds_count_against_the_run_total() {
    let ws = Ws::new();
    ws.write(
        ".llmos/config.toml",
        "[limits]\nvalue = \"16 MiB\"\nrun_values = \"30 MiB\"\n",
    );
    ws.write("big.txt", &"b".repeat(12 << 20));
    let body = "let a = \"{big}!\"\n    let b = \"{big}?\"\n    let c = \"{big}.\"\n    \
                let n = text.len(text: a)\n    let m = text.len(text: b)\n    \
                let k = text.len(text: c)\n    \"{n} {m} {k}\"";
    let src = |items: &str| {
        format!(
            "trace held\nlet big = fs.read(path: \"big.txt\")\nlet xs = json.parse(text: \"{items}\")\n\
             let out = for x in xs {{\n    {body}\n}}\nreturn list.len(items: out)\n"
        )
    };
    ws.write("held.llt", &src("[1, 2]"));
    let (kind, message) = failure(&ws, &["held.llt"]);
    assert_eq!(kind, "limit", "{message}");
    assert!(
        message.contains(
            "over the limit of 30 MiB for all values of a run \
                          (raise `limits.run_values` in config.toml)"
        ),
        "{message}"
    );
    // two copies at once fit: the meter gives back what a body no longer holds, so a
    // loop of many elements runs (one body at a time: two at once would not fit)
    let body2 = body
        .replace("let c = \"{big}.\"\n    ", "")
        .replace("let k = text.len(text: c)\n    ", "let k = 0\n    ");
    let src2 = src("[1, 2, 3, 4, 5, 6, 7, 8]").replace(body, &body2);
    ws.write("fits.llt", &src2);
    ws.exec(&["fits.llt", "--jobs", "1"])
        .assert()
        .success()
        .stdout("8\n");
}
