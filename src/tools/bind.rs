//! Named arguments (as an LLM sends them, a JSON object) to the positional vector a
//! [`Tool`](super::Tool) takes: defaults filled in, every value checked against its
//! declared type.

use serde_json::Map;

use crate::stdlib::ToolDecl;
use crate::types::Type;
use crate::value::{Value, coerce};

/// Binds named arguments to `decl`'s parameters, in declaration order.
///
/// A left-out argument takes its default. A `null` for a parameter that has a default and
/// is not of type `json` counts as left out (models often send `null` for "not given").
/// Each value is checked with [`coerce`] (so `3.0` is accepted for an `int`). Every
/// problem is reported ([`BadArguments`], shown joined with `; `): an unknown argument
/// (with the closest parameter name when one is close), a missing one, or one of the
/// wrong type.
pub fn bind_named(decl: &ToolDecl, args: &Map<String, Value>) -> Result<Vec<Value>, BadArguments> {
    let mut problems = Vec::new();
    for key in args.keys() {
        if decl.param(key).is_none() {
            problems.push(unknown(decl, key));
        }
    }
    let mut out = Vec::with_capacity(decl.params.len());
    for p in &decl.params {
        let given = match args.get(&p.name) {
            Some(Value::Null) if p.default.is_some() && p.ty != Type::Json => None,
            other => other,
        };
        match (given, &p.default) {
            (Some(v), _) => match coerce(v.clone(), &p.ty) {
                Ok(v) => out.push(v),
                Err(why) => problems.push(ArgProblem::WrongType {
                    tool: decl.name.clone(),
                    name: p.name.clone(),
                    why,
                }),
            },
            (None, Some(d)) => out.push(d.clone()),
            (None, None) => problems.push(ArgProblem::Missing {
                tool: decl.name.clone(),
                name: p.name.clone(),
                ty: p.ty.clone(),
            }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(BadArguments(problems))
    }
}

/// Why named arguments do not bind to a tool: every problem, in order (shown joined
/// with `; `, as the Learner sends it back to the model).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct BadArguments(pub Vec<ArgProblem>);

/// One argument that does not bind.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ArgProblem {
    #[error("`{tool}` has no parameter `{key}` ({hint})")]
    Unknown {
        tool: String,
        key: String,
        hint: Hint,
    },
    #[error("missing argument `{name}: {ty}` of `{tool}`")]
    Missing {
        tool: String,
        name: String,
        ty: Type,
    },
    /// `why` is what [`coerce`] said.
    #[error("argument `{name}` of `{tool}`: {why}")]
    WrongType {
        tool: String,
        name: String,
        why: String,
    },
}

/// What an unknown argument's message suggests.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Hint {
    #[error("did you mean `{0}`?")]
    Closest(String),
    #[error("it takes no arguments")]
    NoParams,
    #[error("parameters: {}", .0.join(", "))]
    Params(Vec<String>),
}

fn unknown(decl: &ToolDecl, key: &str) -> ArgProblem {
    let closest = decl
        .params
        .iter()
        .map(|p| (strsim::damerau_levenshtein(&p.name, key), &p.name))
        .filter(|(d, name)| *d <= 2.max(name.len() / 3))
        .min();
    let hint = if let Some((_, name)) = closest {
        Hint::Closest(name.clone())
    } else if decl.params.is_empty() {
        Hint::NoParams
    } else {
        Hint::Params(decl.params.iter().map(|p| p.name.clone()).collect())
    };
    ArgProblem::Unknown {
        tool: decl.name.clone(),
        key: key.to_owned(),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stdlib::ParamDecl;
    use crate::types::EffectSet;
    use serde_json::json;

    fn decl(name: &str, params: &[(&str, Type, Option<Value>)]) -> ToolDecl {
        ToolDecl {
            name: name.to_owned(),
            params: params
                .iter()
                .map(|(n, ty, d)| ParamDecl {
                    name: (*n).to_owned(),
                    ty: ty.clone(),
                    default: d.clone(),
                })
                .collect(),
            ret: Type::Json,
            effects: EffectSet::EMPTY,
            doc: String::new(),
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn split() -> ToolDecl {
        decl(
            "text.split",
            &[
                ("text", Type::Str, None),
                ("sep", Type::Str, Some(json!(" "))),
            ],
        )
    }

    #[test]
    fn fills_defaults_in_declaration_order() {
        let got = bind_named(&split(), &obj(json!({"text": "a b"}))).unwrap();
        assert_eq!(got, vec![json!("a b"), json!(" ")]);
        let got = bind_named(&split(), &obj(json!({"sep": ",", "text": "a,b"}))).unwrap();
        assert_eq!(got, vec![json!("a,b"), json!(",")]);
        // null means "not given" when there is a default
        let got = bind_named(&split(), &obj(json!({"text": "x", "sep": null}))).unwrap();
        assert_eq!(got, vec![json!("x"), json!(" ")]);
    }

    #[test]
    fn coerces_values() {
        let d = decl("time.sleep", &[("ms", Type::Int, None)]);
        assert_eq!(
            bind_named(&d, &obj(json!({"ms": 200.0}))).unwrap(),
            vec![json!(200)]
        );
        let d = decl("x.y", &[("v", Type::Json, None)]);
        assert_eq!(
            bind_named(&d, &obj(json!({"v": null}))).unwrap(),
            vec![json!(null)]
        );
    }

    #[test]
    fn errors_name_the_argument() {
        let e = bind_named(&split(), &obj(json!({})))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "missing argument `text: str` of `text.split`");

        let e = bind_named(&split(), &obj(json!({"text": "a", "spe": ","})))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "`text.split` has no parameter `spe` (did you mean `sep`?)"
        );

        let e = bind_named(&split(), &obj(json!({"text": "a", "zzzzzz": 1})))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "`text.split` has no parameter `zzzzzz` (parameters: text, sep)"
        );

        let e = bind_named(&split(), &obj(json!({"text": 5})))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("argument `text` of `text.split`: expected str, found int"),
            "{e}"
        );

        let d = decl("time.sleep", &[("ms", Type::Int, None)]);
        let e = bind_named(&d, &obj(json!({"ms": 1.5})))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("argument `ms`") && e.contains("expected int"),
            "{e}"
        );

        let d = decl("time.now", &[]);
        let e = bind_named(&d, &obj(json!({"tz": "utc"})))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "`time.now` has no parameter `tz` (it takes no arguments)"
        );
    }

    #[test]
    fn reports_every_problem() {
        let e = bind_named(&split(), &obj(json!({"sep": 1, "extra": true}))).unwrap_err();
        assert!(matches!(
            &e.0[..],
            [
                ArgProblem::Unknown { .. },
                ArgProblem::Missing { .. },
                ArgProblem::WrongType { .. }
            ]
        ));
        let e = e.to_string();
        let parts: Vec<&str> = e.split("; ").collect();
        assert_eq!(parts.len(), 3, "{e}");
        assert!(parts[0].contains("no parameter `extra`"));
        assert!(parts[1].contains("missing argument `text"));
        assert!(parts[2].contains("argument `sep`"));
    }

    #[test]
    fn lists_are_checked_per_element() {
        let d = decl(
            "shell.run",
            &[("argv", Type::List(Box::new(Type::Str)), None)],
        );
        assert_eq!(
            bind_named(&d, &obj(json!({"argv": ["ls"]}))).unwrap(),
            vec![json!(["ls"])]
        );
        assert!(bind_named(&d, &obj(json!({"argv": ["ls", 1]}))).is_err());
        assert!(bind_named(&d, &obj(json!({"argv": "ls"}))).is_err());
    }
}
