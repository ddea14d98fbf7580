//! The token economy: prices per model, the budget ledger, the check before every LLM call.

pub mod prices;
