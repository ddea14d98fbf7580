//! The trace library, the procedural memory: which stored program solves which shape of
//! goal, how often it was used and how well it did.
//!
//! The success rating starts at 1.0 and after every run moves toward 1 (success) or 0
//! (failure) as a moving average with α = 0.1, as the original design did:
//! `rating = 0.9 * rating + 0.1 * outcome`.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::{Db, DbError, now_text};
use crate::value::{Value, canonical_json};

/// The weight of the newest outcome in the success rating.
pub const RATING_ALPHA: f64 = 0.1;

/// Where a library entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TraceSource {
    /// Compiled from a Learner recording.
    Learned,
    /// Compiled from hand-written `.llt` source.
    Compiled,
    /// Brought in with `llmos traces import`.
    Imported,
}

impl TraceSource {
    /// The stored name: `learned`, `compiled` or `imported`.
    pub fn as_str(self) -> &'static str {
        match self {
            TraceSource::Learned => "learned",
            TraceSource::Compiled => "compiled",
            TraceSource::Imported => "imported",
        }
    }

    /// The source with this stored name.
    pub fn parse(s: &str) -> Option<TraceSource> {
        match s {
            "learned" => Some(TraceSource::Learned),
            "compiled" => Some(TraceSource::Compiled),
            "imported" => Some(TraceSource::Imported),
            _ => None,
        }
    }
}

impl std::fmt::Display for TraceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A new library entry, as given to [`Library::add`].
#[derive(Clone, Debug, PartialEq)]
pub struct NewTrace {
    pub name: String,
    /// The goal with its parameters as `{name}` holes.
    pub goal_template: String,
    /// The stored program: 64 lowercase hex digits.
    pub program_id: String,
    /// The param names and types, as the caller describes them.
    pub params: Value,
    pub source: TraceSource,
    /// What learning the program cost, in micro-dollars.
    pub learn_cost_micros: i64,
}

/// One entry of the trace library.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEntry {
    pub id: i64,
    pub name: String,
    pub goal_template: String,
    pub program_id: String,
    pub params: Value,
    pub source: TraceSource,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub usage_count: u64,
    pub success_rating: f64,
    /// What learning the program cost, in micro-dollars (`learn_cost_usd` for people).
    #[serde(rename = "learn_cost_usd", with = "crate::usage::dollars")]
    pub learn_cost_micros: i64,
}

/// The trace library of a workspace database.
pub struct Library<'a> {
    db: &'a Db,
}

const COLUMNS: &str = "id, name, goal_template, program_id, params, source, created_at, \
                       last_used_at, usage_count, success_rating, learn_cost_micros";

impl<'a> Library<'a> {
    pub(super) fn new(db: &'a Db) -> Library<'a> {
        Library { db }
    }

    /// Adds an entry, or, when the same goal template already maps to the same program,
    /// updates its name, params, source and learning cost (keeping its history). Returns
    /// the entry's id.
    pub fn add(&self, new: &NewTrace) -> Result<i64, DbError> {
        let db = self.db;
        if !is_program_id(&new.program_id) {
            return Err(db.invalid(format!(
                "program id `{}` is not 64 lowercase hex digits",
                new.program_id
            )));
        }
        let cost = new.learn_cost_micros;
        if cost < 0 {
            return Err(db.invalid(format!(
                "learning cost {} is not a valid amount of dollars",
                crate::usage::usd(cost)
            )));
        }
        let id = db
            .conn()
            .query_row(
                "INSERT INTO traces
                   (name, goal_template, program_id, params, source, created_at, learn_cost_micros)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (goal_template, program_id) DO UPDATE SET
                   name = excluded.name, params = excluded.params, source = excluded.source,
                   learn_cost_micros = excluded.learn_cost_micros
                 RETURNING id",
                params![
                    new.name,
                    new.goal_template,
                    new.program_id,
                    canonical_json(&new.params),
                    new.source.as_str(),
                    now_text(),
                    cost
                ],
                |r| r.get(0),
            )
            .map_err(|e| db.err("cannot add to the trace library", e))?;
        self.changed()?;
        Ok(id)
    }

    /// Every entry, by id (the order they were first added).
    pub fn list(&self) -> Result<Vec<TraceEntry>, DbError> {
        self.query(&format!("SELECT {COLUMNS} FROM traces ORDER BY id"), [])
    }

    /// The entry with this id.
    pub fn get(&self, id: i64) -> Result<Option<TraceEntry>, DbError> {
        let row = self
            .db
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM traces WHERE id = ?1"),
                [id],
                raw_row,
            )
            .optional()
            .map_err(|e| self.db.err("cannot read the trace library", e))?;
        row.map(|r| self.entry(r)).transpose()
    }

