//! `llmos interactive`: an `llmos>` prompt that takes goals one after another (the
//! original `boot.py interactive`), with line editing and history. After each goal it
//! shows the mode, the cost and the balance. `help`, `:mode`, `:budget`, `:traces` and
//! `:quit` are commands, never goals: a line starting with `:` never reaches the LLM.
//! `exit`, `quit` or Ctrl-D leave.
//!
//! When stdin is not a terminal, goals are read line by line without editing, so the
//! prompt can be scripted.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::time::Duration;

use super::{CliError, Outcome};
use crate::economy::meter::lock_db;
use crate::kernel::{Kernel, Mode, Report, Request};
use crate::types::{Effect, EffectSet};
use crate::usage::usd;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capabilities granted to every goal: net, exec, clock.
    #[arg(long, value_name = "CAP,...", value_delimiter = ',', value_parser = super::exec::parse_cap)]
    pub allow: Vec<Effect>,
    /// The most each goal may spend on LLM calls, in US dollars.
    #[arg(long, value_name = "USD", value_parser = super::budget::parse_usd)]
    pub budget: Option<i64>,
    /// Each goal's time limit: 90s, 5m.
    #[arg(long, value_name = "DURATION", value_parser = super::exec::parse_limit)]
    pub timeout: Option<Duration>,
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub mode: Mode,
    /// The workspace root (default: the nearest folder at or above the current one with a
    /// `.llmos/`, else the current folder).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

const PROMPT: &str = "llmos> ";

const HELP: &str = "\
Type a goal to reach it (a stored program when one matches, else the Learner), or a command:
  help, :help         this list
  :mode [MODE]        show or set how goals run: auto, follower, learner
  :budget [USD|none]  show the balance and the limit per goal, or set the limit
  :traces             the trace library
  :quit, exit, quit   leave (so does Ctrl-D)
A line starting with `:` is always a command, never a goal.";

