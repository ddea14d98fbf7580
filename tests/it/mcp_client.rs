//! MCP servers' tools in every command, against the official reference servers from npm
//! (`@modelcontextprotocol/server-everything`, `server-filesystem` on the test's own
//! workspace) and a small server on the official TypeScript SDK for the faults; stdio,
//! and streamable HTTP on 127.0.0.1. No process outlives the command that started it.

use crate::support::mcp_peers as peers;

use std::time::{Duration, Instant};

use crate::support::learn::{Ws, llmos};
use serde_json::json;

const SUM_AND_WRITE: &str = r#"
trace sum_note
goal "add {a} and {b} into {file}"
param a: float
param b: float
param file: str
let sum = everything.get_sum(a: a, b: b)
files.write_file(path: file, content: sum)
let back = files.read_text_file(path: file)
let weather = everything.get_structured_content(location: "Chicago")
return { "sum": sum, "back": back.content, "temperature": weather.temperature }
"#;

#[tokio::test]
async fn stdio_servers_lend_their_tools_to_every_command() {
    let Some(p) = peers::peers() else { return };
    let ws = peers::two_servers(p);
    let data = ws.root().join("data");

    let run = llmos(&ws, &["mcp", "refresh"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    for sig in [
        "everything.get_sum(a: float, b: float) -> str  effects(pure)",
        "everything.trigger_long_running_operation(duration: float = 10, steps: float = 5) -> str",
        "everything.get_structured_content(location: str) -> json",
        "files.write_file(content: str, path: str) -> json  effects(read, write)",
        "files.read_text_file(head: float = null, path: str, tail: float = null) -> json",
    ] {
        assert!(
            run.stdout.contains(sig),
            "{sig} missing from\n{}",
            run.stdout
        );
    }
    assert_eq!(peers::started(ws.root()).len(), 2);
    peers::assert_no_orphans(ws.root());

    // `llmos tools` and `llmos check` read the cached lists: no server starts.
    let tools = llmos(&ws, &["tools"], &[]).await;
    assert!(
        tools
            .stdout
            .contains("everything.echo(message: str) -> str  effects(pure)")
    );
    assert!(tools.stdout.contains("Echoes back the input string"));
    let listed = llmos(&ws, &["tools", "--json"], &[]).await.json();
    let get_sum = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "everything.get_sum")
        .unwrap();
    assert_eq!(
        get_sum["mcp"],
        json!({"server": "everything", "tool": "get-sum"})
    );
    assert_eq!(get_sum["effects"], json!(["pure"]));
    assert!(
        tools.stdout.contains("fs.read(path: path) -> str"),
        "built-ins too"
    );
    ws.write("sum.llt", SUM_AND_WRITE);
    let check = llmos(&ws, &["check", "sum.llt"], &[]).await;
    assert_eq!(check.code, 0, "{}", check.stderr);
    ws.write(
        "bad.llt",
        "trace bad\nlet s = everything.get_sum(a: \"x\", b: 1)\nreturn s\n",
    );
    let bad = llmos(&ws, &["check", "bad.llt"], &[]).await;
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("type-mismatch") || bad.stderr.contains("expected"),
        "{}",
        bad.stderr
    );
    assert_eq!(
        peers::started(ws.root()).len(),
        2,
        "check and tools start no server"
    );

    // A run calls both servers; the filesystem server really writes in the workspace.
    let started = Instant::now();
    let run = llmos(
        &ws,
        &[
            "exec",
            "sum.llt",
            "--set",
            "a=2",
            "--set",
            "b=3.5",
            "--set",
            "file=sum.txt",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json()["output"],
        json!({"sum": "The sum of 2 and 3.5 is 5.5.", "back": "The sum of 2 and 3.5 is 5.5.", "temperature": 36})
    );
    assert_eq!(
        std::fs::read_to_string(data.join("sum.txt")).unwrap(),
        "The sum of 2 and 3.5 is 5.5."
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(
        peers::started(ws.root()).len(),
        4,
        "each server started once for the run"
    );
    peers::assert_no_orphans(ws.root());

    // Compiled and stored, it runs by id on another binding.
    let id = llmos(&ws, &["compile", "sum.llt"], &[]).await;
    assert_eq!(id.code, 0, "{}", id.stderr);
    let id = id.stdout.trim().to_owned();
    let run = llmos(
        &ws,
        &[
            "exec",
            &id,
            "--set",
            "a=1",
            "--set",
            "b=1",
            "--set",
            "file=two.txt",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(data.join("two.txt")).unwrap(),
        "The sum of 1 and 1 is 2."
    );
    peers::assert_no_orphans(ws.root());
}

#[tokio::test]
async fn tool_errors_and_hangs_fail_the_step() {
    let Some(p) = peers::peers() else { return };
    let ws = Ws::new();
    let config = peers::everything_server(p, "effects = [\"pure\"]\ntimeout = \"2s\"")
        + &peers::files_server(p, ws.root(), "effects = [\"read\"]")
        + &peers::logged_server(
            "changing",
            &peers::script(p, "changing-server.mjs"),
            &[],
            "effects = [\"pure\"]",
        );
    ws.write(".llmos/config.toml", &config);

    // Progress notifications along the way do not disturb the result.
    ws.write(
        "long.llt",
        "trace long\nlet r = everything.trigger_long_running_operation(duration: 0.3, steps: 3)\nreturn r\n",
    );
    let run = llmos(&ws, &["exec", "long.llt"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        "Long running operation completed. Duration: 0.3 seconds, Steps: 3."
    );

    // `isError`: a run error naming the step.
    ws.write(
        "iserror.llt",
        "trace iserror\nlet fine = changing.greet(name: \"Ada\")\nlet nope = everything.get_sum(a: 1, b: 2, c: 3)\nreturn nope\n",
    );
    let run = llmos(&ws, &["check", "iserror.llt"], &[]).await;
    assert_eq!(run.code, 1, "the checker knows get_sum has no `c`");
    ws.write(
        "iserror.llt",
        "trace iserror\nlet fine = changing.greet(name: \"Ada\")\nlet r = files.read_text_file(path: \"missing.txt\")\nreturn r\n",
    );
    let run = llmos(&ws, &["exec", "iserror.llt", "--json"], &[]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let out = run.json();
    assert_eq!(out["error"]["kind"], "tool");
    assert_eq!(out["error"]["step"], 2);
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("step 2 (`r`) `files.read_text_file`")
            && msg.contains("reported an error")
            && msg.contains("missing.txt"),
        "{msg}"
    );

    // A call that never returns fails the step at the server's `timeout`.
    let started = Instant::now();
    ws.write(
        "hang.llt",
        "trace hang\nlet r = everything.trigger_long_running_operation(duration: 60, steps: 1)\nreturn r\n",
    );
    let run = llmos(&ws, &["exec", "hang.llt", "--json"], &[]).await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.json()["error"]["kind"],
        "step_timeout",
        "{}",
        run.stdout
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );

    // A server that dies mid-call fails the step and says how it ended.
    ws.write(
        "crash.llt",
        "trace crash\nlet r = changing.crash()\nreturn r\n",
    );
    let run = llmos(&ws, &["exec", "crash.llt", "--json"], &[]).await;
    assert_eq!(run.code, 1);
    let msg = run.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        msg.contains("step 1 (`r`)")
            && msg.contains("went away")
            && msg.contains("crashing on purpose"),
        "{msg}"
    );
    peers::assert_no_orphans(ws.root());
}

#[tokio::test]
async fn servers_that_fail_to_start_are_reported() {
    let Some(_) = peers::peers() else { return };
    let ws = peers::workspace(
        "[mcp.servers.quits]\ncommand = \"sh\"\nargs = [\"-c\", \"echo $$ >> pids.txt; echo 'cannot find my config' >&2; exit 3\"]\n\
         [mcp.servers.mute]\ncommand = \"sh\"\nargs = [\"-c\", \"echo $$ >> pids.txt; exec sleep 300\"]\nstartup_timeout = \"1s\"\n",
    );
    let started = Instant::now();
    let run = llmos(&ws, &["mcp", "refresh"], &[]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "MCP server `quits` did not start: it exited (exit status: 3): cannot find my config"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("MCP server `mute` did not answer within 1s of starting"),
        "{}",
        run.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(peers::started(ws.root()).len(), 2);
    peers::assert_no_orphans(ws.root());

    // Other commands go on without their tools, saying why.
    ws.write("t.llt", "trace t\nlet r = mute.anything()\nreturn r\n");
    let run = llmos(&ws, &["exec", "t.llt"], &[]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("the tools of MCP server `mute` are not available"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("unknown tool `mute.anything`"),
        "{}",
        run.stderr
    );
    peers::assert_no_orphans(ws.root());
}

#[tokio::test]
async fn a_tool_whose_schema_changed_is_refused_at_link_time() {
    let Some(p) = peers::peers() else { return };
    let ws = peers::workspace(&peers::logged_server(
        "changing",
        &peers::script(p, "changing-server.mjs"),
        &[],
        "effects = [\"pure\"]",
    ));
    ws.write(
        "greet.llt",
        "trace greet\nparam who: str\nlet g = changing.greet(name: who)\nreturn g\n",
    );
    let id = llmos(&ws, &["compile", "greet.llt"], &[]).await;
    assert_eq!(id.code, 0, "{}", id.stderr);
    let id = id.stdout.trim().to_owned();
    let run = llmos(&ws, &["exec", &id, "--set", "who=Ada"], &[]).await;
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, "Hello, Ada!"),
        "{}",
        run.stderr
    );

    // The server changes the tool's input schema; the cached list still has the old one.
    ws.write("variant.txt", "2");
    let run = llmos(&ws, &["exec", &id, "--set", "who=Ada", "--json"], &[]).await;
    assert_eq!(run.code, 1);
    let e = &run.json()["error"];
    assert_eq!(e["kind"], "link", "{e}");
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("tool `changing.greet`") && msg.contains("changed the tool since"),
        "{msg}"
    );
    assert!(
        msg.contains("now `changing.greet(name: str, shout: bool = null) -> str"),
        "{msg}"
    );

    // After a refresh the stored program no longer loads; recompiled, it runs again.
    assert_eq!(llmos(&ws, &["mcp", "refresh"], &[]).await.code, 0);
    let run = llmos(&ws, &["exec", &id, "--set", "who=Ada"], &[]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("tool `changing.greet`") && run.stderr.contains("another signature"),
        "{}",
        run.stderr
    );
    let run = llmos(&ws, &["exec", "greet.llt", "--set", "who=Bo"], &[]).await;
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, "Hello, Bo!"),
        "{}",
        run.stderr
    );
    peers::assert_no_orphans(ws.root());
}

