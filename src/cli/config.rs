//! `llmos config [--json]`: the settings in effect in this workspace, and where each comes
//! from: a flag, the environment, `config.toml`, or the default. API keys are reported as
//! set or not, never shown.

use std::path::Path;

use serde_json::{Value, json};

use super::program::RootArg;
use super::{CliError, Outcome};
use crate::workspace::{LLMOS_HOME, Workspace, WorkspaceError, discover};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON array of `{key, value, source}` instead of the table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub root: RootArg,
}

/// One setting: its name, the value in effect and where it comes from.
struct Row {
    key: String,
    value: String,
    source: String,
}

fn row(key: &str, value: impl Into<String>, source: impl Into<String>) -> Row {
    Row {
        key: key.to_owned(),
        value: value.into(),
        source: source.into(),
    }
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let env = |k: &str| super::env().var(k).filter(|v| !v.trim().is_empty());
    match rows(args.root.root.as_deref(), &env)? {
        rows if args.json => {
            let list: Vec<Value> = rows
                .iter()
                .map(|r| json!({"key": r.key, "value": r.value, "source": r.source}))
                .collect();
            outln!("{}", crate::value::pretty_json(&Value::Array(list)));
        }
        rows => {
            let width = |f: fn(&Row) -> &str| rows.iter().map(|r| f(r).chars().count()).max();
            let (k, v) = (
                width(|r| &r.key).unwrap_or(0),
                width(|r| &r.value).unwrap_or(0),
            );
            for r in &rows {
                outln!("{:<k$}  {:<v$}  {}", r.key, r.value, r.source);
            }
        }
    }
    Ok(Outcome::Success)
}

