//! The kernel: what `llmos run` and `llmos interactive` do with a goal. It ties the
//! stages together: the trace library and goal matching choose a mode, the VM runs a
//! stored program (Follower, or Mixed after one short LLM call binds its params), and the
//! Learner solves what nothing matches, after which its recording is compiled and stored.
//!
//! Dispatch order in `auto` mode: an exact goal, then a goal template whose params bind
//! with their types (Follower); a near match above the threshold (Mixed); else the
//! Learner. Programs whose success rating fell below 0.5 are not followed. A Follower or
//! Mixed run that fails lowers the rating and falls back to the Learner within budget;
//! one that stops at a failed `expect` (the program does not apply to this input) falls
//! back the same way but leaves the rating alone.

mod error;
pub(crate) mod explain;
pub(crate) mod follow;
mod grow;
pub(crate) mod learn;
mod mixed;
mod pick;

use std::time::{Duration, Instant};

use indexmap::IndexMap;

use crate::bytecode::Verified;
use crate::db::{Damaged, LibraryEntry, SnapshotReader};
use crate::dispatch::semantic::DEFAULT_MIXED_THRESHOLD;
use crate::economy::meter::{SharedDb, lock_db};
use crate::host::Host;
use crate::store::{ObjectId, ObjectStore, RunId};
use crate::tools::ToolTable;
use crate::types::{EffectSet, Type};
use crate::usage::Usage;
use crate::value::Value;
use crate::vm::{Cancel, RunInputs};
use crate::workspace::{Config, Workspace};
pub use error::{BindingError, KernelError, LearnerKind};
use pick::Target;

/// The error of a Follower-mode run that no stored program serves.
pub const NO_MATCH: &str = "no stored program matches this goal (`llmos traces ls` lists them; `llmos run GOAL --explain` says why)";

/// Programs rated below this are not followed.
pub const MIN_RATING: f64 = 0.5;

/// How a goal may be run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// A stored program when one matches the goal, else the Learner.
    Auto,
    /// Only a stored program; the LLM only for its `ask` slots.
    Follower,
    /// Always the Learner (an LLM with tools).
    Learner,
}

/// One goal to reach.
#[derive(Clone, Debug)]
pub struct Request {
    pub goal: String,
    pub mode: Mode,
    /// `--set NAME=VALUE`: params and `ask` slots of a followed program.
    pub sets: Vec<(String, String)>,
    /// `--allow`: capabilities beyond the defaults and the config's.
    pub allow: EffectSet,
    /// `--budget`, in micro-dollars.
    pub budget: Option<i64>,
    pub timeout: Option<Duration>,
    pub max_turns: Option<u32>,
    /// `--trust-unsigned`: the team library's lookup may take records not signed by a
    /// trusted key.
    pub trust_unsigned: bool,
}

impl Request {
    /// Everything granted: the defaults, `config.toml` `allow` and `--allow`.
    pub fn granted(&self, config: &Config) -> EffectSet {
        EffectSet::DEFAULT_GRANTED
            .union(config.allowed())
            .union(self.allow)
    }
}

/// What happened to a goal.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// `follower`, `mixed` or `learner`.
    pub mode: &'static str,
    pub program: Option<ObjectId>,
    /// The trace library entry followed or created.
    pub trace: Option<i64>,
    pub output: Option<Value>,
    /// The output's static type (a `str`/`path` prints as text).
    pub output_type: Option<Type>,
    /// What the LLM calls of every mode tried used.
    pub usage: Usage,
    pub duration: Duration,
    /// The run logs written, in order.
    pub run_ids: Vec<String>,
    pub recording: Option<String>,
    pub error: Option<KernelError>,
    /// Remarks for stderr: fallbacks, warnings.
    pub notes: Vec<String>,
    /// Why no stored program served the goal (the run log's `dispatch` event).
    pub dispatch: Option<Value>,
    /// The stored program the goal's run stopped in at a failed `expect`: the Learner's
    /// program grows it a branch.
    pub stopped_at: Option<learn::StoppedAt>,
}

impl Report {
    fn spend(&mut self, usage: Usage) {
        self.usage.add(usage);
    }
}

/// An open workspace: its host (config, database, runtime, models) and program store.
pub struct Kernel {
    pub host: Host,
    pub store: ObjectStore,
    /// Every tool the workspace's programs may call: built-in and MCP.
    pub tools: ToolTable,
}

/// How a Follower run of a stored program ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Followed {
    Done,
    Failed,
    /// An `expect` did not hold: the program does not apply to this input. The
    /// top-level statement it stopped in, when known.
    DoesNotApply(Option<u32>),
}

