//! The workspace: the folder llmos works in (file tools never reach outside it) and its
//! state folder (`<root>/.llmos`, or `$LLMOS_HOME`), with the settings of `config.toml`.
//! The layout of the state folder is described in [`crate::store`].
//!
//! The root is `--root DIR` when given; else the nearest folder at or above the current
//! one that holds a `.llmos/` folder, as git finds `.git` (see [`discover`]); else the
//! current folder, whose `.llmos/` is then created on first use with a note on stderr
//! (`llmos init` creates one on purpose). With `$LLMOS_HOME` set, the root is the current
//! folder (or `--root`): the state lives elsewhere, so there is nothing to find.
//!
//! # `config.toml`
//!
//! Optional; every key is optional. Unknown keys are errors (a typo must not pass
//! silently), and so are bad values; each error names the file, line and column.
//!
//! ```toml
//! # The model to use, as "provider:model" (providers: anthropic, openai). The
//! # LLMOS_MODEL environment variable names one the same way.
//! model = "anthropic:claude-sonnet-4-5"
//!
//! # Capabilities granted by default in this workspace, as if given with --allow.
//! # pure, read, write and llm are always granted; net, exec and clock are not.
//! allow = ["net"]
//!
//! [llm]
//! max_tokens = 4096          # at most this many output tokens per LLM reply (> 0)
//! max_turns = 40             # Learner turns before it gives up (> 0)
//! # Time limits, as durations: 500ms, 30s, 5m, 1h 30m.
//! call_timeout = "2m"        # one LLM call in all: every attempt and the waits between
//! request_timeout = "2m"     # one attempt: connect, send, read the whole reply
//! connect_timeout = "10s"    # opening the connection
//! first_byte_timeout = "100s" # from sending to the reply's status line
//! retry_after_cap = "20s"    # the longest `retry-after` obeyed; a longer one fails the call
//! max_attempts = 4           # attempts per call, the first included (> 0)
//! max_reply_size = "8MiB"    # the largest reply read: bytes, or "512KiB", "8MiB", "1GB"
//!
//! [dispatch]
//! near_threshold = 0.8       # goal similarity, 0 to 1, from which a stored trace matches
//!
//! # The team's shared program library (see crate::remote::config for every key).
//! [remote]
//! url = "s3://team-bucket/llmos"
//! trusted_keys = ["ed25519:..."]
//! # MCP servers whose tools programs may call (see `crate::mcp::config`).
//! [mcp.servers.files]
//! command = "npx"
//! args = ["-y", "@modelcontextprotocol/server-filesystem", "."]
//! effects = ["read", "write"]
//!
//! [limits]                   # sizes: bytes, or "512 KiB", "64 MiB", "1 GB"
//! value = "64 MiB"           # one value a step makes; see crate::limits for every key
//! run_writes = "256 MiB"     # all bytes a run writes to files
//!
//! [shell]
//! env = ["CARGO_HOME"]       # passed on to shell.run besides PATH, HOME and LANG
//!
//! # Prices in US dollars per million tokens, overriding the built-in table.
//! # The key is "provider:model", quoted because of the colon.
//! [prices."openai:gpt-4o-mini"]
//! input_per_mtok = 0.15
//! output_per_mtok = 0.60
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::economy::prices::Price;
use crate::limits::LimitsConfig;
use crate::llm::CallConfig;
use crate::store::{ObjectStore, StoreError};
use crate::types::{Effect, EffectSet};

/// The environment variable that moves the state folder out of the workspace.
pub const LLMOS_HOME: &str = "LLMOS_HOME";

/// A workspace: its root folder and its state folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    /// The workspace root, canonical (absolute, symlinks resolved).
    pub root: PathBuf,
    /// The state folder: `$LLMOS_HOME` if set, else `<root>/.llmos`. Absolute; it may not
    /// exist yet (see [`Workspace::ensure_state_dir`]).
    pub state_dir: PathBuf,
}

