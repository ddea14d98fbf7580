//! Cassettes: the provider exchanges of a run, saved to a file and replayed, so an LLM
//! run can be repeated offline (in a user's CI, in `llmos demo`, in tests).
//!
//! `llmos run ... --record-cassette FILE` records every exchange of the run: the
//! request in canonical form ([`canonical_request`]: provider-neutral, keys sorted,
//! numbers canonical), the reply and its usage. `LLMOS_MODEL=cassette:FILE` (or `model =
//! "cassette:FILE"` in `config.toml`) replays them: each request must equal the next
//! recorded one, and gets its recorded reply. A request that does not fails with a diff
//! of the two, and a request past the end fails too: a replay never makes up a reply.
//! (Requests sent at the same time, such as two `ask` slots the VM runs together, may
//! come in any order: a request equal to a later unused exchange takes that one.)
//!
//! The file is JSON:
//!
//! ```json
//! { "llmos_cassette": 1, "model": "anthropic:claude-sonnet-4-5",
//!   "tools": { "fs.read": { "name": "fs.read", "description": "...", ... }, ... },
//!   "exchanges": [ { "request": { "system": "...", "messages": [...], "tools": ["fs.read", ...],
//!                                 "max_tokens": 4096, "temperature": null },
//!                    "response": { "content": [...], "stop": "tool_use",
//!                                  "usage": { "input_tokens": 2900, "output_tokens": 90 },
//!                                  "model": "..." } } ] }
//! ```
//!
//! Recording is process-wide (one run per process): [`Recording::start`] installs the
//! recorder, every provider reports its replies to [`record`], [`Recording::save`] writes
//! the file. Players are shared per file, so every provider of a process (the Learner,
//! `ask` slots, Mixed binding) moves the same cursor.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{CassetteError, ChatRequest, ChatResponse, LlmError, ModelRef};
use crate::value::{Value, pretty_json};

/// The format version written in `llmos_cassette`.
pub const FORMAT: u32 = 1;

/// The prefix of a model setting that names a cassette: `cassette:FILE`.
pub const PREFIX: &str = "cassette:";

/// A cassette file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tape {
    llmos_cassette: u32,
    /// The model that answered, `provider:model`; none when the run made no LLM call.
    model: Option<String>,
    /// The specs of the tools offered, by name, written once: a request's `tools` lists
    /// their names (a request whose specs differ from these holds its own).
    #[serde(default)]
    tools: BTreeMap<String, Value>,
    exchanges: Vec<Exchange>,
}

