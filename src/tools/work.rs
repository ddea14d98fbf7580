//! Tool bodies that may take long run off the scheduler's thread, so that a time limit or
//! a cancellation always finds the scheduler free to notice it.
//!
//! [`offload`] runs a body on a thread of a small pool and hands back a future for the
//! scheduler. When that future is dropped (the step's or the run's time limit, Ctrl-C,
//! SIGTERM, an earlier step failing), the call is *stopped*:
//! - the body is not waited for: a pure body still computing (a regular expression over
//!   a large text) is abandoned, its result thrown away when it ends (and a process that
//!   exits takes it along);
//! - a body that checks [`Work::check`] between chunks of its work gives up at its next
//!   check;
//! - an effect is applied only through [`Work::commit`] (the last one) or
//!   [`Work::apply`] (one of several), which run only if the call was not stopped; a
//!   stop that comes while one runs waits for it. What a body prepared or applied so far
//!   is undone by the undo it registered ([`Work::on_stop`]: removing a temporary file,
//!   cutting a file back to its old length; [`Work::prepare`] makes a thing and
//!   registers its undo in one step), right when the call is stopped, also when
//!   the body has ended but its answer was not taken yet. So once the scheduler has seen
//!   the call stop, nothing of it is left applied, and nothing is applied afterwards;
//!   the one exception is a [`Work::commit`] that ended before the stop came (an
//!   effect that cannot be taken back, such as a rename over the old file).
//!
//! Bodies run at once on the calling thread ([`Work::inline`]) when their input is small:
//! no thread, no future; nothing can stop them, which is fine for work that small.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::{ToolError, ToolFuture, ToolResult};

/// What to run when a call is stopped before its commit: the removal of what it prepared.
pub type Undo = Box<dyn FnOnce() + Send>;

/// Where a call stands.
enum Phase {
    /// Working; the undo to run if stopped now.
    Running(Option<Undo>),
    /// Applying an effect: a stop waits for the end of it. Holds the undo to put back
    /// after an [`Work::apply`] (none after the commit).
    Applying(Option<Undo>),
    /// Committed, or ended without an effect.
    Done,
    /// Stopped before any effect; its undo has run.
    Stopped,
}

/// The shared state of one offloaded call.
struct Job {
    /// Set once stopped: read without the lock by [`Work::check`].
    stopped: AtomicBool,
    phase: Mutex<Phase>,
    changed: Condvar,
}

impl Job {
    fn phase(&self) -> MutexGuard<'_, Phase> {
        // A body that panicked holding the lock leaves a phase that is still valid.
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops the call: runs its undo, or waits for a commit under way to end.
    fn stop(&self) {
        let mut phase = self.phase();
        loop {
            match std::mem::replace(&mut *phase, Phase::Done) {
                Phase::Running(undo) => {
                    *phase = Phase::Stopped;
                    self.stopped.store(true, Ordering::Release);
                    drop(phase);
                    if let Some(undo) = undo {
                        undo();
                    }
                    return;
                }
                applying @ Phase::Applying(_) => {
                    *phase = applying;
                    phase = self
                        .changed
                        .wait(phase)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                done @ (Phase::Done | Phase::Stopped) => {
                    *phase = done;
                    return;
                }
            }
        }
    }
}

/// What a tool body is given to cooperate with stops. See the module docs.
pub struct Work<'a> {
    job: Option<&'a Job>,
}

