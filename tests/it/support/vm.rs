//! Shared by the `tests/it/vm_*.rs` files: compiling a source, a workspace with a tool
//! context, run inputs, and a bus that keeps every event.

use std::sync::Arc;

use llmos::bytecode::Verified;
use llmos::host::{LazyDb, SlotFiller};
use llmos::tools::ToolCtx;
use llmos::vm::{self, Collector, EventBus, RunError, RunInputs, RunOutput, SlotResolver};
use serde_json::Value;

/// Compiles and verifies `src` (the VM runs only verified programs).
pub fn compile(src: &str) -> Verified {
    match llmos::ir::build::compile_source(src) {
        Ok((p, _)) => llmos::bytecode::verify(p, llmos::tools::ToolTable::builtins())
            .unwrap_or_else(|e| panic!("{e}")),
        Err(d) => panic!("{d:?}"),
    }
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub ctx: Arc<ToolCtx>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Arc::new(ToolCtx::new(dir.path()).unwrap());
        Fixture { dir, ctx }
    }

    pub fn cache(&self) -> SlotFiller {
        SlotFiller::cache_only(LazyDb::new(&self.dir.path().join(".llmos")), "none")
    }

    pub async fn run(
        &self,
        p: &Verified,
        inputs: RunInputs,
        resolver: &dyn SlotResolver,
        bus: &EventBus,
    ) -> Result<RunOutput, RunError> {
        vm::run(p, inputs, &self.ctx, resolver, bus).await
    }
}

pub fn inputs(params: &[(&str, Value)]) -> RunInputs {
    let mut i = RunInputs::new("prog");
    for (k, v) in params {
        i.params.insert((*k).to_owned(), v.clone());
    }
    i
}

pub fn collector_bus() -> (Arc<Collector>, EventBus) {
    let c = Collector::new();
    let mut bus = EventBus::new();
    bus.subscribe(c.clone());
    (c, bus)
}
