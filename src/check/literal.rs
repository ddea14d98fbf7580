//! Literal expressions as values: defaults of params and tool parameters.

use crate::syntax::ast::{Expr, ExprKind};
use crate::types::Type;
use crate::value::Value;

/// The value of a literal expression (strings without interpolation, numbers, booleans,
/// null, and lists and objects of those); `None` for anything else.
pub fn const_value(e: &Expr) -> Option<Value> {
    Some(match &e.kind {
        ExprKind::Str(s) => Value::String(s.as_plain()?),
        ExprKind::Int(i) => Value::from(*i),
        ExprKind::Float(f) => Value::from(*f),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Null => Value::Null,
        ExprKind::Paren(inner) => const_value(inner)?,
        ExprKind::List(items) => {
            Value::Array(items.iter().map(const_value).collect::<Option<Vec<_>>>()?)
        }
        ExprKind::Object(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                map.insert(k.name.clone(), const_value(v)?);
            }
            Value::Object(map)
        }
        _ => return None,
    })
}

/// The static type of a literal value.
pub fn const_type(v: &Value) -> Type {
    match v {
        Value::String(_) => Type::Str,
        Value::Number(n) if n.is_f64() => Type::Float,
        Value::Number(_) => Type::Int,
        Value::Bool(_) => Type::Bool,
        Value::Array(items) => {
            let elem = items
                .iter()
                .map(const_type)
                .reduce(|a, b| a.join(&b))
                .unwrap_or(Type::Json);
            Type::List(Box::new(elem))
        }
        Value::Null | Value::Object(_) => Type::Json,
    }
}