/// Why the workspace could not be opened or its config read.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The current directory is unknown (e.g. it was deleted).
    #[error("cannot determine the current directory: {0}")]
    CurrentDir(#[source] io::Error),
    /// The root folder does not exist or cannot be resolved.
    #[error("workspace root {}: {source}", path.display())]
    Root {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The root is a file, not a folder.
    #[error("workspace root {} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    /// A file-system operation on the state folder failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// `config.toml` is malformed or has a bad key or value.
    #[error("{}{}: {message}", path.display(), position(*line, *column))]
    Config {
        path: PathBuf,
        /// 1-based line of the fault, when known.
        line: Option<usize>,
        /// 1-based column (in characters) of the fault, when known.
        column: Option<usize>,
        message: String,
    },
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

impl Workspace {
    /// Opens the workspace rooted at `root` (default: the current directory), reading
    /// `LLMOS_HOME` through `env` (the CLI passes its `host::Env` snapshot's lookup). A
    /// relative `LLMOS_HOME` is taken from the current directory. Creates nothing.
    pub fn open(
        root: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Workspace, WorkspaceError> {
        let home = env(LLMOS_HOME).filter(|h| !h.is_empty());
        let given = match root {
            Some(r) => r.to_path_buf(),
            None => {
                let cwd = std::env::current_dir().map_err(WorkspaceError::CurrentDir)?;
                match home {
                    Some(_) => cwd,
                    None => discover(&cwd).unwrap_or(cwd),
                }
            }
        };
        let root = fs::canonicalize(&given).map_err(|source| WorkspaceError::Root {
            path: given.clone(),
            source,
        })?;
        if !root.is_dir() {
            return Err(WorkspaceError::NotADirectory { path: given });
        }
        let state_dir = match home {
            Some(home) => std::path::absolute(&home).map_err(|source| WorkspaceError::Io {
                action: "resolving LLMOS_HOME",
                path: PathBuf::from(&home),
                source,
            })?,
            None => root.join(".llmos"),
        };
        Ok(Workspace { root, state_dir })
    }

    /// `<state>/objects`: the program store.
    pub fn objects_dir(&self) -> PathBuf {
        self.state_dir.join("objects")
    }

    /// `<state>/runs`: one JSON Lines log per run.
    pub fn runs_dir(&self) -> PathBuf {
        self.state_dir.join("runs")
    }

    /// `<state>/recordings`: Learner recordings.
    pub fn recordings_dir(&self) -> PathBuf {
        self.state_dir.join("recordings")
    }

    /// `<state>/config.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.state_dir.join("config.toml")
    }

    /// `<state>/llmos.db`: the SQLite database (trace index, budget ledger, slot cache).
    pub fn db_path(&self) -> PathBuf {
        self.state_dir.join("llmos.db")
    }

    /// Creates the state folder and its `objects/`, `runs/` and `recordings/` if missing,
    /// saying so on stderr when the state folder is new. Safe to call from several
    /// processes at once.
    pub fn ensure_state_dir(&self) -> Result<(), WorkspaceError> {
        if !self.state_dir.is_dir() {
            crate::ui::note(&format!(
                "note: new workspace: {} (no .llmos/ in this folder or above it; `llmos init` makes one on purpose)",
                self.state_dir.display()
            ));
        }
        for dir in [self.objects_dir(), self.runs_dir(), self.recordings_dir()] {
            fs::create_dir_all(&dir).map_err(|source| WorkspaceError::Io {
                action: "creating",
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Reads `config.toml` (defaults if there is none).
    pub fn config(&self) -> Result<Config, WorkspaceError> {
        Config::load(&self.config_path())
    }

    /// Opens the program store, creating its folder if needed.
    pub fn object_store(&self) -> Result<ObjectStore, StoreError> {
        ObjectStore::open(&self.objects_dir())
    }
}

/// The nearest folder at or above `start` holding a `.llmos/` folder. The file system
/// root and the system's temp folder are not searched unless `start` is one of them: a
/// `.llmos/` there would capture every folder below (every test's temp folder, say).
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    let temp = fs::canonicalize(std::env::temp_dir()).ok();
    start
        .ancestors()
        .filter(|dir| *dir == start || !(dir.parent().is_none() || Some(*dir) == temp.as_deref()))
        .find(|dir| dir.join(".llmos").is_dir())
        .map(Path::to_path_buf)
}

/// The settings of `config.toml` (format in the module docs). `Default` is an empty file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// The model as "provider:model".
    pub model: Option<String>,
    /// Capabilities granted by default; each is a valid [`Effect`] name.
    pub allow: Vec<String>,
    /// Price overrides, keyed by "provider:model".
    pub prices: BTreeMap<String, Price>,
    /// The `[llm]` table.
    pub llm: LlmConfig,
    /// The `[dispatch]` table.
    pub dispatch: DispatchConfig,
    /// The `[remote]` table: the team's shared library.
    pub remote: crate::remote::RemoteConfig,
    /// The `[limits]` table (see [`crate::limits`]).
    pub limits: LimitsConfig,
    /// The `[shell]` table.
    pub shell: ShellConfig,
    /// The `[mcp]` table: MCP servers (checked when the file is read).
    pub mcp: crate::mcp::config::McpConfig,
}

/// `config.toml` as read, before the checks that need the position of a list element.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default, deserialize_with = "de_model")]
    model: Option<String>,
    #[serde(default)]
    allow: Vec<toml::Spanned<String>>,
    #[serde(default, deserialize_with = "de_prices")]
    prices: BTreeMap<String, Price>,
    #[serde(default)]
    llm: LlmConfig,
    #[serde(default)]
    dispatch: DispatchConfig,
    #[serde(default)]
    remote: crate::remote::RemoteConfig,
    #[serde(default)]
    limits: LimitsConfig,
    #[serde(default)]
    shell: ShellConfig,
    #[serde(default)]
    mcp: crate::mcp::config::McpConfig,
}

/// The `[shell]` table of `config.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShellConfig {
    /// Environment variables `shell.run` passes on besides `PATH`, `HOME` and `LANG`.
    #[serde(default, deserialize_with = "de_env_names")]
    pub env: Vec<String>,
}

fn de_env_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    for name in &names {
        let ok = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(serde::de::Error::custom(format!(
                "`{name}` is not an environment variable name (letters, digits and `_`)"
            )));
        }
    }
    Ok(names)
}

