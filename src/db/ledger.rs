//! The budget ledger: the balance, every charge, and the reservations ("holds") that keep
//! concurrent LLM calls from overspending.
//!
//! Before a call, [`Ledger::reserve`] checks, in one write transaction, that the call's
//! worst-case cost fits both the balance (minus what other calls in flight have
//! reserved) and the run's `--budget` (minus what the run has spent and reserved), and
//! records a hold for it. After the call, [`Ledger::settle`] charges the real cost and
//! drops the hold in one transaction; [`Ledger::release`] drops it when nothing is to be
//! charged (the call was never sent, or the provider answered with an error and no
//! usage).
//!
//! The budget is a hard cap: [`Ledger::reserve_call`] lowers a call's `max_tokens` to what
//! the balance and the run's budget can still pay (refusing below a floor); a reply whose
//! cost exceeds its hold is charged only what the balance can pay, never taking it below
//! zero, and recorded as an overrun naming the provider (the caller stops the run). A
//! hold whose process died is charged at its reserved amount (see `holds.rs`).

use std::time::Duration;

use rusqlite::{OptionalExtension, params};

use super::budget::{BudgetError, CallCost, Charge, Grant, Hold, Overrun, Settlement, refusal};
use super::holds::{self, KIND_CALL, ProcessId};
use super::{Db, DbError, now_text, timestamp_text};

/// The balance of a new workspace, in micro-dollars ($10).
pub const INITIAL_BALANCE_MICROS: i64 = 10_000_000;

/// How long a hold may live before it is taken to belong to a crashed process (and
/// charged at its amount) when its process cannot be checked.
pub const HOLD_TTL: Duration = Duration::from_secs(15 * 60);

/// The budget ledger of a workspace database.
pub struct Ledger<'a> {
    db: &'a Db,
}
impl<'a> Ledger<'a> {
    pub(super) fn new(db: &'a Db) -> Ledger<'a> {
        Ledger { db }
    }

    /// The balance in micro-dollars (may be below zero if real costs exceeded their
    /// estimates).
    pub fn balance(&self) -> Result<i64, DbError> {
        self.balance_micros()
    }

    /// Sets the balance to `micros` micro-dollars (not below zero).
    pub fn set_balance(&self, micros: i64) -> Result<(), DbError> {
        if micros < 0 {
            return Err(self.db.invalid(format!(
                "balance {} is not a valid amount of dollars",
                crate::usage::format_micros(micros)
            )));
        }
        self.db
            .conn()
            .execute(
                "UPDATE account SET balance_micros = ?1 WHERE id = 1",
                [micros],
            )
            .map_err(|e| self.db.err("cannot set the balance", e))?;
        Ok(())
    }

    /// The sum of every charge ever made, in micro-dollars.
    pub fn spent_total(&self) -> Result<i64, DbError> {
        self.sum("SELECT COALESCE(SUM(cost_micros), 0) FROM charges", [])
    }

    /// The sum of the charges of one run, in micro-dollars.
    pub fn run_spent(&self, run_id: &str) -> Result<i64, DbError> {
        self.sum(
            "SELECT COALESCE(SUM(cost_micros), 0) FROM charges WHERE run_id = ?1",
            [run_id],
        )
    }

    /// What calls in flight have reserved and not yet settled, in micro-dollars.
    pub fn held_total(&self) -> Result<i64, DbError> {
        self.sum("SELECT COALESCE(SUM(amount_micros), 0) FROM holds", [])
    }

    /// Charges every hold whose process died (or that outlived the hold TTL) at its
    /// reserved amount; returns how many there were.
    pub fn sweep_dead_holds(&self) -> Result<usize, DbError> {
        let tx = self.db.write_tx()?;
        let n = holds::sweep(self.db, &tx, self.expiry_cutoff_ms())?;
        tx.commit()
            .map_err(|e| self.db.err("cannot commit the sweep of dead holds", e))?;
        Ok(n)
    }

    /// The last `limit` charges, newest first.
    pub fn recent_charges(&self, limit: usize) -> Result<Vec<Charge>, DbError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .db
            .conn()
            .prepare(
                "SELECT at, run_id, model, input_tokens, output_tokens, cost_micros, kind
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
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(|e| self.db.err("cannot read charges", e))?;
        let mut out = Vec::new();
        for row in rows {
            let (at, run_id, model, input, output, cost, kind) =
                row.map_err(|e| self.db.err("cannot read charges", e))?;
            out.push(Charge {
                at,
                run_id,
                model,
                input_tokens: self.count_from_db(input)?,
                output_tokens: self.count_from_db(output)?,
                cost_micros: cost,
                kind,
            });
        }
        Ok(out)
    }

    /// The last `limit` overruns, newest first.
    pub fn recent_overruns(&self, limit: usize) -> Result<Vec<Overrun>, DbError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let err = |e| self.db.err("cannot read overruns", e);
        let mut stmt = self
            .db
            .conn()
            .prepare(
                "SELECT at, run_id, model, provider, input_tokens, output_tokens,
                        reserved_micros, cost_micros, charged_micros
                 FROM overruns ORDER BY id DESC LIMIT ?1",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok(Overrun {
                    at: r.get(0)?,
                    run_id: r.get(1)?,
                    model: r.get(2)?,
                    provider: r.get(3)?,
                    input_tokens: r.get::<_, i64>(4)?.max(0) as u64,
                    output_tokens: r.get::<_, i64>(5)?.max(0) as u64,
                    reserved_micros: r.get(6)?,
                    cost_micros: r.get(7)?,
                    charged_micros: r.get(8)?,
                })
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    /// Reserves `worst_case` micro-dollars for one call of run `run_id`, or refuses: the
    /// worst case must fit the balance minus the live holds of every process, and, when
    /// the run has a `--budget` of `run_budget` micro-dollars, that budget minus the run's
    /// charges and live
    /// holds. Check and hold are one transaction, so concurrent processes cannot both
    /// take the last dollar. A worst case of zero (a free model) is never refused.
    pub fn reserve(
        &self,
        run_id: &str,
        worst_case: i64,
        run_budget: Option<i64>,
    ) -> Result<Hold, BudgetError> {
        self.reserve_call(run_id, "", CallCost::fixed(worst_case), run_budget)
            .map(|g| g.hold)
    }

