//! The tool table: every tool a program may call, built-in or from an MCP server. Each
//! entry joins a declaration (signature, effects, doc) to its implementation and to the
//! signature hash that programs record. The checker, the IR lowering, the bytecode
//! verifier, the VM, the Learner and `llmos tools` all read one table; [`ToolTable::link`]
//! is the one place a program's tool references are matched to tools.
//!
//! A table is cheap to clone (the entries are shared). The built-in table is built once
//! ([`ToolTable::builtins`]); a workspace's table adds the tools of its MCP servers
//! ([`crate::mcp`]), whose connections the table's [`Provider`]s own.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use super::Tool;
use crate::ir::ToolRef;
use crate::stdlib::ToolDecl;

/// Where a tool comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolSource {
    /// Implemented in llmos, declared in `stdlib/*.llt`.
    Builtin,
    /// A tool of the MCP server `server` (its `[mcp.servers.NAME]` in `config.toml`),
    /// called `remote` there.
    Mcp { server: String, remote: String },
}

/// One tool: its declaration, implementation and signature hash.
#[derive(Clone)]
pub struct ToolEntry {
    pub decl: ToolDecl,
    /// What a program compiled against this tool records ([`ToolRef::sig_hash`]).
    pub sig_hash: [u8; 32],
    pub imp: Arc<dyn Tool>,
    pub source: ToolSource,
    /// The JSON Schema of the arguments shown to an LLM, when richer than the one the
    /// declaration gives (an MCP tool's own, with llt parameter names).
    pub schema: Option<Arc<serde_json::Value>>,
}

impl ToolEntry {
    /// A built-in tool: the hash is that of its signature text.
    pub fn builtin(decl: ToolDecl, imp: Arc<dyn Tool>) -> ToolEntry {
        ToolEntry {
            sig_hash: crate::ir::signature_hash(&decl),
            decl,
            imp,
            source: ToolSource::Builtin,
            schema: None,
        }
    }

    /// The signature as shown in messages: `fs.read(path: path) -> str effects(read)`.
    pub fn signature_text(&self) -> String {
        crate::ir::signature_text(&self.decl)
    }
}

impl std::fmt::Debug for ToolEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolEntry")
            .field("decl", &self.decl)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A future that a [`Provider`] hands back.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Tools that live outside the process (the tools of an MCP server): started on demand,
/// checked against what a program was compiled for before its first step, and shut down
/// when the process is done with them.
pub trait Provider: Send + Sync {
    /// Starts what `tools` need (only those this provider owns; others are ignored) and
    /// checks that each still has the signature the program was compiled for.
    fn connect<'a>(&'a self, tools: &'a [ToolRef]) -> ProviderFuture<'a, Result<(), LinkError>>;

    /// Stops everything started; waits until it has stopped.
    fn shutdown(&self) -> ProviderFuture<'_, ()>;
}

/// Why a program's tool reference does not link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    /// The index of the reference in the program's tool table.
    pub index: usize,
    pub kind: LinkErrorKind,
    /// Names the tool and what is wrong.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkErrorKind {
    /// No tool of that name.
    Missing,
    /// The tool's signature is not the one the program was compiled for.
    Signature,
    /// The program records other effects than the tool declares.
    Effects,
    /// The tool's server could not be reached.
    Unavailable,
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LinkError {}

/// A tool added to a table that already has one of its name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("tool `{0}` is defined twice")]
pub struct DuplicateTool(pub String);

/// Tools by name, in name order.
#[derive(Clone, Default)]
pub struct ToolTable {
    entries: Arc<BTreeMap<String, ToolEntry>>,
    providers: Arc<Vec<Arc<dyn Provider>>>,
}

impl std::fmt::Debug for ToolTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.entries.keys()).finish()
    }
}

