//! One `tools/call`: the offered program run in Follower mode, as `llmos exec` would run
//! it (same sandbox, grants and slot resolution), its run logged under `.llmos/runs/` and
//! counted in the library. The answer is a `CallToolResult`: the output as text, and for
//! a JSON output its structured content too; a failed run is `isError` with the message.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::State;
use super::catalog::Offered;
use crate::kernel::follow;
use crate::store::RunId;
use crate::types::Type;
use crate::value::pretty_json;
use crate::vm::{Cancel, RunInputs};

/// Runs `offered` with the client's `args`; `ct` is cancelled when the client gives up.
pub async fn run(
    state: &Arc<State>,
    offered: &Offered,
    args: Map<String, Value>,
    ct: CancellationToken,
) -> Value {
    let k = &state.kernel;
    let program = &offered.program;
    let params: BTreeMap<String, Value> = args.into_iter().collect();
    let run_id = RunId::new();
    let resolver = k
        .host
        .slot_resolver(run_id.as_str(), state.budget, program.slots.is_empty());
    let cancel = Cancel::new();
    let inputs = RunInputs {
        program_id: offered.id.to_string(),
        run_id,
        params,
        granted: state.granted,
        timeout: state.timeout,
        cancel: cancel.clone(),
        tools: k.tools.clone(),
        ..RunInputs::new(offered.id.to_string())
    };
    let hosted = tokio::select! {
        h = follow::run_on(&k.host, program, inputs, &resolver) => h,
        () = ct.cancelled() => {
            cancel.cancel("the MCP client cancelled the call");
            return error("the MCP client cancelled the call");
        }
    };
    let result = match hosted {
        Ok(h) => h.result,
        Err(e) => return error(&format!("error: {e}")),
    };
    let ok = result.is_ok();
    let path = k.host.db_path();
    let counted = if ok {
        crate::db::record_success(&path, offered.trace)
            .map(drop)
            .map_err(|e| e.to_string())
    } else {
        k.db().map_err(|e| e.to_string()).and_then(|db| {
            crate::economy::meter::lock_db(db)
                .library()
                .record_run(offered.trace, false)
                .map(drop)
                .map_err(|e| e.to_string())
        })
    };
    if let Err(e) = counted {
        eprintln!("warning: cannot count the run: {e}");
    }
    match result {
        Ok(out) => {
            let text = match (&out.output_type, &out.output) {
                (_, None) => String::new(),
                (Some(Type::Str | Type::Path), Some(Value::String(s))) => s.clone(),
                (_, Some(v)) => pretty_json(v),
            };
            let mut reply = json!({ "content": [{ "type": "text", "text": text }] });
            let structured = match (&out.output_type, out.output) {
                (Some(Type::Str | Type::Path) | None, _) | (_, None) => None,
                (_, Some(v @ Value::Object(_))) => Some(v),
                // Structured content is an object: other values go in one.
                (_, Some(v)) => Some(json!({ "result": v })),
            };
            if let Some(s) = structured {
                reply["structuredContent"] = s;
            }
            reply
        }
        Err(e) => error(&format!("{} failed: {}", offered.name, e.message)),
    }
}

fn error(message: &str) -> Value {
    json!({ "content": [{ "type": "text", "text": message }], "isError": true })
}
