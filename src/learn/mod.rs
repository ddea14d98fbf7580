//! Learner mode: the agent loop, its recordings, and the compiler of recordings.
//!
//! Code map: `session` (which model, its provider and meter), `learner` (the loop),
//! `toolcall` (one tool call through the tool layer), `coerce` (arguments the LLM passed
//! in another form), `events` (where run events go),
//! `save` (recordings on disk), `ask` (the LLM resolver of `ask` slots), `recording`
//! (the recording types and their YAML), `import` (the original llmos traces),
//! `compile` (recordings to programs).

pub mod ask;
pub mod coerce;
pub mod compile;
pub mod events;
pub mod import;
pub mod learner;
pub mod recording;
pub mod save;
pub mod session;
pub mod toolcall;
