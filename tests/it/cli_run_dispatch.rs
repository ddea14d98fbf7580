//! `llmos run` as a dispatcher, against a loopback LLM: a goal learned once is followed
//! for new values with no LLM request; templates bind typed params; a near goal is bound
//! by exactly one LLM call (Mixed); a failing program loses rating and falls back to the
//! Learner; imported original traces are followed; several runs at once share one
//! workspace safely.

use crate::support::learn::{Ws, anthropic_env, llmos, run_json, word_count_script};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::{Value, json};

/// The Learner counting the words of `data/words.txt` ("alpha beta gamma").
fn words_script() -> Script {
    word_count_script(
        "data/words.txt",
        "alpha beta gamma",
        &["alpha", "beta", "gamma"],
    )
}

/// Writes `data/words.txt` and learns to count its words from a loopback LLM playing
/// `script` (which starts as [`words_script`]); the server, for the rest of the test.
async fn learned_word_count(ws: &Ws, script: Script) -> LoopbackServer {
    ws.write("data/words.txt", "alpha beta gamma");
    let server = LoopbackServer::start(script).await.unwrap();
    let (_, out) = run_json(
        ws,
        "count the words in data/words.txt",
        &anthropic_env(&server),
    )
    .await;
    assert_eq!(out["mode"], "learner");
    assert_eq!(out["output"], "data/words.txt has 3 words.");
    assert!(
        out["program"].as_str().is_some_and(|p| p.len() == 64),
        "{out}"
    );
    server
}

/// `llmos traces import` of an original llmos trace from `tests/fixtures/import/`, whose
/// paths were under `/home/alice/llmos/workspace`.
async fn import_original(ws: &Ws, fixture: &str) -> crate::support::learn::Run {
    let path = format!(
        "{}/tests/fixtures/import/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    let args = [
        "traces",
        "import",
        &path,
        "--original-root",
        "/home/alice/llmos/workspace",
    ];
    llmos(ws, &args, &[]).await
}

