//! Learner mode: the agent loop, its recordings, and the compiler of recordings.
//!
//! Code map: `learner` (the loop), `toolcall` (one tool call through the tool layer),
//! `coerce` (arguments the LLM passed in another form), `events` (where run events go),
//! `save` (recordings on disk), `recording` (the recording types and their YAML),
//! `import` (the original llmos traces), `compile` (recordings to programs), `grow` (a
//! new recording merged into a stored program at the guard it stopped at). Which model
//! a run uses and the resolver of `ask` slots are the host's (`crate::host`).

pub(crate) mod coerce;
pub mod compile;
pub mod events;
pub mod grow;
pub mod import;
pub(crate) mod learner;
pub mod recording;
pub(crate) mod save;
pub(crate) mod toolcall;
