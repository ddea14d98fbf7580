//! The tool list cache: what each MCP server listed, in `<state>/mcp/<server>.json`, so
//! `llmos check`, `llmos tools` and the compiler know a server's tools without starting
//! it. `llmos mcp refresh` rewrites it; a run that starts a server rewrites its entry
//! when the list changed. An entry made for another configuration of the server (another
//! command, arguments or URL) is not used.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::client::RemoteTool;
use super::config::Server;
use super::error::SetupError;

/// One server's cached list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// [`Server::fingerprint`] of the configuration that listed it.
    pub fingerprint: String,
    /// When it was listed (RFC 3339).
    pub listed_at: String,
    pub tools: Vec<RemoteTool>,
}

/// `<state>/mcp/<server>.json`.
pub fn path(state_dir: &Path, server: &str) -> PathBuf {
    state_dir.join("mcp").join(format!("{server}.json"))
}

/// The cached tools of `server`, if there is an entry for its configuration. A damaged
/// file counts as none.
pub fn read(state_dir: &Path, server: &Server) -> Option<Vec<RemoteTool>> {
    let text = std::fs::read_to_string(path(state_dir, &server.name)).ok()?;
    let entry: Entry = serde_json::from_str(&text).ok()?;
    (entry.fingerprint == server.fingerprint()).then_some(entry.tools)
}

/// Writes the list of `server` (atomically), unless the entry already says the same.
pub fn write(state_dir: &Path, server: &Server, tools: &[RemoteTool]) -> Result<(), SetupError> {
    if read(state_dir, server).as_deref() == Some(tools) {
        return Ok(());
    }
    let entry = Entry {
        fingerprint: server.fingerprint(),
        listed_at: format!("{:.0}", jiff::Timestamp::now()),
        tools: tools.to_vec(),
    };
    let file = path(state_dir, &server.name);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| SetupError::Cache(format!("creating {}: {e}", dir.display())))?;
    }
    let text =
        serde_json::to_string_pretty(&entry).map_err(|e| SetupError::Cache(e.to_string()))? + "\n";
    crate::store::write_atomic(&file, text.as_bytes())
        .map_err(|e| SetupError::Cache(format!("writing {}: {e}", file.display())))
}