    /// The entries whose goal template is exactly `template`, by id.
    pub fn find_by_goal_template(&self, template: &str) -> Result<Vec<TraceEntry>, DbError> {
        self.query(
            &format!("SELECT {COLUMNS} FROM traces WHERE goal_template = ?1 ORDER BY id"),
            [template],
        )
    }

    /// Removes the entry with this id; `false` if there was none.
    pub fn remove(&self, id: i64) -> Result<bool, DbError> {
        let n = self
            .db
            .conn()
            .execute("DELETE FROM traces WHERE id = ?1", [id])
            .map_err(|e| self.db.err("cannot remove from the trace library", e))?;
        self.changed()?;
        Ok(n > 0)
    }

    /// Records one run of the entry: usage count up by one, last used now, rating moved
    /// toward 1 on success or 0 on failure (α = 0.1). One statement, so concurrent runs
    /// never lose an update. Returns the updated entry.
    pub fn record_run(&self, id: i64, success: bool) -> Result<TraceEntry, DbError> {
        let outcome = if success { 1.0 } else { 0.0 };
        let row = self
            .db
            .conn()
            .query_row(
                &format!(
                    "UPDATE traces SET usage_count = usage_count + 1, last_used_at = ?1,
                       success_rating = (1.0 - ?2) * success_rating + ?2 * ?3
                     WHERE id = ?4 RETURNING {COLUMNS}"
                ),
                params![now_text(), RATING_ALPHA, outcome, id],
                raw_row,
            )
            .optional()
            .map_err(|e| self.db.err("cannot record a run in the trace library", e))?;
        self.changed()?;
        match row {
            Some(r) => self.entry(r),
            None => Err(DbError::NoSuchTrace {
                path: self.db.path().to_path_buf(),
                id,
            }),
        }
    }

    /// After a change: the library snapshot follows, once the change is committed (inside
    /// a caller's transaction, the caller refreshes after its commit).
    fn changed(&self) -> Result<(), DbError> {
        if self.db.conn().is_autocommit() {
            self.db.refresh_snapshot(false)?;
        }
        Ok(())
    }

    /// The ids of every program the library refers to: the roots of store garbage
    /// collection.
    pub fn referenced_programs(&self) -> Result<BTreeSet<String>, DbError> {
        let mut stmt = self
            .db
            .conn()
            .prepare("SELECT DISTINCT program_id FROM traces")
            .map_err(|e| self.db.err("cannot read the trace library", e))?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.db.err("cannot read the trace library", e))?;
        rows.collect::<Result<BTreeSet<String>, _>>()
            .map_err(|e| self.db.err("cannot read the trace library", e))
    }

    fn query<P: rusqlite::Params>(&self, sql: &str, p: P) -> Result<Vec<TraceEntry>, DbError> {
        let mut stmt = self
            .db
            .conn()
            .prepare(sql)
            .map_err(|e| self.db.err("cannot read the trace library", e))?;
        let rows = stmt
            .query_map(p, raw_row)
            .map_err(|e| self.db.err("cannot read the trace library", e))?;
        let mut out = Vec::new();
        for row in rows {
            let raw = row.map_err(|e| self.db.err("cannot read the trace library", e))?;
            out.push(self.entry(raw)?);
        }
        Ok(out)
    }

    fn entry(&self, r: RawRow) -> Result<TraceEntry, DbError> {
        let params = serde_json::from_str(&r.params).map_err(|e| {
            self.db
                .invalid(format!("params of trace {} are not JSON: {e}", r.id))
        })?;
        let source = TraceSource::parse(&r.source).ok_or_else(|| {
            self.db
                .invalid(format!("trace {} has unknown source `{}`", r.id, r.source))
        })?;
        let usage_count = u64::try_from(r.usage_count).map_err(|_| {
            self.db
                .invalid(format!("trace {} has a negative usage count", r.id))
        })?;
        Ok(TraceEntry {
            id: r.id,
            name: r.name,
            goal_template: r.goal_template,
            program_id: r.program_id,
            params,
            source,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            usage_count,
            success_rating: r.success_rating,
            learn_cost_micros: r.learn_cost_micros,
        })
    }
}

/// A row as stored, before its JSON and names are checked.
struct RawRow {
    id: i64,
    name: String,
    goal_template: String,
    program_id: String,
    params: String,
    source: String,
    created_at: String,
    last_used_at: Option<String>,
    usage_count: i64,
    success_rating: f64,
    learn_cost_micros: i64,
}

fn raw_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: r.get(0)?,
        name: r.get(1)?,
        goal_template: r.get(2)?,
        program_id: r.get(3)?,
        params: r.get(4)?,
        source: r.get(5)?,
        created_at: r.get(6)?,
        last_used_at: r.get(7)?,
        usage_count: r.get(8)?,
        success_rating: r.get(9)?,
        learn_cost_micros: r.get(10)?,
    })
}

/// Whether `s` is a program id: 64 lowercase hex digits.
pub fn is_program_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