impl Work<'_> {
    /// For a body run at once on the calling thread: never stopped.
    pub fn inline() -> Work<'static> {
        Work { job: None }
    }

    /// `Err` once the call was stopped: the body should give up (its result would be
    /// thrown away anyway).
    pub fn check(&self) -> Result<(), ToolError> {
        match self.job {
            Some(job) if job.stopped.load(Ordering::Acquire) => Err(stopped()),
            _ => Ok(()),
        }
    }

    /// Registers what to undo if the call is stopped before its commit (replacing any
    /// earlier undo). If it was already stopped, runs `undo` at once and says so.
    pub fn on_stop(&self, undo: Undo) -> Result<(), ToolError> {
        let Some(job) = self.job else {
            return Ok(());
        };
        let mut phase = job.phase();
        if let Phase::Running(slot) = &mut *phase {
            *slot = Some(undo);
            return Ok(());
        }
        drop(phase);
        undo();
        Err(stopped())
    }

    /// Makes what the call must undo if stopped (a temporary file) and registers its undo
    /// in one step, unless the call was stopped (then `Err`, and nothing is made). A stop
    /// either comes first or finds the undo: never a made thing without its undo, even
    /// when the process exits right after the stop.
    pub fn prepare<T, E>(
        &self,
        make: impl FnOnce() -> Result<(T, Undo), E>,
    ) -> Result<Result<T, E>, ToolError> {
        let Some(job) = self.job else {
            return Ok(make().map(|(made, _)| made));
        };
        let mut phase = job.phase();
        if !matches!(*phase, Phase::Running(_)) {
            return Err(stopped());
        }
        Ok(make().map(|(made, undo)| {
            *phase = Phase::Running(Some(undo));
            made
        }))
    }

    /// Applies the call's last effect with `apply`, unless the call was stopped (then
    /// `Err`, and the registered undo has run). A stop arriving meanwhile waits for
    /// `apply`; after it there is nothing to undo.
    pub fn commit<T>(&self, apply: impl FnOnce() -> T) -> Result<T, ToolError> {
        self.applying(apply, false)
    }

    /// Applies one of several effects with `apply`, unless the call was stopped. A stop
    /// arriving meanwhile waits for `apply`, then runs the undo (which must undo this
    /// effect too).
    pub fn apply<T>(&self, apply: impl FnOnce() -> T) -> Result<T, ToolError> {
        self.applying(apply, true)
    }

    fn applying<T>(&self, apply: impl FnOnce() -> T, more: bool) -> Result<T, ToolError> {
        let Some(job) = self.job else {
            return Ok(apply());
        };
        {
            let mut phase = job.phase();
            match std::mem::replace(&mut *phase, Phase::Done) {
                Phase::Running(undo) => *phase = Phase::Applying(undo.filter(|_| more)),
                other => {
                    *phase = other;
                    return Err(stopped());
                }
            }
        }
        let out = apply();
        {
            let mut phase = job.phase();
            *phase = match std::mem::replace(&mut *phase, Phase::Done) {
                Phase::Applying(undo) if more => Phase::Running(undo),
                _ => Phase::Done,
            };
        }
        job.changed.notify_all();
        Ok(out)
    }
}

fn stopped() -> ToolError {
    ToolError::timeout("the call was stopped")
}

/// Stops the call when the future that waits for it is dropped.
struct StopOnDrop(Arc<Job>);