impl Kernel {
    /// Opens the workspace at `root` (or the current folder), creating `.llmos/` when
    /// needed.
    pub fn open(
        root: Option<&std::path::Path>,
        env: crate::host::Env,
    ) -> Result<Kernel, KernelError> {
        Kernel::new(Host::open(root, env)?)
    }

    /// The kernel of `host`'s workspace, creating `.llmos/` when needed.
    pub fn new(host: Host) -> Result<Kernel, KernelError> {
        let ws = &host.ws;
        ws.ensure_state_dir().map_err(KernelError::workspace)?;
        let store = ws.object_store().map_err(KernelError::workspace)?;
        let tools = crate::mcp::workspace_tools(
            ws,
            &host.config,
            &host.env,
            crate::mcp::Listing::StartMissing(&host),
        )
        .map_err(|e| KernelError::Workspace(format!("{}: {e}", ws.config_path().display())))?;
        for note in &tools.notes {
            eprintln!("{note}");
        }
        Ok(Kernel {
            host,
            store,
            tools: tools.table,
        })
    }

    /// The workspace.
    pub fn ws(&self) -> &Workspace {
        &self.host.ws
    }

    /// The workspace's config.
    pub fn config(&self) -> &Config {
        &self.host.config
    }

    /// The workspace database, opened (and created) on first use.
    pub fn db(&self) -> Result<&SharedDb, KernelError> {
        Ok(self.host.db()?)
    }

    /// Where the database is (whether or not it is open).
    fn db_path(&self) -> std::path::PathBuf {
        self.host.db_path()
    }

    /// Reaches a goal and reports what happened. Never panics; failures are in
    /// `Report::error`.
    pub fn run(&self, req: &Request) -> Report {
        let started = Instant::now();
        let budget_run = RunId::new().to_string();
        let mut report = Report {
            mode: "follower",
            ..Report::default()
        };
        if req.goal.trim().is_empty() {
            report.error = Some(KernelError::EmptyGoal);
            return report;
        }
        if req.mode != Mode::Learner {
            let mut stored = self.try_stored(req, &budget_run, &mut report);
            // Nothing local: the team's library, before the Learner is paid.
            if matches!(stored, Ok(false))
                && req.mode == Mode::Auto
                && crate::remote::lookup::pull_for_goal(self, req, &mut report.notes)
            {
                stored = self.try_stored(req, &budget_run, &mut report);
            }
            match stored {
                Ok(true) => {
                    report.duration = started.elapsed();
                    return report;
                }
                Ok(false) => {}
                Err(e) => {
                    report.error = Some(e);
                    self.log_miss(req, &mut report);
                    report.duration = started.elapsed();
                    return report;
                }
            }
            if req.mode == Mode::Follower {
                report.error.get_or_insert(KernelError::NoMatch);
                self.log_miss(req, &mut report);
                report.duration = started.elapsed();
                return report;
            }
        }
        // The Learner, with what is left of the budget.
        for (name, value) in &req.sets {
            report.notes.push(format!(
                "note: --set {name}={value} binds the params of a stored program; the Learner ignores it"
            ));
        }
        let left = req
            .budget
            .map(|b| b.saturating_sub(report.usage.cost_micros).max(0));
        report.mode = "learner";
        report.error = None;
        let stopped = report.stopped_at.take();
        let dispatch = report.dispatch.take();
        match learn::learn(self, req, &budget_run, left, dispatch, stopped.as_ref()) {
            Ok(l) => {
                report.spend(l.totals);
                report.run_ids.push(l.run_id);
                report.output = l.answer.map(Value::String);
                report.output_type = Some(Type::Str);
                report.recording = l.recording.map(|p| p.display().to_string());
                report.program = l.program.map(|p| p.0);
                report.trace = l.program.map(|p| p.1);
                report.error = l.error;
                report.notes.extend(l.notes);
            }
            Err(e) => report.error = Some(e),
        }
        report.duration = started.elapsed();
        report
    }

    /// A Follower-mode miss leaves a run log saying why: `run_start`, the `dispatch`
    /// event, `run_end`.
    fn log_miss(&self, req: &Request, report: &mut Report) {
        let Some(dispatch) = report.dispatch.take() else {
            return;
        };
        let Ok(log) = crate::store::RunLog::create_new(&self.ws().runs_dir()) else {
            return;
        };
        let run_id = log.id().to_string();
        let sink = crate::learn::events::RunLogSink::new(log, false);
        use crate::learn::events::EventSink;
        sink.emit(serde_json::json!({
            "event": "run_start", "run_id": run_id, "mode": "follower", "goal": req.goal,
        }));
        sink.emit(dispatch);
        sink.emit(serde_json::json!({"event": "run_end", "outcome": "failure",
                "error": report.error.as_ref().map(ToString::to_string)}));
        report.run_ids.push(run_id);
    }

