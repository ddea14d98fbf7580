//! The Learner loop: an LLM solves a goal by calling tools (built-in and MCP), and every
//! call is written down as a [`Recording`].
//!
//! Each turn sends the conversation (system prompt, goal, the LLM's earlier replies and
//! the tool results) with every tool of [`LearnerConfig::tools`] offered, through the [`Meter`] (so each
//! call is checked against the budget first and charged after). The tool calls of a reply
//! run one by one, in order, through [`run_tool_call`]; their results go back in one
//! message. The run succeeds when the LLM ends its turn with text and no tool call; that
//! text is the answer and the recording's last step, `llm.final`. It fails when an LLM
//! call fails or is refused, at the turn limit, at the run's time limit, or when the
//! reply is cut off or refused; the recording then says `outcome: failure` and why.

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

use crate::economy::meter::{Deadline, Meter, MeterError};
use crate::learn::recording::{FINAL_TOOL, Outcome, RecStep, Recording};
use crate::learn::toolcall::{Offer, run_tool_call};
use crate::llm::schema::table_specs;
use crate::llm::{Block, ChatRequest, Message, StopReason, ToolSpec};
use crate::tools::{ToolCtx, ToolTable};
use crate::types::{Effect, EffectSet};
use crate::value::Value;

/// LLM calls a Learner run may make when `config.toml` does not say.
pub const DEFAULT_MAX_TURNS: u32 = 20;
/// Output tokens per reply when `config.toml` does not say.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The limits and grants of one Learner run.
#[derive(Clone, Debug)]
pub struct LearnerConfig {
    /// LLM calls before giving up.
    pub max_turns: u32,
    /// Output tokens per reply (also the worst case the budget check reserves).
    pub max_tokens: u32,
    /// Capabilities the tools may use.
    pub granted: EffectSet,
    /// The run's time limit.
    pub deadline: Option<Deadline>,
    pub temperature: Option<f32>,
    /// Stops the run from outside (Ctrl-C, SIGTERM): the call or tool under way is
    /// dropped (its budget hold released) and the run fails with what it recorded so far.
    pub cancel: Option<crate::vm::Cancel>,
    /// The tools offered (the built-in ones by default).
    pub tools: ToolTable,
}

impl Default for LearnerConfig {
    fn default() -> LearnerConfig {
        LearnerConfig {
            max_turns: DEFAULT_MAX_TURNS,
            max_tokens: DEFAULT_MAX_TOKENS,
            granted: EffectSet::DEFAULT_GRANTED,
            deadline: None,
            temperature: None,
            cancel: None,
            tools: ToolTable::builtins().clone(),
        }
    }
}

/// Why a Learner run failed.
#[derive(Debug, thiserror::Error)]
pub enum LearnFailure {
    /// An LLM call was refused by the budget check, failed, or could not be charged.
    #[error(transparent)]
    Llm(MeterError),
    #[error(
        "the Learner made {turns} LLM calls without a final answer (the turn limit); \
         raise `max_turns` in the [llm] table of .llmos/config.toml"
    )]
    TurnLimit { turns: u32 },
    #[error("the run's time limit of {} was reached", humantime::format_duration(*limit))]
    TimeLimit { limit: Duration },
    /// The LLM stopped without an answer (cut off at `max_tokens`, a refusal, ...).
    #[error("{0}")]
    Stopped(String),
    /// The request could not be built.
    #[error("{0}")]
    Setup(String),
    #[error("the run was cancelled: {0}")]
    Cancelled(String),
}

/// The result of a Learner run: the recording, and the answer or the failure.
#[derive(Debug)]
pub struct Learned {
    pub recording: Recording,
    /// The final answer, on success.
    pub answer: Option<String>,
    /// Why the run failed; `None` on success.
    pub failure: Option<LearnFailure>,
}

/// The system prompt: the sandbox, the tools, the grants, and what the answer should be.
pub fn system_prompt(granted: EffectSet) -> String {
    let denied: EffectSet = Effect::ALL
        .into_iter()
        .filter(|e| !granted.contains(*e))
        .collect();
    let denied_note = if denied.is_empty() {
        String::new()
    } else {
        format!(
            " Tools that need {denied} are not allowed in this run: such a call fails with \
             an error and is not run; do not retry it, tell the user what --allow would \
             make it possible."
        )
    };
    format!(
        "You are the Learner of llmos. Solve the user's goal by calling the tools you are \
         given; each call is recorded, and the recording is compiled into a program that \
         repeats the solution without you.\n\n\
         - All paths are relative to the workspace root (the current folder). Tools cannot \
         read or write outside it.\n\
         - Work step by step: call a tool, read its result, then decide the next call. Pass \
         earlier results on exactly as they were returned.\n\
         - Prefer tools over your own reasoning for anything a tool can compute (counting, \
         parsing, sums, file contents).\n\
         - Capabilities granted: {granted}.{denied_note}\n\
         - When the goal is met, stop calling tools and reply with a short final answer that \
         summarizes what you did and gives the result."
    )
}

