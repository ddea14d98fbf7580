//! Program lineage: which stored program grew from which. When a followed program stops
//! on an `expect` and the Learner then solves the goal, the new recording is merged into
//! the program as the other branch of that guard; the merged program (a new id) records
//! its parent here, and `llmos traces show` prints the chain.

use rusqlite::{OptionalExtension, params};

use super::{Db, DbError, now_text};
use crate::db::is_program_id;

/// Most parents followed when reading a chain (a chain is acyclic by construction: a
/// program's id is the hash of bytes made after its parent existed; the bound guards a
/// damaged database).
const MAX_CHAIN: usize = 64;

/// One link: `program` grew from `parent`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Link {
    pub program: String,
    pub parent: String,
    /// How it grew (`merged a branch at line 7: expect exists == true`).
    pub note: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// The lineage table of a workspace database.
pub struct Lineage<'a> {
    db: &'a Db,
}

impl<'a> Lineage<'a> {
    pub(super) fn new(db: &'a Db) -> Lineage<'a> {
        Lineage { db }
    }

    /// Records that `program` grew from `parent` (replacing what was recorded for it).
    pub fn record(&self, program: &str, parent: &str, note: &str) -> Result<(), DbError> {
        for id in [program, parent] {
            if !is_program_id(id) {
                return Err(self
                    .db
                    .invalid(format!("program id `{id}` is not 64 lowercase hex digits")));
            }
        }
        if program == parent {
            return Err(self
                .db
                .invalid(format!("program {program} cannot be its own parent")));
        }
        self.db
            .conn()
            .execute(
                "INSERT INTO lineage (program_id, parent_program, note, created_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (program_id) DO UPDATE SET
                   parent_program = excluded.parent_program, note = excluded.note,
                   created_at = excluded.created_at",
                params![program, parent, note, now_text()],
            )
            .map_err(|e| self.db.err("cannot record a program's parent", e))?;
        Ok(())
    }

    /// The link from `program` to its parent, if it has one.
    pub fn parent(&self, program: &str) -> Result<Option<Link>, DbError> {
        self.db
            .conn()
            .query_row(
                "SELECT program_id, parent_program, note, created_at FROM lineage
                 WHERE program_id = ?1",
                [program],
                |r| {
                    Ok(Link {
                        program: r.get(0)?,
                        parent: r.get(1)?,
                        note: r.get(2)?,
                        created_at: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.db.err("cannot read the program lineage", e))
    }

    /// The chain from `program` back to its oldest ancestor: its own link first.
    pub fn chain(&self, program: &str) -> Result<Vec<Link>, DbError> {
        let mut out: Vec<Link> = Vec::new();
        let mut at = program.to_owned();
        while out.len() < MAX_CHAIN {
            let Some(link) = self.parent(&at)? else {
                break;
            };
            if out.iter().any(|l| l.program == link.parent) || link.parent == program {
                break;
            }
            at = link.parent.clone();
            out.push(link);
        }
        Ok(out)
    }
}
