//! `llmos init [DIR]`: make a folder a workspace: `DIR/.llmos/` with its `objects/`,
//! `runs/` and `recordings/`, and a `config.toml` whose every key is commented out with
//! its default (`config.template.toml`). An existing `config.toml` is kept.

use std::path::{Path, PathBuf};

use super::{CliError, Outcome};
use crate::workspace::{Workspace, discover};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to make a workspace (default: the current folder).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The commented `config.toml` that `init` writes, with the defaults of this build.
pub fn config_template() -> String {
    let mut text = include_str!("config.template.toml").to_owned();
    for (key, value) in defaults() {
        text = text.replace(&format!("{{{key}}}"), &value);
    }
    for limit in crate::limits::Limit::ALL {
        let key = format!("{{limits.{}}}", limit.key());
        text = text.replace(&key, &size_text(limit.default_bytes()));
    }
    let http_timeout = humantime::format_duration(crate::limits::HTTP_TIMEOUT).to_string();
    text.replace("{limits.http_timeout}", &http_timeout)
}

/// The defaults of the settings that have one, by key (`config.template.toml` names
/// them in braces).
pub fn defaults() -> Vec<(&'static str, String)> {
    let call = crate::llm::CallConfig::default();
    let time = |d: std::time::Duration| humantime::format_duration(d).to_string();
    vec![
        (
            "max_tokens",
            crate::learn::learner::DEFAULT_MAX_TOKENS.to_string(),
        ),
        (
            "max_turns",
            crate::learn::learner::DEFAULT_MAX_TURNS.to_string(),
        ),
        ("call_timeout", time(call.call_timeout)),
        ("request_timeout", time(call.timeout)),
        ("connect_timeout", time(call.connect_timeout)),
        ("first_byte_timeout", time(call.first_byte_timeout)),
        ("retry_after_cap", time(call.retry_after_cap)),
        ("max_attempts", call.max_attempts.to_string()),
        ("max_reply_size", size_text(call.max_reply_bytes)),
        (
            "near_threshold",
            crate::kernel::DEFAULT_NEAR_THRESHOLD.to_string(),
        ),
    ]
}

/// A byte count as `config.toml` writes it: `8MiB`, `512KiB` or plain bytes.
pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{}MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{}KiB", b >> 10),
        b => b.to_string(),
    }
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    init(args.dir.as_deref().unwrap_or(Path::new(".")))?;
    Ok(Outcome::Success)
}

/// An I/O error naming what was being done and where.
fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CliError {
    let path = path.to_owned();
    move |source| CliError::Io {
        doing,
        path,
        source,
    }
}

fn init(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    let dir = &std::fs::canonicalize(dir).map_err(io("cannot resolve", dir))?;
    let outer = dir.parent().and_then(discover);
    // The state folder is `<dir>/.llmos` whatever LLMOS_HOME says: init makes this one.
    let ws = Workspace::open(Some(dir), |_| None)?;
    let existed = ws.state_dir.is_dir();
    std::fs::create_dir_all(&ws.state_dir).map_err(io("cannot create", &ws.state_dir))?;
    ws.ensure_state_dir()?;
    let config = ws.config_path();
    let wrote = if config.exists() {
        false
    } else {
        crate::store::write_atomic(&config, config_template().as_bytes())
            .map_err(io("cannot write", &config))?;
        true
    };
    let state = ws.state_dir.display();
    match (existed, wrote) {
        (false, _) => note!("created workspace {state} with a commented config.toml"),
        (true, true) => note!("{state} was already a workspace; wrote a commented config.toml"),
        (true, false) => note!("{state} is already a workspace; its config.toml is kept"),
    }
    if let Some(outer) = outer.filter(|o| !existed && *o != ws.root) {
        note!(
            "note: inside the workspace {}; {} is now a workspace of its own",
            outer.display(),
            ws.root.display()
        );
    }
    if let Some(home) = super::env()
        .var_os(crate::workspace::LLMOS_HOME)
        .filter(|h| !h.is_empty())
    {
        note!(
            "note: LLMOS_HOME is set ({}): llmos uses that state folder, not this one, until it is unset",
            Path::new(&home).display()
        );
    }
    Ok(())
}
