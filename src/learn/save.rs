//! Saving a Learner recording: `<state>/recordings/<run id>.yaml`, written atomically.
//!
//! The YAML text comes from `learn::recording::to_yaml`, the one module that speaks YAML.

use std::path::{Path, PathBuf};

use crate::learn::recording::Recording;
use crate::store::write_atomic;

/// The YAML text of a recording.
pub fn to_yaml(rec: &Recording) -> Result<String, String> {
    crate::learn::recording::to_yaml(rec).map_err(|e| e.to_string())
}

/// Writes `rec` to `<dir>/<run_id>.yaml` atomically (creating `dir` if needed) and
/// returns the path. The error names the file.
pub fn save_recording(rec: &Recording, dir: &Path, run_id: &str) -> Result<PathBuf, String> {
    let path = dir.join(format!("{run_id}.yaml"));
    let text = to_yaml(rec).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::create_dir_all(dir)
        .and_then(|()| write_atomic(&path, text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::recording::{FINAL_TOOL, Outcome, RecStep, Usage};
    use indexmap::IndexMap;
    use serde_json::json;

    #[test]
    fn recordings_round_trip_through_yaml() {
        let mut args = IndexMap::new();
        args.insert("path".to_string(), json!("data/a.txt"));
        let mut fin = IndexMap::new();
        fin.insert("text".to_string(), json!("3 words:\n- a\n- b"));
        let rec = Recording {
            llmos_recording: 1,
            goal: "count the words in data/a.txt".into(),
            model: "anthropic:claude-sonnet-4-5".into(),
            started_at: Some("2026-11-25T09:00:00Z".into()),
            usage: Usage {
                input_tokens: 10,
                output_tokens: 2,
                llm_calls: 1,
                cost_micros: 60,
            },
            outcome: Outcome::Success,
            error: None,
            steps: vec![
                RecStep {
                    tool: "fs.read".into(),
                    args,
                    result: Some(json!("a b: c\n'x'")),
                    error: None,
                },
                RecStep {
                    tool: FINAL_TOOL.into(),
                    args: fin,
                    result: None,
                    error: None,
                },
            ],
            extra: Default::default(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = save_recording(&rec, &dir.path().join("recordings"), "run1").unwrap();
        assert!(path.ends_with("recordings/run1.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let back: Recording = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, rec);
    }
}
