//! What LLM work used: calls, tokens and money, in one type for every stage (a metered
//! call, a slot, a VM run, a kernel run, a recording). Money is an integer number of
//! micro-dollars (exact sums, no rounding drift), here and in the ledger, the meter and
//! the kernel's `--budget` arithmetic; dollars as `f64` exist only at the edges: where an
//! amount is typed (`to_micros`, once, for `--budget` and `budget --set`) and where it is
//! shown or written for people (`usd`, `format_micros`, the JSON and YAML fields named
//! `cost_usd`).

use serde::{Deserialize, Serialize};

/// Calls, tokens and cost of some LLM work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    /// LLM calls sent (those refused before sending are not counted).
    #[serde(default)]
    pub llm_calls: u64,
    /// The cost in micro-dollars; written as dollars (`cost_usd`) for people.
    #[serde(default, rename = "cost_usd", with = "dollars")]
    pub cost_micros: i64,
}

impl Usage {
    /// One call with these tokens and cost.
    pub fn call(input_tokens: u64, output_tokens: u64, cost_micros: i64) -> Usage {
        Usage {
            llm_calls: 1,
            input_tokens,
            output_tokens,
            cost_micros,
        }
    }

    /// Adds `other` to this usage (saturating).
    pub fn add(&mut self, other: Usage) {
        self.llm_calls = self.llm_calls.saturating_add(other.llm_calls);
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cost_micros = self.cost_micros.saturating_add(other.cost_micros);
    }

    /// The cost in dollars, for display and the `cost_usd` fields people read.
    pub fn cost_usd(&self) -> f64 {
        usd(self.cost_micros)
    }
}

/// The largest amount in dollars that [`to_micros`] accepts.
pub const MAX_AMOUNT_USD: f64 = 1e9;

/// Dollars to whole micro-dollars, rounded to the nearest; `None` for a negative,
/// non-finite or absurdly large amount.
pub fn to_micros(usd: f64) -> Option<i64> {
    if usd.is_finite() && (0.0..=MAX_AMOUNT_USD).contains(&usd) {
        // In range by the check above, so the cast cannot saturate.
        Some((usd * 1_000_000.0).round() as i64)
    } else {
        None
    }
}

/// Micro-dollars as dollars, for display.
pub fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// A dollar amount for display: `$` and four decimals, e.g. `$0.0450`.
pub fn format_micros(micros: i64) -> String {
    let usd = usd(micros);
    if micros < 0 {
        format!("-${:.4}", -usd)
    } else {
        format!("${usd:.4}")
    }
}

/// Serde of micro-dollars as a dollar amount (the `cost_usd` fields of recordings and
/// JSON output): read back exactly as written, rounded to the micro-dollar.
pub mod dollars {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(micros: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(super::usd(*micros))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let usd = f64::deserialize(d)?;
        super::to_micros(usd).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{usd} is not a cost in dollars (0 to {})",
                super::MAX_AMOUNT_USD
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_and_dollars_only_for_display() {
        let mut u = Usage::default();
        for _ in 0..10 {
            u.add(Usage::call(100, 20, 100_000));
        }
        assert_eq!(u.cost_micros, 1_000_000);
        assert_eq!(u.llm_calls, 10);
        assert_eq!(u.cost_usd(), 1.0);
        assert_eq!(format_micros(45_000), "$0.0450");
        assert_eq!(to_micros(0.045), Some(45_000));
        assert_eq!(to_micros(-0.01), None);
        let json = serde_json::to_value(Usage::call(1, 2, 2_740)).unwrap();
        assert_eq!(json["cost_usd"], 0.00274);
        let back: Usage = serde_json::from_value(json).unwrap();
        assert_eq!(back.cost_micros, 2_740);
    }
}
