//! Learner mode: the agent loop, its recordings, and the compiler of recordings.

pub mod compile;
pub mod import;
pub mod recording;
