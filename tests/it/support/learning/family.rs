//! A family of the learning corpus (`tests/learning/<name>/`): the recording one Learner
//! run made (`recording.yaml`, the real recording format) and the new goals of the same
//! shape with what each must give (`cases.yaml`). The format is documented in
//! `tests/learning/README.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// `cases.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cases {
    /// What the family is about, in a few words (for people: required, never read).
    #[allow(dead_code)]
    pub about: String,
    /// Capabilities the goals need beyond the defaults (`exec`).
    #[serde(default)]
    pub allow: Vec<String>,
    /// The workspace the recording was made in; every goal starts from it too.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    pub goals: Vec<Goal>,
}

/// One new goal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    pub goal: String,
    /// Files added to (or replacing those of) the family's workspace for this goal.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// The exact output (`output` of `llmos run --json`): text, number, list, object.
    #[serde(default)]
    pub output: Option<Value>,
    /// Files the run must leave, with their exact text.
    #[serde(default)]
    pub written: BTreeMap<String, String>,
    /// The answer a loopback LLM gives to the one `ask` slot call a prose program makes
    /// for this new binding (the run must then make exactly one LLM call).
    #[serde(default)]
    pub llm: Option<String>,
    /// Text the one slot prompt must contain (the new data it depends on).
    #[serde(default)]
    pub prompt_contains: Vec<String>,
    /// A negative goal: it means more (or other) than the learned program does, so it
    /// must fail or miss. The text says why.
    #[serde(default)]
    pub refuse: Option<String>,
}

impl Goal {
    pub fn is_negative(&self) -> bool {
        self.refuse.is_some()
    }
}

/// A family as read from its folder.
#[derive(Debug)]
pub struct Family {
    pub name: String,
    pub dir: PathBuf,
    pub cases: Cases,
}

impl Family {
    pub fn recording_path(&self) -> PathBuf {
        self.dir.join("recording.yaml")
    }

    /// The recording, parsed by llmos's own reader.
    pub fn recording(&self) -> llmos::learn::recording::Recording {
        let path = self.recording_path();
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        llmos::learn::recording::parse_recording(&text, &path.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// The corpus folder.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/learning")
}

/// Every family, by name; `LLMOS_LEARNING_FAMILY=a,b` keeps those whose name contains one
/// of the words.
pub fn load_all() -> Vec<Family> {
    let filter: Vec<String> = std::env::var("LLMOS_LEARNING_FAMILY")
        .map(|f| f.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let cases_path = dir.join("cases.yaml");
        let text = std::fs::read_to_string(&cases_path)
            .unwrap_or_else(|e| panic!("{}: {e}", cases_path.display()));
        let cases: Cases = serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", cases_path.display()));
        out.push(Family { name, dir, cases });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Writes `files` under `root`, creating folders.
pub fn write_files(root: &Path, files: &BTreeMap<String, String>) {
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
}

/// Removes everything under `root` except the `.llmos` state folder.
pub fn clear_workspace(root: &Path) {
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == ".llmos") {
            continue;
        }
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
}

/// Two outputs mean the same: numbers by value (`97` is `97.0`, and the text `"97"`
/// prints as the number does), text up to trailing line ends (`head` prints its last
/// line end, a person quoting it leaves it out), the rest structurally.
pub fn same_meaning(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            x.trim_end_matches('\n') == y.trim_end_matches('\n')
        }
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_meaning(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_meaning(v, w)))
        }
        _ => a == b,
    }
}
