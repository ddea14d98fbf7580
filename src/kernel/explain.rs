//! `llmos run GOAL --explain`: what the dispatcher would do with a goal and why, without
//! running anything. Every template the goal reaches (its literal words are all in the
//! goal), how each of its placeholders bound or why not (the value, the shape check, the
//! type check), the exact-goal and near-match lookups, and the decision.

use indexmap::IndexMap;
use serde::Serialize;

use super::{Kernel, KernelError, MIN_RATING, Mode, NO_MATCH, Request};
use crate::db::{LibraryEntry, SnapshotReader};
use crate::dispatch::{BindError, Chosen, Decision, GoalTemplate, Reach, Shape, ValueCheck, Via};
use crate::economy::meter::lock_db;
use crate::value::Value;

/// Everything `--explain` says about a goal.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub goal: String,
    pub mode: &'static str,
    /// Entries in the library.
    pub library: usize,
    /// The entry whose goal is this goal exactly, if any.
    pub exact: Option<u64>,
    /// The templates the goal reaches, in the order they are tried.
    pub candidates: Vec<Candidate>,
    /// Entries the goal reaches that are rated too low to follow.
    pub low_rated: Vec<LowRated>,
    /// The best near match, when the search ran (no template bound, not `--mode
    /// follower`).
    pub nearest: Option<Nearest>,
    pub decision: Verdict,
}

/// One template the goal reaches.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub trace: u64,
    pub template: String,
    pub program: String,
    pub rating: f64,
    /// Whether the goal has the template's literal text around the placeholders.
    pub matches: bool,
    pub values: Vec<Placeholder>,
    /// `bound`, `refused: ...`, `no match: ...` or `not tried: ...`.
    pub outcome: String,
}

/// How one placeholder bound.
#[derive(Clone, Debug, Serialize)]
pub struct Placeholder {
    pub param: String,
    pub value: String,
    pub quoted: bool,
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub type_check: String,
    pub shape: Option<Shape>,
    pub shape_check: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct LowRated {
    pub trace: i64,
    pub template: String,
    pub rating: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Nearest {
    pub trace: u64,
    pub score: f32,
    pub threshold: f32,
}

/// The decision (the dispatcher's, as `req`'s mode carries it out).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum Verdict {
    /// Follow `trace` with `params` (`via`: `exact goal` or `template`).
    Follower {
        trace: u64,
        via: &'static str,
        params: IndexMap<String, Value>,
    },
    /// One LLM call binds `trace`'s params.
    Mixed { trace: u64, score: f32 },
    /// The Learner solves the goal.
    Learner { reason: String },
    /// `--mode follower` and nothing serves the goal.
    Miss { reason: String },
}

impl Kernel {
    /// Explains what `llmos run` would do with `req` (the library as it is now).
    pub fn explain(&self, req: &Request) -> Result<Explanation, KernelError> {
        let reader = {
            let db = lock_db(self.db()?);
            db.catch_up_library().map_err(KernelError::workspace)?;
            match SnapshotReader::open(&self.db_path()) {
                Some(r) => r,
                None => db
                    .library_snapshot()
                    .map_err(KernelError::workspace)?
                    .into_reader(),
            }
        };
        let damaged = |_| KernelError::workspace("the trace library snapshot is damaged");
        let chosen = self.choose(req, &reader).map_err(damaged)?;
        Ok(self.explanation(req, reader.len(), chosen))
    }

