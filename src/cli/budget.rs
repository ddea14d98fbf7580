//! `llmos budget [--set USD]`: the workspace balance, what has been spent, and the recent
//! charges (one per LLM call: when, run, model, tokens, cost) and overruns. `--set` sets
//! the balance; `--json` prints one object instead of the table. Holds whose process
//! died are charged first (at their reserved amount), so the balance shown is what is
//! left.

use std::path::PathBuf;

use serde_json::json;

use super::error::ArgError;
use super::{CliError, Outcome};
use crate::db::{Charge, Db, KIND_EXPIRED_HOLD, Overrun};
use crate::usage::{format_micros, to_micros, usd};
use crate::workspace::Workspace;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Set the balance to this many US dollars (kept in micro-dollars).
    #[arg(long, value_name = "USD", value_parser = parse_usd, allow_negative_numbers = true)]
    pub set: Option<i64>,
    /// How many recent charges to show.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The workspace root (default: the nearest folder at or above the current one with a
    /// `.llmos/`, else the current folder).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// A dollar amount on the command line: a finite number >= 0 (a leading `$` is allowed),
/// as micro-dollars (rounded to the nearest): the one place `--budget` and `--set` become
/// money.
pub fn parse_usd(text: &str) -> Result<i64, ArgError> {
    let t = text.trim();
    let t = t.strip_prefix('$').unwrap_or(t);
    let v: f64 = t
        .parse()
        .map_err(|_| ArgError::NotDollars(text.to_owned()))?;
    to_micros(v).ok_or_else(|| ArgError::DollarsOutOfRange(text.to_owned()))
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let ws = Workspace::open(args.root.as_deref(), super::env().lookup())?;
    ws.ensure_state_dir()?;
    let db = Db::open_in(&ws.state_dir)?;
    let ledger = db.ledger();
    if let Some(micros) = args.set {
        ledger.set_balance(micros)?;
        if !args.json {
            note!("balance set to {}", format_micros(micros));
        }
    }
    ledger.sweep_dead_holds()?;
    let balance = ledger.balance()?;
    let spent = ledger.spent_total()?;
    let held = ledger.held_total()?;
    let recent = ledger.recent_charges(args.limit)?;
    let overruns = ledger.recent_overruns(args.limit)?;
    if args.json {
        let doc = json!({
            "balance_usd": usd(balance),
            "spent_usd": usd(spent),
            "held_usd": usd(held),
            "recent": recent,
            "overruns": overruns,
        });
        outln!("{}", crate::value::pretty_json(&doc));
    } else {
        out!("{}", table(balance, spent, held, &recent));
        out!("{}", overrun_lines(&overruns));
    }
    Ok(Outcome::Success)
}

/// The text report: balance, spend, and a table of charges, newest first.
fn table(balance: i64, spent: i64, held: i64, recent: &[Charge]) -> String {
    let mut out = format!(
        "balance  {}\nspent    {}\n",
        format_micros(balance),
        format_micros(spent)
    );
    if held > 0 {
        out.push_str(&format!(
            "held     {} (calls in flight)\n",
            format_micros(held)
        ));
    }
    if recent.is_empty() {
        out.push_str("\nno charges yet\n");
        return out;
    }
    let rows: Vec<[String; 6]> = recent
        .iter()
        .map(|c| {
            [
                c.at.clone(),
                c.run_id.clone(),
                if c.kind == KIND_EXPIRED_HOLD {
                    format!("{} (hold of a killed run)", c.model)
                } else {
                    c.model.clone()
                },
                c.input_tokens.to_string(),
                c.output_tokens.to_string(),
                fine_usd(c.cost_micros),
            ]
        })
        .collect();
    let head = ["at", "run", "model", "input", "output", "cost"];
    let mut widths = head.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    out.push_str(&format!(
        "\nrecent charges (newest first):\n{}\n",
        line(&head.map(String::from), &widths)
    ));
    for row in &rows {
        out.push_str(&line(row, &widths));
        out.push('\n');
    }
    out
}

/// The overruns, newest first: replies that cost more than was reserved for them.
fn overrun_lines(overruns: &[Overrun]) -> String {
    if overruns.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("\noverruns (replies that cost more than was reserved; newest first):\n");
    for o in overruns {
        out.push_str(&format!(
            "{}  {}  {} reported {} in / {} out: cost {}, reserved {}, charged {}\n",
            o.at,
            o.run_id,
            o.provider,
            o.input_tokens,
            o.output_tokens,
            fine_usd(o.cost_micros),
            fine_usd(o.reserved_micros),
            fine_usd(o.charged_micros)
        ));
    }
    out
}

/// A charge's cost to the micro-dollar, the ledger's unit (one call often costs less
/// than the $0.0001 that [`format_micros`] shows).
fn fine_usd(micros: i64) -> String {
    format!("${:.6}", usd(micros))
}

/// One table row: text columns left-aligned, the three number columns right-aligned.
fn line(cells: &[String; 6], widths: &[usize; 6]) -> String {
    let mut parts = Vec::with_capacity(6);
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        if i >= 3 {
            parts.push(format!("{cell:>w$}"));
        } else {
            parts.push(format!("{cell:<w$}"));
        }
    }
    parts.join("  ").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_arguments() {
        assert_eq!(parse_usd("5").unwrap(), 5_000_000);
        assert_eq!(parse_usd("$0.25").unwrap(), 250_000);
        assert_eq!(parse_usd("0.0000004").unwrap(), 0);
        let e = parse_usd("-1").unwrap_err().to_string();
        assert!(e.contains("from 0 to 1e9"), "{e}");
        assert!(parse_usd("NaN").is_err());
        assert!(
            parse_usd("five")
                .unwrap_err()
                .to_string()
                .contains("`five`")
        );
    }

    #[test]
    fn the_table_aligns_numbers() {
        let c = Charge {
            at: "2026-11-25T09:00:00.000Z".into(),
            run_id: "r1".into(),
            model: "anthropic:claude-sonnet-4-5".into(),
            input_tokens: 1000,
            output_tokens: 20,
            cost_micros: 3_300,
            kind: "call".into(),
        };
        let t = table(9_500_000, 500_000, 0, &[c]);
        assert!(
            t.starts_with("balance  $9.5000\nspent    $0.5000\n\nrecent charges"),
            "{t}"
        );
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[4].starts_with("at "), "{t}");
        assert!(lines[5].ends_with("1000      20  $0.003300"), "{t}");
        assert!(table(10_000_000, 0, 0, &[]).ends_with("no charges yet\n"));
    }
}
