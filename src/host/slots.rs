//! The one resolver of `ask` slots: what the VM uses when `--set` gave no value, in
//! every command that runs a program.
//!
//! A slot is looked up in the slot cache by program, slot name, prompt text after
//! interpolation and model ([`super::model::cache_key`]); a hit sends nothing. A miss
//! sends one plain completion (no tools) through the [`Meter`], so it is checked against
//! the budget and charged. The answer is parsed as the slot's type: a `str` or `path` is
//! the reply as it is (without a pair of ``` fences around the whole of it); any other
//! type is parsed as JSON and checked with [`coerce`]. An answer that does not parse gets
//! one retry that shows the model the problem. A good answer is cached.
//!
//! A resolver without an LLM ([`SlotFiller::cache_only`], [`SlotFiller::unavailable`])
//! answers from the cache only, so a program whose slots are all cached runs without an
//! API key; it opens the database only when a slot asks.

use std::sync::Arc;

use super::LazyDb;
use super::model::ModelError;
use crate::economy::meter::{Meter, MeterError, lock_db};
use crate::learn::learner::DEFAULT_MAX_TOKENS;
use crate::llm::{Block, ChatRequest, Message, Role};
use crate::types::Type;
use crate::value::{Value, coerce};
use crate::vm::RunErrorKind;
use crate::vm::slots::{
    CallFailure, Resolved, SlotError, SlotFuture, SlotRequest, SlotResolver, SlotSource,
};

/// Resolves `ask` slots from the slot cache, else with one LLM call (and at most one
/// retry). Without an LLM, from the cache only.
#[derive(Debug)]
pub struct SlotFiller {
    db: LazyDb,
    model: String,
    /// The LLM, or why there is none.
    llm: Result<Arc<Meter>, NoLlm>,
    max_tokens: u32,
}

/// Why a resolver calls no LLM.
#[derive(Debug)]
enum NoLlm {
    /// `--offline`, or no model configured: a miss asks for `--set`.
    Offline,
    /// The provider cannot be set up (no API key, ...).
    Unavailable(ModelError),
}

impl SlotFiller {
    /// A resolver calling the LLM through `meter`, whose model is part of the cache key
    /// and whose database holds the cache.
    pub fn new(meter: Arc<Meter>) -> SlotFiller {
        SlotFiller {
            db: LazyDb::opened(Arc::clone(meter.db())),
            model: meter.model().to_string(),
            llm: Ok(meter),
            max_tokens: DEFAULT_MAX_TOKENS,
        }
    }

    /// A resolver that answers from the cache of `db` for `model` and sends nothing; a
    /// miss is an error asking for `--set` (what `--offline` does).
    pub fn cache_only(db: LazyDb, model: impl Into<String>) -> SlotFiller {
        SlotFiller {
            db,
            model: model.into(),
            llm: Err(NoLlm::Offline),
            max_tokens: DEFAULT_MAX_TOKENS,
        }
    }

    /// A resolver that answers from the cache of `db` for `model` because no LLM can be
    /// called; a miss is an error that gives `reason` (no API key, ...).
    pub fn unavailable(db: LazyDb, model: &str, reason: ModelError) -> SlotFiller {
        SlotFiller {
            llm: Err(NoLlm::Unavailable(reason)),
            ..SlotFiller::cache_only(db, model)
        }
    }

    /// The same resolver allowing `max_tokens` output tokens per answer.
    pub fn with_max_tokens(mut self, max_tokens: u32) -> SlotFiller {
        self.max_tokens = max_tokens;
        self
    }

    /// The meter the calls go through; `None` without an LLM.
    pub fn meter(&self) -> Option<&Arc<Meter>> {
        self.llm.as_ref().ok()
    }

    /// The model of the cache key, `provider:model`.
    pub fn model(&self) -> &str {
        &self.model
    }