impl ToolTable {
    /// The built-in tools, built once: the declarations of `stdlib/*.llt` joined to their
    /// implementations (a test checks that each declaration has exactly one).
    pub fn builtins() -> &'static ToolTable {
        static TABLE: OnceLock<ToolTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            let imps = super::registry::implementations();
            let entries = crate::stdlib::declarations()
                .into_iter()
                .filter_map(|decl| {
                    let imp = imps.get(decl.name.as_str())?.clone();
                    Some((decl.name.clone(), ToolEntry::builtin(decl, imp)))
                })
                .collect();
            ToolTable {
                entries: Arc::new(entries),
                providers: Arc::default(),
            }
        })
    }

    /// This table with `more` tools, whose connections `provider` owns. A name that is
    /// already taken is an error naming it.
    pub fn extended(
        &self,
        more: Vec<ToolEntry>,
        provider: Option<Arc<dyn Provider>>,
    ) -> Result<ToolTable, DuplicateTool> {
        let mut entries = (*self.entries).clone();
        for e in more {
            if entries.contains_key(&e.decl.name) {
                return Err(DuplicateTool(e.decl.name));
            }
            entries.insert(e.decl.name.clone(), e);
        }
        let mut providers = (*self.providers).clone();
        providers.extend(provider);
        Ok(ToolTable {
            entries: Arc::new(entries),
            providers: Arc::new(providers),
        })
    }

    /// The same tools without their providers: [`ToolTable::connect`] starts nothing and
    /// checks no live signature (the compiler's replay answers every call from the
    /// recording).
    pub fn without_providers(&self) -> ToolTable {
        ToolTable {
            entries: Arc::clone(&self.entries),
            providers: Arc::default(),
        }
    }

    /// Adds or replaces a tool (copying the table on first change).
    pub fn insert(&mut self, entry: ToolEntry) {
        Arc::make_mut(&mut self.entries).insert(entry.decl.name.clone(), entry);
    }

    /// Removes a tool.
    pub fn remove(&mut self, name: &str) -> Option<ToolEntry> {
        Arc::make_mut(&mut self.entries).remove(name)
    }

    /// The declaration of the tool called `name` (`namespace.name`).
    pub fn get(&self, name: &str) -> Option<&ToolDecl> {
        self.entries.get(name).map(|e| &e.decl)
    }

    /// The whole entry of the tool called `name`.
    pub fn entry(&self, name: &str) -> Option<&ToolEntry> {
        self.entries.get(name)
    }

    /// The implementation of the tool called `name`.
    pub fn tool(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.entries.get(name).map(|e| &e.imp)
    }

    /// Every tool name, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    /// Every declaration, in name order.
    pub fn decls(&self) -> impl Iterator<Item = &ToolDecl> {
        self.entries.values().map(|e| &e.decl)
    }

    /// Every entry, in name order.
    pub fn entries(&self) -> impl Iterator<Item = &ToolEntry> {
        self.entries.values()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Matches a program's tool references to this table's tools: each must exist, have
    /// the signature hash the program was compiled for, and the effects it records.
    pub fn link(&self, refs: &[ToolRef]) -> Result<Vec<&ToolEntry>, LinkError> {
        refs.iter()
            .enumerate()
            .map(|(index, t)| self.link_one(index, t))
            .collect()
    }

    fn link_one(&self, index: usize, t: &ToolRef) -> Result<&ToolEntry, LinkError> {
        let fail = |kind, message| LinkError {
            index,
            kind,
            message,
        };
        let Some(entry) = self.entries.get(&t.name) else {
            return Err(fail(
                LinkErrorKind::Missing,
                format!(
                    "the program calls `{}`, which is not a known tool (this llmos does not have it{})",
                    t.name,
                    self.missing_hint(&t.name)
                ),
            ));
        };
        if entry.sig_hash != t.sig_hash {
            return Err(fail(
                LinkErrorKind::Signature,
                format!(
                    "tool `{}`: the program was compiled for another signature (hash {}); the \
                     current signature differs: `{}` (hash {}){}. Compile the program again",
                    t.name,
                    short_hash(&t.sig_hash),
                    entry.signature_text(),
                    short_hash(&entry.sig_hash),
                    match &entry.source {
                        ToolSource::Builtin => String::new(),
                        ToolSource::Mcp { server, .. } =>
                            format!(", as the MCP server `{server}` declares it now"),
                    }
                ),
            ));
        }
        if t.effects != entry.decl.effects {
            return Err(fail(
                LinkErrorKind::Effects,
                format!(
                    "tool `{}` is recorded with effects ({}), its declaration has ({})",
                    t.name, t.effects, entry.decl.effects
                ),
            ));
        }
        Ok(entry)
    }

    /// A hint for a missing tool whose namespace no table entry has.
    fn missing_hint(&self, name: &str) -> String {
        let ns = name.split('.').next().unwrap_or_default();
        let known = self.entries.keys().any(|k| k.split('.').next() == Some(ns));
        if known {
            String::new()
        } else {
            format!("; no tool namespace `{ns}`: is an MCP server of that name configured?")
        }
    }

    /// Starts what the program's tools need (MCP servers) and checks their live
    /// signatures. A no-op for built-in tools.
    pub async fn connect(&self, refs: &[ToolRef]) -> Result<(), LinkError> {
        for p in self.providers.iter() {
            p.connect(refs).await?;
        }
        Ok(())
    }

    /// Stops every MCP server this table started. Call it before the runtime that
    /// started them ends.
    pub async fn shutdown(&self) {
        for p in self.providers.iter() {
            p.shutdown().await;
        }
    }
}