impl StopOnDrop {
    /// The call ended and its answer was taken: a later stop has nothing to undo.
    fn disarm(&self) {
        let mut phase = self.0.phase();
        if let Phase::Running(_) = &*phase {
            *phase = Phase::Done;
        }
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Runs `body` on a worker thread; the future gives its result. Dropping the future
/// stops the call (see the module docs).
pub fn offload(body: impl FnOnce(&Work<'_>) -> ToolResult + Send + 'static) -> ToolFuture {
    let job = Arc::new(Job {
        stopped: AtomicBool::new(false),
        phase: Mutex::new(Phase::Running(None)),
        changed: Condvar::new(),
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let shared = Arc::clone(&job);
    pool::submit(Box::new(move || {
        let result = body(&Work { job: Some(&shared) });
        // Effects applied through `Work::apply` stay undoable until the scheduler has
        // the result: a stop that comes before (the step's time limit firing while the
        // answer is on its way) still undoes them, so a call the run reports as stopped
        // never leaves them behind.
        let _ = tx.send(result);
    }));
    let guard = StopOnDrop(job);
    Box::pin(async move {
        let result = rx.await;
        // The scheduler has the answer: from here on the call's effects are its own.
        guard.disarm();
        drop(guard);
        result.unwrap_or_else(|_| Err(ToolError::failed("the tool stopped without an answer")))
    })
}

/// A few threads kept for tool bodies: a call takes an idle one or starts a new one, so
/// a body that never ends (abandoned after a time limit) holds up nothing else.
mod pool {
    use std::sync::atomic::AtomicU64;

    use super::*;

    type Task = Box<dyn FnOnce() + Send>;

    /// How long an idle thread waits for more work before it ends.
    const IDLE_FOR: Duration = Duration::from_secs(10);

    /// Idle threads, each waiting on its channel, by thread number.
    static IDLE: Mutex<Vec<(u64, mpsc::Sender<Task>)>> = Mutex::new(Vec::new());
    static NEXT: AtomicU64 = AtomicU64::new(0);

    fn idle() -> MutexGuard<'static, Vec<(u64, mpsc::Sender<Task>)>> {
        IDLE.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `task` on an idle thread, or a new one.
    pub(super) fn submit(task: Task) {
        let next = idle().pop();
        if let Some((_, worker)) = next {
            // An idle thread that was taken off the list always receives.
            if let Err(mpsc::SendError(task)) = worker.send(task) {
                task();
            }
            return;
        }
        let first = Arc::new(Mutex::new(Some(task)));
        let theirs = Arc::clone(&first);
        let spawned = std::thread::Builder::new()
            .name("llmos-tool".into())
            .spawn(move || {
                if let Some(task) = take(&theirs) {
                    task();
                }
                serve();
            });
        if spawned.is_err() {
            // No thread to be had: run the task here (it cannot be preempted then).
            if let Some(task) = take(&first) {
                task();
            }
        }
    }

    fn take(slot: &Mutex<Option<Task>>) -> Option<Task> {
        slot.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// An idle thread's life: offer itself, run what comes, end after [`IDLE_FOR`]
    /// without work.
    fn serve() {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel::<Task>();
        loop {
            idle().push((id, tx.clone()));
            let task = match rx.recv_timeout(IDLE_FOR) {
                Ok(task) => task,
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    let mut list = idle();
                    if let Some(i) = list.iter().position(|(w, _)| *w == id) {
                        list.swap_remove(i);
                        return;
                    }
                    drop(list);
                    // Someone took this thread off the list: its task is on the way.
                    match rx.recv() {
                        Ok(task) => task,
                        Err(_) => return,
                    }
                }
            };
            task();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc::channel;

    use super::*;
    use crate::value::Value;

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn an_offloaded_body_answers_through_the_future() {
        let r = block_on(offload(|w| {
            w.check()?;
            w.commit(|| Value::from(7))
        }));
        assert_eq!(r.unwrap(), Value::from(7));
        // many calls reuse the threads and all answer
        let all = block_on(futures::future::join_all(
            (0..50).map(|i| offload(move |_| Ok(Value::from(i)))),
        ));
        let all: Vec<Value> = all.into_iter().map(Result::unwrap).collect();
        assert_eq!(all, (0..50).map(Value::from).collect::<Vec<_>>());
    }

    #[test]
    fn applied_effects_are_undone_when_the_stop_beats_the_answer() {
        // The body applies and ends; its answer is never taken (the step's time limit
        // fired while it was on its way): the run reports the call stopped, so its
        // effect must go.
        let (done_tx, done) = channel();
        let undone = Arc::new(AtomicUsize::new(0));
        let u = Arc::clone(&undone);
        let fut = offload(move |w| {
            w.on_stop(Box::new(move || {
                u.fetch_add(1, Ordering::SeqCst);
            }))?;
            w.apply(|| ())?;
            done_tx.send(()).unwrap();
            Ok(Value::Null)
        });
        done.recv().unwrap();
        // the body has applied and is ending; the answer is not taken
        drop(fut);
        assert_eq!(undone.load(Ordering::SeqCst), 1);
        // an answer that is taken keeps the effect
        let undone = Arc::new(AtomicUsize::new(0));
        let u = Arc::clone(&undone);
        let r = block_on(offload(move |w| {
            w.on_stop(Box::new(move || {
                u.fetch_add(1, Ordering::SeqCst);
            }))?;
            w.apply(|| Value::from(1))
        }));
        assert_eq!(r.unwrap(), Value::from(1));
        assert_eq!(undone.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_dropped_call_never_commits_and_runs_its_undo() {
        let (started_tx, started) = channel();
        let (go_tx, go) = channel::<()>();
        let (done_tx, done) = channel();
        let undone = Arc::new(AtomicUsize::new(0));
        let applied = Arc::new(AtomicUsize::new(0));
        let (u, a) = (Arc::clone(&undone), Arc::clone(&applied));
        let fut = offload(move |w| {
            w.on_stop(Box::new(move || {
                u.fetch_add(1, Ordering::SeqCst);
            }))?;
            started_tx.send(()).unwrap();
            go.recv().unwrap();
            let r = w.check().and_then(|()| {
                w.commit(|| {
                    a.fetch_add(1, Ordering::SeqCst);
                })
            });
            done_tx.send(r.is_err()).unwrap();
            Ok(Value::Null)
        });
        started.recv().unwrap();
        drop(fut);
        // the undo ran when the call was stopped, before the body went on
        assert_eq!(undone.load(Ordering::SeqCst), 1);
        go_tx.send(()).unwrap();
        assert!(done.recv().unwrap(), "the body saw it was stopped");
        assert_eq!(applied.load(Ordering::SeqCst), 0);
        assert_eq!(undone.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn prepared_things_are_undone_by_the_stop_and_none_are_made_after_it() {
        let (made_tx, made) = channel();
        let (go_tx, go) = channel::<()>();
        let (done_tx, done) = channel();
        let undone = Arc::new(AtomicUsize::new(0));
        let (u, u2) = (Arc::clone(&undone), Arc::clone(&undone));
        let fut = offload(move |w| {
            let first = w.prepare(|| {
                Ok::<_, ()>((
                    1,
                    Box::new(move || {
                        u.fetch_add(1, Ordering::SeqCst);
                    }) as Undo,
                ))
            });
            made_tx.send(first.is_ok()).unwrap();
            go.recv().unwrap();
            let second = w.prepare(|| -> Result<((), Undo), ()> {
                unreachable!("nothing is made once the call is stopped")
            });
            drop(u2);
            done_tx.send(second.is_err()).unwrap();
            Ok(Value::Null)
        });
        assert!(made.recv().unwrap());
        drop(fut);
        // the undo registered with the thing ran at the stop, before the body went on
        assert_eq!(undone.load(Ordering::SeqCst), 1);
        go_tx.send(()).unwrap();
        assert!(done.recv().unwrap(), "a stopped call prepares nothing");
        assert_eq!(undone.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_stop_during_a_commit_waits_for_it() {
        let (in_commit_tx, in_commit) = channel();
        let (finish_tx, finish) = channel::<()>();
        let applied = Arc::new(AtomicUsize::new(0));
        let a = Arc::clone(&applied);
        let fut = offload(move |w| {
            w.commit(|| {
                in_commit_tx.send(()).unwrap();
                finish.recv().unwrap();
                a.fetch_add(1, Ordering::SeqCst);
            })?;
            Ok(Value::Null)
        });
        in_commit.recv().unwrap();
        let dropper = std::thread::spawn(move || drop(fut));
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !dropper.is_finished(),
            "the stop did not wait for the commit"
        );
        finish_tx.send(()).unwrap();
        dropper.join().unwrap();
        assert_eq!(applied.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_stop_after_applied_steps_undoes_them() {
        let (applied_tx, applied) = channel();
        let (go_tx, go) = channel::<()>();
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&log);
        let fut = offload(move |w| {
            let undo_log = Arc::clone(&l);
            w.on_stop(Box::new(move || undo_log.lock().unwrap().push("undo")))?;
            w.apply(|| l.lock().unwrap().push("step 1"))?;
            applied_tx.send(()).unwrap();
            go.recv().unwrap();
            let second = w.apply(|| l.lock().unwrap().push("step 2"));
            assert!(second.is_err());
            Ok(Value::Null)
        });
        applied.recv().unwrap();
        drop(fut);
        go_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(*log.lock().unwrap(), ["step 1", "undo"]);
    }

    #[test]
    fn inline_work_is_never_stopped() {
        let w = Work::inline();
        assert!(w.check().is_ok());
        assert!(w.on_stop(Box::new(|| {})).is_ok());
        assert_eq!(w.commit(|| 3).unwrap(), 3);
    }
}
