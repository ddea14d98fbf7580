//! Prices per model, in US dollars per million tokens: a built-in table that
//! `config.toml` can override, and the worst-case cost of a call.
//!
//! A model is named `provider:model` (`anthropic:claude-sonnet-4-5`). Lookup tries the
//! overrides, then the built-in table by model name (whatever the provider: the price is
//! the model's, also behind an OpenAI-compatible gateway), then the same with a dated
//! snapshot suffix removed (`claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`) or
//! `-latest`. A model found nowhere has no price: the caller treats it as a local,
//! free model and warns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The price of one model: dollars per million input and output tokens (equally,
/// micro-dollars per token). The rates stay `f64` (a token of a cheap model costs a
/// fraction of a micro-dollar); [`Price::cost_micros`] is the one place a usage becomes
/// money, and the meter's reservation takes the output rate as micro-dollars per token.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

impl Price {
    /// The cost in micro-dollars of a call with these token counts (dollars per million
    /// tokens times tokens is micro-dollars), rounded to the nearest.
    pub fn cost_micros(&self, input_tokens: u64, output_tokens: u64) -> i64 {
        let micros =
            input_tokens as f64 * self.input_per_mtok + output_tokens as f64 * self.output_per_mtok;
        crate::usage::to_micros(micros / 1_000_000.0).unwrap_or(i64::MAX)
    }
}

const fn p(input_per_mtok: f64, output_per_mtok: f64) -> Price {
    Price {
        input_per_mtok,
        output_per_mtok,
    }
}

/// The built-in table: model name (without provider), price per million tokens.
///
/// Sources, all read on 2026-11-25 (stored copies of the pages):
/// - Anthropic, Claude 3 to 4.6: the official price list,
///   <https://platform.claude.com/docs/zh-CN/about-claude/pricing> (same table as
///   `/docs/en/about-claude/pricing`; Claude 3.5 Sonnet and Claude 3 Opus from the
///   earlier copy <https://docs.anthropic.com/en/docs/about-claude/pricing>).
/// - Anthropic, Claude 5 generation: the model pages
///   <https://platform.claude.com/docs/en/models/opus-5/overview> (Opus 5, id
///   `claude-opus-5`: $5 / $25),
///   <https://platform.claude.com/docs/zh-CN/models/sonnet-5/overview.md> (Sonnet 5, id
///   `claude-sonnet-5`: $2 / $10),
///   <https://platform.claude.com/docs/zh-CN/models/opus-5-5/overview> (Opus 5.5:
///   $4 / $20) and
///   <https://platform.claude.com/docs/about-claude/models/whats-new-opus-5> (Sonnet 5.5:
///   $2 / $10; Fable 5.1: $10 / $50).
/// - OpenAI, GPT-4.1 and GPT-4o families: the copy of
///   <https://platform.openai.com/docs/pricing> dated 2025-06-03 in
///   <https://hex.pm/packages/openai_responses/0.4.1/files/lib/responses/pricing.ex>.
/// - OpenAI, o-series and GPT-5 family: <https://deploybase.ai/articles/openai-pricing>
///   ("data from OpenAI pricing page, March 2026").
///
/// Prices change: `config.toml` overrides any entry.
pub const BUILTIN_PRICES: &[(&str, Price)] = &[
    // Anthropic, current generation.
    ("claude-fable-5-1", p(10.0, 50.0)),
    ("claude-opus-5-5", p(4.0, 20.0)),
    ("claude-opus-5", p(5.0, 25.0)),
    ("claude-sonnet-5-5", p(2.0, 10.0)),
    ("claude-sonnet-5", p(2.0, 10.0)),
    // Anthropic, Claude 4.
    ("claude-opus-4-6", p(5.0, 25.0)),
    ("claude-opus-4-5", p(5.0, 25.0)),
    ("claude-opus-4-1", p(15.0, 75.0)),
    ("claude-opus-4-0", p(15.0, 75.0)),
    ("claude-opus-4", p(15.0, 75.0)),
    ("claude-sonnet-4-6", p(3.0, 15.0)),
    ("claude-sonnet-4-5", p(3.0, 15.0)),
    ("claude-sonnet-4-0", p(3.0, 15.0)),
    ("claude-sonnet-4", p(3.0, 15.0)),
    ("claude-haiku-4-5", p(1.0, 5.0)),
    // Anthropic, Claude 3.
    ("claude-3-7-sonnet", p(3.0, 15.0)),
    ("claude-3-5-sonnet", p(3.0, 15.0)),
    ("claude-3-5-haiku", p(0.80, 4.0)),
    ("claude-3-opus", p(15.0, 75.0)),
    ("claude-3-haiku", p(0.25, 1.25)),
    // OpenAI, GPT-5 family.
    ("gpt-5.4", p(2.50, 15.0)),
    ("gpt-5.1", p(1.25, 10.0)),
    ("gpt-5", p(1.25, 10.0)),
    ("gpt-5-mini", p(0.25, 2.0)),
    ("gpt-5-nano", p(0.05, 0.40)),
    // OpenAI, GPT-4.1 and GPT-4o.
    ("gpt-4.1", p(2.0, 8.0)),
    ("gpt-4.1-mini", p(0.40, 1.60)),
    ("gpt-4.1-nano", p(0.10, 0.40)),
    ("gpt-4o", p(2.50, 10.0)),
    ("gpt-4o-2024-05-13", p(5.0, 15.0)),
    ("gpt-4o-mini", p(0.15, 0.60)),
    // OpenAI, reasoning models.
    ("o3", p(2.0, 8.0)),
    ("o3-mini", p(1.10, 4.40)),
    ("o4-mini", p(1.10, 4.40)),
];

