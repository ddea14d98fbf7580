//! The meter: every LLM call of a run goes through it, so none is sent unpaid for.
//!
//! Before a call, the worst case (the input estimate at the input price plus the whole
//! `max_tokens` at the output price) is reserved in the ledger against both the balance
//! and the run's `--budget`; when the whole `max_tokens` does not fit, the request is
//! sent with the most output tokens that do (at least [`MIN_CLAMPED_TOKENS`]); a refusal
//! means nothing is sent. After the reply the real usage is charged at the model's
//! price; a call that fails releases its reservation (the APIs report no usage with an
//! error). A reply whose usage costs more than was reserved is charged what the balance
//! can pay, recorded as an overrun naming the provider, and stops the run: the meter
//! refuses every later call. The meter also keeps the run's totals (calls,
//! tokens, dollars) for `--json` and the recording, and reports every call to the run's
//! [`EventSink`].
//!
//! A model with no known price (a local server) is treated as free, with one warning on
//! stderr naming the `config.toml` table that would price it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::json;

use super::prices::{Price, price_for};
use crate::db::{BudgetError, CallCost, Db, DbError, Grant, Overrun};
use crate::learn::events::EventSink;
use crate::llm::{
    AttemptInfo, ChatRequest, ChatResponse, LlmError, ModelRef, Provider, estimate_input_tokens,
};
use crate::usage::{Usage, format_micros, usd};

/// The workspace database, shared by the meter and the slot cache of one run.
pub type SharedDb = Arc<Mutex<Db>>;

/// Wraps an open database for sharing.
pub fn shared(db: Db) -> SharedDb {
    Arc::new(Mutex::new(db))
}

/// Locks the shared database. A panic while it was locked leaves no half-done
/// transaction behind (SQLite rolls back), so a poisoned lock is used as it is.
pub fn lock_db(db: &Mutex<Db>) -> MutexGuard<'_, Db> {
    db.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Why a metered call gave no reply.
#[derive(Debug, thiserror::Error)]
pub enum MeterError {
    /// Refused before anything was sent: the worst case does not fit the budget.
    #[error(transparent)]
    Budget(#[from] BudgetError),
    /// The provider failed (after its retries).
    #[error(transparent)]
    Llm(#[from] LlmError),
    /// The ledger could not be read or written.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The run's time limit came before the reply.
    #[error("the LLM call to {model} was stopped: the run's time limit of {} was reached",
        humantime::format_duration(*limit))]
    Deadline { model: String, limit: Duration },
    /// The reply cost more than was reserved for it: charged, recorded, and the run stops.
    #[error("{}", overrun_message(.0))]
    Overrun(Box<Overrun>),
    /// An earlier call of the run overran its reservation: no more calls are sent.
    #[error("LLM call refused: the run stopped after an overrun ({0})")]
    Stopped(String),
}

fn overrun_message(o: &Overrun) -> String {
    format!(
        "budget overrun: {provider} reported {i} input and {out} output tokens for {model}, \
         costing {cost}, more than the {reserved} reserved for the call; charged {charged}{cut}, \
         recorded as an overrun (see `llmos budget`); the run stops",
        provider = o.provider,
        i = o.input_tokens,
        out = o.output_tokens,
        model = o.model,
        cost = format_micros(o.cost_micros),
        reserved = format_micros(o.reserved_micros),
        charged = format_micros(o.charged_micros),
        cut = if o.charged_micros < o.cost_micros {
            " (all the balance could pay)"
        } else {
            ""
        },
    )
}

/// The fewest output tokens a call is sent with when the budget cannot pay its whole
/// `max_tokens` (less is refused: a reply cut that short is of no use).
pub const MIN_CLAMPED_TOKENS: u32 = 256;

/// A run's time limit: when it ends, and how long it was (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub at: tokio::time::Instant,
    pub limit: Duration,
}

impl Deadline {
    /// The limit `limit` from now; a limit too long to add to the clock (`--timeout
    /// 18446744073709551615s`) ends a hundred years from now instead of overflowing.
    pub fn after(limit: Duration) -> Deadline {
        const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
        let now = tokio::time::Instant::now();
        Deadline {
            at: now.checked_add(limit).unwrap_or_else(|| now + FAR),
            limit,
        }
    }

    /// Time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.at
            .saturating_duration_since(tokio::time::Instant::now())
    }

    /// Whether the limit has passed.
    pub fn passed(&self) -> bool {
        self.remaining().is_zero()
    }
}

