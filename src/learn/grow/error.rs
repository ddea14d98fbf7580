//! Why a new program could not be merged into the stored one it grows from (it is then
//! stored beside it, and the note says why).

/// Why no branch was grown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GrowError {
    /// A source does not parse (`what` names which one).
    #[error("{what} does not parse: {diagnostic}")]
    Parse {
        what: &'static str,
        diagnostic: String,
    },
    /// The failed `expect` is not a top-level statement (`step` counted from 1).
    #[error(
        "the `expect` that failed is inside a block of step {0} (only a top-level guard \
         grows a branch)"
    )]
    GuardInBlock(u32),
    /// The stored source has fewer statements than the run saw.
    #[error("the stored program has no statement {0} (its source does not match the run)")]
    NoStatement(u32),
    #[error("a program has no goal template")]
    NoGoal,
    #[error("the new goal template `{new}` is not the stored one `{old}`")]
    OtherGoal { new: String, old: String },
    #[error("param `{param}` has another type in the new program ({new})")]
    OtherType { param: String, new: String },
    #[error(
        "param `{param}` has another shape in the new recording ({new} where the stored \
         program has {old})"
    )]
    OtherShape {
        param: String,
        new: String,
        old: String,
    },
    /// A statement before the guard asks the LLM (`step` counted from 1).
    #[error("step {0} before the guard asks the LLM (only reads may come before a merged guard)")]
    AskBeforeGuard(usize),
    /// A statement before the guard calls a tool that acts on the world.
    #[error(
        "step {step} before the guard calls `{tool}`, which acts on the world (only reads \
         may come before a merged guard)"
    )]
    ActsBeforeGuard { step: usize, tool: String },
    #[error("one program returns a value and the other does not")]
    ReturnMismatch,
    /// The merged source fails the checker: its first error.
    #[error("the merged program does not check: {0}")]
    DoesNotCheck(String),
    /// The library entry's params are not JSON.
    #[error("the library entry's params are not JSON: {0}")]
    BadParams(String),
    #[error("the new recording could not be generalized")]
    NotGeneralized,
    #[error("the stored program serves its exact goal only")]
    ExactGoalOnly,
    /// The stored program's id or source cannot be read.
    #[error("{0}")]
    Store(String),
    #[error("the store has no source of program {0}")]
    NoSource(String),
}
