//! Successful runs of library entries, counted without opening the database: a Follower
//! run appends one line, `<trace id> <RFC 3339 time>\n`, to `llmos.db-usage`, and the
//! next process that opens the database folds the lines into the library (usage count,
//! last use, and the rating moved toward 1 once per run, exactly as
//! [`Library::record_run`](super::Library::record_run) would have).
//!
//! No line is lost or counted twice, whatever the number of processes:
//! - An appender opens the log for appending, takes a shared lock on it, checks that the
//!   file it holds is still the one named `llmos.db-usage` (a fold renames it away), and
//!   writes its line with one append before it unlocks. If the file was renamed, it opens
//!   the log again.
//! - A fold holds the database's write lock from start to commit. It renames the log to
//!   `llmos.db-usage.<random>.fold`, takes an exclusive lock on that file (which waits
//!   out an appender in the middle of its write), reads it, applies it and records the
//!   file's name in `usage_folded` in one transaction, and removes the file after commit.
//! - A `.fold` file left by a crash is applied by the next fold, unless its name is in
//!   `usage_folded` (the crash came after the commit): then it is only removed. A name
//!   stays in `usage_folded` until its file is gone.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::params;

use super::library::RATING_ALPHA;
use super::snapshot::sibling;
use super::{Db, DbError, now_text};

/// A log past this size is folded by the run that made it so (the next database open
/// would fold it anyway; this bounds the file when nothing opens the database).
pub const FOLD_THRESHOLD_BYTES: u64 = 256 << 10;

/// The usage log of the database at `db_path`.
pub fn usage_path(db_path: &Path) -> PathBuf {
    sibling(db_path, "-usage")
}

/// Appends one successful run of trace `id` to the usage log of the database at
/// `db_path`. Returns the log's size after the write.
pub fn record_success(db_path: &Path, id: i64) -> io::Result<u64> {
    let path = usage_path(db_path);
    let line = format!("{id} {}\n", now_text());
    // Each retry means a fold renamed the log between our open and our lock: rare, and
    // never more than a few times in a row.
    for _ in 0..64 {
        let mut file = OpenOptions::new().append(true).create(true).open(&path)?;
        file.lock_shared()?;
        if !still_named(&file, &path)? {
            continue;
        }
        file.write_all(line.as_bytes())?;
        return Ok(file.metadata()?.len());
    }
    Err(io::Error::other(format!(
        "{}: the usage log kept being renamed",
        path.display()
    )))
}