    async fn resolve_slot(&self, req: &SlotRequest) -> Result<Resolved, SlotError> {
        let model = self.model.as_str();
        let name = || req.name.clone();
        if let Some(value) = self.cached(req)? {
            return Ok(Resolved {
                value,
                source: SlotSource::Cache,
                usage: Default::default(),
                model: String::new(),
            });
        }
        let meter = match &self.llm {
            Ok(meter) => meter,
            Err(NoLlm::Offline) => return Err(SlotError::Unresolved { name: name() }),
            Err(NoLlm::Unavailable(why)) => {
                return Err(SlotError::NoLlm {
                    name: name(),
                    model: model.to_owned(),
                    why: why.to_string(),
                });
            }
        };
        let mut chat = ChatRequest {
            system: instructions(&req.ty),
            messages: vec![Message::user(req.prompt.as_str())],
            tools: Vec::new(),
            max_tokens: self.max_tokens,
            temperature: None,
        };
        let mut spent = crate::usage::Usage::default();
        let mut call = async |chat: &ChatRequest| -> Result<String, SlotError> {
            let m = meter
                .chat(chat, "ask", None)
                .await
                .map_err(|e| call_failed(&req.name, e))?;
            spent.add(m.usage);
            Ok(m.response.text())
        };
        let answer = call(&chat).await?;
        let value = match parse_answer(&answer, &req.ty) {
            Ok(v) => v,
            Err(problem) => {
                let shown = if answer.is_empty() {
                    "(empty)".to_string()
                } else {
                    answer
                };
                chat.messages.push(Message {
                    role: Role::Assistant,
                    content: vec![Block::text(shown)],
                });
                chat.messages
                    .push(Message::user(retry_prompt(&req.ty, &problem)));
                let again = call(&chat).await?;
                parse_answer(&again, &req.ty).map_err(|problem| SlotError::BadAnswer {
                    name: name(),
                    model: model.to_owned(),
                    ty: req.ty.clone(),
                    problem,
                })?
            }
        };
        self.store(req, &value)?;
        Ok(Resolved {
            value,
            source: SlotSource::Llm,
            usage: spent,
            model: self.model().to_owned(),
        })
    }

    /// The cached answer, if there is one that still fits the slot's type.
    fn cached(&self, req: &SlotRequest) -> Result<Option<Value>, SlotError> {
        let db = lock_db(self.db.get().map_err(|e| cache_failed(req, e))?);
        let hit = db
            .slots()
            .get(&req.program_id, &req.name, &req.prompt, &self.model)
            .map_err(|e| cache_failed(req, e))?;
        Ok(hit.and_then(|v| coerce(v, &req.ty).ok()))
    }

    fn store(&self, req: &SlotRequest, value: &Value) -> Result<(), SlotError> {
        let db = lock_db(self.db.get().map_err(|e| cache_failed(req, e))?);
        db.slots()
            .put(&req.program_id, &req.name, &req.prompt, &self.model, value)
            .map_err(|e| cache_failed(req, e))
    }
}

/// The slot cache (the database) failed for `req`'s slot.
fn cache_failed(req: &SlotRequest, e: impl std::fmt::Display) -> SlotError {
    SlotError::Cache {
        name: req.name.clone(),
        message: e.to_string(),
    }
}

/// A slot's failed LLM call, keeping why: the budget, the run's time limit, or the
/// provider.
fn call_failed(name: &str, e: MeterError) -> SlotError {
    use crate::diag::Coded;
    let (failure, code) = match &e {
        MeterError::Budget(_) | MeterError::Overrun(_) | MeterError::Stopped(_) => {
            (CallFailure::Budget, RunErrorKind::Budget.code())
        }
        MeterError::Deadline { .. } => (CallFailure::RunTimeout, RunErrorKind::RunTimeout.code()),
        MeterError::Llm(e) => (CallFailure::Llm, e.code()),
        MeterError::Db(_) => (CallFailure::Llm, "ledger-failed"),
    };
    SlotError::Call {
        name: name.to_owned(),
        failure,
        code,
        message: e.to_string(),
    }
}

impl SlotResolver for SlotFiller {
    fn resolve<'a>(&'a self, req: &'a SlotRequest) -> SlotFuture<'a> {
        Box::pin(self.resolve_slot(req))
    }
}

