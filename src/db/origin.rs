//! Where library entries pulled from a team's remote came from: the record, its
//! publisher and signer, and the remote. `llmos remote push` never re-publishes them (a
//! record is vouched for by whoever signed it, not by whoever pulled it), and `llmos
//! remote status` counts them. Ratings and usage live in `traces` like any entry's.

use rusqlite::{OptionalExtension, Row, params};

use super::{Db, DbError, now_text};

/// The origin of one pulled entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub goal_template: String,
    pub program_id: String,
    /// blake3 of the signed record, 64 hex digits.
    pub record: String,
    pub publisher: String,
    /// `ed25519:...`, or `None` for an unsigned record pulled with `--trust-unsigned`.
    pub signer: Option<String>,
    /// The remote's URL.
    pub remote: String,
    /// RFC 3339, UTC.
    pub pulled_at: String,
}

/// The origins of pulled entries in a workspace database.
pub struct Origins<'a> {
    db: &'a Db,
}

const COLUMNS: &str = "goal_template, program_id, record, publisher, signer, remote, pulled_at";

impl<'a> Origins<'a> {
    pub(super) fn new(db: &'a Db) -> Origins<'a> {
        Origins { db }
    }

    /// Records (or replaces) the origin of an entry; `pulled_at` is now.
    pub fn record(&self, o: &Origin) -> Result<(), DbError> {
        self.db
            .conn()
            .execute(
                &format!(
                    "INSERT OR REPLACE INTO remote_origin ({COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ),
                params![
                    o.goal_template,
                    o.program_id,
                    o.record,
                    o.publisher,
                    o.signer,
                    o.remote,
                    now_text()
                ],
            )
            .map_err(|e| {
                self.db
                    .err("cannot record where a pulled trace came from", e)
            })?;
        Ok(())
    }

    /// The origin of the entry with this goal template and program, if it was pulled.
    pub fn get(&self, goal_template: &str, program_id: &str) -> Result<Option<Origin>, DbError> {
        self.db
            .conn()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM remote_origin
                     WHERE goal_template = ?1 AND program_id = ?2"
                ),
                params![goal_template, program_id],
                row,
            )
            .optional()
            .map_err(|e| self.db.err("cannot read the origins of pulled traces", e))
    }

    /// Every origin, by goal template and program.
    pub fn list(&self) -> Result<Vec<Origin>, DbError> {
        let err = |e| self.db.err("cannot read the origins of pulled traces", e);
        let mut stmt = self
            .db
            .conn()
            .prepare(&format!(
                "SELECT {COLUMNS} FROM remote_origin ORDER BY goal_template, program_id"
            ))
            .map_err(err)?;
        let rows = stmt.query_map([], row).map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }
}

fn row(r: &Row<'_>) -> rusqlite::Result<Origin> {
    Ok(Origin {
        goal_template: r.get(0)?,
        program_id: r.get(1)?,
        record: r.get(2)?,
        publisher: r.get(3)?,
        signer: r.get(4)?,
        remote: r.get(5)?,
        pulled_at: r.get(6)?,
    })
}
