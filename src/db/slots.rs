//! The slot cache: the answer an LLM gave to an `ask` slot, kept by program, slot name,
//! prompt text after interpolation and model, so the same question in the same program
//! is paid for once.
//!
//! The prompt is keyed by its blake3 hash (hex); the answer is stored as canonical JSON.

use rusqlite::{OptionalExtension, params};

use super::{Db, DbError, now_text};
use crate::value::{Value, canonical_json};

/// The slot cache of a workspace database.
pub struct SlotCache<'a> {
    db: &'a Db,
}

impl<'a> SlotCache<'a> {
    pub(super) fn new(db: &'a Db) -> SlotCache<'a> {
        SlotCache { db }
    }

    /// The cached answer for this program, slot, interpolated prompt and model, if any.
    pub fn get(
        &self,
        program_id: &str,
        slot: &str,
        prompt: &str,
        model: &str,
    ) -> Result<Option<Value>, DbError> {
        let text: Option<String> = self
            .db
            .conn()
            .query_row(
                "SELECT answer FROM slot_cache
                 WHERE program_id = ?1 AND slot = ?2 AND prompt_hash = ?3 AND model = ?4",
                params![program_id, slot, prompt_hash(prompt), model],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.db.err("cannot read the slot cache", e))?;
        match text {
            None => Ok(None),
            Some(t) => serde_json::from_str(&t).map(Some).map_err(|e| {
                self.db.invalid(format!(
                    "cached answer of slot `{slot}` in program {program_id} is not JSON: {e}"
                ))
            }),
        }
    }

    /// Stores (or replaces) the answer for this program, slot, interpolated prompt and
    /// model.
    pub fn put(
        &self,
        program_id: &str,
        slot: &str,
        prompt: &str,
        model: &str,
        answer: &Value,
    ) -> Result<(), DbError> {
        self.db
            .conn()
            .execute(
                "INSERT INTO slot_cache (program_id, slot, prompt_hash, model, answer, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (program_id, slot, prompt_hash, model)
                 DO UPDATE SET answer = excluded.answer, created_at = excluded.created_at",
                params![
                    program_id,
                    slot,
                    prompt_hash(prompt),
                    model,
                    canonical_json(answer),
                    now_text()
                ],
            )
            .map_err(|e| self.db.err("cannot write the slot cache", e))?;
        Ok(())
    }

    /// How many answers are cached.
    pub fn count(&self) -> Result<u64, DbError> {
        let n: i64 = self
            .db
            .conn()
            .query_row("SELECT COUNT(*) FROM slot_cache", [], |r| r.get(0))
            .map_err(|e| self.db.err("cannot count the slot cache", e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// The cache key of a prompt: the blake3 hash of its text, in hex.
pub fn prompt_hash(prompt: &str) -> String {
    blake3::hash(prompt.as_bytes()).to_hex().to_string()
}
