//! Binding a goal's values to a template's params: each value must have its param's
//! shape (for a learned program, see [`crate::dispatch::shape`]) and convert to its
//! declared type. Among the splits of the goal that fit the template, the first (by the
//! matching rules of [`super`]) whose every value passes is taken.

use indexmap::IndexMap;

use super::GoalTemplate;
use crate::dispatch::shape::{Bound, Shape};
use crate::dispatch::{ShapeMismatch, TypeMismatch};
use crate::types::Type;
use crate::value::{Value, parse_as};

/// What a param accepts from a goal: its declared type and, for a learned program, the
/// shape of the value it was learned from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    pub ty: Type,
    pub shape: Option<Shape>,
}

/// Why a goal could not bind a template's parameters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    #[error("the goal `{goal}` does not match the template `{template}`")]
    NoMatch { goal: String, template: String },
    #[error("goal placeholder `{{{param}}}` has no declared type")]
    Undeclared { param: String },
    #[error("goal parameter `{param}` is {ty}, but the goal gives `{text}`: {message}")]
    Type {
        param: String,
        text: String,
        ty: Type,
        message: String,
    },
    #[error("goal parameter `{param}` takes {}, but the goal gives `{text}`: {why}", shape.describe())]
    Shape {
        param: String,
        text: String,
        shape: Shape,
        why: ShapeMismatch,
    },
}

impl BindError {
    /// Whether the goal gives more than the param learned: several words, or quoted
    /// values, where it took one token (or fewer words, or one quoted value). A goal like
    /// that means more than the program does, so no LLM should bind it to the program
    /// either. A value of another form (`ten` for an int) does not.
    pub fn means_more(&self) -> bool {
        use crate::dispatch::shape::ShapeKind;
        match self {
            BindError::Shape { shape, .. } => {
                shape.quoted
                    || matches!(
                        shape.kind,
                        ShapeKind::Token | ShapeKind::Path | ShapeKind::Phrase { .. }
                    )
            }
            _ => false,
        }
    }
}

/// How one value of a goal fared against its param.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueCheck {
    pub param: String,
    /// The value as bound (quotes stripped when it was one quoted value).
    pub text: String,
    pub quoted: bool,
    pub spec: Option<ParamSpec>,
    /// The shape check: `Ok` when there is no shape or the value has it.
    pub shape: Result<(), ShapeMismatch>,
    /// The type check.
    pub ty: Result<(), TypeMismatch>,
}

/// Everything `llmos run --explain` says about one template: the values of the split the
/// matcher prefers (or of the split that bound) with their checks, and the outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct BindReport {
    /// Whether the goal has the template's literal shape at all.
    pub matches: bool,
    pub values: Vec<ValueCheck>,
    pub outcome: Result<IndexMap<String, Value>, BindError>,
}

impl ParamSpec {
    /// A param known only by its type (a hand-written trace): no shape check.
    pub fn typed(ty: Type) -> ParamSpec {
        ParamSpec { ty, shape: None }
    }

    fn check(&self, param: &str, v: Bound<'_>) -> Result<Value, BindError> {
        if let Some(shape) = &self.shape {
            shape.check(v).map_err(|why| BindError::Shape {
                param: param.to_owned(),
                text: v.text.to_owned(),
                shape: *shape,
                why,
            })?;
        }
        parse_as(v.text, &self.ty).map_err(|message| BindError::Type {
            param: param.to_owned(),
            text: v.text.to_owned(),
            ty: self.ty.clone(),
            message,
        })
    }
}

impl GoalTemplate {
    /// Matches a goal and binds each placeholder to a value of its param's shape and
    /// type. If no split fits, the error names the first value of the preferred split
    /// that fails its shape or type. Only placeholders are bound; other params are the
    /// caller's business.
    pub fn bind(
        &self,
        goal: &str,
        specs: &IndexMap<String, ParamSpec>,
    ) -> Result<IndexMap<String, Value>, BindError> {
        let slots = self.slot_specs(specs)?;
        let found = self.search(goal, &mut |slot, v| {
            slots
                .get(slot)
                .is_some_and(|(name, spec)| spec.check(name, v).is_ok())
        });
        let Some(values) = found else {
            return Err(self.why_not(goal, &slots));
        };
        let mut out = IndexMap::with_capacity(values.len());
        for ((name, spec), v) in slots.iter().zip(values) {
            out.insert((*name).to_owned(), spec.check(name, v)?);
        }
        Ok(out)
    }

    /// [`GoalTemplate::bind`] with types only (no shape checks).
    pub fn bind_typed(
        &self,
        goal: &str,
        types: &IndexMap<String, Type>,
    ) -> Result<IndexMap<String, Value>, BindError> {
        let specs = types
            .iter()
            .map(|(n, t)| (n.clone(), ParamSpec::typed(t.clone())))
            .collect();
        self.bind(goal, &specs)
    }

    /// The binding with the reasons: the values bound, or those of the preferred split
    /// and how each fared.
    pub fn explain(&self, goal: &str, specs: &IndexMap<String, ParamSpec>) -> BindReport {
        let outcome = self.bind(goal, specs);
        let found = match &outcome {
            Ok(_) => self.search(goal, &mut |slot, v| {
                let name = self.names.get(slot);
                match name.and_then(|n| specs.get(n).map(|s| (n, s))) {
                    Some((n, spec)) => spec.check(n, v).is_ok(),
                    None => false,
                }
            }),
            Err(_) => self.search(goal, &mut |_, _| true),
        };
        let matches = found.is_some();
        let values = found
            .unwrap_or_default()
            .into_iter()
            .zip(&self.names)
            .map(|(v, name)| {
                let spec = specs.get(name).cloned();
                let shape = match spec.as_ref().and_then(|s| s.shape) {
                    Some(shape) => shape.check(v),
                    None => Ok(()),
                };
                let ty = match &spec {
                    Some(s) => parse_as(v.text, &s.ty)
                        .map(drop)
                        .map_err(TypeMismatch::Parse),
                    None => Err(TypeMismatch::Undeclared),
                };
                ValueCheck {
                    param: name.clone(),
                    text: v.text.to_owned(),
                    quoted: v.quoted,
                    spec,
                    shape,
                    ty,
                }
            })
            .collect::<Vec<_>>();
        BindReport {
            matches,
            values,
            outcome,
        }
    }

    /// Each placeholder's spec, in slot order.
    fn slot_specs<'s>(
        &'s self,
        specs: &'s IndexMap<String, ParamSpec>,
    ) -> Result<Vec<(&'s str, &'s ParamSpec)>, BindError> {
        self.names
            .iter()
            .map(|name| match specs.get(name) {
                Some(spec) => Ok((name.as_str(), spec)),
                None => Err(BindError::Undeclared {
                    param: name.clone(),
                }),
            })
            .collect()
    }

    /// Why no split fits: the first value of the preferred split that fails, or no match.
    fn why_not(&self, goal: &str, slots: &[(&str, &ParamSpec)]) -> BindError {
        let no_match = BindError::NoMatch {
            goal: goal.to_owned(),
            template: self.source.clone(),
        };
        let Some(values) = self.search(goal, &mut |_, _| true) else {
            return no_match;
        };
        slots
            .iter()
            .zip(values)
            .find_map(|((name, spec), v)| spec.check(name, v).err())
            .unwrap_or(no_match)
    }
}
