//! Tool declarations: the signatures of every tool a trace may call. The built-in ones
//! are written in the trace language in `stdlib/*.llt` and compiled into the binary.

use crate::types::{EffectSet, Type};
use crate::value::Value;

/// One declared parameter of a tool.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDecl {
    pub name: String,
    pub ty: Type,
    /// The default value, when the argument may be left out.
    pub default: Option<Value>,
}

/// A tool's signature: `tool NAME(params) -> RET effects(...)` with its `///` doc.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolDecl {
    /// Fully qualified name: `namespace.name`, e.g. `fs.read`.
    pub name: String,
    pub params: Vec<ParamDecl>,
    pub ret: Type,
    pub effects: EffectSet,
    /// The `///` doc comment, lines joined with `\n`, without the slashes.
    pub doc: String,
}

impl ToolDecl {
    pub fn param(&self, name: &str) -> Option<(usize, &ParamDecl)> {
        self.params.iter().enumerate().find(|(_, p)| p.name == name)
    }

    /// The signature as written in a declaration: `fs.read(path: path) -> str`.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match &p.default {
                Some(d) => format!("{}: {} = {}", p.name, p.ty, crate::value::canonical_json(d)),
                None => format!("{}: {}", p.name, p.ty),
            })
            .collect();
        format!("{}({}) -> {}", self.name, params.join(", "), self.ret)
    }
}

/// The source of every built-in declaration file, in a fixed order.
pub const SOURCES: &[(&str, &str)] = &[
    ("stdlib/fs.llt", include_str!("../stdlib/fs.llt")),
    ("stdlib/text.llt", include_str!("../stdlib/text.llt")),
    ("stdlib/list.llt", include_str!("../stdlib/list.llt")),
    ("stdlib/math.llt", include_str!("../stdlib/math.llt")),
    ("stdlib/json.llt", include_str!("../stdlib/json.llt")),
    ("stdlib/csv.llt", include_str!("../stdlib/csv.llt")),
    ("stdlib/hash.llt", include_str!("../stdlib/hash.llt")),
    ("stdlib/http.llt", include_str!("../stdlib/http.llt")),
    ("stdlib/shell.llt", include_str!("../stdlib/shell.llt")),
    ("stdlib/time.llt", include_str!("../stdlib/time.llt")),
];