#[tokio::test]
async fn a_streamable_http_server_on_loopback() {
    let Some(p) = peers::peers() else { return };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = tokio::process::Command::new("node")
        .arg(peers::everything(p))
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "server-everything did not listen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ws = peers::workspace(&format!(
        "[mcp.servers.remote]\nurl = \"http://127.0.0.1:{port}/mcp\"\n"
    ));
    ws.write(
        "echo.llt",
        "trace echo\nparam text: str\nlet e = remote.echo(message: text)\nreturn e\n",
    );
    // `net` by default: refused without --allow, before anything is sent.
    let run = llmos(&ws, &["exec", "echo.llt", "--set", "text=hi"], &[]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("capability `net` not granted"),
        "{}",
        run.stderr
    );
    let run = llmos(
        &ws,
        &[
            "exec",
            "echo.llt",
            "--set",
            "text=over HTTP",
            "--allow",
            "net",
        ],
        &[],
    )
    .await;
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, "Echo: over HTTP"),
        "{}",
        run.stderr
    );
    server.kill().await.unwrap();
}

#[tokio::test]
async fn no_server_outlives_a_signal_or_a_time_limit() {
    use rustix::process::{Pid, Signal, kill_process};
    let Some(p) = peers::peers() else { return };
    let ws = peers::workspace(&peers::everything_server(p, "effects = [\"pure\"]"));
    assert_eq!(llmos(&ws, &["mcp", "refresh"], &[]).await.code, 0);
    peers::assert_no_orphans(ws.root());
    ws.write(
        "long.llt",
        "trace long\nlet r = everything.trigger_long_running_operation(duration: 300, steps: 3)\nreturn r\n",
    );

    // Ctrl-C (SIGINT) and SIGTERM while the server works on a call: the run is cancelled
    // and the server's whole process group (node and the helper it started) ends.
    for (signal, why) in [(Signal::INT, "SIGINT"), (Signal::TERM, "SIGTERM")] {
        let before = peers::started(ws.root()).len();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
            .args(["exec", "long.llt", "--root"])
            .arg(ws.root())
            .current_dir(ws.root())
            .env_remove("LLMOS_HOME")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        // The server and its helper are up (the run's signal handlers are set before the
        // server starts).
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut child = child;
        let group = loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                let mut pipe = child.stderr.take().unwrap();
                tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut err)
                    .await
                    .unwrap();
                panic!("llmos ended early ({status}): {err}");
            }
            let started = peers::started(ws.root());
            if let Some(&g) = started.get(before)
                && peers::group(g).len() == 2
            {
                break g;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start: {started:?} {:?}",
                started.iter().map(|g| peers::group(*g)).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let pid = Pid::from_raw(child.id().unwrap() as i32).unwrap();
        kill_process(pid, signal).unwrap();
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("llmos ends after the signal")
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("cancelled") && stderr.contains(why),
            "{stderr}"
        );
        peers::assert_no_orphans(ws.root());
        assert!(peers::group(group).is_empty());
    }

    // The run's time limit ends the server too (a step's, the server's `timeout`, is in
    // tool_errors_and_hangs_fail_the_step).
    let run = llmos(&ws, &["exec", "long.llt", "--timeout", "3s", "--json"], &[]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["error"]["kind"], "run_timeout", "{}", run.stdout);
    peers::assert_no_orphans(ws.root());
    assert_eq!(peers::started(ws.root()).len(), 4);
}
