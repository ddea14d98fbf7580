//! Tool specs: what the LLM is told about each tool it may call, built from a tool
//! declaration. The input schema is JSON Schema: `str` and `path` are strings, `int`
//! integers, `float` numbers, `bool` booleans, `json` anything (`{}`), `list<T>` arrays of
//! `T`; parameters without a default are required, defaults are shown as `default`, and
//! no other properties are allowed. Object keys come out sorted and `required` keeps
//! declaration order, so the request bytes are the same on every run.

use serde::Serialize;
use serde_json::{Map, json};

use super::{LlmError, names};
use crate::stdlib::{ParamDecl, ToolDecl};
use crate::types::Type;
use crate::value::Value;

/// One tool as offered to the LLM.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolSpec {
    /// The llmos name, `fs.read`.
    pub name: String,
    /// The name on the wire, `fs-read`.
    pub api_name: String,
    /// The tool's doc, its return type and its effects.
    pub description: String,
    /// A JSON Schema for the call's arguments (an object).
    pub input_schema: Value,
}

impl ToolSpec {
    /// The spec of a declared tool; an error when its name cannot go on the wire.
    pub fn from_decl(decl: &ToolDecl) -> Result<ToolSpec, LlmError> {
        ToolSpec::described(decl, input_schema(&decl.params))
    }

    /// The spec of a tool table's entry: its own argument schema when it has one (an MCP
    /// tool's), else the declaration's.
    pub fn from_entry(entry: &crate::tools::ToolEntry) -> Result<ToolSpec, LlmError> {
        match &entry.schema {
            Some(schema) => ToolSpec::described(&entry.decl, (**schema).clone()),
            None => ToolSpec::from_decl(&entry.decl),
        }
    }

    /// The spec of `decl` with `schema` for its arguments.
    fn described(decl: &ToolDecl, schema: Value) -> Result<ToolSpec, LlmError> {
        let effects = if decl.effects.is_empty() {
            "none".to_string()
        } else {
            decl.effects.to_string()
        };
        let doc = decl.doc.trim();
        let tail = format!("Returns {}. Effects: {effects}.", decl.ret);
        let description = if doc.is_empty() {
            tail
        } else {
            format!("{doc}\n\n{tail}")
        };
        ToolSpec::new(&decl.name, description, schema)
    }

    /// A spec written by hand (pseudo-tools such as `llm.final`).
    pub fn new(
        name: &str,
        description: impl Into<String>,
        input_schema: Value,
    ) -> Result<ToolSpec, LlmError> {
        Ok(ToolSpec {
            name: name.to_string(),
            api_name: names::to_api(name)?,
            description: description.into(),
            input_schema,
        })
    }
}

/// The specs of many declarations, in the order given.
pub fn tool_specs<'a>(
    decls: impl IntoIterator<Item = &'a ToolDecl>,
) -> Result<Vec<ToolSpec>, LlmError> {
    decls.into_iter().map(ToolSpec::from_decl).collect()
}

/// The specs of every tool of a table, in name order.
pub fn table_specs(tools: &crate::tools::ToolTable) -> Result<Vec<ToolSpec>, LlmError> {
    tools.entries().map(ToolSpec::from_entry).collect()
}

/// The JSON Schema of a tool's arguments.
pub fn input_schema(params: &[ParamDecl]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in params {
        let mut schema = type_schema(&p.ty);
        match &p.default {
            Some(d) => {
                if let Value::Object(m) = &mut schema {
                    m.insert("default".into(), d.clone());
                }
            }
            None => required.push(Value::String(p.name.clone())),
        }
        properties.insert(p.name.clone(), schema);
    }
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// The JSON Schema of one type.
pub fn type_schema(ty: &Type) -> Value {
    match ty {
        Type::Str => json!({ "type": "string" }),
        Type::Path => json!({
            "type": "string",
            "description": "a path relative to the workspace root",
        }),
        Type::Int => json!({ "type": "integer" }),
        Type::Float => json!({ "type": "number" }),
        Type::Bool => json!({ "type": "boolean" }),
        Type::Json => json!({}),
        Type::List(item) => json!({ "type": "array", "items": type_schema(item) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Effect, EffectSet};

    #[test]
    fn spec_of_a_declaration() {
        let decl = ToolDecl {
            name: "text.lines".into(),
            params: vec![
                ParamDecl {
                    name: "text".into(),
                    ty: Type::Str,
                    default: None,
                },
                ParamDecl {
                    name: "limit".into(),
                    ty: Type::Int,
                    default: Some(json!(10)),
                },
            ],
            ret: Type::List(Box::new(Type::Str)),
            effects: EffectSet::single(Effect::Pure),
            doc: "Split text into lines.".into(),
        };
        let spec = ToolSpec::from_decl(&decl).unwrap();
        assert_eq!(spec.api_name, "text-lines");
        assert_eq!(
            spec.description,
            "Split text into lines.\n\nReturns list<str>. Effects: pure."
        );
        assert_eq!(
            spec.input_schema,
            json!({
                "type": "object",
                "properties": {
                    "text": { "type": "string" },
                    "limit": { "type": "integer", "default": 10 },
                },
                "required": ["text"],
                "additionalProperties": false,
            })
        );
    }
}
