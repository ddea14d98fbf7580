//! `hash.*`: digests of text.

use std::time::Duration;

use super::registry::{Body, Builtin, Offload};
use super::work::Work;
use super::{ToolCtx, ToolResult, arg_str};
use crate::value::Value;

/// Time limit of one pure tool call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) const TOOLS: &[Builtin] = &[Builtin {
    name: "hash.blake3",
    params: &["text"],
    timeout: TIMEOUT,
    body: Body::Work(blake3_hex, Offload::Large),
}];

fn blake3_hex(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    let text = arg_str(args, 0, "text")?;
    Ok(Value::String(
        blake3::hash(text.as_bytes()).to_hex().to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::tools::testutil::pure;
    use serde_json::json;

    #[test]
    fn hex_digest() {
        // The empty-input test vector of the BLAKE3 reference.
        let got = pure("hash.blake3", &[json!("")]).unwrap();
        assert_eq!(
            got,
            json!("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")
        );
        let a = pure("hash.blake3", &[json!("abc")]).unwrap();
        assert_eq!(
            a,
            json!("6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85")
        );
        assert!(pure("hash.blake3", &[json!(1)]).is_err());
    }
}
