//! The learning corpus harness (see `tests/learning_corpus.rs` and
//! `tests/learning/README.md`).
#![allow(dead_code)] // not every user needs every part

pub mod draft;
pub mod family;
pub mod honest;
pub mod report;
pub mod runner;
