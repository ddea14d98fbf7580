//! Running a `for`: the body once per element, each element's run a [`Frame`] that goes
//! as far as it can without waiting. A body whose effects are only `pure`, `read`, `net`
//! or `llm` runs up to `jobs` elements at a time; any other runs them one after the other,
//! in order. Either way the value lists the body's values in element order, and when
//! elements fail, the failure reported is the lowest element's (later elements still
//! running are stopped, earlier ones finish). Runs of elements that never wait still
//! yield to the scheduler every [`YIELD_EVERY`] elements, so `--timeout` and Ctrl-C stop
//! them.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use futures::future::abortable;
use futures::stream::FuturesUnordered;

use super::block::{Cx, Fail, Pending, Started, drive};
use super::error::RunErrorKind;
use super::frame::{Frame, Step};
use crate::ir::BlockId;
use crate::value::{Value, kind_of};

/// Elements run without waiting between two yields to the scheduler.
pub const YIELD_EVERY: usize = 1024;

/// A `for` over `list`: the body once per element.
pub(crate) fn run_for<'a>(
    cx: &Arc<Cx<'a>>,
    body: BlockId,
    list: Value,
    locals: Arc<[Value]>,
) -> Started<'a> {
    let items = match list {
        Value::Array(items) => items,
        other => {
            return Started::Done(Err(Fail::new(
                RunErrorKind::Check,
                format!("`for` goes over a list, found {}", kind_of(&other)),
            )));
        }
    };
    let n = items.len();
    let mut out = Vec::with_capacity(n);
    let mut rest = items.into_iter().enumerate();
    while let Some((i, item)) = rest.next() {
        if i > 0 && i % YIELD_EVERY == 0 {
            let later = ForRun {
                cx: cx.clone(),
                body,
                locals,
                n,
            };
            let item = (i, item);
            return Started::Later(Box::pin(later.finish(out, None, Some(item), rest)));
        }
        let mut frame = Frame::new(cx, body, locals.clone(), item);
        match frame.run(cx) {
            Step::Done(v) => out.push(v),
            Step::Fail(f) => return Started::Done(Err(f.at_element(i, n))),
            Step::Wait(p) => {
                let waiting = Box::pin(drive(cx.clone(), frame, p)) as Pending<'a>;
                let later = ForRun {
                    cx: cx.clone(),
                    body,
                    locals,
                    n,
                };
                return Started::Later(Box::pin(later.finish(out, Some((i, waiting)), None, rest)));
            }
        }
    }
    Started::Done(Ok(Value::Array(out)))
}

/// The rest of a `for` that had to wait.
struct ForRun<'a> {
    cx: Arc<Cx<'a>>,
    body: BlockId,
    locals: Arc<[Value]>,
    /// Elements in all.
    n: usize,
}

/// The elements not started yet.
type Rest = std::iter::Enumerate<std::vec::IntoIter<Value>>;

impl<'a> ForRun<'a> {
    /// Runs the elements after `done` (element `waiting.0` is under way, or `next` is
    /// the next to start), concurrently when the body allows it.
    async fn finish(
        self,
        done: Vec<Value>,
        waiting: Option<(usize, Pending<'a>)>,
        next: Option<(usize, Value)>,
        rest: Rest,
    ) -> Result<Value, Fail> {
        let concurrent = self.cx.jobs > 1
            && self
                .cx
                .plan
                .blocks
                .get(self.body.index())
                .is_some_and(|b| b.concurrent);
        let rest = next.into_iter().chain(rest);
        if concurrent {
            self.concurrent(done, waiting, rest).await
        } else {
            self.in_order(done, waiting, rest).await
        }
    }

    /// Starts element `i`: its value at once, or a future.
    fn start(&self, i: usize, item: Value) -> Started<'a> {
        let mut frame = Frame::new(&self.cx, self.body, self.locals.clone(), item);
        match frame.run(&self.cx) {
            Step::Done(v) => Started::Done(Ok(v)),
            Step::Fail(f) => Started::Done(Err(f.at_element(i, self.n))),
            Step::Wait(p) => {
                let n = self.n;
                let f = drive(self.cx.clone(), frame, p);
                Started::Later(Box::pin(
                    async move { f.await.map_err(|e| e.at_element(i, n)) },
                ))
            }
        }
    }

    async fn in_order(
        self,
        mut out: Vec<Value>,
        waiting: Option<(usize, Pending<'a>)>,
        rest: impl Iterator<Item = (usize, Value)>,
    ) -> Result<Value, Fail> {
        match waiting {
            Some((i, p)) => out.push(p.await.map_err(|e| e.at_element(i, self.n))?),
            None => tokio::task::yield_now().await,
        }
        for (i, item) in rest {
            out.push(match self.start(i, item) {
                Started::Done(v) => v?,
                Started::Later(p) => p.await?,
            });
            if (i + 1) % YIELD_EVERY == 0 {
                tokio::task::yield_now().await;
            }
        }
        Ok(Value::Array(out))
    }

    async fn concurrent(
        self,
        done: Vec<Value>,
        waiting: Option<(usize, Pending<'a>)>,
        mut rest: impl Iterator<Item = (usize, Value)>,
    ) -> Result<Value, Fail> {
        let mut values: Vec<Option<Value>> = done.into_iter().map(Some).collect();
        values.resize(self.n, None);
        let mut flights = FuturesUnordered::new();
        let mut handles = BTreeMap::new();
        let mut failure: Option<(usize, Fail)> = None;
        let fly = |i: usize,
                   p: Pending<'a>,
                   flights: &mut FuturesUnordered<_>,
                   handles: &mut BTreeMap<_, _>| {
            let (f, handle) = abortable(p);
            handles.insert(i, handle);
            flights.push(async move { (i, f.await) });
        };
        match waiting {
            Some((i, p)) => {
                let n = self.n;
                fly(
                    i,
                    Box::pin(async move { p.await.map_err(|e| e.at_element(i, n)) }),
                    &mut flights,
                    &mut handles,
                );
            }
            None => tokio::task::yield_now().await,
        }
        let mut since_yield = 0;
        loop {
            while flights.len() < self.cx.jobs && failure.is_none() {
                let Some((i, item)) = rest.next() else { break };
                match self.start(i, item) {
                    Started::Done(Ok(v)) => values[i] = Some(v),
                    Started::Done(Err(f)) => failure = Some((i, f)),
                    Started::Later(p) => fly(i, p, &mut flights, &mut handles),
                }
                since_yield += 1;
                if since_yield == YIELD_EVERY {
                    since_yield = 0;
                    tokio::task::yield_now().await;
                }
            }
            let Some((i, r)) = flights.next().await else {
                break;
            };
            handles.remove(&i);
            match r {
                Ok(Ok(v)) => values[i] = Some(v),
                Ok(Err(f)) => {
                    if failure.as_ref().is_none_or(|(j, _)| i < *j) {
                        // Later elements are stopped; earlier ones may still fail first.
                        for (_, h) in handles.range(i + 1..) {
                            h.abort();
                        }
                        failure = Some((i, f));
                    }
                }
                Err(_aborted) => {}
            }
        }
        if let Some((_, f)) = failure {
            return Err(f);
        }
        Ok(Value::Array(
            values
                .into_iter()
                .map(|v| v.unwrap_or(Value::Null))
                .collect(),
        ))
    }
}
