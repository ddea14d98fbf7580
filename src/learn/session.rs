//! Setting up the LLM of a run from the workspace: which model (`LLMOS_MODEL`, else
//! `config.toml` `model`; `cassette:FILE` replays a cassette), its provider (keys and
//! base URLs from the environment, the call limits from `config.toml`), and the `ask`
//! resolver of a run.

use std::sync::Arc;

use crate::economy::meter::{Meter, SharedDb};
use crate::learn::ask::LlmSlotResolver;
use crate::learn::events::EventSink;
use crate::learn::learner::DEFAULT_MAX_TOKENS;
use crate::llm::{CallConfig, ModelRef, Provider, cassette};
use crate::workspace::Config;

/// The environment variable naming the model, `provider:model`.
pub const LLMOS_MODEL: &str = "LLMOS_MODEL";

/// The message when no model is configured.
pub const NO_MODEL: &str = "no model: set LLMOS_MODEL or `model` in .llmos/config.toml";

/// The model setting, `LLMOS_MODEL` (when set and not blank) over `config.toml`, with
/// where it came from.
fn setting(env: &dyn Fn(&str) -> Option<String>, config: &Config) -> Option<(String, String)> {
    let from_env = env(LLMOS_MODEL).filter(|m| !m.trim().is_empty());
    match (from_env, &config.model) {
        (Some(m), _) => Some((m.trim().to_owned(), LLMOS_MODEL.to_owned())),
        (None, Some(m)) => Some((m.clone(), "config.toml `model`".to_owned())),
        (None, None) => None,
    }
}

/// The cassette a `cassette:FILE` setting replays.
fn cassette(
    env: &dyn Fn(&str) -> Option<String>,
    config: &Config,
) -> Result<Option<Arc<cassette::Player>>, String> {
    match setting(env, config) {
        Some((text, _)) => cassette::path_of(&text)
            .map(cassette::Player::open)
            .transpose(),
        None => Ok(None),
    }
}

/// The model to use: `LLMOS_MODEL` (when set and not blank) wins over `config.toml`; a
/// cassette's is the model it recorded. The error says what to set, or what is wrong
/// with the name given.
pub fn select_model(
    env: &dyn Fn(&str) -> Option<String>,
    config: &Config,
) -> Result<ModelRef, String> {
    if let Some(player) = cassette(env, config)? {
        return player.model().cloned();
    }
    match setting(env, config) {
        Some((m, from)) => ModelRef::parse(&m).map_err(|e| format!("{from}: {e}")),
        None => Err(NO_MODEL.to_string()),
    }
}

/// The provider serving `model`, configured from the environment and `config.toml`
/// (the time and size limits of the `[llm]` table); for a `cassette:FILE` setting, the
/// cassette's replay.
pub fn provider(
    model: &ModelRef,
    env: &dyn Fn(&str) -> Option<String>,
    config: &Config,
) -> Result<Provider, String> {
    if let Some(player) = cassette(env, config)? {
        return Provider::replaying(model, player).map_err(|e| e.to_string());
    }
    let provider = Provider::from_env(model, env).map_err(|e| e.to_string())?;
    Ok(provider.with_config(config.llm.call_config(CallConfig::default())))
}

/// The meter of a run's LLM calls: the selected model's provider behind the budget
/// check, charging the ledger run `run_id` within `budget`. An error names what is
/// missing (no model, no key).
pub fn meter(
    env: &dyn Fn(&str) -> Option<String>,
    config: &Config,
    db: SharedDb,
    run_id: &str,
    budget: Option<f64>,
    events: Arc<dyn EventSink>,
) -> Result<Meter, String> {
    let (model, provider) = model_and_provider(env, config)?;
    Ok(Meter::new(
        provider,
        &model,
        &config.prices,
        db,
        run_id,
        budget,
        events,
    ))
}

/// The selected model and the provider serving it.
pub fn model_and_provider(
    env: &dyn Fn(&str) -> Option<String>,
    config: &Config,
) -> Result<(ModelRef, Provider), String> {
    let model = select_model(env, config)?;
    let provider = provider(&model, env, config)?;
    Ok((model, provider))
}

/// The `ask` resolver of a run: the selected model through a meter, or the slot cache
/// alone when `offline` is set or the provider cannot be set up (no API key: the error
/// is given when a slot misses the cache). An error only when no model is configured,
/// since the cache is keyed by model.
pub fn slot_resolver(
    env: &dyn Fn(&str) -> Option<String>,
    config: &Config,
    db: SharedDb,
    run_id: &str,
    budget: Option<f64>,
    events: Arc<dyn EventSink>,
    offline: bool,
) -> Result<LlmSlotResolver, String> {
    let model = select_model(env, config)?;
    let max_tokens = config.llm.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    let resolver = if offline {
        LlmSlotResolver::offline(db, &model.to_string(), "--offline was given")
    } else {
        match provider(&model, env, config) {
            Ok(p) => {
                let meter = Meter::new(p, &model, &config.prices, db, run_id, budget, events);
                LlmSlotResolver::new(Arc::new(meter))
            }
            Err(why) => LlmSlotResolver::offline(db, &model.to_string(), why),
        }
    };
    Ok(resolver.with_max_tokens(max_tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn env_wins_over_config() {
        let config = Config {
            model: Some("openai:gpt-4o-mini".into()),
            ..Config::default()
        };
        let m = select_model(
            &env(&[("LLMOS_MODEL", "anthropic:claude-haiku-4-5")]),
            &config,
        );
        assert_eq!(m.unwrap().to_string(), "anthropic:claude-haiku-4-5");
        let m = select_model(&env(&[("LLMOS_MODEL", "  ")]), &config);
        assert_eq!(m.unwrap().to_string(), "openai:gpt-4o-mini");
    }

    #[test]
    fn missing_or_bad_models_are_named() {
        let e = select_model(&env(&[]), &Config::default()).unwrap_err();
        assert_eq!(e, NO_MODEL);
        let e = select_model(&env(&[("LLMOS_MODEL", "gemini:pro")]), &Config::default());
        let e = e.unwrap_err();
        assert!(e.starts_with("LLMOS_MODEL: bad model `gemini:pro`"), "{e}");
    }
}