/// The `[llm]` table of `config.toml`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    /// Output tokens per reply (> 0).
    #[serde(default, deserialize_with = "de_positive")]
    pub max_tokens: Option<u32>,
    /// Per-request time limit as written (a valid humantime duration); see
    /// [`Config::request_timeout`].
    #[serde(default, deserialize_with = "de_duration")]
    pub request_timeout: Option<String>,
    /// Learner turns before giving up (> 0).
    #[serde(default, deserialize_with = "de_positive")]
    pub max_turns: Option<u32>,
    /// The time limit of one LLM call in all, as written.
    #[serde(default, deserialize_with = "de_duration")]
    pub call_timeout: Option<String>,
    /// The time limit of opening a connection to the provider, as written.
    #[serde(default, deserialize_with = "de_duration")]
    pub connect_timeout: Option<String>,
    /// The time limit from sending a request to the reply's status line, as written.
    #[serde(default, deserialize_with = "de_duration")]
    pub first_byte_timeout: Option<String>,
    /// The longest `retry-after` wait obeyed, as written.
    #[serde(default, deserialize_with = "de_duration")]
    pub retry_after_cap: Option<String>,
    /// Attempts per LLM call (> 0).
    #[serde(default, deserialize_with = "de_positive")]
    pub max_attempts: Option<u32>,
    /// The largest LLM reply read, in bytes.
    #[serde(default, deserialize_with = "de_size")]
    pub max_reply_size: Option<u64>,
}

/// The `[dispatch]` table of `config.toml`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchConfig {
    /// Goal similarity (0 to 1) from which a stored trace counts as a match.
    #[serde(default, deserialize_with = "de_threshold")]
    pub near_threshold: Option<f64>,
}

