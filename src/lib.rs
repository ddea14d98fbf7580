//! llmos: an operating system for LLM work that treats the LLM as a costly CPU and
//! compiled traces as cheap bytecode. See `ARCHITECTURE.md` for the map.
#![forbid(unsafe_code)]

pub mod bytecode;
// The pest parser is generated for `no_std` (see Cargo.toml) and names `alloc`.
extern crate alloc;

pub mod check;
pub mod cli;
pub mod db;
pub mod diag;
pub mod dispatch;
pub mod economy;
pub mod host;
pub mod http;
pub mod ir;
pub mod kernel;
pub mod learn;
pub(crate) mod limits;
pub mod llm;
pub(crate) mod mcp;
pub mod remote;
pub mod stdlib;
pub mod store;
pub mod syntax;
pub mod tools;
pub mod types;
pub(crate) mod ui;
pub mod usage;
pub mod value;
pub mod vm;
pub mod workspace;
