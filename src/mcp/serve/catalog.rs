//! What `llmos mcp serve` offers: every program of the trace library that has a goal (and
//! a rating the dispatcher would follow), each as an MCP tool. Its name is the trace's
//! (`word_count`, then `word_count_2` for a second one, in library order), its description
//! the goal template and the doc comments at the top of its source, its input schema the
//! params with their types and defaults.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::bytecode::Verified;
use crate::economy::meter::lock_db;
use crate::ir::Program;
use crate::kernel::{Kernel, MIN_RATING};
use crate::mcp::ServeError;
use crate::stdlib::ParamDecl;
use crate::store::ObjectId;
use crate::types::Type;

/// One program offered as a tool.
#[derive(Clone, Debug)]
pub struct Offered {
    pub name: String,
    /// The trace library entry.
    pub trace: i64,
    pub id: ObjectId,
    pub program: Arc<Verified>,
    /// The MCP `Tool` object.
    pub tool: Value,
}

/// The offered programs as of one library generation.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub generation: i64,
    /// In name order.
    pub offered: Vec<Offered>,
    /// Programs passed over (they do not load with the current tools), for stderr.
    pub skipped: Vec<String>,
}

impl Catalog {
    /// What a client sees: the names and the programs behind them.
    pub fn same_tools(&self, other: &Catalog) -> bool {
        self.offered.len() == other.offered.len()
            && self
                .offered
                .iter()
                .zip(&other.offered)
                .all(|(a, b)| a.name == b.name && a.id == b.id)
    }

    pub fn find(&self, name: &str) -> Option<&Offered> {
        self.offered.iter().find(|o| o.name == name)
    }
}

/// The library's generation now (it changes whenever an entry is added, removed or
/// re-rated).
pub fn generation(k: &Kernel) -> Result<i64, ServeError> {
    lock_db(k.db().map_err(library)?)
        .library_generation()
        .map_err(library)
}

/// The library or store could not be read.
fn library(e: impl std::fmt::Display) -> ServeError {
    ServeError::Library(e.to_string())
}

/// Reads the library and the store.
pub fn build(k: &Kernel) -> Result<Catalog, ServeError> {
    let (generation, snapshot) = {
        let db = lock_db(k.db().map_err(library)?);
        let generation = db.library_generation().map_err(library)?;
        (generation, db.library_snapshot().map_err(library)?)
    };
    let mut entries: Vec<_> = snapshot
        .iter()
        .filter(|e| e.success_rating >= MIN_RATING)
        .map(|e| (e.id, e.program_id.to_owned()))
        .collect();
    entries.sort();
    let mut catalog = Catalog {
        generation,
        ..Catalog::default()
    };
    let mut taken = BTreeSet::new();
    for (trace, program_id) in entries {
        let loaded = program_id
            .parse::<ObjectId>()
            .map_err(|e| e.to_string())
            .and_then(|id| {
                let bytes = k.store.get(&id).map_err(|e| e.to_string())?;
                let p =
                    crate::bytecode::decode_with(&bytes, &k.tools).map_err(|e| e.to_string())?;
                Ok((id, p))
            });
        let (id, program) = match loaded {
            Ok(l) => l,
            Err(e) => {
                catalog.skipped.push(format!("trace {trace}: {e}"));
                continue;
            }
        };
        let Some(goal) = program.goal.clone() else {
            continue;
        };
        let name = unique_name(&program.name, &mut taken);
        let docs = k
            .store
            .get_source(&id)
            .ok()
            .flatten()
            .map(|(_, text)| leading_docs(&text))
            .unwrap_or_default();
        let tool = tool_json(&name, &goal, &docs, &id, &program);
        catalog.offered.push(Offered {
            name,
            trace,
            id,
            program: Arc::new(program),
            tool,
        });
    }
    catalog.offered.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(catalog)
}

fn unique_name(base: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// The comment lines at the top of a source, before its first item, without the slashes.
fn leading_docs(src: &str) -> String {
    let lines: Vec<&str> = src
        .lines()
        .map(str::trim)
        .take_while(|l| l.starts_with("//") || l.is_empty())
        .filter_map(|l| l.strip_prefix("//"))
        .map(|l| l.trim_start_matches('/').trim())
        .collect();
    lines.join("\n").trim().to_owned()
}

fn tool_json(name: &str, goal: &str, docs: &str, id: &ObjectId, p: &Program) -> Value {
    let output = match p.output.map(|o| p.operand_type(o)) {
        Some(Type::Str | Type::Path) => "its output as text".to_owned(),
        Some(t) => format!("its output ({t}) as JSON"),
        None => "nothing".to_owned(),
    };
    let slots = match p.slots.len() {
        0 => "without an LLM".to_owned(),
        1 => "asking an LLM for one value only (its answer is cached)".to_owned(),
        n => format!("asking an LLM for {n} values only (their answers are cached)"),
    };
    let mut description = format!("{goal}\n\n");
    if !docs.is_empty() {
        description.push_str(docs);
        description.push_str("\n\n");
    }
    description.push_str(&format!(
        "Runs the stored llmos program `{}` ({}) {slots}; returns {output}.",
        p.name,
        &id.to_string()[..12]
    ));
    let params: Vec<ParamDecl> = p
        .params
        .iter()
        .map(|q| ParamDecl {
            name: q.name.clone(),
            ty: q.ty.clone(),
            default: q.default.clone(),
        })
        .collect();
    let mut schema = crate::llm::schema::input_schema(&params);
    // Goal placeholders are what the params mean: say so per param.
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (k, v) in props.iter_mut() {
            if goal.contains(&format!("{{{k}}}"))
                && let Some(o) = v.as_object_mut()
            {
                o.entry("description")
                    .or_insert_with(|| json!(format!("`{{{k}}}` in the goal")));
            }
        }
    }
    json!({
        "name": name,
        "title": goal,
        "description": description,
        "inputSchema": schema,
    })
}
