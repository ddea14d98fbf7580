//! Run logs: one JSON Lines file per run, `runs/<run id>.jsonl`, one event per line.
//! Each line is written whole and flushed to the OS at once, so a crash keeps every line
//! written before it; a line cut off by a crash is reported with its number when read.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::StoreError;
use super::atomic::sync_dir;

/// The file-name suffix of a run log.
const LOG_SUFFIX: &str = ".jsonl";

/// A run's id: its UTC start time to the millisecond and 32 random bits, e.g.
/// `20261125T185300123Z-0a1b2c3d`. Sorting ids sorts runs by start time; the random part
/// keeps ids of runs started in the same millisecond by other processes apart.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(String);

impl RunId {
    /// A fresh id for a run starting now.
    pub fn new() -> RunId {
        let t = jiff::Timestamp::now().to_zoned_datetime(TimeZone::UTC);
        RunId(format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}{:03}Z-{:08x}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond(),
            fastrand::u32(..)
        ))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RunId {
    fn default() -> RunId {
        RunId::new()
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RunId({})", self.0)
    }
}

impl FromStr for RunId {
    type Err = StoreError;

    /// Parses `YYYYMMDDTHHMMSSmmmZ-xxxxxxxx` (a real UTC date and time, 8 lowercase hex).
    fn from_str(text: &str) -> Result<RunId, StoreError> {
        let bad = || StoreError::BadRunId {
            text: text.to_string(),
        };
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| -> Option<i32> {
            let s = text.get(r)?;
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        let shape_ok = b.len() == 28
            && b.get(8) == Some(&b'T')
            && b.get(18) == Some(&b'Z')
            && b.get(19) == Some(&b'-')
            && text.get(20..).is_some_and(|h| {
                h.bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
            });
        if !shape_ok {
            return Err(bad());
        }
        let field = |r| digits(r).ok_or_else(bad);
        let (y, mo, d) = (field(0..4)?, field(4..6)?, field(6..8)?);
        let (h, mi, s, ms) = (
            field(9..11)?,
            field(11..13)?,
            field(13..15)?,
            field(15..18)?,
        );
        // Every field has at most 4 digits, so the narrowing casts cannot wrap.
        jiff::civil::DateTime::new(
            y as i16,
            mo as i8,
            d as i8,
            h as i8,
            mi as i8,
            s as i8,
            ms * 1_000_000,
        )
        .map_err(|_| bad())?;
        Ok(RunId(text.to_string()))
    }
}

impl Serialize for RunId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RunId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RunId, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// An open run log, appended to as the run goes.
#[derive(Debug)]
pub struct RunLog {
    id: RunId,
    path: PathBuf,
    file: File,
}

impl RunLog {
    /// Where the log of run `id` lives in `runs_dir`.
    pub fn path_of(runs_dir: &Path, id: &RunId) -> PathBuf {
        runs_dir.join(format!("{id}{LOG_SUFFIX}"))
    }

    /// Creates the log of run `id` in `runs_dir` (created if needed). Fails if that run's
    /// log already exists. The folder is not synced: a log is a record, not state, and a
    /// crash right after a run may lose its file; [`RunLog::sync`] makes it durable.
    pub fn create(runs_dir: &Path, id: &RunId) -> Result<RunLog, StoreError> {
        fs::create_dir_all(runs_dir).map_err(|e| StoreError::io("creating", runs_dir, e))?;
        let path = Self::path_of(runs_dir, id);
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| StoreError::io("creating", &path, e))?;
        Ok(RunLog {
            id: id.clone(),
            path,
            file,
        })
    }

    /// Creates the log of a new run with a fresh id, drawing again in the unlikely case
    /// that another process took the same id.
    pub fn create_new(runs_dir: &Path) -> Result<RunLog, StoreError> {
        let mut attempts = 0;
        loop {
            match RunLog::create(runs_dir, &RunId::new()) {
                Err(StoreError::Io { source, .. })
                    if source.kind() == io::ErrorKind::AlreadyExists && attempts < 8 =>
                {
                    attempts += 1;
                }
                other => return other,
            }
        }
    }

    /// This run's id.
    pub fn id(&self) -> &RunId {
        &self.id
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event as one line, written in a single call and flushed.
    pub fn append(&mut self, event: &Value) -> Result<(), StoreError> {
        let mut line = serde_json::to_vec(event).map_err(|e| {
            StoreError::io("encoding an event for", &self.path, io::Error::other(e))
        })?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .map_err(|e| StoreError::io("appending to", &self.path, e))
    }

    /// Forces every appended line to disk (for the end of a run).
    pub fn sync(&self) -> Result<(), StoreError> {
        self.file
            .sync_all()
            .map_err(|e| StoreError::io("syncing", &self.path, e))?;
        match self.path.parent() {
            Some(dir) => sync_dir(dir).map_err(|e| StoreError::io("syncing", dir, e)),
            None => Ok(()),
        }
    }

    /// Reads every event of a run log. A line that is not JSON, or a last line without
    /// its newline (cut off by a crash), is `BadRecord` naming the line. Blank lines are
    /// skipped.
    pub fn read(path: &Path) -> Result<Vec<Value>, StoreError> {
        let bytes = fs::read(path).map_err(|e| StoreError::io("reading", path, e))?;
        let mut events = Vec::new();
        let mut rest = bytes.as_slice();
        let mut line_no = 0;
        while !rest.is_empty() {
            line_no += 1;
            let bad = |message: String| StoreError::BadRecord {
                path: path.to_path_buf(),
                line: line_no,
                message,
            };
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                return Err(bad(
                    "the line is incomplete (no newline): the run was cut off while writing"
                        .to_string(),
                ));
            };
            let (line, after) = rest.split_at(end);
            rest = after.get(1..).unwrap_or_default();
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            events.push(serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?);
        }
        Ok(events)
    }
}

/// The ids of every run logged in `runs_dir`, oldest first (none if it does not exist).
/// Files that are not run logs are ignored.
pub fn list_runs(runs_dir: &Path) -> Result<Vec<RunId>, StoreError> {
    let entries = match fs::read_dir(runs_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("listing", runs_dir, e)),
    };
    let mut ids = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("listing", runs_dir, e))?;
        let name = entry.file_name();
        let id = name
            .to_str()
            .and_then(|n| n.strip_suffix(LOG_SUFFIX))
            .and_then(|stem| stem.parse::<RunId>().ok());
        if let Some(id) = id {
            ids.push(id);
        }
    }
    ids.sort();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_parse_back() {
        let id = RunId::new();
        assert_eq!(id.as_str().len(), 28);
        assert_eq!(id.to_string().parse::<RunId>().unwrap(), id);
    }

    #[test]
    fn bad_ids_are_refused() {
        for text in [
            "",
            "20261125T185300123Z-0a1b2c3",
            "20261125T185300123Z-0A1B2C3D",
            "20261325T185300123Z-0a1b2c3d",
            "20261125T245300123Z-0a1b2c3d",
            "20261125X185300123Z-0a1b2c3d",
            "2026112+T185300123Z-0a1b2c3d",
            "20261125T185300123Z-0a1b2c3dé",
        ] {
            assert!(text.parse::<RunId>().is_err(), "{text}");
        }
        assert!("20261125T185300123Z-0a1b2c3d".parse::<RunId>().is_ok());
    }
}
