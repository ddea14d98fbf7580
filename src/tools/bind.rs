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
/// problem is reported, joined with `; `: an unknown argument (with the closest parameter
/// name when one is close), a missing one, or one of the wrong type.
pub fn bind_named(decl: &ToolDecl, args: &Map<String, Value>) -> Result<Vec<Value>, String> {
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
                Err(e) => problems.push(format!("argument `{}` of `{}`: {e}", p.name, decl.name)),
            },
            (None, Some(d)) => out.push(d.clone()),
            (None, None) => problems.push(format!(
                "missing argument `{}: {}` of `{}`",
                p.name, p.ty, decl.name
            )),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.join("; "))
    }
}

fn unknown(decl: &ToolDecl, key: &str) -> String {
    let mut msg = format!("`{}` has no parameter `{key}`", decl.name);
    let closest = decl
        .params
        .iter()
        .map(|p| (strsim::damerau_levenshtein(&p.name, key), &p.name))
        .filter(|(d, name)| *d <= 2.max(name.len() / 3))
        .min();
    if let Some((_, name)) = closest {
        msg.push_str(&format!(" (did you mean `{name}`?)"));
    } else if decl.params.is_empty() {
        msg.push_str(" (it takes no arguments)");
    } else {
        let names: Vec<&str> = decl.params.iter().map(|p| p.name.as_str()).collect();
        msg.push_str(&format!(" (parameters: {})", names.join(", ")));
    }
    msg
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
        let e = bind_named(&split(), &obj(json!({}))).unwrap_err();
        assert_eq!(e, "missing argument `text: str` of `text.split`");

        let e = bind_named(&split(), &obj(json!({"text": "a", "spe": ","}))).unwrap_err();
        assert_eq!(
            e,
            "`text.split` has no parameter `spe` (did you mean `sep`?)"
        );

        let e = bind_named(&split(), &obj(json!({"text": "a", "zzzzzz": 1}))).unwrap_err();
        assert_eq!(
            e,
            "`text.split` has no parameter `zzzzzz` (parameters: text, sep)"
        );

        let e = bind_named(&split(), &obj(json!({"text": 5}))).unwrap_err();
        assert!(
            e.starts_with("argument `text` of `text.split`: expected str, found int"),
            "{e}"
        );

        let d = decl("time.sleep", &[("ms", Type::Int, None)]);
        let e = bind_named(&d, &obj(json!({"ms": 1.5}))).unwrap_err();
        assert!(
            e.contains("argument `ms`") && e.contains("expected int"),
            "{e}"
        );

        let d = decl("time.now", &[]);
        let e = bind_named(&d, &obj(json!({"tz": "utc"}))).unwrap_err();
        assert_eq!(
            e,
            "`time.now` has no parameter `tz` (it takes no arguments)"
        );
    }

    #[test]
    fn reports_every_problem() {
        let e = bind_named(&split(), &obj(json!({"sep": 1, "extra": true}))).unwrap_err();
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
