//! The dispatcher and `expect`: a stored program whose `expect` fails does not apply to
//! the input. It is not broken: its rating stays, and in `auto` mode the Learner takes
//! the goal as it does on a miss. Through the real binary, with a loopback LLM.

use crate::support::learn::{Ws, anthropic_env, llmos, run_json};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::Value;

const CONCAT: &str = r##"trace concat_markdown
goal "concatenate the markdown files in {dir}"
param dir: path

let files = fs.glob(pattern: "{dir}/*.md")
expect list.len(items: files) > 0, "no markdown files in {dir}"
let parts = for f in files {
    let text = fs.read(path: f)
    "# {f}\n\n{text}"
}
return text.join(items: parts, sep: "\n")
"##;

fn trace(ws: &Ws) -> Value {
    ws.traces()
        .into_iter()
        .find(|t| t["goal"] == "concatenate the markdown files in {dir}")
        .unwrap()
}

#[tokio::test]
async fn a_failed_expect_keeps_the_rating_and_falls_back_to_the_learner() {
    let ws = Ws::new();
    ws.write("concat.llt", CONCAT);
    ws.write("docs/a.md", "alpha");
    ws.write("docs/b.md", "beta");
    std::fs::create_dir_all(ws.root().join("empty")).unwrap();
    let run = llmos(&ws, &["traces", "import", "concat.llt"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // It applies: followed, counted.
    let (_, out) = run_json(&ws, "concatenate the markdown files in docs", &[]).await;
    assert_eq!(out["mode"], "follower");
    assert_eq!(out["output"], "# docs/a.md\n\nalpha\n# docs/b.md\n\nbeta");
    assert_eq!(trace(&ws)["success_rating"], 1.0);

    // It does not apply: in follower mode, exit 1 naming the expectation.
    for _ in 0..3 {
        let run = llmos(
            &ws,
            &[
                "run",
                "concatenate the markdown files in empty",
                "--mode",
                "follower",
            ],
            &[],
        )
        .await;
        assert_eq!(run.code, 1);
        assert!(
            run.stderr
                .contains("expect failed: no markdown files in empty"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(
        trace(&ws)["success_rating"],
        1.0,
        "an expect lowered the rating"
    );

    // In auto mode the Learner takes the goal, as on a miss.
    let server = LoopbackServer::start(Script::new().reply(Reply::ok(&canned::anthropic_text(
        "There are no markdown files in empty.",
        300,
        12,
    ))))
    .await
    .unwrap();
    let (run, out) = run_json(
        &ws,
        "concatenate the markdown files in empty",
        &anthropic_env(&server),
    )
    .await;
    assert_eq!(out["mode"], "learner", "{out}");
    assert_eq!(out["output"], "There are no markdown files in empty.");
    assert!(
        run.stderr.contains("does not apply to this goal"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(trace(&ws)["success_rating"], 1.0);

    // And it is still followed where it applies.
    let (_, out) = run_json(&ws, "concatenate the markdown files in docs", &[]).await;
    assert_eq!(out["mode"], "follower");
}
