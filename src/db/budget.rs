//! The ledger's vocabulary: holds, charges, overruns, what a call may cost, why a call
//! is refused, and money as whole micro-dollars.

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
    pub cost_usd: f64,
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
    pub reserved_usd: f64,
    /// What the reported usage costs.
    pub cost_usd: f64,
    /// What was charged: the cost, or less when the balance could not pay it all.
    pub charged_usd: f64,
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
    pub fixed_usd: f64,
    pub per_token_usd: f64,
    pub max_tokens: u32,
    /// The fewest output tokens worth sending the call for when the budget cannot pay
    /// `max_tokens`; below this the call is refused.
    pub min_tokens: u32,
}

impl CallCost {
    /// A call whose worst case is `usd`, whatever its length.
    pub fn fixed(usd: f64) -> CallCost {
        CallCost {
            fixed_usd: usd,
            per_token_usd: 0.0,
            max_tokens: 0,
            min_tokens: 0,
        }
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

/// Why a worst case of `worst` micro-dollars does not fit; when both limits refuse, the
/// tighter one is named.
pub(super) fn refusal(worst: i64, balance_left: i64, run_left: Option<(i64, i64)>) -> BudgetError {
    if let Some((limit, left)) = run_left
        && worst > left
        && (worst <= balance_left || left <= balance_left)
    {
        return BudgetError::RunBudget {
            worst_case_usd: micros_to_usd(worst),
            budget_usd: micros_to_usd(limit),
            left_usd: micros_to_usd(left.max(0)),
        };
    }
    BudgetError::Balance {
        worst_case_usd: micros_to_usd(worst),
        left_usd: micros_to_usd(balance_left.max(0)),
    }
}

/// Dollars to whole micro-dollars (the largest amount the ledger accepts in one figure
/// is `usage::MAX_AMOUNT_USD`).
pub use crate::usage::to_micros as usd_to_micros;

pub(crate) use crate::usage::usd as micros_to_usd;

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
pub(super) fn format_limit(usd: f64) -> String {
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