#[tokio::test]
async fn a_learned_goal_is_followed_for_new_values_without_the_llm() {
    let ws = Ws::new();
    ws.write("notes/other.md", "one two three four five\nsix");
    let server = learned_word_count(&ws, words_script()).await;
    assert_eq!(server.requests().len(), 4);

    let (_, out) = run_json(
        &ws,
        "count the words in notes/other.md",
        &anthropic_env(&server),
    )
    .await;
    assert_eq!(out["mode"], "follower");
    assert_eq!(out["llm_calls"], 0);
    assert_eq!(out["cost_usd"], 0.0);
    assert_eq!(
        out["output"], "notes/other.md has 6 words.",
        "computed from the new file"
    );
    assert_eq!(
        server.requests().len(),
        4,
        "no LLM request in Follower mode"
    );
    // The same goal as learned is followed too, and the plain output is the text.
    let run = llmos(
        &ws,
        &["run", "count the words in data/words.txt"],
        &anthropic_env(&server),
    )
    .await;
    assert_eq!(run.stdout, "data/words.txt has 3 words.\n");
    let t = ws.traces();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["goal"], "count the words in {input}");
    assert_eq!(t[0]["usage_count"], 2);
    assert_eq!(t[0]["success_rating"], 1.0);
    assert!(t[0]["learn_cost_usd"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn template_params_bind_with_their_types() {
    let ws = Ws::new();
    ws.write("notes.txt", "a\nb\nc\nd\n");
    ws.write(
        "head.llt",
        "trace head\ngoal \"show the first {n} lines of {file}\"\nparam n: int\nparam file: path\n\
         let lines = text.lines(text: fs.read(path: file))\nreturn [list.len(items: lines), n]\n",
    );
    let import = llmos(&ws, &["traces", "import", "head.llt"], &[]).await;
    assert_eq!(import.code, 0, "{}", import.stderr);
    let run = llmos(
        &ws,
        &[
            "run",
            "show the first 2 lines of notes.txt",
            "--mode",
            "follower",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["output"], json!([4, 2]));
    let run = llmos(
        &ws,
        &[
            "run",
            "show the first two lines of notes.txt",
            "--mode",
            "follower",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("param `n`") || run.stderr.contains("`n`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("no stored program matches"),
        "{}",
        run.stderr
    );
    // --set overrides a bound param.
    let run = llmos(
        &ws,
        &[
            "run",
            "show the first 2 lines of notes.txt",
            "--set",
            "n=7",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.json()["output"], json!([4, 7]));
}

#[tokio::test]
async fn a_near_goal_is_bound_by_exactly_one_llm_call() {
    let ws = Ws::new();
    ws.write("more/list.txt", "x y");
    let script = words_script().reply(Reply::ok(&canned::anthropic_text(
        "{\"input\": \"more/list.txt\"}",
        120,
        10,
    )));
    let server = learned_word_count(&ws, script).await;
    let run = llmos(
        &ws,
        &[
            "run",
            "please count all the words in more/list.txt",
            "--json",
        ],
        &anthropic_env(&server),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["mode"], "mixed", "{out}");
    assert_eq!(out["llm_calls"], 1);
    assert_eq!(out["output"], "more/list.txt has 2 words.");
    assert_eq!(
        server.requests().len(),
        5,
        "exactly one request to bind the params"
    );
    let prompt = server.requests()[4].body["messages"][0]["content"].to_string();
    assert!(
        prompt.contains("count the words in {input}") && prompt.contains("input (path)"),
        "{prompt}"
    );
}

#[tokio::test]
async fn a_failing_program_loses_rating_and_falls_back_to_the_learner() {
    let ws = Ws::new();
    let mut script = words_script();
    for _ in 0..8 {
        script = script.reply(Reply::ok(&canned::anthropic_text(
            "That file does not exist.",
            100,
            10,
        )));
    }
    let server = learned_word_count(&ws, script).await;
    let mut expected = 1.0;
    for i in 0..7 {
        let (run, out) =
            run_json(&ws, "count the words in gone.txt", &anthropic_env(&server)).await;
        assert_eq!(out["mode"], "learner", "run {i}: {out}");
        assert_eq!(out["output"], "That file does not exist.");
        assert!(
            run.stderr.contains("the stored program failed"),
            "{}",
            run.stderr
        );
        expected *= 0.9;
        let rating = ws.traces()[0]["success_rating"].as_f64().unwrap();
        assert!(
            (rating - expected).abs() < 1e-9,
            "run {i}: rating {rating}, expected {expected}"
        );
    }
    assert!(expected < 0.5);
    // Rated below 0.5: no longer followed, even for a file that exists.
    let run = llmos(
        &ws,
        &[
            "run",
            "count the words in data/words.txt",
            "--mode",
            "follower",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no stored program matches"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn an_imported_original_trace_is_followed() {
    let ws = Ws::new();
    let run = import_original(&ws, "trace_8c1d0f3e5a7b9d21_20251108_143210.yaml").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = ws.traces();
    // The helper's name is in the check the trace ran (`utils.slugify(...)`): a param.
    assert_eq!(
        t[0]["goal"],
        "Create a Python file named {output} with a {topic} helper"
    );
    assert_eq!(t[0]["source"], "imported");
    // The code is prose about the helper: one LLM call writes it for a new binding.
    let code = "def camelize(text):\n    return text.title().replace(' ', '')\n";
    let server = LoopbackServer::start(
        Script::new().reply(Reply::ok(&canned::anthropic_text(code, 200, 30))),
    )
    .await
    .unwrap();
    let run = llmos(
        &ws,
        &[
            "run",
            "Create a Python file named helpers.py with a camelize helper",
            "--mode",
            "follower",
            "--allow",
            "exec",
            "--json",
        ],
        &anthropic_env(&server),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["mode"], "follower");
    assert_eq!(run.json()["llm_calls"], 1);
    let prompt = last_user_text(&server);
    assert!(
        prompt.contains("named helpers.py with a camelize helper"),
        "{prompt}"
    );
    let written = std::fs::read_to_string(ws.root().join("helpers.py")).unwrap();
    assert_eq!(written, code);
}

/// The text of the last request's last user message.
fn last_user_text(server: &LoopbackServer) -> String {
    let reqs = server.requests();
    let body = &reqs.last().expect("a request").body;
    body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| m["content"].to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn original_traces_without_counterparts_are_reported_by_name() {
    let ws = Ws::new();
    let run = import_original(&ws, "e1f2a3b4c5d6e7f8_plan_the_sprint.md").await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("Plan the sprint") && run.stderr.contains("TodoWrite"),
        "{}",
        run.stderr
    );
    assert!(ws.traces().is_empty());
}

#[tokio::test]
async fn eight_runs_at_once_share_the_workspace() {
    let ws = Ws::new();
    let server = learned_word_count(&ws, words_script()).await;
    let mut runs = Vec::new();
    for i in 0..8 {
        let words: Vec<String> = (0..=i).map(|w| format!("w{w}")).collect();
        ws.write(&format!("f{i}.txt"), &words.join(" "));
    }
    for i in 0..8 {
        let goal = format!("count the words in f{i}.txt");
        let env = anthropic_env(&server);
        let root = ws.root().to_path_buf();
        runs.push(tokio::spawn(async move {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
                .args(["run", &goal, "--json", "--root"])
                .arg(&root)
                .envs(env)
                .output()
                .await
                .unwrap();
            (i, out)
        }));
    }
    for r in runs {
        let (i, out) = r.await.unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["mode"], "follower");
        assert_eq!(v["output"], format!("f{i}.txt has {} words.", i + 1));
    }
    assert_eq!(server.requests().len(), 4);
    assert_eq!(ws.traces()[0]["usage_count"], 8);
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .args(["store", "verify", "--root"])
        .arg(ws.root())
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[tokio::test]
async fn a_learned_summary_is_a_slot_that_asks_once_with_the_new_data() {
    let ws = Ws::new();
    let sales = "region,amount\nnorth,10\nsouth,32\n";
    let costs = "team,cost\nweb,300\ndata,510\n";
    ws.write("data/sales.csv", sales);
    ws.write("data/costs.csv", costs);
    let table = json!([{"region": "north", "amount": 10}, {"region": "south", "amount": 32}]);
    let summary = "# Sales\n\nTwo regions; 42 in all.\n";
    let script = Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "fs-read", json!({"path": "data/sales.csv"}))],
            500,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t2", "csv-parse", json!({"text": sales}))],
            600,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t3", "csv-describe", json!({"table": table}))],
            700,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[(
                "t4",
                "fs-write",
                json!({"path": "reports/sales.md", "content": summary}),
            )],
            800,
            60,
        )))
        .reply(Reply::ok(&canned::anthropic_text(
            "I wrote reports/sales.md.",
            900,
            20,
        )))
        .reply(Reply::ok(&canned::anthropic_text(
            "# Costs\n\nTwo teams; 810 in all.\n",
            300,
            30,
        )));
    let server = LoopbackServer::start(script).await.unwrap();
    let env = anthropic_env(&server);
    let learn = llmos(
        &ws,
        &[
            "run",
            "summarize data/sales.csv into reports/sales.md",
            "--json",
        ],
        &env,
    )
    .await;
    assert_eq!(learn.code, 0, "{}", learn.stderr);
    assert_eq!(server.requests().len(), 5);
    // The same goal again: the summary comes from the slot cache, no request.
    let same = llmos(
        &ws,
        &[
            "run",
            "summarize data/sales.csv into reports/sales.md",
            "--json",
        ],
        &env,
    )
    .await;
    assert_eq!(same.json()["mode"], "follower");
    assert_eq!(same.json()["llm_calls"], 0);
    assert_eq!(server.requests().len(), 5);
    // A new binding: one plain completion whose prompt carries the new file's statistics.
    let new = llmos(
        &ws,
        &[
            "run",
            "summarize data/costs.csv into reports/costs.md",
            "--json",
        ],
        &env,
    )
    .await;
    assert_eq!(new.code, 0, "{}", new.stderr);
    let out = new.json();
    assert_eq!(
        (out["mode"].as_str(), out["llm_calls"].as_u64()),
        (Some("follower"), Some(1))
    );
    assert_eq!(server.requests().len(), 6);
    let prompt = server.requests()[5].body["messages"][0]["content"].to_string();
    assert!(
        prompt.contains("data/costs.csv") && prompt.contains("\\\"sum\\\":810"),
        "{prompt}"
    );
    assert!(
        server.requests()[5]
            .body
            .get("tools")
            .is_none_or(|t| t.as_array().is_none_or(Vec::is_empty)),
        "a plain completion"
    );
    assert_eq!(
        std::fs::read_to_string(ws.root().join("reports/costs.md")).unwrap(),
        "# Costs\n\nTwo teams; 810 in all.\n"
    );
}