/// Runs the Learner on `goal` with tools working in `ctx`, calling the LLM through
/// `meter` (which also receives the events).
pub async fn learn(
    goal: &str,
    meter: &Meter,
    ctx: &Arc<ToolCtx>,
    config: &LearnerConfig,
) -> Learned {
    let started_at = format!("{:.0}", jiff::Timestamp::now());
    let mut steps = Vec::new();
    let result = match &config.cancel {
        Some(cancel) => {
            tokio::select! {
                r = converse(goal, meter, ctx, config, &mut steps) => r,
                () = cancel.cancelled() => Err(LearnFailure::Cancelled(
                    cancel.reason().unwrap_or("cancelled").to_string(),
                )),
            }
        }
        None => converse(goal, meter, ctx, config, &mut steps).await,
    };
    let (answer, failure) = match result {
        Ok(text) => {
            let mut args = IndexMap::new();
            args.insert("text".to_string(), Value::String(text.clone()));
            steps.push(RecStep {
                tool: FINAL_TOOL.to_string(),
                args,
                result: None,
                error: None,
            });
            (Some(text), None)
        }
        Err(f) => (None, Some(f)),
    };
    let totals = meter.totals();
    let recording = Recording {
        llmos_recording: 1,
        goal: goal.to_string(),
        model: meter.model().to_string(),
        started_at: Some(started_at),
        usage: totals,
        outcome: if failure.is_none() {
            Outcome::Success
        } else {
            Outcome::Failure
        },
        error: failure.as_ref().map(ToString::to_string),
        steps,
        extra: Default::default(),
    };
    Learned {
        recording,
        answer,
        failure,
    }
}

/// The conversation itself: the final answer, or why there is none. Tool calls are
/// appended to `steps` as they are made.
async fn converse(
    goal: &str,
    meter: &Meter,
    ctx: &Arc<ToolCtx>,
    config: &LearnerConfig,
    steps: &mut Vec<RecStep>,
) -> Result<String, LearnFailure> {
    let tools: Vec<ToolSpec> =
        table_specs(&config.tools).map_err(|e| LearnFailure::Setup(e.to_string()))?;
    let mut req = ChatRequest {
        system: system_prompt(config.granted),
        messages: vec![Message::user(goal)],
        tools,
        max_tokens: config.max_tokens,
        temperature: config.temperature,
    };
    let out_of_time = |d: Deadline| LearnFailure::TimeLimit { limit: d.limit };
    for _turn in 0..config.max_turns {
        if let Some(d) = config.deadline.filter(Deadline::passed) {
            return Err(out_of_time(d));
        }
        let reply = match meter.chat(&req, "learner", config.deadline).await {
            Ok(m) => m.response,
            Err(MeterError::Deadline { limit, .. }) => {
                return Err(LearnFailure::TimeLimit { limit });
            }
            Err(e) => return Err(LearnFailure::Llm(e)),
        };
        let calls: Vec<(String, String, Value)> = reply
            .tool_uses()
            .map(|(id, name, input)| (id.to_string(), name.to_string(), input.clone()))
            .collect();
        if calls.is_empty() {
            return match reply.stop {
                StopReason::EndTurn | StopReason::StopSequence => Ok(reply.text()),
                StopReason::MaxTokens => Err(LearnFailure::Stopped(format!(
                    "the LLM's reply was cut off at max_tokens ({}); raise `max_tokens` in \
                     the [llm] table of .llmos/config.toml",
                    config.max_tokens
                ))),
                StopReason::ToolUse => Err(LearnFailure::Stopped(
                    "the LLM said it would call a tool but called none".into(),
                )),
                StopReason::Other(why) => Err(LearnFailure::Stopped(format!(
                    "the LLM stopped without an answer (stop reason `{why}`)"
                ))),
            };
        }
        req.messages.push(reply.to_message());
        let mut results = Vec::with_capacity(calls.len());
        for (id, name, input) in &calls {
            let offer = Offer {
                tools: &config.tools,
                specs: &req.tools,
                granted: config.granted,
                earlier: steps,
            };
            let outcome = run_tool_call(
                name,
                input,
                offer,
                ctx,
                config.deadline,
                meter.events().as_ref(),
            )
            .await;
            steps.push(outcome.step);
            if outcome.out_of_time
                && let Some(d) = config.deadline
            {
                return Err(out_of_time(d));
            }
            results.push(Block::tool_result(id, outcome.content, outcome.is_error));
        }
        req.messages.push(Message::tool_results(results));
    }
    Err(LearnFailure::TurnLimit {
        turns: config.max_turns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loop can be spawned on a multi-threaded runtime (checked at compile time).
    #[allow(dead_code)]
    fn learn_is_send(meter: &Meter, ctx: &Arc<ToolCtx>, config: &LearnerConfig) {
        fn send<T: Send>(_: T) {}
        send(learn("goal", meter, ctx, config));
    }

    #[test]
    fn the_system_prompt_names_what_is_not_granted() {
        let p = system_prompt(EffectSet::DEFAULT_GRANTED);
        assert!(
            p.contains("Capabilities granted: pure, read, write, llm."),
            "{p}"
        );
        assert!(
            p.contains("Tools that need net, exec, clock are not allowed"),
            "{p}"
        );
        let all: EffectSet = Effect::ALL.into_iter().collect();
        assert!(!system_prompt(all).contains("not allowed"));
    }
}
