//! The budget ledger: the balance, every charge, and the reservations ("holds") that keep
//! concurrent LLM calls from overspending.
//!
//! Before a call, [`Ledger::reserve`] checks, in one write transaction, that the call's
//! worst-case cost fits both the balance (minus what other calls in flight have
//! reserved) and the run's `--budget` (minus what the run has spent and reserved), and
//! records a hold for it. After the call, [`Ledger::settle`] charges the real cost and
//! drops the hold in one transaction; [`Ledger::release`] drops it when nothing is to be
//! charged (the call was never sent, or the provider answered with an error and no
//! usage). A hold older than [`HOLD_TTL`] belongs to a crashed process and is ignored.

use std::time::Duration;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Db, DbError, now_text, timestamp_text};

/// The balance of a new workspace, in dollars.
pub const INITIAL_BALANCE_USD: f64 = 10.0;

/// How long a hold counts against the balance before it is taken to belong to a crashed
/// process.
pub const HOLD_TTL: Duration = Duration::from_secs(15 * 60);

/// The largest amount the ledger accepts in one figure, in dollars.
const MAX_AMOUNT_USD: f64 = 1e9;

/// The budget ledger of a workspace database.
pub struct Ledger<'a> {
    db: &'a Db,
}

/// One charged LLM call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Charge {
    /// When it was charged (RFC 3339, UTC).
    pub at: String,
    pub run_id: String,
    /// The model as given (`provider:model`).
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

/// A reservation of a call's worst-case cost. Give it back to [`Ledger::settle`] or
/// [`Ledger::release`]; a hold that is neither expires after [`HOLD_TTL`].
#[derive(Debug, PartialEq)]
#[must_use = "a hold must be settled or released"]
pub struct Hold {
    id: i64,
    run_id: String,
    amount_micros: i64,
}

impl Hold {
    /// The hold's row id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The run it was reserved for.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The reserved worst-case cost in dollars.
    pub fn amount_usd(&self) -> f64 {
        micros_to_usd(self.amount_micros)
    }
}

