//! The `[mcp]` table of `config.toml`: the MCP servers whose tools a workspace may call.
//!
//! ```toml
//! [mcp.servers.everything]          # the tools become everything.echo, everything.get_sum, ...
//! command = "node"                  # stdio: a program started in the workspace root ...
//! args = ["server-everything/dist/index.js", "stdio"]
//! env = { LOG_LEVEL = "warn" }      # ... with PATH, HOME, USER, LANG, TERM, SHELL and these
//! effects = ["pure"]                # what its tools may do; `net` when not given
//! timeout = "60s"                   # one call's time limit
//! startup_timeout = "30s"           # starting and listing its tools
//!
//! [mcp.servers.remote]
//! url = "http://127.0.0.1:3001/mcp" # streamable HTTP instead of `command`
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::error::SetupError;
use crate::types::{Effect, EffectSet};

/// A call's time limit when the server's `timeout` does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Starting a server and listing its tools, when `startup_timeout` does not say.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The `[mcp]` table.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpConfig {
    /// Servers by name (the namespace of their tools), in name order.
    #[serde(default)]
    pub servers: BTreeMap<String, ServerConfig>,
}

/// One `[mcp.servers.NAME]` table as written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The program of a stdio server.
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The endpoint of a streamable HTTP server.
    pub url: Option<String>,
    /// What the server's tools may do (effect names); `net` when absent.
    pub effects: Option<Vec<String>>,
    /// One call's time limit, as a duration (`30s`).
    pub timeout: Option<String>,
    /// Starting the server and listing its tools, as a duration.
    pub startup_timeout: Option<String>,
}

/// How a server is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    Stdio {
        command: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
    },
    Http {
        url: String,
    },
}

/// A checked server configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    pub name: String,
    pub transport: Transport,
    pub effects: EffectSet,
    pub timeout: Duration,
    pub startup_timeout: Duration,
}

impl Server {
    /// A short text that changes when the way to reach the server changes: the tool
    /// list cache of another configuration is not used.
    pub fn fingerprint(&self) -> String {
        match &self.transport {
            Transport::Stdio { command, args, env } => {
                let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("stdio {command:?} {args:?} {env:?}")
            }
            Transport::Http { url } => format!("http {url:?}"),
        }
    }
}

impl McpConfig {
    /// The servers, checked; the error names the server and what is wrong.
    pub fn servers(&self) -> Result<Vec<Server>, SetupError> {
        self.servers
            .iter()
            .map(|(name, c)| {
                check(name, c).map_err(|message| SetupError::Config {
                    server: name.clone(),
                    message,
                })
            })
            .collect()
    }
}

/// The server of table `name`, or what is wrong with it (the caller names the table).
fn check(name: &str, c: &ServerConfig) -> Result<Server, String> {
    if !super::names::is_server_name(name) {
        return Err(format!(
            "`{name}` cannot name a server: it becomes the tools' namespace, so it must be \
             an identifier [a-z_][a-z0-9_]* (e.g. `{}`)",
            super::names::to_ident(name).unwrap_or_else(|| "files".into())
        ));
    }
    let transport = match (&c.command, &c.url) {
        (Some(command), None) if !command.trim().is_empty() => Transport::Stdio {
            command: command.clone(),
            args: c.args.clone(),
            env: c.env.clone(),
        },
        (None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("`url = {url:?}` is not an http:// or https:// URL"));
            }
            if !c.args.is_empty() || !c.env.is_empty() {
                return Err("`args` and `env` are for a `command`, not a `url`".into());
            }
            Transport::Http { url: url.clone() }
        }
        (Some(_), Some(_)) => return Err("give either `command` or `url`, not both".into()),
        _ => return Err("give `command` (a stdio server) or `url` (streamable HTTP)".into()),
    };
    let effects = match &c.effects {
        None => EffectSet::single(Effect::Net),
        Some(names) => {
            let mut set = EffectSet::EMPTY;
            for n in names {
                let e = Effect::parse(n).ok_or_else(|| {
                    let known: Vec<&str> = Effect::ALL.iter().map(|e| e.as_str()).collect();
                    format!(
                        "unknown effect `{n}` in `effects` (known: {})",
                        known.join(", ")
                    )
                })?;
                set.insert(e);
            }
            set
        }
    };
    Ok(Server {
        name: name.to_owned(),
        transport,
        effects,
        timeout: duration(c.timeout.as_deref(), "timeout")?.unwrap_or(DEFAULT_TIMEOUT),
        startup_timeout: duration(c.startup_timeout.as_deref(), "startup_timeout")?
            .unwrap_or(DEFAULT_STARTUP_TIMEOUT),
    })
}

fn duration(text: Option<&str>, key: &str) -> Result<Option<Duration>, String> {
    let Some(text) = text else { return Ok(None) };
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("`{key} = {text:?}` is not a duration ({e}); write e.g. \"30s\""))?;
    if d.is_zero() {
        return Err(format!("`{key}` must be longer than 0"));
    }
    Ok(Some(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Server>, String> {
        let c: McpConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.servers().map_err(|e| e.to_string())
    }

    #[test]
    fn stdio_and_http_servers() {
        let s = parse(
            "[servers.b]\nurl = \"http://127.0.0.1:9/mcp\"\n\
             [servers.a]\ncommand = \"node\"\nargs = [\"x.js\"]\neffects = [\"read\", \"write\"]\ntimeout = \"2s\"\n",
        )
        .unwrap();
        assert_eq!(s[0].name, "a");
        assert_eq!(s[0].effects.to_string(), "read, write");
        assert_eq!(s[0].timeout, Duration::from_secs(2));
        assert_eq!(s[1].effects, EffectSet::single(Effect::Net));
        assert_eq!(
            s[1].transport,
            Transport::Http {
                url: "http://127.0.0.1:9/mcp".into()
            }
        );
    }

    #[test]
    fn bad_servers_are_named() {
        for (text, want) in [
            (
                "[servers.Files]\ncommand = \"x\"",
                "`Files` cannot name a server",
            ),
            ("[servers.a]\nargs = []", "give `command`"),
            (
                "[servers.a]\ncommand = \"x\"\nurl = \"http://a\"",
                "not both",
            ),
            ("[servers.a]\nurl = \"ftp://a\"", "not an http"),
            (
                "[servers.a]\ncommand = \"x\"\neffects = [\"fly\"]",
                "unknown effect `fly`",
            ),
            (
                "[servers.a]\ncommand = \"x\"\ntimeout = \"soon\"",
                "not a duration",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