/// What a line asks for.
#[derive(Debug, PartialEq)]
enum Line<'a> {
    Empty,
    Quit,
    Help,
    Mode(Option<&'a str>),
    Budget(Option<&'a str>),
    Traces,
    Unknown(&'a str),
    Goal(&'a str),
}

fn parse_line(line: &str) -> Line<'_> {
    let line = line.trim();
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let arg = Some(rest.trim()).filter(|r| !r.is_empty());
    match word {
        "" => Line::Empty,
        "exit" | "quit" | ":quit" | ":q" | ":exit" if arg.is_none() => Line::Quit,
        "help" | ":help" | ":h" | "?" if arg.is_none() => Line::Help,
        ":mode" => Line::Mode(arg),
        ":budget" => Line::Budget(arg),
        ":traces" => Line::Traces,
        w if w.starts_with(':') => Line::Unknown(w),
        _ => Line::Goal(line),
    }
}

/// The prompt's state: the workspace and the settings `:mode` and `:budget` change.
struct Session {
    kernel: Kernel,
    mode: Mode,
    /// The limit per goal, in micro-dollars.
    budget: Option<i64>,
    allow: EffectSet,
    timeout: Option<Duration>,
}

impl Session {
    /// Handles one line; false when the session ends.
    fn handle(&mut self, line: &str) -> bool {
        match parse_line(line) {
            Line::Empty => {}
            Line::Quit => return false,
            Line::Help => outln!("{HELP}"),
            Line::Mode(None) => outln!("mode {}", mode_name(self.mode)),
            Line::Mode(Some(m)) => match clap::ValueEnum::from_str(m, true) {
                Ok(mode) => {
                    self.mode = mode;
                    outln!("mode {}", mode_name(self.mode));
                }
                Err(_) => CliError::input(
                    "bad-mode",
                    format!("`{m}` is not a mode: auto, follower or learner"),
                )
                .print(),
            },
            Line::Budget(arg) => {
                if let Err(e) = self.budget(arg) {
                    e.print();
                }
            }
            Line::Traces => {
                if let Err(e) = super::traces::ls(&self.kernel, false) {
                    e.print();
                }
            }
            Line::Unknown(w) => CliError::input(
                "unknown-command",
                format!("unknown command `{w}`; `help` lists them"),
            )
            .print(),
            Line::Goal(goal) => self.goal(goal),
        }
        true
    }

    fn budget(&mut self, arg: Option<&str>) -> Result<(), CliError> {
        match arg {
            Some("none") => self.budget = None,
            Some(usd) => {
                let usd = super::budget::parse_usd(usd)
                    .map_err(|e| CliError::input("bad-amount", e.to_string()))?;
                self.budget = Some(usd);
            }
            None => {}
        }
        let limit = self
            .budget
            .map_or("none".to_owned(), |b| format!("${:.4}", usd(b)));
        outln!("balance {} · limit per goal {limit}", balance(&self.kernel));
        Ok(())
    }

    fn goal(&self, goal: &str) {
        let req = Request {
            goal: goal.to_owned(),
            mode: self.mode,
            sets: Vec::new(),
            allow: self.allow,
            budget: self.budget,
            timeout: self.timeout,
            max_turns: None,
            trust_unsigned: false,
        };
        let report = self.kernel.run(&req);
        let _ = super::run::finish(&report, false);
        note!("{}", status(&self.kernel, &report));
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Auto => "auto",
        Mode::Follower => "follower",
        Mode::Learner => "learner",
    }
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let kernel = super::kernel(args.root.as_deref())?;
    note!(
        "llmos interactive: one goal per line; `help` lists the commands, `exit` or Ctrl-D leaves."
    );
    let mut session = Session {
        kernel,
        mode: args.mode,
        budget: args.budget,
        allow: args.allow.iter().copied().collect::<EffectSet>(),
        timeout: args.timeout,
    };
    if std::io::stdin().is_terminal() {
        let Ok(mut editor) = rustyline::DefaultEditor::new() else {
            return Err(CliError::input(
                "no-terminal",
                "cannot set up line editing on this terminal",
            ));
        };
        let history = session.kernel.ws().state_dir.join("history");
        let _ = editor.load_history(&history);
        loop {
            match editor.readline(PROMPT) {
                Ok(line) => {
                    let goal = line.trim();
                    if !goal.is_empty() {
                        let _ = editor.add_history_entry(goal);
                    }
                    if !session.handle(goal) {
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
            note!("{PROMPT}{line}");
            if !session.handle(&line) {
                break;
            }
        }
    }
    Ok(Outcome::Success)
}

/// The balance as `$9.9906`, or `?` when the ledger cannot be read.
fn balance(k: &Kernel) -> String {
    let balance = || -> Result<i64, CliError> { Ok(lock_db(k.db()?).ledger().balance()?) };
    balance().map_or_else(|_| "?".into(), |b| format!("${:.4}", usd(b)))
}

/// `[follower · $0.0000 · balance $9.9906]`
fn status(k: &Kernel, r: &Report) -> String {
    let balance = balance(k);
    let outcome = if r.error.is_some() { " · failed" } else { "" };
    format!(
        "[{} · ${:.4} · balance {balance}{outcome}]",
        r.mode,
        r.usage.cost_usd()
    )
}

#[cfg(test)]
mod tests {
    use super::{Line, parse_line};

    #[test]
    fn commands_are_never_goals() {
        assert_eq!(parse_line("  help "), Line::Help);
        assert_eq!(parse_line(":mode follower"), Line::Mode(Some("follower")));
        assert_eq!(parse_line(":budget"), Line::Budget(None));
        assert_eq!(parse_line(":traces"), Line::Traces);
        assert_eq!(parse_line(":quit"), Line::Quit);
        assert_eq!(parse_line(":modes"), Line::Unknown(":modes"));
        assert_eq!(
            parse_line("help me sort data.csv"),
            Line::Goal("help me sort data.csv")
        );
        assert_eq!(
            parse_line("exit the loop in a.py"),
            Line::Goal("exit the loop in a.py")
        );
    }
}
