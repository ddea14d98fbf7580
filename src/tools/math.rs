//! `math.*`: arithmetic on lists of numbers.

use std::time::Duration;

use super::registry::{Body, Builtin, Offload};
use super::work::Work;
use super::{ToolCtx, ToolError, ToolResult, arg, float_value};
use crate::value::{Value, kind_of};

/// Time limit of one pure tool call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) const TOOLS: &[Builtin] = &[Builtin {
    name: "math.sum",
    params: &["values"],
    timeout: TIMEOUT,
    body: Body::Work(sum, Offload::Large),
}];

/// The sum as a float, added left to right; an empty list sums to 0.
fn sum(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    let items = match arg(args, 0, "values")? {
        Value::Array(items) => items,
        other => {
            return Err(ToolError::bad_argument(format!(
                "math.sum needs a list of numbers, found {}",
                kind_of(other)
            )));
        }
    };
    let mut total = 0.0_f64;
    for (i, v) in items.iter().enumerate() {
        match v.as_f64() {
            Some(x) => total += x,
            None => {
                return Err(ToolError::bad_argument(format!(
                    "math.sum: element {i} is {}, not a number",
                    kind_of(v)
                )));
            }
        }
    }
    float_value(total, "math.sum: the sum")
}

#[cfg(test)]
mod tests {
    use crate::tools::ToolErrorKind;
    use crate::tools::testutil::pure;
    use serde_json::json;

    #[test]
    fn sums_to_a_float() {
        let got = pure("math.sum", &[json!([120, 80, 150, 95, 40])]).unwrap();
        assert_eq!(got, json!(485.0));
        assert!(got.is_f64());
        assert_eq!(
            pure("math.sum", &[json!([0.5, 1, -2])]).unwrap(),
            json!(-0.5)
        );
        assert_eq!(pure("math.sum", &[json!([])]).unwrap(), json!(0.0));
    }

    #[test]
    fn errors_name_the_element() {
        let e = pure("math.sum", &[json!([1, 2, "3"])]).unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (
                ToolErrorKind::BadArgument,
                "math.sum: element 2 is string, not a number"
            )
        );
        let e = pure("math.sum", &[json!({"a": 1})]).unwrap_err();
        assert_eq!(e.message, "math.sum needs a list of numbers, found object");
        let e = pure("math.sum", &[json!([1e308, 1e308])]).unwrap_err();
        assert_eq!(e.message, "math.sum: the sum is not a finite number");
    }
}
