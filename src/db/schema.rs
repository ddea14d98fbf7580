//! The schema and its migrations, keyed by `PRAGMA user_version`.
//!
//! `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`. A migration is never
//! edited once released; a change is a new entry at the end. Each applied migration is
//! logged in `schema_log`, whose primary key would make a second run of the same
//! migration fail loudly.

use super::{Db, DbError, now_text};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const MIGRATIONS: &[&str] = &[
    // 1: ledger, trace library, slot cache.
    "
    CREATE TABLE schema_log (
        version    INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL
    );

    -- The one account: its balance in micro-dollars. A new workspace starts with $10.
    CREATE TABLE account (
        id             INTEGER PRIMARY KEY CHECK (id = 1),
        balance_micros INTEGER NOT NULL
    );
    INSERT INTO account (id, balance_micros) VALUES (1, 10000000);

    -- Every LLM call that was charged.
    CREATE TABLE charges (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        at            TEXT NOT NULL,
        run_id        TEXT NOT NULL,
        model         TEXT NOT NULL,
        input_tokens  INTEGER NOT NULL CHECK (input_tokens >= 0),
        output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
        cost_micros   INTEGER NOT NULL CHECK (cost_micros >= 0)
    );
    CREATE INDEX charges_by_run ON charges (run_id);

    -- Worst-case amounts reserved by calls in flight.
    CREATE TABLE holds (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id        TEXT NOT NULL,
        amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
        created_ms    INTEGER NOT NULL,
        created_at    TEXT NOT NULL
    );
    CREATE INDEX holds_by_run ON holds (run_id);

    -- The trace library (procedural memory).
    CREATE TABLE traces (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        name              TEXT NOT NULL,
        goal_template     TEXT NOT NULL,
        program_id        TEXT NOT NULL,
        params            TEXT NOT NULL,
        source            TEXT NOT NULL CHECK (source IN ('learned', 'compiled', 'imported')),
        created_at        TEXT NOT NULL,
        last_used_at      TEXT,
        usage_count       INTEGER NOT NULL DEFAULT 0,
        success_rating    REAL NOT NULL DEFAULT 1.0,
        learn_cost_micros INTEGER NOT NULL DEFAULT 0,
        UNIQUE (goal_template, program_id)
    );

    -- Answers of `ask` slots by program, slot, interpolated prompt and model.
    CREATE TABLE slot_cache (
        program_id  TEXT NOT NULL,
        slot        TEXT NOT NULL,
        prompt_hash TEXT NOT NULL,
        model       TEXT NOT NULL,
        answer      TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (program_id, slot, prompt_hash, model)
    );
    ",
    // 2: the library generation and the usage log (see snapshot.rs and usage.rs).
    "
    -- Counters kept by the database itself.
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    -- Bumped by every change to what the library snapshot holds, so a snapshot built from
    -- an older generation is known to be stale.
    INSERT INTO meta (key, value) VALUES ('library_generation', 1);
    CREATE TRIGGER traces_insert_generation AFTER INSERT ON traces BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'library_generation';
    END;
    CREATE TRIGGER traces_delete_generation AFTER DELETE ON traces BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'library_generation';
    END;
    CREATE TRIGGER traces_update_generation
    AFTER UPDATE OF goal_template, program_id, params, success_rating ON traces
    WHEN new.goal_template IS NOT old.goal_template OR new.program_id IS NOT old.program_id
      OR new.params IS NOT old.params OR new.success_rating IS NOT old.success_rating
    BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'library_generation';
    END;

    -- Usage log files already folded into the library (kept until the file is gone), so
    -- a fold that crashed after its commit is never applied twice.
    CREATE TABLE usage_folded (
        name TEXT PRIMARY KEY
    );
    ",
    // 3: program lineage (see lineage.rs).
    "
    -- A program that grew from another: a branch merged in where the parent stopped on
    -- an `expect`.
    CREATE TABLE lineage (
        program_id     TEXT PRIMARY KEY,
        parent_program TEXT NOT NULL,
        note           TEXT NOT NULL,
        created_at     TEXT NOT NULL
    );
    ",
    // 4: where traces pulled from a team's remote came from (see origin.rs).
    "
    CREATE TABLE remote_origin (
        goal_template TEXT NOT NULL,
        program_id    TEXT NOT NULL,
        record        TEXT NOT NULL,
        publisher     TEXT NOT NULL,
        signer        TEXT,
        remote        TEXT NOT NULL,
        pulled_at     TEXT NOT NULL,
        PRIMARY KEY (goal_template, program_id)
    );
    ",
    // 5: the budget as a hard cap (see ledger.rs and holds.rs).
    "
    -- Who took a hold, so a hold whose process died is charged, not dropped.
    ALTER TABLE holds ADD COLUMN model TEXT NOT NULL DEFAULT '';
    ALTER TABLE holds ADD COLUMN pid INTEGER;
    ALTER TABLE holds ADD COLUMN pid_start INTEGER;
    -- 'call' for a reply, 'expired_hold' for the hold of a process that died (hold_id).
    ALTER TABLE charges ADD COLUMN kind TEXT NOT NULL DEFAULT 'call';
    ALTER TABLE charges ADD COLUMN hold_id INTEGER;
    CREATE INDEX charges_by_hold ON charges (hold_id) WHERE hold_id IS NOT NULL;
    -- Replies that cost more than their hold: what the provider reported, what it cost,
    -- what the balance could pay.
    CREATE TABLE overruns (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        at              TEXT NOT NULL,
        run_id          TEXT NOT NULL,
        model           TEXT NOT NULL,
        provider        TEXT NOT NULL,
        input_tokens    INTEGER NOT NULL CHECK (input_tokens >= 0),
        output_tokens   INTEGER NOT NULL CHECK (output_tokens >= 0),
        reserved_micros INTEGER NOT NULL,
        cost_micros     INTEGER NOT NULL,
        charged_micros  INTEGER NOT NULL
    );
    ",
];

/// Brings the schema of `db` up to [`SCHEMA_VERSION`].
pub(super) fn migrate(db: &Db) -> Result<(), DbError> {
    // Cheap check first, so an up-to-date file never takes the write lock here.
    let current = db.schema_version()?;
    check_not_newer(db, current)?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    // Another process may be migrating the same file: take the write lock, then read the
    // version again; whoever comes second finds nothing left to do.
    let tx = db.write_tx()?;
    let current: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| db.err("cannot read the schema version", e))?;
    check_not_newer(db, current)?;
    let start = usize::try_from(current).unwrap_or(0);
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        let version = index as i64 + 1;
        tx.execute_batch(sql)
            .map_err(|e| db.err(&format!("migration to schema version {version} failed"), e))?;
        tx.execute(
            "INSERT INTO schema_log (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, now_text()],
        )
        .map_err(|e| db.err("cannot log the migration", e))?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(|e| db.err("cannot set the schema version", e))?;
    tx.commit()
        .map_err(|e| db.err("cannot commit the migration", e))
}

fn check_not_newer(db: &Db, found: i64) -> Result<(), DbError> {
    if found < 0 {
        return Err(db.invalid(format!("schema version {found} is not valid")));
    }
    if found > SCHEMA_VERSION {
        return Err(DbError::TooNew {
            path: db.path().to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}