    /// Follower or Mixed: true when a stored program reached the goal. A program that
    /// fails loses rating; in `auto` mode the caller then tries the Learner.
    ///
    /// The library snapshot comes first: when it names a program to follow, the run opens
    /// no database at all (a success is counted in the usage log). Anything else (no
    /// snapshot, a damaged or stale one, a near match, no match) asks the database.
    fn try_stored(
        &self,
        req: &Request,
        budget_run: &str,
        report: &mut Report,
    ) -> Result<bool, KernelError> {
        let first = SnapshotReader::open(&self.db_path());
        let mut first_pick = None;
        let mut damaged = false;
        if let Some(reader) = &first {
            match self.pick(req, reader) {
                Ok(pick) => {
                    if let Some(target) = pick.target.as_ref().filter(|t| !t.mixed)
                        && let Ok(program) = self.load_entry(&target.entry)
                    {
                        report.notes.extend(pick.notes.iter().cloned());
                        return self.run_stored(req, target, program, budget_run, report);
                    }
                    first_pick = Some(pick);
                }
                Err(Damaged) => damaged = true,
            }
        }
        // The database: a snapshot of the current generation, unless the one read is it
        // (then its pick stands: a pick that finds no template may have searched for a
        // near match, which is not done twice).
        let fresh = {
            let db = lock_db(self.db()?);
            match &first {
                Some(s)
                    if !damaged
                        && db.library_generation().map_err(KernelError::workspace)?
                            == s.generation =>
                {
                    None
                }
                _ => {
                    // Missing or damaged: written anew; stale: brought up to date. Either
                    // way the library was just read.
                    let read = db
                        .refresh_snapshot(first.is_none() || damaged)
                        .map_err(KernelError::workspace)?;
                    match read {
                        Some(s) => Some(s.into_reader()),
                        None => Some(
                            db.library_snapshot()
                                .map_err(KernelError::workspace)?
                                .into_reader(),
                        ),
                    }
                }
            }
        };
        let pick = match (&fresh, first_pick) {
            (Some(current), _) => self
                .pick(req, current)
                .map_err(|_| KernelError::workspace("the trace library snapshot is damaged"))?,
            (None, Some(pick)) => pick,
            (None, None) => {
                return Err(KernelError::workspace(
                    "the trace library snapshot vanished",
                ));
            }
        };
        report.notes.extend(pick.notes);
        let Some(target) = pick.target else {
            report.dispatch = pick.miss;
            if req.mode == Mode::Follower {
                return Err(KernelError::NoMatch);
            }
            return Ok(false);
        };
        let program = self.load_entry(&target.entry)?;
        self.run_stored(req, &target, program, budget_run, report)
    }

    /// The id of the entry that the goal would follow in `snapshot` (never a near match
    /// for Mixed mode): the team library's lookup matches a goal exactly as the local
    /// library does.
    pub fn follower_pick(
        &self,
        req: &Request,
        snapshot: &SnapshotReader,
    ) -> Result<Option<i64>, crate::db::Damaged> {
        let pick = self.pick(req, snapshot)?;
        Ok(pick.target.filter(|t| !t.mixed).map(|t| t.entry.id))
    }
    /// Runs a picked program (binding its params first in Mixed mode) and records the
    /// outcome in the library.
    fn run_stored(
        &self,
        req: &Request,
        target: &Target,
        program: Verified,
        budget_run: &str,
        report: &mut Report,
    ) -> Result<bool, KernelError> {
        let entry = &target.entry;
        let id: ObjectId = entry
            .program_id
            .parse()
            .map_err(|e| KernelError::Program(format!("trace {}: {e}", entry.id)))?;
        report.program = Some(id);
        report.trace = Some(entry.id);
        let mut params = target.params.clone();
        if target.mixed {
            report.mode = "mixed";
            let left = req
                .budget
                .map(|b| b.saturating_sub(report.usage.cost_micros).max(0));
            match mixed::bind(
                self,
                &program,
                &entry.goal_template,
                &req.goal,
                budget_run,
                left,
            )
            .map(|b| {
                report.spend(b.usage);
                b.params
            })
            .and_then(|p| pick::check_shapes(&entry.params, p).map_err(KernelError::Binding))
            {
                Ok(p) => params = p,
                Err(why) => {
                    report
                        .notes
                        .push(format!("note: the near program does not fit: {why}"));
                    report.program = None;
                    report.trace = None;
                    return Ok(false);
                }
            }
        }
        let followed = self.follow(req, &program, &id, params, budget_run, report);
        let ok = followed == Followed::Done;
        // A failed `expect` says the program does not apply to this input, not that it
        // is broken: the rating stays as it is.
        if !matches!(followed, Followed::DoesNotApply(_))
            && let Err(e) = self.record_outcome(entry.id, ok)
        {
            report.notes.push(format!("warning: {e}"));
        }
        if !ok && req.mode == Mode::Auto {
            let why = report
                .error
                .take()
                .map(|e| e.to_string())
                .unwrap_or_default();
            let what = match followed {
                Followed::DoesNotApply(step) => {
                    report.stopped_at = step.map(|step| learn::StoppedAt {
                        entry: entry.id,
                        program_id: entry.program_id.clone(),
                        params: entry.params.clone(),
                        step,
                    });
                    "does not apply to this goal"
                }
                _ => "failed",
            };
            report.notes.push(format!(
                "note: the stored program {what} ({why}); learning the goal instead"
            ));
            report.program = None;
            report.trace = None;
        }
        Ok(ok)
    }

