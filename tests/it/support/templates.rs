//! Goal templates for the `dispatch_template*.rs` files.

use indexmap::IndexMap;
use llmos::dispatch::GoalTemplate;

/// `text` parsed as a goal template.
pub fn t(text: &str) -> GoalTemplate {
    match GoalTemplate::parse(text) {
        Ok(t) => t,
        Err(e) => panic!("template {text:?} should parse: {e}"),
    }
}

/// Bindings by param name.
pub fn binds(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