/// A reply and what it cost.
#[derive(Clone, Debug)]
pub struct Metered {
    pub response: ChatResponse,
    /// The call's tokens and what was charged for it.
    pub usage: Usage,
}

/// The LLM of one run, behind the budget check.
pub struct Meter {
    provider: Provider,
    model: String,
    price: Option<Price>,
    db: SharedDb,
    run_id: String,
    /// The run's `--budget`, in micro-dollars.
    budget: Option<i64>,
    totals: Mutex<Usage>,
    events: Arc<dyn EventSink>,
    warned_unpriced: AtomicBool,
    /// Set by an overrun: why the run stopped (every later call is refused).
    stopped: Mutex<Option<String>>,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("model", &self.model)
            .field("price", &self.price)
            .field("run_id", &self.run_id)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl Meter {
    /// A meter for run `run_id` calling `provider` (which serves `model`), priced from
    /// `price_overrides` (config.toml `[prices]`) or the built-in table, charging the
    /// ledger in `db`, limited to `budget` micro-dollars for the run when given.
    pub fn new(
        provider: Provider,
        model: &ModelRef,
        price_overrides: &BTreeMap<String, Price>,
        db: SharedDb,
        run_id: &str,
        budget: Option<i64>,
        events: Arc<dyn EventSink>,
    ) -> Meter {
        let model = model.to_string();
        Meter {
            price: price_for(&model, price_overrides),
            provider,
            model,
            db,
            run_id: run_id.to_string(),
            budget,
            totals: Mutex::new(Usage::default()),
            events,
            warned_unpriced: AtomicBool::new(false),
            stopped: Mutex::new(None),
        }
    }

    /// The model as `provider:model`.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The model's price; `None` when unknown (calls are free).
    pub fn price(&self) -> Option<Price> {
        self.price
    }

    /// The run this meter charges.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The shared workspace database.
    pub fn db(&self) -> &SharedDb {
        &self.db
    }

    /// The sink events go to.
    pub fn events(&self) -> &Arc<dyn EventSink> {
        &self.events
    }

    /// What the run has spent so far.
    pub fn totals(&self) -> Usage {
        *self.totals.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The worst-case cost of `req` in micro-dollars: its estimated input tokens at the
    /// input price plus all of its `max_tokens` at the output price (zero for an
    /// unpriced model). What must fit the budget before the call is sent.
    pub fn worst_case(&self, req: &ChatRequest) -> i64 {
        self.call_cost(req).worst_micros()
    }

    /// What `req` may cost, for the reservation: its estimated input, and its output
    /// tokens at the output price.
    fn call_cost(&self, req: &ChatRequest) -> CallCost {
        let Some(p) = &self.price else {
            return CallCost::fixed(0);
        };
        CallCost {
            fixed_micros: p.cost_micros(estimate_input_tokens(req), 0),
            // Dollars per million tokens are micro-dollars per token.
            per_token_micros: p.output_per_mtok,
            max_tokens: req.max_tokens,
            min_tokens: MIN_CLAMPED_TOKENS.min(req.max_tokens),
        }
    }

    /// Sends `req` if its worst case fits the budget, charges what it really cost, and
    /// reports it. `purpose` names the caller in events (`learner`, `ask`). With a
    /// `deadline`, a reply that has not come by then is given up on.
    pub async fn chat(
        &self,
        req: &ChatRequest,
        purpose: &str,
        deadline: Option<Deadline>,
    ) -> Result<Metered, MeterError> {
        if self.price.is_none() && !self.warned_unpriced.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: no price is known for `{m}`; its calls are counted as free \
                 (set [prices.\"{m}\"] in .llmos/config.toml to price it)",
                m = self.model
            );
        }
        if let Some(why) = self
            .stopped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Err(MeterError::Stopped(why));
        }
        let worst = self.worst_case(req);
        let Grant { hold, max_tokens } = match self.reserve(self.call_cost(req)) {
            Ok(grant) => grant,
            Err(e) => {
                self.events.emit(json!({
                    "event": "llm_refused", "model": self.model, "purpose": purpose,
                    "worst_case_usd": usd(worst), "error": e.to_string(),
                }));
                return Err(e.into());
            }
        };
        self.events.emit(json!({
            "event": "llm_reserved", "model": self.model, "purpose": purpose,
            "reserved_usd": usd(hold.amount_micros()), "max_tokens": max_tokens,
            "asked_max_tokens": req.max_tokens,
        }));
        // The budget pays for fewer output tokens than asked: ask for that many.
        let clamped;
        let req = if max_tokens < req.max_tokens {
            clamped = ChatRequest {
                max_tokens,
                ..req.clone()
            };
            &clamped
        } else {
            req
        };
        // Released if the call fails or the future is dropped (a cancelled run), settled
        // below once the reply is in.
        let mut pending = Pending {
            meter: self,
            hold: Some(hold),
        };
        self.update(|t| t.llm_calls += 1);
        let started = Instant::now();
        let mut attempts = 0u32;
        let outcome = {
            let events = &self.events;
            let model = self.model.as_str();
            let mut on_attempt = |a: &AttemptInfo| {
                attempts = a.attempt;
                if let (Some(error), Some(wait)) = (&a.error, a.retry_in) {
                    events.emit(json!({
                        "event": "llm_retry", "model": model, "attempt": a.attempt,
                        "status": a.status, "error": error,
                        "retry_in_ms": u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    }));
                }
            };
            let call = self.provider.chat_observed(req, &mut on_attempt);
            match deadline {
                Some(d) => tokio::time::timeout_at(d.at, call).await.ok(),
                None => Some(call.await),
            }
        };
        let response = match outcome {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                drop(pending);
                self.events.emit(json!({
                    "event": "llm_error", "model": self.model, "purpose": purpose,
                    "error": e.to_string(),
                }));
                return Err(e.into());
            }
            None => {
                drop(pending);
                let e = MeterError::Deadline {
                    model: self.model.clone(),
                    limit: deadline.map(|d| d.limit).unwrap_or_default(),
                };
                self.events.emit(json!({
                    "event": "llm_error", "model": self.model, "purpose": purpose,
                    "error": e.to_string(),
                }));
                return Err(e);
            }
        };
        let usage = response.usage;
        let cost = self.price.map_or(0, |p| {
            p.cost_micros(usage.input_tokens, usage.output_tokens)
        });
        let Some(hold) = pending.hold.take() else {
            unreachable!("the hold is taken only here");
        };
        let settled = lock_db(&self.db).ledger().settle_call(
            hold,
            &self.model,
            self.provider.kind().as_str(),
            (usage.input_tokens, usage.output_tokens),
            cost,
        )?;
        let charge = settled.charge;
        let micros = charge.cost_micros;
        // The call itself was counted when it was sent.
        let call = Usage {
            llm_calls: 0,
            ..Usage::call(usage.input_tokens, usage.output_tokens, micros)
        };
        self.update(|t| t.add(call));
        self.events.emit(json!({
            "event": "llm_call", "model": self.model, "purpose": purpose,
            "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cost_usd": usd(micros), "attempts": attempts,
            "duration_ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "stop": response.stop,
        }));
        if let Some(overrun) = settled.overrun {
            let e = MeterError::Overrun(Box::new(overrun));
            self.events.emit(json!({
                "event": "llm_overrun", "model": self.model, "purpose": purpose,
                "provider": self.provider.kind().as_str(), "error": e.to_string(),
            }));
            *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
            return Err(e);
        }
        Ok(Metered {
            response,
            usage: Usage {
                llm_calls: 1,
                ..call
            },
        })
    }

    fn reserve(&self, cost: CallCost) -> Result<Grant, BudgetError> {
        lock_db(&self.db)
            .ledger()
            .reserve_call(&self.run_id, &self.model, cost, self.budget)
    }

    /// Drops a hold; a failure only delays its expiry, so it is reported, not raised.
    fn release(&self, hold: crate::db::Hold) {
        if let Err(e) = lock_db(&self.db).ledger().release(hold) {
            eprintln!("warning: {e} (the reservation expires by itself)");
        }
    }

    fn update(&self, f: impl FnOnce(&mut Usage)) {
        f(&mut self.totals.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// A budget hold for a call under way: released when dropped unless settled.
struct Pending<'m> {
    meter: &'m Meter,
    hold: Option<crate::db::Hold>,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(hold) = self.hold.take() {
            self.meter.release(hold);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_too_far_to_add_saturates() {
        let d = Deadline::after(Duration::MAX);
        assert_eq!(d.limit, Duration::MAX);
        assert!(d.remaining() > Duration::from_secs(50 * 365 * 24 * 3600));
        assert!(!d.passed());
        assert!(Deadline::after(Duration::ZERO).passed());
    }
}