    fn explanation(
        &self,
        req: &Request,
        library: usize,
        chosen: Chosen<LibraryEntry>,
    ) -> Explanation {
        let Chosen {
            choice,
            reach,
            nearest,
            threshold,
            ..
        } = chosen;
        let decision = verdict(req.mode, &choice.decision, threshold);
        let bound = match &choice.decision {
            Decision::Follower {
                id,
                via: Via::Template,
                ..
            } => Some(*id),
            _ => None,
        };
        Explanation {
            goal: req.goal.clone(),
            mode: mode_name(req.mode),
            library,
            exact: reach.exact,
            candidates: candidates(&req.goal, &reach, &choice.refused, bound),
            low_rated: reach
                .low_rated
                .iter()
                .map(|e| LowRated {
                    trace: e.id,
                    template: e.goal_template.clone(),
                    rating: e.success_rating,
                })
                .collect(),
            nearest: nearest.map(|(trace, score)| Nearest {
                trace,
                score,
                threshold,
            }),
            decision,
        }
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Auto => "auto",
        Mode::Follower => "follower",
        Mode::Learner => "learner",
    }
}

fn verdict(mode: Mode, decision: &Decision, threshold: f32) -> Verdict {
    match decision {
        _ if mode == Mode::Learner => Verdict::Learner {
            reason: "`--mode learner` always learns".to_owned(),
        },
        Decision::Follower { id, params, via } => Verdict::Follower {
            trace: *id,
            via: match via {
                Via::ExactGoal => "exact goal",
                Via::Template => "template",
            },
            params: params.clone(),
        },
        _ if mode == Mode::Follower => Verdict::Miss {
            reason: NO_MATCH.to_owned(),
        },
        Decision::Mixed { id, score } => Verdict::Mixed {
            trace: *id,
            score: *score,
        },
        Decision::Learner { .. } => Verdict::Learner {
            reason: format!(
                "no template binds and no stored goal is near enough (Mixed from {threshold:.2})"
            ),
        },
    }
}

/// The templates the goal reaches, in the order the dispatcher tries them.
fn candidates(
    goal: &str,
    reach: &Reach<LibraryEntry>,
    refused: &[(u64, BindError)],
    bound: Option<u64>,
) -> Vec<Candidate> {
    let mut order: Vec<(usize, u64, &GoalTemplate)> = reach
        .entries
        .keys()
        .filter_map(|&id| reach.templates.get(id).map(|t| (t.specificity(), id, t)))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    order
        .into_iter()
        .filter_map(|(_, id, t)| {
            let e = reach.entries.get(&id)?;
            let specs = reach.specs(id).unwrap_or_default();
            let report = t.explain(goal, &specs);
            let outcome = match (bound, refused.iter().find(|(r, _)| *r == id)) {
                (Some(b), _) if b == id => "bound".to_owned(),
                (_, Some((_, why))) => format!("refused: {why}"),
                (_, None) if !report.matches => {
                    "no match: the goal does not have this template's literal text".to_owned()
                }
                (Some(b), None) => format!("not tried: trace {b} bound first"),
                (None, None) => match &report.outcome {
                    Ok(_) => "bound".to_owned(),
                    Err(why) => format!("refused: {why}"),
                },
            };
            Some(Candidate {
                trace: id,
                template: e.goal_template.clone(),
                program: e.program_id.clone(),
                rating: e.success_rating,
                matches: report.matches,
                values: report.values.iter().map(placeholder).collect(),
                outcome,
            })
        })
        .collect()
}

fn placeholder(v: &ValueCheck) -> Placeholder {
    fn said(r: &Result<(), impl ToString>) -> String {
        match r {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        }
    }
    Placeholder {
        param: v.param.clone(),
        value: v.text.clone(),
        quoted: v.quoted,
        ty: v.spec.as_ref().map(|s| s.ty.to_string()),
        type_check: said(&v.ty),
        shape: v.spec.as_ref().and_then(|s| s.shape),
        shape_check: match v.spec.as_ref().and_then(|s| s.shape) {
            None => "no shape recorded (a hand-written trace): any value of the type".to_owned(),
            Some(_) => said(&v.shape),
        },
    }
}

/// The explanation as text, for a terminal.
pub fn render(x: &Explanation) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "goal: {}", x.goal);
    let _ = writeln!(
        out,
        "library: {} programs (followed from rating {MIN_RATING})",
        x.library
    );
    match x.exact {
        Some(id) => {
            let _ = writeln!(out, "exact goal: trace {id}");
        }
        None => out.push_str("exact goal: none\n"),
    }
    if x.candidates.is_empty() {
        out.push_str("templates: none has all its literal words in the goal\n");
    }
    for c in &x.candidates {
        let program = c.program.get(..12).unwrap_or(&c.program);
        let _ = writeln!(
            out,
            "template: trace {} `{}` (program {program}, rating {:.2})",
            c.trace, c.template, c.rating
        );
        for v in &c.values {
            let quoted = if v.quoted { " (quoted)" } else { "" };
            let ty = v.ty.as_deref().unwrap_or("?");
            let shape = v.shape.map_or("none".to_owned(), |s| s.describe());
            let _ = writeln!(out, "  {{{}}} = `{}`{quoted}", v.param, v.value);
            let _ = writeln!(out, "    type {ty}: {}", v.type_check);
            let _ = writeln!(out, "    shape {shape}: {}", v.shape_check);
        }
        let _ = writeln!(out, "  {}", c.outcome);
    }
    for l in &x.low_rated {
        let _ = writeln!(
            out,
            "not followed: trace {} `{}` is rated {:.2}",
            l.trace, l.template, l.rating
        );
    }
    if let Some(n) = &x.nearest {
        let _ = writeln!(
            out,
            "nearest goal: trace {} at {:.2} (Mixed from {:.2})",
            n.trace, n.score, n.threshold
        );
    }
    let decision = match &x.decision {
        Verdict::Follower { trace, via, params } => {
            let bound: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}={}", crate::value::to_text(v)))
                .collect();
            format!("follower, trace {trace} by {via} ({})", bound.join(", "))
        }
        Verdict::Mixed { trace, score } => {
            format!("mixed, trace {trace} at {score:.2}: one LLM call binds its params")
        }
        Verdict::Learner { reason } => format!("learner: {reason}"),
        Verdict::Miss { reason } => format!("miss: {reason}"),
    };
    let _ = writeln!(out, "decision: {decision}");
    out
}
