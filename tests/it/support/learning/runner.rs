//! Runs a family through the real binary: `llmos traces import recording.yaml` (compile
//! and register, as a Learner run does after it succeeds), then `llmos run GOAL --mode
//! follower --json` for each new goal, offline (no model configured; a goal whose
//! program has an `ask` slot gets a loopback LLM that answers it), each from the family's
//! workspace as it was recorded plus the goal's own files.

use std::path::Path;

use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::Value;

use super::family::{Family, Goal, clear_workspace, same_meaning, write_files};
use crate::support::llmos_command;

/// What became of one goal.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// A positive goal served right (exact output and files, the expected LLM calls).
    Hit,
    /// A positive goal not served (no match, or the run failed): the reason.
    Miss(String),
    /// A negative goal that failed or missed, as it must.
    Refused,
    /// A success exit with output the goal did not ask for (or a negative goal served).
    FalseReplay(String),
    /// The right output, but with LLM calls the goal should not need.
    Costly(String),
}

/// One goal's verdict.
#[derive(Debug)]
pub struct GoalResult {
    pub goal: String,
    pub negative: bool,
    pub verdict: Verdict,
}

/// A family's results; `import_error` when the recording was not even registered.
#[derive(Debug)]
pub struct FamilyResult {
    pub name: String,
    pub import_error: Option<String>,
    pub goals: Vec<GoalResult>,
}

fn llmos(root: &Path, args: &[&str], env: &[(&str, String)]) -> (i32, String, String) {
    let mut cmd = llmos_command(root);
    cmd.args(args).arg("--root").arg(root);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs every goal of `family` in a fresh workspace.
pub fn run_family(family: &Family, runtime: &tokio::runtime::Runtime) -> FamilyResult {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write_files(root, &family.cases.files);
    let rec = family.recording_path();
    let rec = rec.to_str().unwrap();
    let (code, _, stderr) = llmos(root, &["traces", "import", rec], &[]);
    let mut result = FamilyResult {
        name: family.name.clone(),
        import_error: (code != 0).then(|| stderr.trim().to_owned()),
        goals: Vec::new(),
    };
    for goal in &family.cases.goals {
        clear_workspace(root);
        write_files(root, &family.cases.files);
        write_files(root, &goal.files);
        let verdict = run_goal(family, goal, root, runtime);
        result.goals.push(GoalResult {
            goal: goal.goal.clone(),
            negative: goal.is_negative(),
            verdict,
        });
    }
    result
}

fn run_goal(family: &Family, goal: &Goal, root: &Path, rt: &tokio::runtime::Runtime) -> Verdict {
    let mut args = vec!["run", goal.goal.as_str(), "--mode", "follower", "--json"];
    let allow = family.cases.allow.join(",");
    if !allow.is_empty() {
        args.extend(["--allow", allow.as_str()]);
    }
    let server = goal.llm.as_ref().map(|answer| {
        let reply = Reply::ok(&canned::anthropic_text(answer, 400, 60));
        rt.block_on(LoopbackServer::start(Script::new().default_reply(reply)))
            .unwrap()
    });
    let env: Vec<(&str, String)> = match &server {
        Some(s) => vec![
            ("LLMOS_MODEL", "anthropic:claude-sonnet-4-5".into()),
            ("ANTHROPIC_API_KEY", "sk-ant-test".into()),
            ("ANTHROPIC_BASE_URL", s.url()),
        ],
        None => Vec::new(),
    };
    let (code, stdout, stderr) = llmos(root, &args, &env);
    let report: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    if code != 0 {
        // A template passed over says more than "no stored program matches".
        let passed_over = stderr.lines().find(|l| l.starts_with("note: trace"));
        let why = match (passed_over, report["error"].as_str()) {
            (Some(note), _) => note.trim_start_matches("note: ").to_owned(),
            (None, Some(e)) => e.to_owned(),
            (None, None) => stderr.trim().to_owned(),
        };
        return match goal.is_negative() {
            true => Verdict::Refused,
            false => Verdict::Miss(why),
        };
    }
    if let Some(why) = &goal.refuse {
        return Verdict::FalseReplay(format!(
            "served a goal it must refuse ({why}); output {}",
            report["output"]
        ));
    }
    if let Some(wrong) = wrong_answer(goal, root, &report) {
        return Verdict::FalseReplay(wrong);
    }
    let calls = report["llm_calls"].as_u64().unwrap_or(0);
    let expected_calls = u64::from(goal.llm.is_some());
    if calls != expected_calls {
        return Verdict::Costly(format!("{calls} LLM calls, {expected_calls} expected"));
    }
    if let Some(server) = &server {
        let prompt = server
            .requests()
            .first()
            .map(|r| r.raw_body.clone())
            .unwrap_or_default();
        let missing: Vec<&String> = goal
            .prompt_contains
            .iter()
            .filter(|t| {
                let escaped = serde_json::to_string(t).unwrap();
                !prompt.contains(&escaped[1..escaped.len() - 1])
            })
            .collect();
        if !missing.is_empty() {
            return Verdict::FalseReplay(format!("the slot prompt lacks {missing:?}"));
        }
    }
    Verdict::Hit
}

/// How a successful run's output or files differ from what the goal asks; `None` when
/// they are right.
fn wrong_answer(goal: &Goal, root: &Path, report: &Value) -> Option<String> {
    if let Some(want) = &goal.output
        && !same_meaning(want, &report["output"])
    {
        return Some(format!("output {} instead of {want}", report["output"]));
    }
    for (rel, want) in &goal.written {
        match std::fs::read_to_string(root.join(rel)) {
            Ok(got) if &got == want => {}
            Ok(got) => return Some(format!("{rel} holds {got:?} instead of {want:?}")),
            Err(_) => return Some(format!("{rel} was not written")),
        }
    }
    None
}
