//! An MCP server's tools as llt tools: names as identifiers ([`super::names`]), parameter
//! and result types from the JSON Schemas, the description as doc, the server's effects,
//! and a signature hash over the schemas.
//!
//! Types: `string` is `str`, `integer` `int`, `number` `float`, `boolean` `bool`, an
//! `array` `list<T>` of its items' type; anything else (objects, unions, nullable types,
//! no `type`) is `json`. A parameter the schema does not require takes the schema's
//! `default`, or `null`, which means "not sent". The result is `json` (the structured
//! content) when the tool declares an output schema, else `str` (the text content).

use serde_json::{Map, Value, json};

use super::client::RemoteTool;
use super::config::Server;
use super::error::SetupError;
use super::names::to_ident;
use crate::llm::names::MAX_API_NAME;
use crate::stdlib::{ParamDecl, ToolDecl};
use crate::types::Type;
use crate::value::{canonical_json, conforms};

/// One parameter on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireParam {
    /// The name the server knows it by.
    pub remote: String,
    /// Whether the schema requires it (an optional one is left out when `null`).
    pub required: bool,
}

/// An MCP tool mapped to llt.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapped {
    pub decl: ToolDecl,
    /// The tool's name on the server.
    pub remote: String,
    /// Per declared parameter, in order: its name on the wire.
    pub wire: Vec<WireParam>,
    /// The input schema with llt parameter names: what the Learner's LLM is shown.
    pub llm_schema: Value,
    pub sig_hash: [u8; 32],
}

/// The tools of one server as llt tools, and the ones left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mapping {
    /// In name order.
    pub tools: Vec<Mapped>,
    /// Why each tool left out is (a name no LLM API accepts), for stderr.
    pub left_out: Vec<String>,
}

/// Maps every tool of `server`. Two tools (or two parameters of one tool) that become
/// the same identifier are an error naming both. A tool whose llt name is longer than an
/// LLM API accepts (a server may list anything) is left out, with a note: the Learner
/// could not offer it, and every other tool stays usable.
pub fn map_tools(server: &Server, tools: &[RemoteTool]) -> Result<Mapping, SetupError> {
    let mut out = Mapping::default();
    for t in tools {
        let m = map_tool(server, t).map_err(SetupError::Naming)?;
        if let Some(other) = out.tools.iter().find(|o| o.decl.name == m.decl.name) {
            return Err(SetupError::Naming(format!(
                "MCP server `{}`: tools `{}` and `{}` both become `{}`; llmos cannot tell \
                 them apart",
                server.name, other.remote, t.name, m.decl.name
            )));
        }
        let len = m.decl.name.chars().count();
        if len > MAX_API_NAME {
            out.left_out.push(format!(
                "MCP server `{}`: tool `{}` is left out: as `{}` its name has {len} \
                 characters, more than the {MAX_API_NAME} LLM APIs accept",
                server.name, t.name, m.decl.name
            ));
            continue;
        }
        out.tools.push(m);
    }
    out.tools.sort_by(|a, b| a.decl.name.cmp(&b.decl.name));
    Ok(out)
}

/// One tool as an llt tool, or why its name or a parameter's gives none (the message).
fn map_tool(server: &Server, t: &RemoteTool) -> Result<Mapped, String> {
    let ident = to_ident(&t.name).ok_or_else(|| {
        format!(
            "MCP server `{}`: the tool name {:?} has no letter or digit to make a name of",
            server.name, t.name
        )
    })?;
    let name = format!("{}.{ident}", server.name);
    let empty = Map::new();
    let props = t
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: Vec<&str> = t
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut params: Vec<ParamDecl> = Vec::with_capacity(props.len());
    let mut wire: Vec<WireParam> = Vec::with_capacity(props.len());
    for (remote, schema) in props {
        let pname = to_ident(remote).ok_or_else(|| {
            format!("`{name}`: the parameter name {remote:?} has no letter or digit")
        })?;
        if let Some(i) = params.iter().position(|p| p.name == pname) {
            return Err(format!(
                "`{name}`: parameters `{}` and `{remote}` both become `{pname}`",
                wire[i].remote
            ));
        }
        let ty = type_of(schema);
        let is_required = required.contains(&remote.as_str());
        let default = match (is_required, schema.get("default")) {
            (true, _) => None,
            (false, Some(d)) if conforms(d, &ty) => Some(d.clone()),
            (false, _) => Some(Value::Null),
        };
        params.push(ParamDecl {
            name: pname,
            ty,
            default,
        });
        wire.push(WireParam {
            remote: remote.clone(),
            required: is_required,
        });
    }
    let ret = if t.output_schema.is_some() {
        Type::Json
    } else {
        Type::Str
    };
    let doc = t
        .description
        .as_deref()
        .or(t.title.as_deref())
        .unwrap_or_default()
        .trim()
        .to_owned();
    let decl = ToolDecl {
        name,
        params,
        ret,
        effects: server.effects,
        doc,
    };
    let sig_hash = signature_hash(&decl, t);
    Ok(Mapped {
        llm_schema: llm_schema(&t.input_schema, &decl, &wire),
        decl,
        remote: t.name.clone(),
        wire,
        sig_hash,
    })
}