/// One request and its reply (with the usage billed).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    request: Value,
    response: ChatResponse,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A request as a cassette holds it: provider-neutral (llmos tool names, the
/// conversation as blocks), so a cassette does not depend on the wire format.
pub fn canonical_request(req: &ChatRequest) -> Value {
    json!({
        "system": req.system,
        "messages": req.messages,
        "tools": req.tools,
        "max_tokens": req.max_tokens,
        "temperature": req.temperature_json(),
    })
}

/// The text two requests are compared by (and diffed in): pretty JSON, keys sorted,
/// numbers canonical.
fn request_text(request: &Value) -> String {
    pretty_json(request) + "\n"
}

/// The path of a `cassette:FILE` model setting.
pub fn path_of(setting: &str) -> Option<&Path> {
    setting
        .trim()
        .strip_prefix(PREFIX)
        .map(|p| Path::new(p.trim()))
}

// ---------------------------------------------------------------------------------
// Replay

/// A cassette being replayed.
#[derive(Debug)]
pub struct Player {
    path: PathBuf,
    model: Option<ModelRef>,
    /// The recorded requests as text, and their replies.
    exchanges: Vec<(String, ChatResponse)>,
    /// Which exchanges have been answered.
    used: Mutex<Vec<bool>>,
}

static PLAYERS: Mutex<Vec<Arc<Player>>> = Mutex::new(Vec::new());

impl Player {
    /// The player of the cassette at `path`, read on first use and shared by every
    /// provider of the process. The error names the file and what is wrong with it.
    pub fn open(path: &Path) -> Result<Arc<Player>, CassetteError> {
        let full = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let mut players = lock(&PLAYERS);
        if let Some(p) = players.iter().find(|p| p.path == full) {
            return Ok(p.clone());
        }
        let player = Arc::new(Player::read(&full)?);
        players.push(player.clone());
        Ok(player)
    }

    fn read(path: &Path) -> Result<Player, CassetteError> {
        let name = || path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CassetteError::Read {
            path: name(),
            reason: e.to_string(),
        })?;
        let tape: Tape = serde_json::from_str(&text).map_err(|e| CassetteError::NotACassette {
            path: name(),
            reason: e.to_string(),
        })?;
        if tape.llmos_cassette != FORMAT {
            return Err(CassetteError::Format {
                path: name(),
                found: tape.llmos_cassette,
                known: FORMAT,
            });
        }
        let model = match &tape.model {
            Some(m) => Some(ModelRef::parse(m).map_err(|e| CassetteError::BadModel {
                path: name(),
                error: Box::new(e),
            })?),
            None => None,
        };
        let mut exchanges = Vec::with_capacity(tape.exchanges.len());
        for (i, mut x) in tape.exchanges.into_iter().enumerate() {
            if let Some(tool) = expand_tools(&mut x.request, &tape.tools) {
                return Err(CassetteError::UnknownTool {
                    path: name(),
                    exchange: i + 1,
                    tool,
                });
            }
            exchanges.push((request_text(&x.request), x.response));
        }
        Ok(Player {
            path: path.to_path_buf(),
            model,
            used: Mutex::new(vec![false; exchanges.len()]),
            exchanges,
        })
    }

    /// The model that answered when the cassette was recorded: prices and the slot cache
    /// go by it. An error when the recorded run made no LLM call.
    pub fn model(&self) -> Result<&ModelRef, CassetteError> {
        self.model.as_ref().ok_or_else(|| CassetteError::NoModel {
            path: self.path.display().to_string(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many exchanges were recorded, and how many have been answered.
    pub fn progress(&self) -> (usize, usize) {
        let used = lock(&self.used).iter().filter(|u| **u).count();
        (self.exchanges.len(), used)
    }

    /// The recorded reply to `req`; an error with a diff when `req` is not the request
    /// recorded next (see the module docs).
    pub fn answer(&self, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let text = request_text(&canonical_request(req));
        let mut used = lock(&self.used);
        let Some(next) = used.iter().position(|u| !u) else {
            return Err(self.error(format!(
                "the run sent request {} but the cassette holds only {}; the request:\n{}",
                self.exchanges.len() + 1,
                self.exchanges.len(),
                excerpt(&text)
            )));
        };
        let found = (next..self.exchanges.len()).find(|&i| !used[i] && self.exchanges[i].0 == text);
        let Some(i) = found else {
            return Err(self.error(format!(
                "request {} of the run is not the one recorded (exchange {} of {}):\n{}",
                used.iter().filter(|u| **u).count() + 1,
                next + 1,
                self.exchanges.len(),
                diff(&self.exchanges[next].0, &text)
            )));
        };
        used[i] = true;
        let response = self.exchanges[i].1.clone();
        if let Some(model) = &self.model {
            record(&model.to_string(), req, &response);
        }
        Ok(response)
    }

    fn error(&self, message: String) -> LlmError {
        LlmError::Cassette {
            message: format!("cassette {}: {message}", self.path.display()),
        }
    }
}

/// A unified diff of two request texts, recorded first.
fn diff(recorded: &str, sent: &str) -> String {
    similar::TextDiff::from_lines(recorded, sent)
        .unified_diff()
        .context_radius(3)
        .header("recorded", "this run")
        .to_string()
}

/// The first 40 lines of a text.
fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= 40 {
        return text.to_owned();
    }
    format!(
        "{}\n... ({} more lines)\n",
        lines[..40].join("\n"),
        lines.len() - 40
    )
}

/// The model a setting names, for the slot cache: the recorded model of a
/// `cassette:FILE` setting (the setting itself when the file cannot be read: the error
/// comes when a reply is needed), any other setting as it is.
pub fn model_name(setting: &str) -> String {
    match path_of(setting).map(Player::open) {
        Some(Ok(player)) => match player.model() {
            Ok(m) => m.to_string(),
            Err(_) => setting.to_owned(),
        },
        _ => setting.to_owned(),
    }
}

/// Replaces the tool names of a request read from a file with the specs they name;
/// gives back the name of a tool that is not in `specs`, if one is not.
fn expand_tools(request: &mut Value, specs: &BTreeMap<String, Value>) -> Option<String> {
    let Some(Value::Array(tools)) = request.get_mut("tools") else {
        return None;
    };
    for tool in tools {
        if let Value::String(name) = tool {
            let Some(spec) = specs.get(name.as_str()) else {
                return Some(name.clone());
            };
            *tool = spec.clone();
        }
    }
    None
}

/// Moves the tool specs of recorded requests into one table, leaving their names: the
/// specs are the bulk of a request and the same in every one.
fn share_tools(exchanges: &mut [Exchange]) -> BTreeMap<String, Value> {
    let mut specs: BTreeMap<String, Value> = BTreeMap::new();
    for x in exchanges {
        let Some(Value::Array(tools)) = x.request.get_mut("tools") else {
            continue;
        };
        let name = |t: &Value| t.get("name").and_then(Value::as_str).map(str::to_owned);
        let shared = tools.iter().all(|t| match name(t) {
            Some(n) => specs.get(&n).is_none_or(|known| known == t),
            None => false,
        });
        if !shared {
            continue;
        }
        for t in tools.iter_mut() {
            let n = name(t).unwrap_or_default();
            specs.entry(n.clone()).or_insert_with(|| t.clone());
            *t = Value::String(n);
        }
    }
    specs
}

// ---------------------------------------------------------------------------------
// Recording

/// The exchanges recorded so far in this process.
#[derive(Debug, Default)]
struct Recorded {
    model: Option<String>,
    exchanges: Vec<Exchange>,
}

static RECORDER: OnceLock<Mutex<Recorded>> = OnceLock::new();

/// Adds an exchange to the process's recording, when one was started; `model` is
/// `provider:model`. Called by every provider after each reply.
pub fn record(model: &str, req: &ChatRequest, response: &ChatResponse) {
    let Some(recorder) = RECORDER.get() else {
        return;
    };
    let mut r = lock(recorder);
    r.model.get_or_insert_with(|| model.to_owned());
    r.exchanges.push(Exchange {
        request: canonical_request(req),
        response: response.clone(),
    });
}

/// The recording of this process's LLM exchanges into a cassette file.
#[derive(Debug)]
pub struct Recording {
    path: PathBuf,
}

impl Recording {
    /// Starts recording every exchange of the process, for [`Recording::save`] to write
    /// to `path`.
    pub fn start(path: &Path) -> Recording {
        RECORDER.get_or_init(Mutex::default);
        Recording {
            path: path.to_path_buf(),
        }
    }

    /// Writes the cassette (atomically) and says what it holds.
    pub fn save(self) -> Result<String, CassetteError> {
        let recorded = RECORDER.get().map(|r| std::mem::take(&mut *lock(r)));
        let mut recorded = recorded.unwrap_or_default();
        let count = recorded.exchanges.len();
        let tape = Tape {
            llmos_cassette: FORMAT,
            model: recorded.model,
            tools: share_tools(&mut recorded.exchanges),
            exchanges: recorded.exchanges,
        };
        let name = self.path.display();
        let failed = |e: &dyn std::fmt::Display| CassetteError::Write {
            path: name.to_string(),
            reason: e.to_string(),
        };
        let text = serde_json::to_string_pretty(&tape).map_err(|e| failed(&e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| failed(&e))?;
        }
        crate::store::write_atomic(&self.path, (text + "\n").as_bytes()).map_err(|e| failed(&e))?;
        let s = if count == 1 { "" } else { "s" };
        Ok(format!("cassette saved: {name} ({count} LLM exchange{s})"))
    }
}
