//! Model selection, the one place that decides which model a run uses (`LLMOS_MODEL`,
//! else `config.toml` `model`; `cassette:FILE` replays a cassette) and so the model
//! part of the slot cache's key; and the provider serving it (keys and base URLs from
//! the environment snapshot, the call limits from `config.toml`).

use std::sync::Arc;

use super::Env;
use crate::llm::{CallConfig, CassetteError, LlmError, ModelRef, Provider, cassette};
use crate::workspace::Config;

/// The environment variable naming the model, `provider:model`.
pub const LLMOS_MODEL: &str = "LLMOS_MODEL";

/// The message when no model is configured.
pub const NO_MODEL: &str = "no model: set LLMOS_MODEL or `model` in .llmos/config.toml";

/// Why no model can be used: none is configured, the one named is not a model, its
/// cassette cannot be replayed, or its provider cannot be set up (no API key, a bad base
/// URL). Reported with kind `model` and a code per case ([`ModelError::code`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// Neither `LLMOS_MODEL` nor `config.toml` `model` is set.
    #[error("{NO_MODEL}")]
    NotSet,
    /// The setting (named by `from`) is not `provider:model`.
    #[error("{from}: {error}")]
    Bad {
        from: String,
        #[source]
        error: LlmError,
    },
    /// A `cassette:FILE` setting whose file cannot be replayed.
    #[error(transparent)]
    Cassette(#[from] CassetteError),
    /// The model's provider cannot be set up.
    #[error(transparent)]
    Provider(LlmError),
}

impl crate::diag::Coded for ModelError {
    fn kind(&self) -> &'static str {
        "model"
    }
    fn code(&self) -> &'static str {
        match self {
            ModelError::NotSet => "no-model",
            ModelError::Bad { .. } => "bad-model",
            ModelError::Cassette(e) => e.code(),
            ModelError::Provider(_) => "provider-setup",
        }
    }
}

/// The model setting, `LLMOS_MODEL` (when set and not blank) over `config.toml`, with
/// where it came from (`LLMOS_MODEL` or ``config.toml `model` ``).
pub(crate) fn setting(env: &Env, config: &Config) -> Option<(String, String)> {
    let from_env = env.var(LLMOS_MODEL).filter(|m| !m.trim().is_empty());
    match (from_env, &config.model) {
        (Some(m), _) => Some((m.trim().to_owned(), LLMOS_MODEL.to_owned())),
        (None, Some(m)) => Some((m.clone(), "config.toml `model`".to_owned())),
        (None, None) => None,
    }
}

/// The cassette a `cassette:FILE` setting replays.
fn cassette(env: &Env, config: &Config) -> Result<Option<Arc<cassette::Player>>, ModelError> {
    match setting(env, config) {
        Some((text, _)) => cassette::path_of(&text)
            .map(cassette::Player::open)
            .transpose()
            .map_err(ModelError::from),
        None => Ok(None),
    }
}

/// The model to use: `LLMOS_MODEL` (when set and not blank) wins over `config.toml`; a
/// cassette's is the model it recorded. The error says what to set, or what is wrong
/// with the name given.
pub fn select_model(env: &Env, config: &Config) -> Result<ModelRef, ModelError> {
    if let Some(player) = cassette(env, config)? {
        return Ok(player.model()?.clone());
    }
    match setting(env, config) {
        Some((m, from)) => ModelRef::parse(&m).map_err(|error| ModelError::Bad { from, error }),
        None => Err(ModelError::NotSet),
    }
}

/// The model part of the slot cache's key: the selected model (`provider:model`; a
/// cassette's recorded one), else the setting as written when it does not name a
/// usable model, else [`NO_MODEL_KEY`]. Built on [`select_model`], so a run that asks
/// the LLM and one that reads the cache alone use the same key.
pub fn cache_key(env: &Env, config: &Config) -> String {
    match select_model(env, config) {
        Ok(model) => model.to_string(),
        Err(_) => setting(env, config).map_or_else(|| NO_MODEL_KEY.to_owned(), |(m, _)| m),
    }
}

/// The slot cache's model key when no model is configured.
pub const NO_MODEL_KEY: &str = "none";

/// The provider serving `model`, configured from the environment and `config.toml`
/// (the time and size limits of the `[llm]` table); for a `cassette:FILE` setting, the
/// cassette's replay.
pub fn provider(model: &ModelRef, env: &Env, config: &Config) -> Result<Provider, ModelError> {
    if let Some(player) = cassette(env, config)? {
        return Provider::replaying(model, player).map_err(ModelError::Provider);
    }
    let provider = Provider::from_env(model, env.lookup()).map_err(ModelError::Provider)?;
    Ok(provider.with_config(config.llm.call_config(CallConfig::default())))
}

/// The selected model and the provider serving it.
pub fn model_and_provider(env: &Env, config: &Config) -> Result<(ModelRef, Provider), ModelError> {
    let model = select_model(env, config)?;
    let provider = provider(&model, env, config)?;
    Ok((model, provider))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Coded;

    fn env(vars: &'static [(&'static str, &'static str)]) -> Env {
        Env::of(vars.iter().copied())
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
        assert_eq!((e.to_string().as_str(), e.code()), (NO_MODEL, "no-model"));
        let e = select_model(&env(&[("LLMOS_MODEL", "gemini:pro")]), &Config::default());
        let e = e.unwrap_err();
        assert!(
            e.to_string()
                .starts_with("LLMOS_MODEL: bad model `gemini:pro`"),
            "{e}"
        );
        assert_eq!((e.kind(), e.code()), ("model", "bad-model"));
        let model = ModelRef::parse("anthropic:claude-haiku-4-5").unwrap();
        let e = provider(&model, &env(&[]), &Config::default()).unwrap_err();
        assert_eq!(e.code(), "provider-setup");
        assert!(
            e.to_string().contains("ANTHROPIC_API_KEY is not set"),
            "{e}"
        );
        let e = select_model(
            &env(&[("LLMOS_MODEL", "cassette:/nonexistent/c.json")]),
            &Config::default(),
        );
        let e = e.unwrap_err();
        assert_eq!(e.code(), "cassette-unreadable");
        assert!(
            e.to_string()
                .starts_with("cassette /nonexistent/c.json: cannot read it"),
            "{e}"
        );
    }

    #[test]
    fn the_cache_key_is_the_selected_model() {
        let config = Config::default();
        let key = |vars| cache_key(&env(vars), &config);
        assert_eq!(key(&[]), NO_MODEL_KEY);
        // Trimmed as the model a run selects is: one key either way.
        let m = key(&[("LLMOS_MODEL", " anthropic:claude-haiku-4-5 ")]);
        let selected = select_model(
            &env(&[("LLMOS_MODEL", " anthropic:claude-haiku-4-5 ")]),
            &config,
        );
        assert_eq!(m, selected.unwrap().to_string());
        assert_eq!(key(&[("LLMOS_MODEL", "gemini:pro")]), "gemini:pro");
    }
}