/// The llt type of a JSON Schema.
pub fn type_of(schema: &Value) -> Type {
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => Type::Str,
        Some("integer") => Type::Int,
        Some("number") => Type::Float,
        Some("boolean") => Type::Bool,
        Some("array") => Type::List(Box::new(schema.get("items").map_or(Type::Json, type_of))),
        _ => Type::Json,
    }
}

/// The hash a program records for an MCP tool: its llt signature and effects, its name on
/// the server, and its input and output schemas without their annotations (descriptions,
/// titles, examples), so a reworded description does not refuse programs but any change
/// to what is accepted or returned does.
fn signature_hash(decl: &ToolDecl, t: &RemoteTool) -> [u8; 32] {
    let text = format!(
        "mcp {}\n{}\nin {}\nout {}",
        t.name,
        crate::ir::signature_text(decl),
        canonical_json(&strip_annotations(&t.input_schema)),
        t.output_schema
            .as_ref()
            .map_or("none".to_owned(), |o| canonical_json(&strip_annotations(o))),
    );
    *blake3::hash(text.as_bytes()).as_bytes()
}

/// Keywords that only annotate a schema.
const ANNOTATIONS: &[&str] = &["description", "title", "examples", "$comment", "$schema"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAPS: &[&str] = &["properties", "patternProperties", "$defs", "definitions"];
/// Keywords whose value is data, not a schema.
const DATA: &[&str] = &["enum", "const", "default", "required"];

fn strip_annotations(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if ANNOTATIONS.contains(&k.as_str()) {
                    continue;
                }
                let v = if DATA.contains(&k.as_str()) {
                    v.clone()
                } else if SCHEMA_MAPS.contains(&k.as_str()) {
                    match v {
                        Value::Object(m) => Value::Object(
                            m.iter()
                                .map(|(name, s)| (name.clone(), strip_annotations(s)))
                                .collect(),
                        ),
                        other => other.clone(),
                    }
                } else {
                    strip_annotations(v)
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(strip_annotations).collect()),
        other => other.clone(),
    }
}

