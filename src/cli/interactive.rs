//! `llmos interactive`: an `llmos>` prompt that takes goals one after another (the
//! original `boot.py interactive`), with line editing and history. After each goal it
//! shows the mode, the cost and the balance. `exit`, `quit` or Ctrl-D leave.
//!
//! When stdin is not a terminal, goals are read line by line without editing, so the
//! prompt can be scripted.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::time::Duration;

use super::Outcome;
use crate::economy::meter::lock_db;
use crate::kernel::{Kernel, Mode, Report, Request};
use crate::types::{Effect, EffectSet};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capabilities granted to every goal: net, exec, clock.
    #[arg(long, value_name = "CAP,...", value_delimiter = ',', value_parser = super::exec::parse_cap)]
    pub allow: Vec<Effect>,
    /// The most each goal may spend on LLM calls, in US dollars.
    #[arg(long, value_name = "USD", value_parser = super::budget::parse_usd)]
    pub budget: Option<f64>,
    /// Each goal's time limit: 90s, 5m.
    #[arg(long, value_name = "DURATION", value_parser = super::exec::parse_limit)]
    pub timeout: Option<Duration>,
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub mode: Mode,
    /// The workspace root (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

const PROMPT: &str = "llmos> ";

pub fn run(args: Args) -> Outcome {
    let kernel = match Kernel::open(args.root.as_deref()) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::Failed;
        }
    };
    eprintln!("llmos interactive: one goal per line; `exit` or Ctrl-D to leave.");
    let handle = |goal: &str| -> bool {
        match goal {
            "" => true,
            "exit" | "quit" => false,
            goal => {
                let req = Request {
                    goal: goal.to_owned(),
                    mode: args.mode,
                    sets: Vec::new(),
                    allow: args.allow.iter().copied().collect::<EffectSet>(),
                    budget: args.budget,
                    timeout: args.timeout,
                    max_turns: None,
                    trust_unsigned: false,
                };
                let report = kernel.run(&req);
                let _ = super::run::finish(&report, false);
                eprintln!("{}", status(&kernel, &report));
                true
            }
        }
    };
    if std::io::stdin().is_terminal() {
        let Ok(mut editor) = rustyline::DefaultEditor::new() else {
            eprintln!("error: cannot set up line editing on this terminal");
            return Outcome::Failed;
        };
        let history = kernel.ws.state_dir.join("history");
        let _ = editor.load_history(&history);
        loop {
            match editor.readline(PROMPT) {
                Ok(line) => {
                    let goal = line.trim();
                    if !goal.is_empty() {
                        let _ = editor.add_history_entry(goal);
                    }
                    if !handle(goal) {
                        break;
                    }
                }
                Err(rustyline::error::ReadlineError::Interrupted) => continue,
                Err(_) => break,
            }
        }
        let _ = editor.save_history(&history);
    } else {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            eprintln!("{PROMPT}{line}");
            if !handle(line.trim()) {
                break;
            }
        }
    }
    Outcome::Success
}

/// `[follower · $0.0000 · balance $9.9906]`
fn status(k: &Kernel, r: &Report) -> String {
    let balance = k
        .db()
        .and_then(|db| lock_db(db).ledger().balance().map_err(|e| e.to_string()))
        .map(|b| format!("${b:.4}"))
        .unwrap_or_else(|_| "?".into());
    let outcome = if r.error.is_some() { " · failed" } else { "" };
    format!(
        "[{} · ${:.4} · balance {balance}{outcome}]",
        r.mode, r.cost_usd
    )
}