/// Whether `file` is still the file named `path`.
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(named) => Ok(named.dev() == held.dev() && named.ino() == held.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Elsewhere an open file cannot be renamed, so the one we hold is the named one.
#[cfg(not(unix))]
fn still_named(_: &File, _: &Path) -> io::Result<bool> {
    Ok(true)
}

/// Per trace: runs counted and the latest time.
type Tally = BTreeMap<i64, (u64, String)>;

/// Adds the well-formed lines of `text` to `tally`. A line cut short by a crash is
/// skipped.
fn tally_lines(text: &str, tally: &mut Tally) {
    for line in text.lines() {
        let Some((id, at)) = line.split_once(' ') else {
            continue;
        };
        let (Ok(id), Ok(_)) = (id.parse::<i64>(), at.parse::<jiff::Timestamp>()) else {
            continue;
        };
        let entry = tally.entry(id).or_insert((0, String::new()));
        entry.0 += 1;
        if at > entry.1.as_str() {
            entry.1 = at.to_owned();
        }
    }
}

impl Db {
    /// Folds the usage log (and any `.fold` file a crashed fold left) into the library.
    /// Costs a folder listing when there is nothing to fold.
    pub fn fold_usage(&self) -> Result<(), DbError> {
        let log = usage_path(self.path());
        if !log.exists() && self.fold_leftovers()?.is_empty() {
            return Ok(());
        }
        let io = |path: &Path, doing: &str, source| DbError::Io {
            path: path.to_path_buf(),
            doing: doing.to_owned(),
            source,
        };
        let tx = self.write_tx()?;
        // Listed again under the lock: a fold that held it meanwhile removed its files.
        let leftovers = self.fold_leftovers()?;
        let folded: BTreeSet<String> = {
            let mut stmt = tx
                .prepare("SELECT name FROM usage_folded")
                .map_err(|e| self.err("cannot read the folded usage logs", e))?;
            let names = stmt
                .query_map([], |r| r.get(0))
                .map_err(|e| self.err("cannot read the folded usage logs", e))?;
            names
                .collect::<Result<_, _>>()
                .map_err(|e| self.err("cannot read the folded usage logs", e))?
        };
        let mut tally = Tally::new();
        let mut applied = Vec::new();
        let mut remove = Vec::new();
        for (name, path) in &leftovers {
            if !folded.contains(name) {
                let text = read_locked(path).map_err(|e| io(path, "cannot read", e))?;
                tally_lines(&text, &mut tally);
                applied.push(name.clone());
            }
            remove.push(path.clone());
        }
        let name = format!("{}.{:016x}.fold", file_name(&log), fastrand::u64(..));
        let fold = log.with_file_name(&name);
        match std::fs::rename(&log, &fold) {
            Ok(()) => {
                let text = read_locked(&fold).map_err(|e| io(&fold, "cannot read", e))?;
                tally_lines(&text, &mut tally);
                applied.push(name);
                remove.push(fold);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&log, "cannot rename for folding", e)),
        }
        let fail = |e| self.err("cannot fold the usage log into the trace library", e);
        for (id, (runs, last)) in &tally {
            // n successes move the rating to 1 - (1 - α)^n (1 - rating).
            let keep = (1.0 - RATING_ALPHA).powi(i32::try_from(*runs).unwrap_or(i32::MAX));
            tx.execute(
                "UPDATE traces SET usage_count = usage_count + ?1,
                   last_used_at = max(coalesce(last_used_at, ''), ?2),
                   success_rating = 1.0 - (1.0 - success_rating) * ?3
                 WHERE id = ?4",
                params![*runs as i64, last, keep, id],
            )
            .map_err(fail)?;
        }
        for name in &applied {
            tx.execute("INSERT INTO usage_folded (name) VALUES (?1)", [name])
                .map_err(fail)?;
        }
        // Names whose files were already gone when this fold started can go now.
        let present: BTreeSet<&String> = leftovers.iter().map(|(n, _)| n).collect();
        for name in folded.iter().filter(|n| !present.contains(n)) {
            tx.execute("DELETE FROM usage_folded WHERE name = ?1", [name])
                .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        for path in remove {
            // What is left is removed, or skipped as already folded, by the next fold.
            let _ = std::fs::remove_file(path);
        }
        Ok(())
    }

    /// `.fold` files beside the database, by name.
    fn fold_leftovers(&self) -> Result<Vec<(String, PathBuf)>, DbError> {
        let log = usage_path(self.path());
        let prefix = format!("{}.", file_name(&log));
        let dir = match log.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let entries = std::fs::read_dir(&dir).map_err(|source| DbError::Io {
            path: dir.clone(),
            doing: "cannot list".into(),
            source,
        })?;
        let mut out: Vec<(String, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                (name.starts_with(&prefix) && name.ends_with(".fold")).then(|| (name, e.path()))
            })
            .collect();
        out.sort();
        Ok(out)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The text of a renamed log, once no appender is writing to it.
fn read_locked(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    file.lock()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_runs_keeps_the_latest_time_and_skips_torn_lines() {
        let mut t = Tally::new();
        tally_lines(
            "3 2026-11-25T10:00:00.000Z\n\
             3 2026-11-25T12:00:00.000Z\n\
             4 2026-11-25T11:00:00.000Z\n\
             3 2026-11-25T11:00:00.000Z\n\
             garbage\n\
             5 2026-11-2",
            &mut t,
        );
        assert_eq!(t[&3], (3, "2026-11-25T12:00:00.000Z".to_owned()));
        assert_eq!(t[&4], (1, "2026-11-25T11:00:00.000Z".to_owned()));
        assert!(!t.contains_key(&5));
    }

    /// What a fold that crashed leaves behind: a renamed log applied or not.
    #[test]
    fn a_crashed_folds_file_is_applied_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("llmos.db");
        let db = Db::open(&path).unwrap();
        let new = super::super::NewTrace {
            name: "t".into(),
            goal_template: "t".into(),
            program_id: "a".repeat(64),
            params: serde_json::json!({}),
            source: super::super::TraceSource::Compiled,
            learn_cost_micros: 0,
        };
        let id = db.library().add(&new).unwrap();
        let line = format!("{id} 2026-11-25T10:00:00.000Z\n");
        let uses = |db: &Db| db.library().get(id).unwrap().unwrap().usage_count;

        // Crashed before its commit: the file is applied by the next fold.
        let before = dir.path().join("llmos.db-usage.0000000000000001.fold");
        std::fs::write(&before, line.repeat(2)).unwrap();
        db.fold_usage().unwrap();
        assert_eq!(uses(&db), 2);
        assert!(!before.exists());

        // Crashed after its commit: the name is recorded, so the file is only removed.
        let after = dir.path().join("llmos.db-usage.0000000000000002.fold");
        std::fs::write(&after, line.repeat(5)).unwrap();
        db.conn()
            .execute(
                "INSERT INTO usage_folded (name) VALUES ('llmos.db-usage.0000000000000002.fold')",
                [],
            )
            .unwrap();
        db.fold_usage().unwrap();
        assert_eq!(uses(&db), 2);
        assert!(!after.exists());
        // Its name goes at the fold after its file is gone.
        record_success(&path, id).unwrap();
        db.fold_usage().unwrap();
        let names: i64 = db
            .conn()
            .query_row("SELECT count(*) FROM usage_folded", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            (uses(&db), names),
            (3, 1),
            "only the newest fold's name is left"
        );
    }
}