    /// Reserves the worst case of one call of `model` for run `run_id`, as [`reserve`]
    /// does; when the whole `max_tokens` does not fit, the call gets the most output
    /// tokens that do (at least `min_tokens`, else it is refused). Dead holds are charged
    /// first (see `holds.rs`).
    ///
    /// [`reserve`]: Ledger::reserve
    pub fn reserve_call(
        &self,
        run_id: &str,
        model: &str,
        cost: CallCost,
        run_budget: Option<i64>,
    ) -> Result<Grant, BudgetError> {
        let invalid = |what, value: &dyn std::fmt::Display| BudgetError::InvalidAmount {
            what,
            value: value.to_string(),
        };
        let fixed = cost.fixed_micros;
        if fixed < 0 {
            return Err(invalid("input cost", &crate::usage::format_micros(fixed)));
        }
        let per_token = cost.per_token_micros;
        if !(per_token.is_finite() && per_token >= 0.0) {
            return Err(invalid("price per token (micro-dollars)", &per_token));
        }
        let full = cost.worst_micros();
        if let Some(b) = run_budget.filter(|b| *b < 0) {
            return Err(invalid("run budget", &crate::usage::format_micros(b)));
        }
        let budget = run_budget;
        let db = self.db;
        let tx = db.write_tx()?;
        let now = jiff::Timestamp::now();
        holds::sweep(db, &tx, now.as_millisecond() - ttl_ms(db.hold_ttl()))?;
        let (balance_left, run_left) = self.left(run_id, budget)?;
        let left = run_left.map_or(balance_left, |(_, l)| l.min(balance_left));
        let granted = if full == 0 || full <= left {
            Some((full, cost.max_tokens))
        } else if per_token > 0.0 && left > fixed {
            let fit = ((left - fixed) as f64 / per_token)
                .floor()
                .min(f64::from(cost.max_tokens));
            let n = fit as u32;
            (n >= cost.min_tokens && n > 0)
                .then(|| (fixed.saturating_add(cost.tokens_micros(n)).min(left), n))
        } else {
            None
        };
        let Some((worst, max_tokens)) = granted else {
            return Err(refusal(full, balance_left, run_left));
        };
        let me = current_process();
        tx.execute(
            "INSERT INTO holds (run_id, amount_micros, created_ms, created_at, model, pid,
                                pid_start)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                run_id,
                worst,
                now.as_millisecond(),
                timestamp_text(now),
                model,
                me.pid,
                me.start
            ],
        )
        .map_err(|e| db.err("cannot record the hold", e))?;
        let id = tx.last_insert_rowid();
        tx.commit()
            .map_err(|e| db.err("cannot commit the hold", e))?;
        Ok(Grant {
            hold: Hold {
                id,
                run_id: run_id.to_string(),
                amount_micros: worst,
            },
            max_tokens,
        })
    }

    /// What the balance has left (minus every hold), and, with a run budget, the budget
    /// and what it has left (minus the run's charges and holds), in micro-dollars.
    fn left(
        &self,
        run_id: &str,
        budget: Option<i64>,
    ) -> Result<(i64, Option<(i64, i64)>), DbError> {
        let balance = self.balance_micros()?;
        let held = self.sum("SELECT COALESCE(SUM(amount_micros), 0) FROM holds", [])?;
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
        Ok((balance.saturating_sub(held), run_left))
    }

    /// Charges the real cost of the call `hold` was reserved for and drops the hold, in
    /// one transaction (see [`Ledger::settle_call`]).
    pub fn settle(
        &self,
        hold: Hold,
        model: &str,
        input_tokens: u64,
        output_tokens: u64,
        cost_micros: i64,
    ) -> Result<Charge, DbError> {
        let provider = model.split(':').next().unwrap_or_default().to_string();
        let usage = (input_tokens, output_tokens);
        self.settle_call(hold, model, &provider, usage, cost_micros)
            .map(|s| s.charge)
    }

    /// Charges the cost of a reply (`cost_micros` for `usage`: input and output tokens,
    /// as `provider` reported them) and drops its hold, in one transaction. The charge never takes the
    /// balance below zero: a cost above what the balance (less other holds) can pay is
    /// cut there. A cost above the hold is recorded as an overrun. A hold already
    /// charged as dead (its process was thought gone) has that charge undone first.
    pub fn settle_call(
        &self,
        hold: Hold,
        model: &str,
        provider: &str,
        usage: (u64, u64),
        cost_micros: i64,
    ) -> Result<Settlement, DbError> {
        let db = self.db;
        let cost = cost_micros;
        if cost < 0 {
            return Err(db.invalid(format!(
                "cost {} is not a valid amount of dollars",
                crate::usage::format_micros(cost)
            )));
        }
        let (input_tokens, output_tokens) = usage;
        let input = self.count_to_db(input_tokens)?;
        let output = self.count_to_db(output_tokens)?;
        let at = now_text();
        let tx = db.write_tx()?;
        let dropped = tx
            .execute("DELETE FROM holds WHERE id = ?1", [hold.id])
            .map_err(|e| db.err("cannot drop the hold", e))?;
        if dropped == 0 {
            holds::undo_sweep(db, &tx, hold.id)?;
        }
        let (free, _) = self.left(&hold.run_id, None)?;
        let charged = cost.min(free.max(0));
        tx.execute(
            "INSERT INTO charges (at, run_id, model, input_tokens, output_tokens, cost_micros,
                                  kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![at, hold.run_id, model, input, output, charged, KIND_CALL],
        )
        .map_err(|e| db.err("cannot record the charge", e))?;
        tx.execute(
            "UPDATE account SET balance_micros = balance_micros - ?1 WHERE id = 1",
            [charged],
        )
        .map_err(|e| db.err("cannot debit the balance", e))?;
        let overrun = (cost > hold.amount_micros).then(|| Overrun {
            at: at.clone(),
            run_id: hold.run_id.clone(),
            model: model.to_string(),
            provider: provider.to_string(),
            input_tokens,
            output_tokens,
            reserved_micros: hold.amount_micros,
            cost_micros: cost,
            charged_micros: charged,
        });
        if overrun.is_some() {
            tx.execute(
                "INSERT INTO overruns (at, run_id, model, provider, input_tokens, output_tokens,
                                       reserved_micros, cost_micros, charged_micros)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    at,
                    hold.run_id,
                    model,
                    provider,
                    input,
                    output,
                    hold.amount_micros,
                    cost,
                    charged
                ],
            )
            .map_err(|e| db.err("cannot record the overrun", e))?;
        }
        tx.commit()
            .map_err(|e| db.err("cannot commit the charge", e))?;
        let charge = Charge {
            at,
            run_id: hold.run_id,
            model: model.to_string(),
            input_tokens,
            output_tokens,
            cost_micros: charged,
            kind: KIND_CALL.to_string(),
        };
        Ok(Settlement { charge, overrun })
    }

    /// Drops a hold without charging anything (undoing the charge of a sweep that took
    /// it for dead).
    pub fn release(&self, hold: Hold) -> Result<(), DbError> {
        let db = self.db;
        let tx = db.write_tx()?;
        let dropped = tx
            .execute("DELETE FROM holds WHERE id = ?1", [hold.id])
            .map_err(|e| db.err("cannot drop the hold", e))?;
        if dropped == 0 {
            holds::undo_sweep(db, &tx, hold.id)?;
        }
        tx.commit()
            .map_err(|e| db.err("cannot commit the release of a hold", e))
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

/// This process, read once.
fn current_process() -> ProcessId {
    static ME: std::sync::OnceLock<ProcessId> = std::sync::OnceLock::new();
    *ME.get_or_init(ProcessId::current)
}
fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)
}