/// Why an LLM call was refused before it was sent.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// The worst case does not fit what is left of the run's `--budget`.
    #[error(
        "LLM call refused: worst case {} exceeds the run budget --budget {} ({} left)",
        format_usd(*worst_case_usd), format_limit(*budget_usd), format_usd(*left_usd)
    )]
    RunBudget {
        worst_case_usd: f64,
        budget_usd: f64,
        left_usd: f64,
    },
    /// The worst case does not fit what is left of the workspace balance.
    #[error(
        "LLM call refused: worst case {} exceeds the balance ({} left); raise it with `llmos budget --set USD`",
        format_usd(*worst_case_usd), format_usd(*left_usd)
    )]
    Balance { worst_case_usd: f64, left_usd: f64 },
    /// An amount given to the check is not a non-negative number of dollars.
    #[error("LLM call refused: {what} {value} is not a valid amount of dollars")]
    InvalidAmount { what: &'static str, value: f64 },
    /// The ledger could not be read or written.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl<'a> Ledger<'a> {
    pub(super) fn new(db: &'a Db) -> Ledger<'a> {
        Ledger { db }
    }

    /// The balance in dollars (may be below zero if real costs exceeded their estimates).
    pub fn balance(&self) -> Result<f64, DbError> {
        self.balance_micros().map(micros_to_usd)
    }

    /// Sets the balance to `usd` dollars.
    pub fn set_balance(&self, usd: f64) -> Result<(), DbError> {
        let micros = usd_to_micros(usd).ok_or_else(|| {
            self.db
                .invalid(format!("balance {usd} is not a valid amount of dollars"))
        })?;
        self.db
            .conn()
            .execute(
                "UPDATE account SET balance_micros = ?1 WHERE id = 1",
                [micros],
            )
            .map_err(|e| self.db.err("cannot set the balance", e))?;
        Ok(())
    }

    /// The sum of every charge ever made, in dollars.
    pub fn spent_total(&self) -> Result<f64, DbError> {
        self.sum("SELECT COALESCE(SUM(cost_micros), 0) FROM charges", [])
            .map(micros_to_usd)
    }

    /// The sum of the charges of one run, in dollars.
    pub fn run_spent(&self, run_id: &str) -> Result<f64, DbError> {
        self.sum(
            "SELECT COALESCE(SUM(cost_micros), 0) FROM charges WHERE run_id = ?1",
            [run_id],
        )
        .map(micros_to_usd)
    }

    /// What calls in flight have reserved and not yet settled (expired holds excluded),
    /// in dollars.
    pub fn held_total(&self) -> Result<f64, DbError> {
        self.sum(
            "SELECT COALESCE(SUM(amount_micros), 0) FROM holds WHERE created_ms > ?1",
            [self.expiry_cutoff_ms()],
        )
        .map(micros_to_usd)
    }

    /// The last `limit` charges, newest first.
    pub fn recent_charges(&self, limit: usize) -> Result<Vec<Charge>, DbError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .db
            .conn()
            .prepare(
                "SELECT at, run_id, model, input_tokens, output_tokens, cost_micros
                 FROM charges ORDER BY id DESC LIMIT ?1",
            )
            .map_err(|e| self.db.err("cannot read charges", e))?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .map_err(|e| self.db.err("cannot read charges", e))?;
        let mut out = Vec::new();
        for row in rows {
            let (at, run_id, model, input, output, cost) =
                row.map_err(|e| self.db.err("cannot read charges", e))?;
            out.push(Charge {
                at,
                run_id,
                model,
                input_tokens: self.count_from_db(input)?,
                output_tokens: self.count_from_db(output)?,
                cost_usd: micros_to_usd(cost),
            });
        }
        Ok(out)
    }

    /// Reserves `worst_case_usd` for one call of run `run_id`, or refuses: the worst case
    /// must fit the balance minus the live holds of every process, and, when the run has
    /// a `--budget` of `run_budget_usd`, that budget minus the run's charges and live
    /// holds. Check and hold are one transaction, so concurrent processes cannot both
    /// take the last dollar. A worst case of zero (a free model) is never refused.
    pub fn reserve(
        &self,
        run_id: &str,
        worst_case_usd: f64,
        run_budget_usd: Option<f64>,
    ) -> Result<Hold, BudgetError> {
        let worst = usd_to_micros(worst_case_usd).ok_or(BudgetError::InvalidAmount {
            what: "worst-case cost",
            value: worst_case_usd,
        })?;
        let budget = match run_budget_usd {
            Some(b) => Some(usd_to_micros(b).ok_or(BudgetError::InvalidAmount {
                what: "run budget",
                value: b,
            })?),
            None => None,
        };
        let db = self.db;
        let tx = db.write_tx()?;
        let now = jiff::Timestamp::now();
        let cutoff = now.as_millisecond() - ttl_ms(db.hold_ttl());
        tx.execute("DELETE FROM holds WHERE created_ms <= ?1", [cutoff])
            .map_err(|e| db.err("cannot drop expired holds", e))?;
        let balance = self.balance_micros()?;
        let held = self.sum("SELECT COALESCE(SUM(amount_micros), 0) FROM holds", [])?;
        let balance_left = balance.saturating_sub(held);
        let run_left = match budget {
            Some(limit) => {
                let spent = self.sum(
                    "SELECT COALESCE(SUM(cost_micros), 0) FROM charges WHERE run_id = ?1",
                    [run_id],
                )?;
                let run_held = self.sum(
                    "SELECT COALESCE(SUM(amount_micros), 0) FROM holds WHERE run_id = ?1",
                    [run_id],
                )?;
                Some((limit, limit.saturating_sub(spent).saturating_sub(run_held)))
            }
            None => None,
        };
        if worst > 0 {
            // When both limits refuse, name the tighter one.
            if let Some((limit, left)) = run_left
                && worst > left
                && (worst <= balance_left || left <= balance_left)
            {
                return Err(BudgetError::RunBudget {
                    worst_case_usd: micros_to_usd(worst),
                    budget_usd: micros_to_usd(limit),
                    left_usd: micros_to_usd(left.max(0)),
                });
            }
            if worst > balance_left {
                return Err(BudgetError::Balance {
                    worst_case_usd: micros_to_usd(worst),
                    left_usd: micros_to_usd(balance_left.max(0)),
                });
            }
        }
        tx.execute(
            "INSERT INTO holds (run_id, amount_micros, created_ms, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![run_id, worst, now.as_millisecond(), timestamp_text(now)],
        )
        .map_err(|e| db.err("cannot record the hold", e))?;
        let id = tx.last_insert_rowid();
        tx.commit()
            .map_err(|e| db.err("cannot commit the hold", e))?;
        Ok(Hold {
            id,
            run_id: run_id.to_string(),
            amount_micros: worst,
        })
    }

    /// Charges the real cost of the call `hold` was reserved for and drops the hold, in
    /// one transaction. The charge is made even if the hold has expired meanwhile.
    pub fn settle(
        &self,
        hold: Hold,
        model: &str,
        input_tokens: u64,
        output_tokens: u64,
        cost_usd: f64,
    ) -> Result<Charge, DbError> {
        let db = self.db;
        let cost = usd_to_micros(cost_usd).ok_or_else(|| {
            db.invalid(format!("cost {cost_usd} is not a valid amount of dollars"))
        })?;
        let input = self.count_to_db(input_tokens)?;
        let output = self.count_to_db(output_tokens)?;
        let at = now_text();
        let tx = db.write_tx()?;
        tx.execute(
            "INSERT INTO charges (at, run_id, model, input_tokens, output_tokens, cost_micros)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![at, hold.run_id, model, input, output, cost],
        )
        .map_err(|e| db.err("cannot record the charge", e))?;
        tx.execute(
            "UPDATE account SET balance_micros = balance_micros - ?1 WHERE id = 1",
            [cost],
        )
        .map_err(|e| db.err("cannot debit the balance", e))?;
        tx.execute("DELETE FROM holds WHERE id = ?1", [hold.id])
            .map_err(|e| db.err("cannot drop the hold", e))?;
        tx.commit()
            .map_err(|e| db.err("cannot commit the charge", e))?;
        Ok(Charge {
            at,
            run_id: hold.run_id,
            model: model.to_string(),
            input_tokens,
            output_tokens,
            cost_usd: micros_to_usd(cost),
        })
    }

    /// Drops a hold without charging anything.
    pub fn release(&self, hold: Hold) -> Result<(), DbError> {
        self.db
            .conn()
            .execute("DELETE FROM holds WHERE id = ?1", [hold.id])
            .map_err(|e| self.db.err("cannot drop the hold", e))?;
        Ok(())
    }

    fn balance_micros(&self) -> Result<i64, DbError> {
        self.db
            .conn()
            .query_row("SELECT balance_micros FROM account WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.db.err("cannot read the balance", e))?
            .ok_or_else(|| self.db.invalid("the account row is missing"))
    }

    fn sum<P: rusqlite::Params>(&self, sql: &str, p: P) -> Result<i64, DbError> {
        self.db
            .conn()
            .query_row(sql, p, |r| r.get(0))
            .map_err(|e| self.db.err("cannot sum the ledger", e))
    }

    fn expiry_cutoff_ms(&self) -> i64 {
        jiff::Timestamp::now().as_millisecond() - ttl_ms(self.db.hold_ttl())
    }

    fn count_to_db(&self, n: u64) -> Result<i64, DbError> {
        i64::try_from(n).map_err(|_| self.db.invalid(format!("token count {n} is too large")))
    }

    fn count_from_db(&self, n: i64) -> Result<u64, DbError> {
        u64::try_from(n).map_err(|_| {
            self.db
                .invalid(format!("stored token count {n} is negative"))
        })
    }
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Dollars to whole micro-dollars, rounded to the nearest; `None` for a negative,
/// non-finite or absurdly large amount.
pub fn usd_to_micros(usd: f64) -> Option<i64> {
    if usd.is_finite() && (0.0..=MAX_AMOUNT_USD).contains(&usd) {
        // In range by the check above, so the cast cannot saturate.
        Some((usd * 1_000_000.0).round() as i64)
    } else {
        None
    }
}

pub(crate) fn micros_to_usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// A dollar amount for display: `$` and four decimals, e.g. `$0.0450`.
pub fn format_usd(usd: f64) -> String {
    let usd = if usd == 0.0 { 0.0 } else { usd };
    if usd < 0.0 {
        format!("-${:.4}", -usd)
    } else {
        format!("${usd:.4}")
    }
}

/// A limit as the user would have typed it: at least two decimals, at most six, without
/// trailing zeros beyond two (`$0.01`, `$0.005`, `$2.00`).
fn format_limit(usd: f64) -> String {
    let mut text = format!("{usd:.6}");
    while text.ends_with('0') && text.len() > 3 && !text[text.len() - 3..].starts_with('.') {
        text.pop();
    }
    format!("${text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_print_as_typed() {
        assert_eq!(format_limit(0.01), "$0.01");
        assert_eq!(format_limit(0.005), "$0.005");
        assert_eq!(format_limit(2.0), "$2.00");
        assert_eq!(format_limit(10.5), "$10.50");
        assert_eq!(format_limit(0.123456), "$0.123456");
    }

    #[test]
    fn usd_amounts_print_with_four_decimals() {
        assert_eq!(format_usd(0.045), "$0.0450");
        assert_eq!(format_usd(-0.0), "$0.0000");
        assert_eq!(format_usd(-1.5), "-$1.5000");
    }

    #[test]
    fn micros_round_and_reject_bad_amounts() {
        assert_eq!(usd_to_micros(0.045), Some(45_000));
        assert_eq!(usd_to_micros(10.0), Some(10_000_000));
        assert_eq!(usd_to_micros(-0.01), None);
        assert_eq!(usd_to_micros(f64::NAN), None);
        assert_eq!(usd_to_micros(f64::INFINITY), None);
    }
}