/// The first 12 hex digits of a hash.
pub fn short_hash(h: &[u8; 32]) -> String {
    h.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{EffectSet, Type};

    fn tool_ref(name: &str) -> ToolRef {
        let e = ToolTable::builtins().entry(name).unwrap();
        ToolRef {
            name: name.into(),
            sig_hash: e.sig_hash,
            effects: e.decl.effects,
        }
    }

    #[test]
    fn links_names_hashes_and_effects() {
        let t = ToolTable::builtins();
        let linked = t
            .link(&[tool_ref("fs.read"), tool_ref("text.trim")])
            .unwrap();
        assert_eq!(linked[1].imp.name(), "text.trim");

        let mut bad = tool_ref("fs.read");
        bad.sig_hash = [0; 32];
        let e = t.link(&[tool_ref("text.trim"), bad]).unwrap_err();
        assert_eq!((e.index, e.kind), (1, LinkErrorKind::Signature));
        assert!(e.message.contains("tool `fs.read`"), "{e}");

        let mut missing = tool_ref("fs.read");
        missing.name = "web.fetch".into();
        let e = t.link(&[missing]).unwrap_err();
        assert_eq!(e.kind, LinkErrorKind::Missing);
        assert!(e.message.contains("no tool namespace `web`"), "{e}");

        let mut effects = tool_ref("fs.read");
        effects.effects = EffectSet::EMPTY;
        assert_eq!(t.link(&[effects]).unwrap_err().kind, LinkErrorKind::Effects);
    }

    #[test]
    fn changes_copy_the_table() {
        let mut t = ToolTable::builtins().clone();
        let mut e = t.entry("fs.read").unwrap().clone();
        e.decl.ret = Type::Json;
        t.insert(ToolEntry::builtin(e.decl, e.imp));
        assert_eq!(t.get("fs.read").unwrap().ret, Type::Json);
        assert_eq!(ToolTable::builtins().get("fs.read").unwrap().ret, Type::Str);
        assert!(t.remove("fs.read").is_some());
        assert!(ToolTable::builtins().get("fs.read").is_some());
        let dup = ToolTable::builtins().entry("fs.read").unwrap().clone();
        let err = ToolTable::builtins().extended(vec![dup], None).unwrap_err();
        assert_eq!(err, DuplicateTool("fs.read".into()));
        assert_eq!(err.to_string(), "tool `fs.read` is defined twice");
    }
}
