//! Why the kernel could not reach a goal, in one vocabulary with the VM's run errors: a
//! followed program's failure is [`KernelError::Run`], with the VM's kind, code and
//! step. Every variant has a stable kind and code ([`Coded`]); `run --json` reports it as
//! the same `error` object as `exec --json`.

use crate::diag::Coded;
use crate::dispatch::mismatch::ShapeMismatch;
use crate::economy::meter::MeterError;
use crate::host::model::ModelError;
use crate::learn::learner::LearnFailure;
use crate::vm::{RunError, RunErrorKind};

/// Why a goal was not reached (or the kernel could not start).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum KernelError {
    /// The goal is empty.
    #[error("the goal is empty")]
    EmptyGoal,
    /// `--mode follower` and no stored program serves the goal.
    #[error("{}", super::NO_MATCH)]
    NoMatch,
    /// The followed program's run failed or was refused.
    #[error("{0}")]
    Run(RunError),
    /// The workspace, its database, store or library snapshot could not be used, or the
    /// run could not start.
    #[error("{0}")]
    Workspace(String),
    /// A stored program could not be loaded.
    #[error("{0}")]
    Program(String),
    /// The Learner's recording did not compile (its own code says why).
    #[error(transparent)]
    Compile(#[from] crate::learn::compile::CompileError),
    /// No model is configured, or its provider cannot be set up (no API key).
    #[error(transparent)]
    Model(ModelError),
    /// Mixed mode: the model's params do not fit the near program.
    #[error(transparent)]
    Binding(BindingError),
    /// The Learner (or an LLM call of Mixed mode) did not reach the goal; `code` says
    /// why more precisely than `kind` (for `Llm`, the provider's failure: `llm-auth`,
    /// `llm-unreachable`, `llm-timeout`, ...).
    #[error("{message}")]
    Learner {
        kind: LearnerKind,
        code: &'static str,
        message: String,
    },
}

/// Why Mixed mode refused the params a model bound for a near program (kind `binding`,
/// code `binding-refused`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BindingError {
    /// The answer has no `{...}` in it.
    #[error("the answer holds no JSON object")]
    NoObject,
    /// The `{...}` in the answer does not parse as a JSON object.
    #[error("the answer is not a JSON object")]
    NotAnObject,
    /// The model answered `{"fits": false}`.
    #[error("the model says the program does not fit the goal")]
    DoesNotFit,
    /// A param without a default was left out.
    #[error("the answer gives no value for param `{name}`")]
    Missing { name: String },
    /// A value is not of its param's type: `why` is what the value parser said.
    #[error("param `{name}`: {why}")]
    BadValue { name: String, why: String },
    /// A value means more than the program learned (`a.txt and b.txt` for one path).
    #[error("`{name}` takes {takes}: {why}")]
    Shape {
        name: String,
        takes: String,
        why: ShapeMismatch,
    },
}

/// How the Learner failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnerKind {
    /// The budget refused a call, or a call overran its reservation.
    Budget,
    /// The provider failed, or the LLM stopped without an answer.
    Llm,
    /// Too many LLM calls without a final answer.
    TurnLimit,
    /// The run's time limit (`--timeout`).
    RunTimeout,
    /// Ctrl-C or SIGTERM.
    Cancelled,
    /// The Learner could not be set up.
    Failed,
}

impl KernelError {
    /// A [`KernelError::Workspace`] from anything that says what went wrong.
    pub fn workspace(e: impl std::fmt::Display) -> KernelError {
        KernelError::Workspace(e.to_string())
    }
}

impl Coded for KernelError {
    fn kind(&self) -> &'static str {
        match self {
            KernelError::EmptyGoal => "empty_goal",
            KernelError::NoMatch => "no_match",
            KernelError::Run(e) => e.kind(),
            KernelError::Workspace(_) => "workspace",
            KernelError::Program(_) => "program",
            KernelError::Compile(e) => e.kind(),
            KernelError::Model(_) => "model",
            KernelError::Binding(_) => "binding",
            KernelError::Learner { kind, .. } => match kind {
                LearnerKind::Budget => RunErrorKind::Budget.as_str(),
                LearnerKind::Llm => RunErrorKind::Llm.as_str(),
                LearnerKind::TurnLimit => "turn_limit",
                LearnerKind::RunTimeout => RunErrorKind::RunTimeout.as_str(),
                LearnerKind::Cancelled => RunErrorKind::Cancelled.as_str(),
                LearnerKind::Failed => "learner",
            },
        }
    }

    fn code(&self) -> &'static str {
        match self {
            KernelError::EmptyGoal => "empty-goal",
            KernelError::NoMatch => "no-match",
            KernelError::Run(e) => e.code(),
            KernelError::Workspace(_) => "workspace",
            KernelError::Program(_) => "bad-program",
            KernelError::Compile(e) => e.code(),
            KernelError::Model(e) => e.code(),
            KernelError::Binding(_) => "binding-refused",
            KernelError::Learner { code, .. } => code,
        }
    }

    fn step(&self) -> Option<u32> {
        match self {
            KernelError::Run(e) => e.step,
            _ => None,
        }
    }
}