/// The server's input schema with llt parameter names (and without `$schema`): what the
/// LLM fills in. Optional parameters without a schema default may be left out.
fn llm_schema(input: &Value, decl: &ToolDecl, wire: &[WireParam]) -> Value {
    let empty = Map::new();
    let props = input
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (p, w) in decl.params.iter().zip(wire) {
        let schema = props.get(&w.remote).cloned().unwrap_or_else(|| json!({}));
        properties.insert(p.name.clone(), schema);
        if w.required {
            required.push(Value::String(p.name.clone()));
        }
    }
    let mut out = match input {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    out.remove("$schema");
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    out.insert("required".into(), Value::Array(required));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::config::{McpConfig, Server};

    fn server(effects: &str) -> Server {
        let c: McpConfig =
            toml::from_str(&format!("[servers.everything]\ncommand = \"x\"\n{effects}")).unwrap();
        c.servers().unwrap().remove(0)
    }

    fn tool(v: Value) -> RemoteTool {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn tools_become_declarations() {
        let s = server("effects = [\"pure\"]");
        let tools = [
            tool(
                json!({"name": "get-sum", "description": "Returns the sum of two numbers",
                "inputSchema": {"type": "object", "properties": {
                    "a": {"type": "number", "description": "First number"},
                    "b": {"type": "number"}}, "required": ["a", "b"]}}),
            ),
            tool(
                json!({"name": "longRunningOperation", "inputSchema": {"type": "object",
                "properties": {"duration": {"type": "number", "default": 10},
                               "maxSteps": {"type": "integer"},
                               "tags": {"type": "array", "items": {"type": "string"}},
                               "opts": {"type": "object"}}}}),
            ),
            tool(json!({"name": "weather", "inputSchema": {"type": "object"},
                "outputSchema": {"type": "object"}})),
        ];
        let m = map_tools(&s, &tools).unwrap().tools;
        let sigs: Vec<String> = m.iter().map(|m| m.decl.signature()).collect();
        assert_eq!(
            sigs,
            [
                "everything.get_sum(a: float, b: float) -> str",
                "everything.long_running_operation(duration: float = 10, max_steps: int = null, \
                 opts: json = null, tags: list<str> = null) -> str",
                "everything.weather() -> json",
            ]
        );
        assert_eq!(m[0].decl.doc, "Returns the sum of two numbers");
        assert_eq!(m[0].decl.effects.to_string(), "pure");
        assert_eq!(m[1].remote, "longRunningOperation");
        assert_eq!(
            m[1].wire[1],
            WireParam {
                remote: "maxSteps".into(),
                required: false
            }
        );
        assert_eq!(
            m[1].llm_schema["properties"]["max_steps"],
            json!({"type": "integer"})
        );
        assert_eq!(m[0].llm_schema["required"], json!(["a", "b"]));
        assert!(server("").effects.contains(crate::types::Effect::Net));
    }

    #[test]
    fn the_hash_covers_schemas_but_not_descriptions() {
        let s = server("");
        let base = json!({"name": "echo", "description": "Echoes",
            "inputSchema": {"type": "object", "properties": {
                "message": {"type": "string", "description": "what to echo"}},
                "required": ["message"]}});
        let h = |v: Value| map_tools(&s, &[tool(v)]).unwrap().tools[0].sig_hash;
        let mut reworded = base.clone();
        reworded["description"] = json!("Says it back");
        reworded["inputSchema"]["properties"]["message"]["description"] = json!("text");
        assert_eq!(h(base.clone()), h(reworded));
        let mut narrowed = base.clone();
        narrowed["inputSchema"]["properties"]["message"]["maxLength"] = json!(10);
        assert_ne!(h(base.clone()), h(narrowed));
        let mut output = base.clone();
        output["outputSchema"] = json!({"type": "object"});
        assert_ne!(h(base), h(output));
    }

    #[test]
    fn names_no_llm_api_takes_are_left_out() {
        let s = server("");
        let long = "a".repeat(MAX_API_NAME - "everything.".len() + 1);
        let fits = "b".repeat(MAX_API_NAME - "everything.".len());
        let m = map_tools(
            &s,
            &[tool(json!({"name": long})), tool(json!({"name": fits}))],
        )
        .unwrap();
        assert_eq!(m.tools.len(), 1);
        assert_eq!(m.tools[0].remote, fits);
        assert_eq!(m.left_out.len(), 1);
        assert!(
            m.left_out[0].contains(&format!("tool `{long}` is left out"))
                && m.left_out[0].contains("65 characters"),
            "{:?}",
            m.left_out
        );
    }

    #[test]
    fn collisions_name_both() {
        let s = server("");
        let e = map_tools(
            &s,
            &[
                tool(json!({"name": "get-sum"})),
                tool(json!({"name": "getSum"})),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`get-sum` and `getSum` both become `everything.get_sum`"),
            "{e}"
        );
        let e = map_tools(
            &s,
            &[tool(json!({"name": "t", "inputSchema": {"properties": {
                "maxTokens": {}, "max_tokens": {}}}}))],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`max_tokens` and `maxTokens`")
                || e.contains("`maxTokens` and `max_tokens`"),
            "{e}"
        );
    }
}
