//! The cache-only slot resolver: answers an `ask` slot from the slot cache (same
//! program, slot, prompt text after interpolation and model), and otherwise fails naming
//! the slot. It is what `--offline` uses, and all there is until an LLM resolver is
//! plugged in.

use std::path::PathBuf;
use std::sync::Mutex;

use super::slots::{Resolved, SlotFuture, SlotRequest, SlotResolver, SlotSource};
use crate::db::Db;
use crate::workspace::Config;

/// The model name used as the cache key when none is configured.
pub const NO_MODEL: &str = "none";

/// The configured model: `LLMOS_MODEL` (through `env`), else `model` in `config.toml`,
/// else [`NO_MODEL`].
/// (A `cassette:FILE` setting stands for the model the cassette recorded.)
pub fn configured_model(config: &Config, env: impl Fn(&str) -> Option<String>) -> String {
    env("LLMOS_MODEL")
        .filter(|m| !m.trim().is_empty())
        .or_else(|| config.model.clone())
        .map(|m| crate::llm::cassette::model_name(&m))
        .unwrap_or_else(|| NO_MODEL.to_owned())
}

/// Resolves slots from the slot cache of the workspace database in `state_dir`. The
/// database is opened on the first lookup, so a program without slots never touches it.
#[derive(Debug)]
pub struct CacheResolver {
    state_dir: PathBuf,
    model: String,
    db: Mutex<Option<Db>>,
}

impl CacheResolver {
    /// A resolver on the database in `state_dir`, keyed by `model`.
    pub fn new(state_dir: PathBuf, model: String) -> CacheResolver {
        CacheResolver {
            state_dir,
            model,
            db: Mutex::new(None),
        }
    }

    /// The model name the cache is keyed by.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Looks the slot up; `Ok(None)` when the cache has no answer.
    pub fn lookup(&self, req: &SlotRequest) -> Result<Option<crate::value::Value>, String> {
        let mut guard = self
            .db
            .lock()
            .map_err(|_| "the slot cache is unusable after an earlier failure".to_owned())?;
        if guard.is_none() {
            let db = Db::open_in(&self.state_dir).map_err(|e| e.to_string())?;
            *guard = Some(db);
        }
        let Some(db) = guard.as_ref() else {
            return Ok(None);
        };
        db.slots()
            .get(&req.program_id, &req.name, &req.prompt, &self.model)
            .map_err(|e| e.to_string())
    }
}

/// The error for a slot nothing could fill.
pub fn unresolved(name: &str) -> String {
    format!("slot `{name}` has no value: pass `--set {name}=...`, or run online with a model")
}

impl SlotResolver for CacheResolver {
    fn resolve<'a>(&'a self, req: &'a SlotRequest) -> SlotFuture<'a> {
        Box::pin(async move {
            match self.lookup(req)? {
                Some(value) => Ok(Resolved {
                    value,
                    source: SlotSource::Cache,
                    input_tokens: 0,
                    output_tokens: 0,
                    cost_usd: 0.0,
                    model: String::new(),
                }),
                None => Err(unresolved(&req.name)),
            }
        })
    }
}
