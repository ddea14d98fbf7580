//! Model prices: built-in table, dated snapshots, overrides, unknown models, and the
//! worst-case cost checked before every call.

use std::collections::BTreeMap;

use llmos::economy::prices::{Price, price_for};

fn none() -> BTreeMap<String, Price> {
    BTreeMap::new()
}

#[test]
fn exact_names_are_found_whatever_the_provider_prefix() {
    let sonnet = Price {
        input_per_mtok: 3.0,
        output_per_mtok: 15.0,
    };
    assert_eq!(
        price_for("anthropic:claude-sonnet-4-5", &none()),
        Some(sonnet)
    );
    assert_eq!(price_for("claude-sonnet-4-5", &none()), Some(sonnet));
    assert_eq!(
        price_for("anthropic:claude-haiku-4-5", &none()),
        Some(Price {
            input_per_mtok: 1.0,
            output_per_mtok: 5.0
        })
    );
    assert_eq!(
        price_for("openai:gpt-4o-mini", &none()),
        Some(Price {
            input_per_mtok: 0.15,
            output_per_mtok: 0.60
        })
    );
    assert_eq!(
        price_for("openai:gpt-4.1-nano", &none()),
        Some(Price {
            input_per_mtok: 0.10,
            output_per_mtok: 0.40
        })
    );
}

#[test]
fn dated_snapshots_match_their_model() {
    assert_eq!(
        price_for("anthropic:claude-sonnet-4-5-20250929", &none()),
        price_for("anthropic:claude-sonnet-4-5", &none())
    );
    assert_eq!(
        price_for("anthropic:claude-opus-4-20250514", &none()),
        Some(Price {
            input_per_mtok: 15.0,
            output_per_mtok: 75.0
        })
    );
    assert_eq!(
        price_for("anthropic:claude-3-5-haiku-latest", &none()),
        Some(Price {
            input_per_mtok: 0.80,
            output_per_mtok: 4.0
        })
    );
    assert_eq!(
        price_for("openai:gpt-4.1-mini-2025-04-14", &none()),
        price_for("openai:gpt-4.1-mini", &none())
    );
    // A snapshot with its own price keeps it.
    assert_eq!(
        price_for("openai:gpt-4o-2024-05-13", &none()),
        Some(Price {
            input_per_mtok: 5.0,
            output_per_mtok: 15.0
        })
    );
}

#[test]
fn overrides_come_first() {
    let cheap = Price {
        input_per_mtok: 0.5,
        output_per_mtok: 1.0,
    };
    let free = Price {
        input_per_mtok: 0.0,
        output_per_mtok: 0.0,
    };
    let overrides = BTreeMap::from([
        ("anthropic:claude-sonnet-4-5".to_string(), cheap),
        ("llama3.1:8b".to_string(), free),
    ]);
    assert_eq!(
        price_for("anthropic:claude-sonnet-4-5", &overrides),
        Some(cheap)
    );
    assert_eq!(
        price_for("anthropic:claude-sonnet-4-5-20250929", &overrides),
        Some(cheap)
    );
    assert_eq!(price_for("openai:llama3.1:8b", &overrides), Some(free));
    // Other models still come from the table.
    assert_eq!(
        price_for("anthropic:claude-haiku-4-5", &overrides),
        Some(Price {
            input_per_mtok: 1.0,
            output_per_mtok: 5.0
        })
    );
}

#[test]
fn unknown_models_have_no_price() {
    assert_eq!(price_for("openai:llama3.1:8b", &none()), None);
    assert_eq!(price_for("openai:qwen2.5-coder", &none()), None);
    assert_eq!(price_for("anthropic:claude-sonnet-4-5-x", &none()), None);
    assert_eq!(price_for("", &none()), None);
}

#[test]
fn cost_and_worst_case_arithmetic() {
    let sonnet = price_for("anthropic:claude-sonnet-4-5", &none()).unwrap();
    // 1000 * $3 / 1M + 500 * $15 / 1M
    assert_eq!(sonnet.cost_micros(1000, 500), 10_500);
    let haiku = price_for("anthropic:claude-haiku-4-5", &none()).unwrap();
    // 2000 * $1 / 1M + 1024 * $5 / 1M
    assert_eq!(haiku.cost_micros(2000, 1024), 7_120);
    assert_eq!(haiku.cost_micros(0, 0), 0);
}
