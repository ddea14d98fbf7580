//! Tests of `csv.parse` and `csv.describe`.

use serde_json::json;

use super::field_value;
use crate::tools::ToolErrorKind;
use crate::tools::testutil::pure;

const SALES: &str =
    "region,quarter,amount\nnorth,Q1,120\nsouth,Q1,80\nnorth,Q2,150\nsouth,Q2,95\neast,Q2,40\n";

#[test]
fn parses_the_sales_recording() {
    let got = pure("csv.parse", &[json!(SALES)]).unwrap();
    assert_eq!(
        got,
        json!([
            { "region": "north", "quarter": "Q1", "amount": 120 },
            { "region": "south", "quarter": "Q1", "amount": 80 },
            { "region": "north", "quarter": "Q2", "amount": 150 },
            { "region": "south", "quarter": "Q2", "amount": 95 },
            { "region": "east", "quarter": "Q2", "amount": 40 },
        ])
    );
}

#[test]
fn quoted_fields_commas_and_newlines() {
    let text = "name,note,n\r\n\"Smith, J\",\"said \"\"hi\"\"\nthen left\",3\r\nplain,,2.5\r\n";
    let got = pure("csv.parse", &[json!(text)]).unwrap();
    assert_eq!(
        got,
        json!([
            { "name": "Smith, J", "note": "said \"hi\"\nthen left", "n": 3 },
            { "name": "plain", "note": null, "n": 2.5 },
        ])
    );
    assert_eq!(pure("csv.parse", &[json!("")]).unwrap(), json!([]));
    assert_eq!(pure("csv.parse", &[json!("a,b\n")]).unwrap(), json!([]));
    assert_eq!(
        pure("csv.parse", &[json!("\u{feff}a\n1\n")]).unwrap(),
        json!([{ "a": 1 }])
    );
}

#[test]
fn field_values() {
    assert_eq!(field_value("42"), json!(42));
    assert_eq!(field_value(" -7 "), json!(-7));
    assert_eq!(field_value("+3"), json!(3));
    assert_eq!(field_value("0"), json!(0));
    assert_eq!(field_value("18446744073709551615"), json!(u64::MAX));
    assert_eq!(
        field_value("99999999999999999999"),
        json!("99999999999999999999")
    );
    assert_eq!(field_value("2.50"), json!(2.5));
    assert_eq!(field_value("-1e3"), json!(-1000.0));
    assert_eq!(field_value(".5"), json!(0.5));
    assert_eq!(field_value("0.5"), json!(0.5));
    for text in [
        "007", "00.5", "1e", "1.2.3", "inf", "NaN", "1_000", "12a", "Q1", "-", ".",
    ] {
        assert_eq!(field_value(text), json!(text), "{text}");
    }
    assert_eq!(field_value(" x "), json!(" x "));
    assert_eq!(field_value("   "), json!(null));
}

#[test]
fn parse_errors() {
    let e = pure("csv.parse", &[json!("a,b\n1,2\n3\n")]).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            ToolErrorKind::Failed,
            "csv.parse: line 3: a row has 1 fields, the header has 2"
        )
    );
    let e = pure("csv.parse", &[json!("a,a\n1,2\n")]).unwrap_err();
    assert_eq!(e.message, "csv.parse: the header names `a` twice");
}

#[test]
fn describes_the_sales_recording() {
    let table = pure("csv.parse", &[json!(SALES)]).unwrap();
    let got = pure("csv.describe", &[table]).unwrap();
    assert_eq!(
        got,
        json!({
            "region": { "count": 5, "distinct": 3 },
            "quarter": { "count": 5, "distinct": 2 },
            "amount": { "count": 5, "min": 40, "max": 150, "mean": 97.0, "sum": 485 },
        })
    );
    assert_eq!(
        crate::value::canonical_json(&got),
        r#"{"amount":{"count":5,"max":150,"mean":97,"min":40,"sum":485},"quarter":{"count":5,"distinct":2},"region":{"count":5,"distinct":3}}"#
    );
}

#[test]
fn describe_mixed_and_missing() {
    let table = json!([
        { "f": 1.5, "i": 2, "m": "x", "b": true },
        { "f": 2, "i": null, "m": 1 },
        { "f": -0.5, "i": 4, "m": "x", "b": false, "only": null },
    ]);
    let got = pure("csv.describe", &[table]).unwrap();
    assert_eq!(
        got,
        json!({
            "b": { "count": 2, "distinct": 2 },
            "f": { "count": 3, "min": -0.5, "max": 2.0, "sum": 3.0, "mean": 1.0 },
            "i": { "count": 2, "min": 2, "max": 4, "sum": 6, "mean": 3.0 },
            "m": { "count": 3, "distinct": 2 },
            "only": { "count": 0 },
        })
    );
    assert!(got["f"]["max"].is_f64());
    assert_eq!(pure("csv.describe", &[json!([])]).unwrap(), json!({}));
}

#[test]
fn describe_errors() {
    let e = pure("csv.describe", &[json!({ "a": 1 })]).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            ToolErrorKind::BadArgument,
            "csv.describe needs a list of objects, found object"
        )
    );
    let e = pure("csv.describe", &[json!([{ "a": 1 }, [1]])]).unwrap_err();
    assert_eq!(e.message, "csv.describe: row 1 is list, not an object");
}
