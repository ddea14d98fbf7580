//! The token economy: prices per model and the worst-case cost of a call (here); the
//! budget ledger and the reservation made before every LLM call live in the workspace
//! database, [`crate::db::Ledger`].

pub mod prices;