/// What an answer of type `ty` must look like, in words.
fn described(ty: &Type) -> String {
    match ty {
        Type::Str | Type::Path => "text".into(),
        Type::Int => "an integer".into(),
        Type::Float => "a number".into(),
        Type::Bool => "`true` or `false`".into(),
        Type::Json => "a JSON value".into(),
        Type::List(item) => format!("a JSON array whose elements are {}", described(item)),
    }
}

/// The system prompt for a slot of type `ty`: none for text, else the answer's form.
fn instructions(ty: &Type) -> String {
    match ty {
        Type::Str | Type::Path => String::new(),
        other => format!(
            "Answer with only {} (type {other}), written as JSON: no explanation, no code \
             fences.",
            described(other)
        ),
    }
}

fn retry_prompt(ty: &Type, problem: &str) -> String {
    format!(
        "Your answer could not be used: {problem}. Reply again with only {} (type {ty}), \
         written as JSON, and nothing else.",
        described(ty)
    )
}

/// Parses an LLM's answer as a value of type `ty`; the error says what is wrong, for the
/// retry prompt.
pub fn parse_answer(answer: &str, ty: &Type) -> Result<Value, String> {
    match ty {
        Type::Str | Type::Path => Ok(Value::String(unfence(answer).unwrap_or(answer).to_string())),
        _ => {
            let text = unfence(answer).unwrap_or(answer).trim();
            if text.is_empty() {
                return Err("the answer is empty".into());
            }
            let v: Value = serde_json::from_str(text)
                .map_err(|e| format!("the answer is not valid JSON ({e})"))?;
            coerce(v, ty)
        }
    }
}

/// The inside of a reply that is one fenced block as a whole (```` ```lang\n...\n``` ````),
/// or `None` when it is not.
fn unfence(text: &str) -> Option<&str> {
    let body = text.trim().strip_prefix("```")?.strip_suffix("```")?;
    let (_lang, inner) = body.split_once('\n')?;
    if inner.contains("```") {
        return None;
    }
    Some(inner.strip_suffix('\n').unwrap_or(inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_answers_are_kept_as_they_are() {
        assert_eq!(
            parse_answer("  Two regions.\n", &Type::Str).unwrap(),
            json!("  Two regions.\n")
        );
        assert_eq!(
            parse_answer("```markdown\n# Title\n\nBody\n```", &Type::Str).unwrap(),
            json!("# Title\n\nBody")
        );
        // Fences inside, or not around the whole reply, stay.
        let inner = "See:\n```\ncode\n```";
        assert_eq!(parse_answer(inner, &Type::Str).unwrap(), json!(inner));
        let two = "```\na\n```\n```\nb\n```";
        assert_eq!(parse_answer(two, &Type::Str).unwrap(), json!(two));
    }

    #[test]
    fn typed_answers_are_parsed_and_checked() {
        assert_eq!(parse_answer(" 42\n", &Type::Int).unwrap(), json!(42));
        assert_eq!(parse_answer("42.0", &Type::Int).unwrap(), json!(42));
        assert_eq!(
            parse_answer("```json\n[1, 2]\n```", &Type::List(Box::new(Type::Int))).unwrap(),
            json!([1, 2])
        );
        assert_eq!(parse_answer("true", &Type::Bool).unwrap(), json!(true));
        assert_eq!(
            parse_answer("{\"a\": 1}", &Type::Json).unwrap(),
            json!({"a": 1})
        );
        let e = parse_answer("forty-two", &Type::Int).unwrap_err();
        assert!(e.starts_with("the answer is not valid JSON"), "{e}");
        let e = parse_answer("4.5", &Type::Int).unwrap_err();
        assert!(e.contains("expected int"), "{e}");
        assert_eq!(
            parse_answer("", &Type::Float).unwrap_err(),
            "the answer is empty"
        );
    }

    #[test]
    fn instructions_name_the_type() {
        assert_eq!(instructions(&Type::Str), "");
        let i = instructions(&Type::List(Box::new(Type::Int)));
        assert!(
            i.contains("a JSON array whose elements are an integer (type list<int>)"),
            "{i}"
        );
    }
}
