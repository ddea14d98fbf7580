//! The token economy: prices per model and the worst-case cost of a call (`prices`); the
//! meter every LLM call goes through, which reserves the worst case in the budget ledger
//! before the call and charges the real cost after (`meter`). The ledger itself lives in
//! the workspace database, [`crate::db::Ledger`].

pub mod meter;
pub mod prices;