    /// Counts a run of library entry `id`: a success in the usage log (folded into the
    /// library by whoever opens the database next, or now when the log has grown large),
    /// a failure straight in the database, where it lowers the rating at once.
    fn record_outcome(&self, id: i64, ok: bool) -> Result<(), KernelError> {
        if ok {
            let size = crate::db::record_success(&self.db_path(), id)
                .map_err(|e| KernelError::Workspace(format!("cannot count the run: {e}")))?;
            if size > crate::db::FOLD_THRESHOLD_BYTES {
                let db = lock_db(self.db()?);
                db.catch_up_library().map_err(KernelError::workspace)?;
            }
            return Ok(());
        }
        lock_db(self.db()?)
            .library()
            .record_run(id, false)
            .map(drop)
            .map_err(KernelError::workspace)
    }

    /// The program of a library entry, from the store.
    fn load_entry(&self, entry: &LibraryEntry) -> Result<Verified, KernelError> {
        let id: ObjectId = entry
            .program_id
            .parse()
            .map_err(|e| KernelError::Program(format!("trace {}: {e}", entry.id)))?;
        self.load(&id)
    }

    fn load(&self, id: &ObjectId) -> Result<Verified, KernelError> {
        let bytes = self
            .store
            .get(id)
            .map_err(|e| KernelError::Program(e.to_string()))?;
        crate::bytecode::decode_with(&bytes, &self.tools)
            .map_err(|e| KernelError::Program(format!("stored program {id}: {e}")))
    }

    /// Runs a stored program with params bound from the goal and `--set`.
    fn follow(
        &self,
        req: &Request,
        program: &Verified,
        id: &ObjectId,
        bound: IndexMap<String, Value>,
        budget_run: &str,
        report: &mut Report,
    ) -> Followed {
        let sets = match crate::vm::Bindings::from_sets(program, &req.sets) {
            Ok(s) => s,
            Err(e) => {
                report.error = Some(KernelError::Run(e));
                return Followed::Failed;
            }
        };
        let params: std::collections::BTreeMap<String, Value> = bound.into_iter().collect();
        let run_id = RunId::new();
        let left = req
            .budget
            .map(|b| b.saturating_sub(report.usage.cost_micros).max(0));
        // A program without `ask` slots needs no database or model to run.
        let resolver = self
            .host
            .slot_resolver(budget_run, left, program.slots.is_empty());
        let inputs = RunInputs {
            program_id: id.to_string(),
            run_id: run_id.clone(),
            params,
            sets,
            granted: req.granted(self.config()),
            jobs: crate::vm::DEFAULT_JOBS,
            timeout: req.timeout,
            step_timeout: None,
            cancel: Cancel::new(),
            tools: self.tools.clone(),
        };
        report.run_ids.push(run_id.to_string());
        match follow::run_program(&self.host, program, inputs, &resolver) {
            Ok(h) => match h.result {
                Ok(out) => {
                    report.spend(out.usage);
                    report.output = out.output;
                    report.output_type = out.output_type;
                    Followed::Done
                }
                Err(e) => {
                    let followed = match e.kind {
                        crate::vm::RunErrorKind::ExpectFailed => Followed::DoesNotApply(e.step),
                        _ => Followed::Failed,
                    };
                    report.error = Some(KernelError::Run(e));
                    followed
                }
            },
            Err(e) => {
                report.error = Some(e);
                Followed::Failed
            }
        }
    }
}

/// The default threshold for Mixed mode, for documentation and the config.
pub const DEFAULT_NEAR_THRESHOLD: f32 = DEFAULT_MIXED_THRESHOLD;
