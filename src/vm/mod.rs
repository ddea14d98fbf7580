//! The VM (Follower mode): runs a verified program deterministically, its tools doing
//! real work inside the sandbox.

pub mod slots;
