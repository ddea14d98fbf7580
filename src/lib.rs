//! llmos: an operating system for LLM work that treats the LLM as a costly CPU and
//! compiled traces as cheap bytecode. See `ARCHITECTURE.md` for the map.

pub mod diag;
pub mod dispatch;
pub mod economy;
pub mod learn;
pub mod stdlib;
pub mod tools;
pub mod types;
pub mod value;
