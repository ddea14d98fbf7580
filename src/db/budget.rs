//! The ledger's vocabulary: holds, charges, overruns, what a call may cost, why a call
//! is refused. Every amount is whole micro-dollars (`i64`, see `crate::usage`); the
//! `*_usd` JSON fields write them as dollars.

use serde::Serialize;

use super::DbError;

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
    /// What was charged, in micro-dollars (`cost_usd` in JSON).
    #[serde(rename = "cost_usd", with = "crate::usage::dollars")]
    pub cost_micros: i64,
    /// `call`, or `expired_hold` for a hold whose process died before it settled.
    pub kind: String,
}

/// A reply that cost more than its hold reserved (a provider reporting more tokens than
/// the call could use, or an input estimate too low).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overrun {
    pub at: String,
    pub run_id: String,
    pub model: String,
    /// The provider that reported the usage (`anthropic`, `openai`).
    pub provider: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// What the hold reserved, in micro-dollars (`reserved_usd` in JSON).
    #[serde(rename = "reserved_usd", with = "crate::usage::dollars")]
    pub reserved_micros: i64,
    /// What the reported usage costs (`cost_usd` in JSON).
    #[serde(rename = "cost_usd", with = "crate::usage::dollars")]
    pub cost_micros: i64,
    /// What was charged: the cost, or less when the balance could not pay it all
    /// (`charged_usd` in JSON).
    #[serde(rename = "charged_usd", with = "crate::usage::dollars")]
    pub charged_micros: i64,
}

/// What [`Ledger::settle_call`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct Settlement {
    pub charge: Charge,
    pub overrun: Option<Overrun>,
}

/// What one LLM call may cost: a fixed part (its input) plus a price per output token
/// for up to `max_tokens` of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallCost {
    /// The input's cost, in micro-dollars.
    pub fixed_micros: i64,
    /// The price of one output token, in micro-dollars: a rate, not an amount (a cheap
    /// model's token costs a fraction of a micro-dollar), turned into money only by
    /// [`CallCost::tokens_micros`].
    pub per_token_micros: f64,
    pub max_tokens: u32,
    /// The fewest output tokens worth sending the call for when the budget cannot pay
    /// `max_tokens`; below this the call is refused.
    pub min_tokens: u32,
}

impl CallCost {
    /// A call whose worst case is `micros`, whatever its length.
    pub fn fixed(micros: i64) -> CallCost {
        CallCost {
            fixed_micros: micros,
            per_token_micros: 0.0,
            max_tokens: 0,
            min_tokens: 0,
        }
    }

    /// What `n` output tokens may cost, in micro-dollars, rounded up (a reservation
    /// never falls short by a fraction).
    pub fn tokens_micros(&self, n: u32) -> i64 {
        // A finite, non-negative rate times at most u32::MAX tokens: the cast saturates
        // at worst, which the ledger then refuses as too much.
        (self.per_token_micros * f64::from(n)).ceil() as i64
    }

    /// The worst case: the input and every one of `max_tokens`.
    pub fn worst_micros(&self) -> i64 {
        self.fixed_micros
            .saturating_add(self.tokens_micros(self.max_tokens))
    }
}

/// A hold and the output tokens it pays for.
#[derive(Debug, PartialEq)]
pub struct Grant {
    pub hold: Hold,
    /// `max_tokens` as asked, or lowered to what the budget can pay.
    pub max_tokens: u32,
}

/// A reservation of a call's worst-case cost. Give it back to [`Ledger::settle`] or
/// [`Ledger::release`]; a hold that is neither expires after [`HOLD_TTL`].
#[derive(Debug, PartialEq)]
#[must_use = "a hold must be settled or released"]
pub struct Hold {
    pub(super) id: i64,
    pub(super) run_id: String,
    pub(super) amount_micros: i64,
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

    /// The reserved worst-case cost, in micro-dollars.
    pub fn amount_micros(&self) -> i64 {
        self.amount_micros
    }
}

/// Why an LLM call was refused before it was sent.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// The worst case does not fit what is left of the run's `--budget`.
    #[error(
        "LLM call refused: worst case {} exceeds the run budget --budget {} ({} left)",
        format_micros(*worst_case_micros), format_limit(*budget_micros), format_micros(*left_micros)
    )]
    RunBudget {
        worst_case_micros: i64,
        budget_micros: i64,
        left_micros: i64,
    },
    /// The worst case does not fit what is left of the workspace balance.
    #[error(
        "LLM call refused: worst case {} exceeds the balance ({} left); raise it with `llmos budget --set USD`",
        format_micros(*worst_case_micros), format_micros(*left_micros)
    )]
    Balance {
        worst_case_micros: i64,
        left_micros: i64,
    },
    /// An amount given to the check is negative, or a price is not a number.
    #[error("LLM call refused: {what} {value} is not a valid amount")]
    InvalidAmount { what: &'static str, value: String },
    /// The ledger could not be read or written.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Why a worst case of `worst` micro-dollars does not fit; when both limits refuse, the
/// tighter one is named.
pub(super) fn refusal(worst: i64, balance_left: i64, run_left: Option<(i64, i64)>) -> BudgetError {
    if let Some((limit, left)) = run_left
        && worst > left
        && (worst <= balance_left || left <= balance_left)
    {
        return BudgetError::RunBudget {
            worst_case_micros: worst,
            budget_micros: limit,
            left_micros: left.max(0),
        };
    }
    BudgetError::Balance {
        worst_case_micros: worst,
        left_micros: balance_left.max(0),
    }
}

/// Dollars to whole micro-dollars (the largest amount the ledger accepts in one figure
/// is `usage::MAX_AMOUNT_USD`).
pub use crate::usage::to_micros as usd_to_micros;

/// A micro-dollar amount for display: `$` and four decimals, e.g. `$0.0450`.
pub use crate::usage::format_micros;

/// A limit as the user would have typed it: at least two decimals, at most six, without
/// trailing zeros beyond two (`$0.01`, `$0.005`, `$2.00`).
pub(super) fn format_limit(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    let mut text = format!("{}.{:06}", m / 1_000_000, m % 1_000_000);
    while text.ends_with('0') && !text[text.len() - 3..].starts_with('.') {
        text.pop();
    }
    format!("{sign}${text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_print_as_typed() {
        assert_eq!(format_limit(10_000), "$0.01");
        assert_eq!(format_limit(5_000), "$0.005");
        assert_eq!(format_limit(2_000_000), "$2.00");
        assert_eq!(format_limit(10_500_000), "$10.50");
        assert_eq!(format_limit(123_456), "$0.123456");
        assert_eq!(format_limit(0), "$0.00");
    }

    #[test]
    fn amounts_print_with_four_decimals() {
        assert_eq!(format_micros(45_000), "$0.0450");
        assert_eq!(format_micros(0), "$0.0000");
        assert_eq!(format_micros(-1_500_000), "-$1.5000");
    }

    #[test]
    fn a_call_cost_rounds_its_tokens_up() {
        let c = CallCost {
            fixed_micros: 10,
            per_token_micros: 0.4,
            max_tokens: 3,
            min_tokens: 1,
        };
        assert_eq!(c.tokens_micros(3), 2);
        assert_eq!(c.worst_micros(), 12);
        assert_eq!(CallCost::fixed(7).worst_micros(), 7);
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