/// The price of `model` (`provider:model`, or a bare model name): an override first
/// (keyed by `provider:model` or by the bare name), then the built-in table, each tried
/// as given and then without a dated snapshot suffix. `None` for an unknown model.
pub fn price_for(model: &str, overrides: &BTreeMap<String, Price>) -> Option<Price> {
    let bare = model.split_once(':').map_or(model, |(_, name)| name);
    let undated_full = undated(model);
    let undated_bare = undated(bare);
    let override_keys = [Some(model), Some(bare), undated_full, undated_bare];
    if let Some(price) = override_keys
        .into_iter()
        .flatten()
        .find_map(|k| overrides.get(k).copied())
    {
        return Some(price);
    }
    builtin(bare).or_else(|| undated_bare.and_then(builtin))
}

/// The built-in price of a bare model name, exactly as listed.
pub fn builtin(name: &str) -> Option<Price> {
    BUILTIN_PRICES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, price)| *price)
}

/// `name` without a dated snapshot suffix (`-20250929`, `-2024-08-06`) or `-latest`;
/// `None` if it has none.
fn undated(name: &str) -> Option<&str> {
    if let Some(stem) = name.strip_suffix("-latest") {
        return Some(stem).filter(|s| !s.is_empty());
    }
    let (stem, last) = name.rsplit_once('-')?;
    if last.len() == 8 && all_digits(last) {
        return Some(stem).filter(|s| !s.is_empty());
    }
    // `-YYYY-MM-DD`: three dash-separated groups of 4, 2 and 2 digits.
    let (rest, month) = stem.rsplit_once('-')?;
    let (stem, year) = rest.rsplit_once('-')?;
    let dated = year.len() == 4
        && month.len() == 2
        && last.len() == 2
        && all_digits(year)
        && all_digits(month)
        && all_digits(last);
    if dated && !stem.is_empty() {
        Some(stem)
    } else {
        None
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_suffixes_are_removed() {
        assert_eq!(
            undated("claude-sonnet-4-5-20250929"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(undated("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(undated("claude-3-5-haiku-latest"), Some("claude-3-5-haiku"));
        assert_eq!(undated("claude-sonnet-4-5"), None);
        assert_eq!(undated("gpt-4.1"), None);
        assert_eq!(undated("-20250929"), None);
        assert_eq!(undated("x-2024-8-06"), None);
    }

    #[test]
    fn table_names_are_unique_and_prices_sane() {
        let mut names: Vec<&str> = BUILTIN_PRICES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "duplicate model in BUILTIN_PRICES");
        for (name, price) in BUILTIN_PRICES {
            assert!(price.input_per_mtok > 0.0, "{name}");
            assert!(price.output_per_mtok >= price.input_per_mtok, "{name}");
            assert!(
                undated(name).is_none() || *name == "gpt-4o-2024-05-13",
                "{name}"
            );
        }
    }
}