fn rows(root: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Row>, CliError> {
    let ws = Workspace::open(root, env)?;
    let mut rows = vec![
        row(
            "root",
            ws.root.display().to_string(),
            root_source(root, env, &ws.root),
        ),
        match env(LLMOS_HOME) {
            Some(_) => row("state", ws.state_dir.display().to_string(), LLMOS_HOME),
            None => row("state", ws.state_dir.display().to_string(), "<root>/.llmos"),
        },
    ];
    let path = ws.config_path();
    let exists = path.is_file();
    let file_note = if exists {
        "exists"
    } else {
        "none: defaults only"
    };
    rows.push(row("config file", path.display().to_string(), file_note));
    let config = ws.config()?;
    let text = if exists {
        std::fs::read_to_string(&path).map_err(|source| CliError::Io {
            doing: "cannot read",
            path: path.clone(),
            source,
        })?
    } else {
        String::new()
    };
    // `ws.config()` parsed the same text: this cannot fail unless the file changed since.
    let table: toml::Table = toml::from_str(&text).map_err(|e| WorkspaceError::Config {
        path: path.clone(),
        line: None,
        column: None,
        message: e.message().to_owned(),
    })?;
    let in_file = |dotted: &str| {
        let mut v: Option<&toml::Value> = None;
        for (i, part) in dotted.split('.').enumerate() {
            v = match (i, v) {
                (0, _) => table.get(part),
                (_, Some(toml::Value::Table(t))) => t.get(part),
                _ => None,
            };
        }
        v.is_some()
    };
    let file_or = |key: &str| {
        if in_file(key) {
            "config.toml"
        } else {
            "default"
        }
    };
    rows.push(model_row(&config));
    let allow = match config.allow.is_empty() {
        true => "none beyond pure, read, write, llm".to_owned(),
        false => config.allow.join(", "),
    };
    rows.push(row("allow", allow, file_or("allow")));
    let llm = &config.llm;
    let call = llm.call_config(crate::llm::CallConfig::default());
    let time = |d: std::time::Duration| humantime::format_duration(d).to_string();
    let near = config.dispatch.near_threshold.map(|t| t.to_string());
    let values = [
        ("llm.max_tokens", llm.max_tokens.map(|n| n.to_string())),
        ("llm.max_turns", llm.max_turns.map(|n| n.to_string())),
        ("llm.call_timeout", Some(time(call.call_timeout))),
        ("llm.request_timeout", Some(time(call.timeout))),
        ("llm.connect_timeout", Some(time(call.connect_timeout))),
        (
            "llm.first_byte_timeout",
            Some(time(call.first_byte_timeout)),
        ),
        ("llm.retry_after_cap", Some(time(call.retry_after_cap))),
        ("llm.max_attempts", Some(call.max_attempts.to_string())),
        (
            "llm.max_reply_size",
            Some(super::init::size_text(call.max_reply_bytes)),
        ),
        ("dispatch.near_threshold", near),
    ];
    let defaults = super::init::defaults();
    for (key, value) in values {
        let short = key.rsplit('.').next().unwrap_or(key);
        let default = defaults
            .iter()
            .find(|(k, _)| *k == short)
            .map(|(_, v)| v.clone());
        rows.push(row(
            key,
            value.or(default).unwrap_or_default(),
            file_or(key),
        ));
    }
    for limit in crate::limits::Limit::ALL {
        let key = format!("limits.{}", limit.key());
        let value = crate::limits::format_size(config.limits.get(limit));
        rows.push(row(&key, value, file_or(&key)));
    }
    let http_timeout = config.limits.http_timeout();
    rows.push(row(
        "limits.http_timeout",
        time(http_timeout),
        file_or("limits.http_timeout"),
    ));
    for (model, price) in &config.prices {
        let value = format!(
            "${} in, ${} out per million tokens",
            price.input_per_mtok, price.output_per_mtok
        );
        rows.push(row(&format!("prices.\"{model}\""), value, "config.toml"));
    }
    rows.extend(other_keys(&table));
    rows.extend(provider_rows(env));
    Ok(rows)
}

/// How the root was chosen.
fn root_source(flag: Option<&Path>, env: &dyn Fn(&str) -> Option<String>, root: &Path) -> String {
    if flag.is_some() {
        return "--root".to_owned();
    }
    if env(LLMOS_HOME).is_some() {
        return "the current folder (LLMOS_HOME is set)".to_owned();
    }
    let cwd = std::env::current_dir().ok();
    let cwd = cwd.and_then(|c| std::fs::canonicalize(c).ok());
    match (cwd, discover(root)) {
        (Some(cwd), Some(found)) if found == cwd => {
            "its .llmos/ is in the current folder".to_owned()
        }
        (_, Some(_)) => "the nearest folder above the current one with a .llmos/".to_owned(),
        _ => "the current folder (no .llmos/ here or above: created on first use)".to_owned(),
    }
}

fn model_row(config: &crate::workspace::Config) -> Row {
    // The one selection rule (host::model), so this row shows what a run would use.
    let (value, source) = match crate::host::model::setting(super::env(), config) {
        Some((m, from)) if from == crate::host::model::LLMOS_MODEL => (m, "LLMOS_MODEL"),
        Some((m, _)) => (m, "config.toml"),
        None => ("none".to_owned(), "unset: the Learner needs one"),
    };
    let source = match crate::llm::cassette::path_of(&value) {
        Some(_) => format!(
            "{source} (a cassette replaying {})",
            crate::llm::cassette::model_name(&value)
        ),
        None => source.to_owned(),
    };
    row("model", value.trim(), source)
}

/// Keys of `config.toml` that the rows above do not show, as written.
fn other_keys(table: &toml::Table) -> Vec<Row> {
    let known = ["model", "allow", "prices"];
    let shown = super::init::defaults();
    let known_in = |t: &str, k: &str| {
        matches!(t, "llm" | "dispatch") && shown.iter().any(|(key, _)| *key == k) || t == "limits"
    };
    let mut rows = Vec::new();
    for (key, value) in table {
        match value {
            toml::Value::Table(inner) if !known.contains(&key.as_str()) => {
                for (k, v) in inner.iter().filter(|(k, _)| !known_in(key, k)) {
                    rows.push(row(&format!("{key}.{k}"), v.to_string(), "config.toml"));
                }
            }
            _ if known.contains(&key.as_str()) || key == "llm" || key == "dispatch" => {}
            v => rows.push(row(key, v.to_string(), "config.toml")),
        }
    }
    rows
}

/// The provider variables: keys as set or not, base URLs with their defaults.
fn provider_rows(env: &dyn Fn(&str) -> Option<String>) -> Vec<Row> {
    use crate::llm::{ANTHROPIC_DEFAULT_BASE, OPENAI_DEFAULT_BASE};
    let key = |name: &str| match env(name) {
        Some(_) => row(name, "set (not shown)", "environment"),
        None => row(name, "unset", "environment"),
    };
    let base = |name: &str, default: &str| match env(name) {
        Some(v) => row(name, v, "environment"),
        None => row(name, default, "default"),
    };
    vec![
        key("ANTHROPIC_API_KEY"),
        base("ANTHROPIC_BASE_URL", ANTHROPIC_DEFAULT_BASE),
        key("OPENAI_API_KEY"),
        base("OPENAI_BASE_URL", OPENAI_DEFAULT_BASE),
    ]
}
