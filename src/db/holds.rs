//! Holds whose process died: charged at their reserved amount, never dropped.
//!
//! A hold records the process that took it (its pid and, on Linux, its start time, so a
//! reused pid is not mistaken for it). A hold is dead when that process is gone, or, when
//! that cannot be told (another system, no `/proc`), once it is older than the hold TTL.
//! Sweeping a dead hold charges its amount (an answered call whose process was killed
//! before it settled would otherwise never be paid for) as a charge of kind
//! `expired_hold` that remembers the hold. If the process was alive after all (a pid
//! namespace, a clock jump) and settles or releases the hold later, that charge is
//! undone first, so a call is never charged twice.

use rusqlite::{Transaction, params};

use super::{Db, DbError, now_text};

/// The kind of a charge made for an LLM call's reply.
pub const KIND_CALL: &str = "call";
/// The kind of a charge made for a hold whose process died.
pub const KIND_EXPIRED_HOLD: &str = "expired_hold";

/// A process: its id and, where the system says, when it started (clock ticks since
/// boot), which tells a reused pid from the process that took a hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    pub pid: u32,
    pub start: Option<i64>,
}

impl ProcessId {
    /// This process.
    pub fn current() -> ProcessId {
        let pid = std::process::id();
        ProcessId {
            pid,
            start: proc_stat(pid).map(|s| s.start),
        }
    }

    /// Whether the process is certainly gone: `Some(true)` when gone, `Some(false)` when
    /// it runs, `None` when this system cannot tell.
    pub fn is_gone(&self) -> Option<bool> {
        let start = self.start?;
        if !std::path::Path::new("/proc/self/stat").exists() {
            return None;
        }
        Some(match proc_stat(self.pid) {
            Some(s) => s.start != start || s.zombie,
            None => true,
        })
    }
}

struct Stat {
    start: i64,
    zombie: bool,
}

/// Fields of `/proc/PID/stat`: the state (3rd) and the start time (22nd), counted after
/// the command name, which is in parentheses and may hold spaces.
fn proc_stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let state = fields.first()?;
    let start = fields.get(19)?.parse().ok()?;
    Some(Stat {
        start,
        zombie: matches!(*state, "Z" | "X" | "x"),
    })
}

/// A hold as stored.
struct Row {
    id: i64,
    run_id: String,
    model: String,
    amount: i64,
    created_ms: i64,
    process: Option<ProcessId>,
}

/// Charges every dead hold at its amount (never taking the balance below zero) and
/// drops it, inside `tx`. `cutoff_ms`: holds created at or before it are dead whatever
/// their process. Holds of this process are alive. Returns how many were charged.
pub(super) fn sweep(db: &Db, tx: &Transaction<'_>, cutoff_ms: i64) -> Result<usize, DbError> {
    let me = std::process::id();
    let mut dead = Vec::new();
    for row in rows(db, tx)? {
        let gone = match row.process {
            Some(p) if p.pid == me => false,
            Some(p) => p.is_gone() == Some(true),
            None => false,
        };
        if gone || row.created_ms <= cutoff_ms {
            dead.push(row);
        }
    }
    for row in &dead {
        let balance: i64 = tx
            .query_row("SELECT balance_micros FROM account WHERE id = 1", [], |r| {
                r.get(0)
            })
            .map_err(|e| db.err("cannot read the balance", e))?;
        let charged = row.amount.min(balance.max(0));
        tx.execute(
            "INSERT INTO charges (at, run_id, model, input_tokens, output_tokens, cost_micros,
                                  kind, hold_id)
             VALUES (?1, ?2, ?3, 0, 0, ?4, ?5, ?6)",
            params![
                now_text(),
                row.run_id,
                row.model,
                charged,
                KIND_EXPIRED_HOLD,
                row.id
            ],
        )
        .map_err(|e| db.err("cannot charge a dead hold", e))?;
        tx.execute(
            "UPDATE account SET balance_micros = balance_micros - ?1 WHERE id = 1",
            [charged],
        )
        .map_err(|e| db.err("cannot debit the balance", e))?;
        tx.execute("DELETE FROM holds WHERE id = ?1", [row.id])
            .map_err(|e| db.err("cannot drop a dead hold", e))?;
    }
    Ok(dead.len())
}

fn rows(db: &Db, tx: &Transaction<'_>) -> Result<Vec<Row>, DbError> {
    let err = |e| db.err("cannot read the holds", e);
    let mut stmt = tx
        .prepare(
            "SELECT id, run_id, model, amount_micros, created_ms, pid, pid_start FROM holds
             ORDER BY id",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| {
            let pid: Option<i64> = r.get(5)?;
            let start: Option<i64> = r.get(6)?;
            Ok(Row {
                id: r.get(0)?,
                run_id: r.get(1)?,
                model: r.get(2)?,
                amount: r.get(3)?,
                created_ms: r.get(4)?,
                process: pid
                    .and_then(|p| u32::try_from(p).ok())
                    .map(|pid| ProcessId { pid, start }),
            })
        })
        .map_err(err)?;
    rows.collect::<Result<Vec<Row>, _>>().map_err(err)
}

/// Undoes the charge a sweep made for hold `hold_id`, if any (its process was alive after
/// all): deletes it and gives its amount back. Returns whether there was one.
pub(super) fn undo_sweep(db: &Db, tx: &Transaction<'_>, hold_id: i64) -> Result<bool, DbError> {
    let charged: Option<(i64, i64)> = tx
        .query_row(
            "SELECT id, cost_micros FROM charges WHERE kind = ?1 AND hold_id = ?2",
            params![KIND_EXPIRED_HOLD, hold_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(|e| db.err("cannot read the charges", e))?;
    let Some((id, amount)) = charged else {
        return Ok(false);
    };
    tx.execute("DELETE FROM charges WHERE id = ?1", [id])
        .map_err(|e| db.err("cannot undo a dead hold's charge", e))?;
    tx.execute(
        "UPDATE account SET balance_micros = balance_micros + ?1 WHERE id = 1",
        [amount],
    )
    .map_err(|e| db.err("cannot credit the balance", e))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_runs_and_a_made_up_one_does_not() {
        let me = ProcessId::current();
        if me.start.is_none() {
            return; // no /proc here: only the TTL applies
        }
        assert_eq!(me.is_gone(), Some(false));
        let reused = ProcessId {
            start: me.start.map(|s| s + 1),
            ..me
        };
        assert_eq!(reused.is_gone(), Some(true), "same pid, another start");
        let none = ProcessId {
            pid: u32::MAX - 7,
            start: Some(1),
        };
        assert_eq!(none.is_gone(), Some(true));
    }
}