impl Config {
    /// Reads the config file at `path`; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Config, WorkspaceError> {
        match fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(WorkspaceError::Io {
                action: "reading",
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses config text; `path` is only used to name the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, WorkspaceError> {
        let error = |span: Option<std::ops::Range<usize>>, message: String| {
            let (line, column) = match span {
                Some(span) => {
                    let (l, c) = line_col(text, span.start);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            WorkspaceError::Config {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| error(e.span(), e.message().trim_end().to_string()))?;
        let mut allow = Vec::new();
        for cap in raw.allow {
            let span = cap.span();
            let name = cap.into_inner();
            if Effect::parse(&name).is_none() {
                let known: Vec<&str> = Effect::ALL.iter().map(|e| e.as_str()).collect();
                let message = format!(
                    "unknown capability `{name}` in `allow` (known: {})",
                    known.join(", ")
                );
                return Err(error(Some(span), message));
            }
            allow.push(name);
        }
        raw.mcp.servers().map_err(|e| error(None, e.to_string()))?;
        Ok(Config {
            model: raw.model,
            allow,
            prices: raw.prices,
            llm: raw.llm,
            dispatch: raw.dispatch,
            remote: raw.remote,
            limits: raw.limits,
            shell: raw.shell,
            mcp: raw.mcp,
        })
    }

    /// The capabilities of `allow`, as a set.
    pub fn allowed(&self) -> EffectSet {
        self.allow.iter().filter_map(|a| Effect::parse(a)).collect()
    }

    /// `[llm] request_timeout` as a duration.
    pub fn request_timeout(&self) -> Option<Duration> {
        duration(&self.llm.request_timeout)
    }
}

impl LlmConfig {
    /// The limits of one LLM call: these keys over `defaults`.
    pub fn call_config(&self, defaults: CallConfig) -> CallConfig {
        CallConfig {
            max_attempts: self.max_attempts.unwrap_or(defaults.max_attempts),
            timeout: duration(&self.request_timeout).unwrap_or(defaults.timeout),
            call_timeout: duration(&self.call_timeout).unwrap_or(defaults.call_timeout),
            connect_timeout: duration(&self.connect_timeout).unwrap_or(defaults.connect_timeout),
            first_byte_timeout: duration(&self.first_byte_timeout)
                .unwrap_or(defaults.first_byte_timeout),
            retry_after_cap: duration(&self.retry_after_cap).unwrap_or(defaults.retry_after_cap),
            max_reply_bytes: self.max_reply_size.unwrap_or(defaults.max_reply_bytes),
            ..defaults
        }
    }
}

/// A duration key as a duration. Validated when the file was read; a value set by hand
/// that does not parse is treated as unset.
fn duration(text: &Option<String>) -> Option<Duration> {
    humantime::parse_duration(text.as_deref()?).ok()
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// A name in `config.toml` that is not "provider:model".
#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not a model name: expected \"provider:model\", e.g. \"anthropic:claude-sonnet-4-5\""
)]
struct BadModelName(String);

/// Checks a "provider:model" name.
fn check_model_name(name: &str) -> Result<(), BadModelName> {
    match name.split_once(':') {
        Some((provider, model)) if !provider.is_empty() && !model.is_empty() => Ok(()),
        _ => Err(BadModelName(name.to_owned())),
    }
}

fn de_model<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(d)?;
    check_model_name(&name).map_err(serde::de::Error::custom)?;
    Ok(Some(name))
}

/// A price as written in the file: both fields required, nothing else allowed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceEntry {
    #[serde(deserialize_with = "de_dollars")]
    input_per_mtok: f64,
    #[serde(deserialize_with = "de_dollars")]
    output_per_mtok: f64,
}

fn de_dollars<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(serde::de::Error::custom(format!(
            "a price must be a number of dollars per million tokens >= 0, not {v}"
        )));
    }
    Ok(v)
}

fn de_prices<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Price>, D::Error> {
    let entries = BTreeMap::<String, PriceEntry>::deserialize(d)?;
    let mut prices = BTreeMap::new();
    for (key, p) in entries {
        check_model_name(&key)
            .map_err(|e| serde::de::Error::custom(format!("in [prices]: {e}")))?;
        let price = Price {
            input_per_mtok: p.input_per_mtok,
            output_per_mtok: p.output_per_mtok,
        };
        prices.insert(key, price);
    }
    Ok(prices)
}

fn de_positive<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match u32::deserialize(d)? {
        0 => Err(serde::de::Error::custom("must be at least 1")),
        n => Ok(Some(n)),
    }
}

pub(crate) fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    let duration = humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "`{text}` is not a duration ({e}); write e.g. \"500ms\", \"30s\", \"5m\""
        ))
    })?;
    if duration.is_zero() {
        return Err(serde::de::Error::custom(
            "a time limit must be longer than 0",
        ));
    }
    Ok(Some(text))
}

use crate::limits::de_size;
/// A size in bytes: a whole number, or text with a unit (`512KiB`, `8MiB`, `1GB`), as
/// every size limit of the config is written.
pub use crate::limits::parse_size;

fn de_threshold<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = f64::deserialize(d)?;
    if !(0.0..=1.0).contains(&v) {
        return Err(serde::de::Error::custom(format!(
            "near_threshold must be between 0 and 1, not {v}"
        )));
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // `=` on line 2 is byte 10 (é takes two bytes) but character column 4.
        assert_eq!(line_col(text, 10), (2, 4));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn model_names_are_checked_where_they_are_written() {
        let path = std::path::Path::new("config.toml");
        let e = super::Config::parse("model = \"gpt\"\n", path).unwrap_err();
        let e = e.to_string();
        assert!(e.starts_with("config.toml:1:"), "{e}");
        assert!(
            e.ends_with("`gpt` is not a model name: expected \"provider:model\", e.g. \"anthropic:claude-sonnet-4-5\""),
            "{e}"
        );
        let e = super::Config::parse(
            "[prices]\n\"gpt\" = { input_per_mtok = 1, output_per_mtok = 2 }\n",
            path,
        );
        let e = e.unwrap_err().to_string();
        assert!(e.contains("in [prices]: `gpt` is not a model name"), "{e}");
    }
}
