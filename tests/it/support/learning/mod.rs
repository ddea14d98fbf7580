//! The learning corpus harness (see `tests/it/learning_corpus.rs` and
//! `tests/learning/README.md`).

pub mod draft;
pub mod family;
pub mod honest;
pub mod report;
pub mod runner;
