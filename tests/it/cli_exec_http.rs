//! `http.*` through `llmos exec` against a small HTTP/1.1 server on 127.0.0.1 started by
//! the test: bodies, JSON, errors naming the step, overlapping requests, and the `net`
//! capability.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use crate::support::cli_exec::{Ws, stderr, stdout};
use predicates::prelude::*;
use serde_json::{Value, json};

/// Answers one request according to its path.
fn serve(mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let (status, body) = match path.as_str() {
        "/hello" => ("200 OK", "hello from loopback".to_owned()),
        "/data.json" => (
            "200 OK",
            r#"{"items": [{"n": 2}, {"n": 3.5}], "name": "d"}"#.to_owned(),
        ),
        // never answers (the test's time limit ends the request first)
        "/hang" => {
            std::thread::sleep(Duration::from_secs(120));
            return;
        }
        p if p.starts_with("/slow/") => {
            std::thread::sleep(Duration::from_millis(300));
            ("200 OK", p.trim_start_matches("/slow/").to_owned())
        }
        _ => ("404 Not Found", "gone".to_owned()),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
}

/// Starts the server on a free loopback port; returns its base URL.
fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    format!("http://{addr}")
}

/// `exec` of a one-step trace that `http.get`s `url`, with `net` allowed.
fn get(ws: &Ws, url: &str) -> assert_cmd::assert::Assert {
    ws.write(
        "h.llt",
        "trace h\nparam url: str\nlet body = http.get(url: url)\nreturn body\n",
    );
    ws.exec(&["h.llt", "--allow", "net", "--set", &format!("url={url}")])
        .assert()
}

#[test]
fn get_and_get_json_with_net_allowed() {
    let base = server();
    let ws = Ws::new();
    ws.write(
        "h.llt",
        "trace h\nparam base: str\nlet page = http.get(url: \"{base}/hello\")\n\
         let data = http.get_json(url: \"{base}/data.json\")\n\
         let nums = [data.items[0].n, data.items[1].n]\n\
         fs.write(path: \"page.txt\", content: page)\n\
         return { \"page\": page, \"sum\": math.sum(values: nums), \"name\": data.name }\n",
    );
    let out = ws
        .exec(&["h.llt", "--allow", "net", "--set", &format!("base={base}")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        v,
        json!({"page": "hello from loopback", "sum": 5.5, "name": "d"})
    );
    assert_eq!(ws.read("page.txt"), "hello from loopback");
}

#[test]
fn net_needs_to_be_allowed() {
    let base = server();
    let ws = Ws::new();
    ws.write(
        "h.llt",
        "trace h\nparam url: str\nreturn http.get(url: url)\n",
    );
    ws.exec(&["h.llt", "--set", &format!("url={base}/hello")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "capability `net` not granted: the `return` value calls `http.get`; pass `--allow net`",
        ));
    ws.write(".llmos/config.toml", "allow = [\"net\"]\n");
    ws.exec(&["h.llt", "--set", &format!("url={base}/hello")])
        .assert()
        .success()
        .stdout("hello from loopback\n");
}

#[test]
fn an_error_status_fails_the_step() {
    let base = server();
    get(&Ws::new(), &format!("{base}/nothing"))
        .code(1)
        .stderr(predicate::str::contains("step 1 (`body`) `http.get`"))
        .stderr(predicate::str::contains("404"));
}

#[test]
fn independent_requests_overlap() {
    let base = server();
    let ws = Ws::new();
    ws.write(
        "h.llt",
        "trace h\nparam base: str\nlet a = http.get(url: \"{base}/slow/a\")\n\
         let b = http.get(url: \"{base}/slow/b\")\nlet c = http.get(url: \"{base}/slow/c\")\n\
         return \"{a}{b}{c}\"\n",
    );
    let set = format!("base={base}");
    let run = |extra: &[&str]| {
        let mut args = vec!["h.llt", "--allow", "net", "--set", &set, "--json"];
        args.extend_from_slice(extra);
        let out = ws.exec(&args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["output"], "abc");
        v["duration_ms"].as_f64().unwrap()
    };
    let parallel = run(&[]);
    assert!(parallel < 700.0, "took {parallel} ms");
    let sequential = run(&["--jobs", "1"]);
    assert!(sequential >= 900.0, "took {sequential} ms");
}

#[test]
fn the_request_time_limit_is_a_config_key() {
    let base = server();
    let ws = Ws::new();
    ws.write(".llmos/config.toml", "[limits]\nhttp_timeout = \"200ms\"\n");
    get(&ws, &format!("{base}/hang"))
        .code(1)
        .stderr(predicate::str::contains(format!(
            "no complete reply from {base}/hang within 200ms"
        )));
    // a limit longer than the tools' own is refused when the config is read, naming it
    ws.write(".llmos/config.toml", "[limits]\nhttp_timeout = \"2h\"\n");
    get(&ws, &format!("{base}/hello"))
        .code(1)
        .stderr(predicate::str::contains("http_timeout"))
        .stderr(predicate::str::contains("at most 10m"));
}