impl From<RunError> for KernelError {
    fn from(e: RunError) -> KernelError {
        KernelError::Run(e)
    }
}

impl From<crate::host::HostError> for KernelError {
    fn from(e: crate::host::HostError) -> KernelError {
        match e {
            crate::host::HostError::Model(m) => KernelError::Model(m),
            e => KernelError::Workspace(e.to_string()),
        }
    }
}

impl From<&MeterError> for LearnerKind {
    fn from(e: &MeterError) -> LearnerKind {
        match e {
            MeterError::Budget(_) | MeterError::Overrun(_) | MeterError::Stopped(_) => {
                LearnerKind::Budget
            }
            MeterError::Deadline { .. } => LearnerKind::RunTimeout,
            MeterError::Llm(_) | MeterError::Db(_) => LearnerKind::Llm,
        }
    }
}

impl LearnerKind {
    /// The code of a failure of this kind that has none more precise.
    fn code(self) -> &'static str {
        match self {
            LearnerKind::Budget => RunErrorKind::Budget.code(),
            LearnerKind::Llm => RunErrorKind::Llm.code(),
            LearnerKind::TurnLimit => "turn-limit",
            LearnerKind::RunTimeout => RunErrorKind::RunTimeout.code(),
            LearnerKind::Cancelled => RunErrorKind::Cancelled.code(),
            LearnerKind::Failed => "learner-failed",
        }
    }
}

/// The code of a metered call's failure: the provider's own ([`LlmError`]'s), or the
/// ledger's, or its kind's.
fn meter_code(e: &MeterError) -> &'static str {
    match e {
        MeterError::Llm(e) => e.code(),
        MeterError::Db(_) => "ledger-failed",
        e => LearnerKind::from(e).code(),
    }
}

impl From<MeterError> for KernelError {
    fn from(e: MeterError) -> KernelError {
        KernelError::Learner {
            kind: LearnerKind::from(&e),
            code: meter_code(&e),
            message: e.to_string(),
        }
    }
}

impl From<&LearnFailure> for KernelError {
    fn from(f: &LearnFailure) -> KernelError {
        let kind = match f {
            LearnFailure::Llm(e) => LearnerKind::from(e),
            LearnFailure::TurnLimit { .. } => LearnerKind::TurnLimit,
            LearnFailure::TimeLimit { .. } => LearnerKind::RunTimeout,
            LearnFailure::Stopped(_) => LearnerKind::Llm,
            LearnFailure::Setup(_) => LearnerKind::Failed,
            LearnFailure::Cancelled(_) => LearnerKind::Cancelled,
        };
        let code = match f {
            LearnFailure::Llm(e) => meter_code(e),
            LearnFailure::Stopped(_) => "llm-no-answer",
            _ => kind.code(),
        };
        KernelError::Learner {
            kind,
            code,
            message: f.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_followed_program_s_failure_keeps_the_vm_s_kind_code_and_step() {
        let run = RunError {
            kind: RunErrorKind::Tool,
            op: None,
            step: Some(1),
            message: "step 2: boom".to_owned(),
            code: None,
        };
        let e = KernelError::from(run);
        let v = e.json();
        assert_eq!(v["kind"], "tool");
        assert_eq!(v["code"], "step-failed");
        assert_eq!(v["step"], 2);
        assert_eq!(v["message"], "step 2: boom");
    }

    #[test]
    fn every_kernel_error_has_a_kind_and_a_code() {
        let no_match = KernelError::NoMatch;
        assert_eq!((no_match.kind(), no_match.code()), ("no_match", "no-match"));
        assert_eq!(no_match.json()["step"], serde_json::Value::Null);
        assert!(
            no_match.json()["message"]
                .as_str()
                .unwrap()
                .starts_with("no stored program")
        );
        let late = KernelError::from(&LearnFailure::TimeLimit {
            limit: std::time::Duration::from_secs(2),
        });
        assert_eq!((late.kind(), late.code()), ("run_timeout", "run-timeout"));
        let refused = KernelError::from(&LearnFailure::Llm(MeterError::Llm(
            crate::llm::LlmError::Auth {
                provider: crate::llm::ProviderKind::Anthropic,
                status: 401,
                message: "invalid x-api-key".into(),
            },
        )));
        assert_eq!((refused.kind(), refused.code()), ("llm", "llm-auth"));
        let cut = KernelError::from(&LearnFailure::Stopped("cut off".into()));
        assert_eq!((cut.kind(), cut.code()), ("llm", "llm-no-answer"));
        let d = late.diagnostic(crate::diag::Span::new(0, 0));
        assert_eq!(d.code, "run-timeout");
        assert_eq!(d.message, late.to_string());
    }
}
