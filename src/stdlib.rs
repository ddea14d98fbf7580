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

/// The built-in tool table, parsed from [`SOURCES`] on first use.
pub fn table() -> &'static crate::check::ToolTable {
    static TABLE: std::sync::OnceLock<crate::check::ToolTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = crate::check::ToolTable::new();
        for (name, src) in SOURCES {
            let (decls, diags) = parse_declarations(src);
            // The declarations ship inside the binary and a test checks them clean, so
            // an error here is a build defect, not bad input.
            assert!(diags.is_empty(), "{name}: {:?}", diags);
            for d in decls {
                table.insert(d.name.clone(), d);
            }
        }
        table
    })
}

/// Parses a declaration file's source into tool declarations, with any problems.
pub fn parse_declarations(src: &str) -> (Vec<ToolDecl>, Vec<crate::diag::Diagnostic>) {
    let (file, mut diags) = crate::syntax::parse(src);
    let decls = crate::check::decls::declarations(&file, &mut diags);
    (decls, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_declarations_are_clean_and_complete() {
        for (name, src) in SOURCES {
            let (_, diags) = parse_declarations(src);
            assert!(diags.is_empty(), "{name}: {diags:?}");
        }
        let t = table();
        assert_eq!(t.len(), 27, "{:?}", t.keys().collect::<Vec<_>>());
        let split = &t["text.split"];
        assert_eq!(
            split.signature(),
            "text.split(text: str, sep: str = \" \") -> list<str>"
        );
        assert!(t["http.get"].effects.contains(crate::types::Effect::Net));
        assert!(
            t.values().all(|d| !d.doc.is_empty()),
            "every tool has a doc"
        );
    }
}
