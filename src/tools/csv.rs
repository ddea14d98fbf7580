//! `csv.*`: tables as lists of objects, on the `csv` crate (quoted fields, embedded
//! commas, quotes and line breaks).
//!
//! `csv.parse` field values: a field that is empty or only white space becomes `null`
//! (a missing value, skipped by `csv.describe`); a field that reads as a decimal integer
//! (surrounding white space ignored, an optional sign, no leading zero like `007`, which
//! stays text, as zip codes and ids do) and fits 64 bits becomes an int; a field in
//! decimal notation with a fraction or exponent (`2.5`, `-1e3`) becomes a float; anything
//! else stays text, exactly as written. Every row must have as many fields as the header;
//! header names must be distinct.
//!
//! `csv.describe`: the columns are the union of the rows' keys, in sorted order. `count`
//! is the number of rows with a non-null value in the column. A column whose values are
//! all numbers (and at least one) gets `min`, `max`, `sum` (ints when every value is an
//! int and the sum fits 64 bits, else floats) and `mean` (a float); any other column gets
//! `distinct`, the number of different values.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Map;

use super::list::compare_numbers;
use super::registry::{Body, Builtin, Offload};
use super::work::Work;
use super::{Budget, ToolCtx, ToolError, ToolResult, arg, arg_str, float_value};
use crate::limits::{Limit, format_size};
use crate::value::{ELEMENT_BYTES, FIELD_BYTES, Value, canonical_json, kind_of, size_of};

/// Time limit of one pure tool call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "csv.parse",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Work(parse, Offload::Large),
    },
    Builtin {
        name: "csv.describe",
        params: &["table"],
        timeout: TIMEOUT,
        body: Body::Work(describe, Offload::Large),
    },
];

fn parse(ctx: &ToolCtx, args: &[Value], work: &Work<'_>) -> ToolResult {
    let text = arg_str(args, 0, "text")?;
    if text.len() as u64 > ctx.limits.csv_input_max {
        return Err(ToolError::limit(
            Limit::CsvInput,
            format!("the text is {}", format_size(text.len() as u64)),
            ctx.limits.csv_input_max,
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(&e))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut seen = BTreeSet::new();
    for name in &header {
        if !seen.insert(name.as_str()) {
            return Err(ToolError::failed(format!(
                "csv.parse: the header names `{name}` twice"
            )));
        }
    }
    let mut rows = Vec::new();
    let mut budget = Budget::new(ctx);
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e))?;
        if rows.len() % 1024 == 1023 {
            work.check()?;
        }
        let mut row = Map::new();
        let mut size = 0;
        for (name, field) in header.iter().zip(record.iter()) {
            let value = field_value(field);
            size += FIELD_BYTES + name.len() as u64 + size_of(&value);
            row.insert(name.clone(), value);
        }
        budget.add(ELEMENT_BYTES + size)?;
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

fn csv_error(e: &csv::Error) -> ToolError {
    let msg = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => {
            let line = pos
                .as_ref()
                .map_or(String::new(), |p| format!("line {}: ", p.line()));
            format!("csv.parse: {line}a row has {len} fields, the header has {expected_len}")
        }
        _ => format!("csv.parse: {e}"),
    };
    ToolError::failed(msg)
}

/// The value of one field (see the module doc).
fn field_value(field: &str) -> Value {
    let t = field.trim();
    if t.is_empty() {
        return Value::Null;
    }
    match number_syntax(t) {
        Some(true) => {
            if let Ok(i) = t.parse::<i64>() {
                return Value::from(i);
            }
            if let Ok(u) = t.parse::<u64>() {
                return Value::from(u);
            }
        }
        Some(false) => {
            if let Some(n) = t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                return Value::Number(n);
            }
        }
        None => {}
    }
    Value::String(field.to_owned())
}

/// `Some(true)` for an integer, `Some(false)` for a decimal number with a fraction or an
/// exponent, `None` for anything else (including a leading zero such as `007`).
fn number_syntax(t: &str) -> Option<bool> {
    let b = t.strip_prefix(['+', '-']).unwrap_or(t).as_bytes();
    let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let int_len = digits(b);
    if int_len > 1 && b[0] == b'0' {
        return None;
    }
    let mut i = int_len;
    let mut frac_len = 0;
    if b.get(i) == Some(&b'.') {
        frac_len = digits(&b[i + 1..]);
        i += 1 + frac_len;
    }
    if int_len == 0 && frac_len == 0 {
        return None;
    }
    let mut exp = false;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let rest = &b[i + 1..];
        let rest = rest
            .strip_prefix(b"+")
            .or_else(|| rest.strip_prefix(b"-"))
            .unwrap_or(rest);
        let n = digits(rest);
        if n == 0 {
            return None;
        }
        i = b.len() - rest.len() + n;
        exp = true;
    }
    if i != b.len() {
        return None;
    }
    Some(i == int_len && !exp)
}

/// What one column holds so far.
#[derive(Default)]
struct Column<'a> {
    count: usize,
    numbers: Vec<&'a serde_json::Number>,
    text: bool,
    strings: BTreeSet<&'a str>,
    others: BTreeSet<String>,
}

fn describe(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    let rows = match arg(args, 0, "table")? {
        Value::Array(rows) => rows,
        other => {
            return Err(ToolError::bad_argument(format!(
                "csv.describe needs a list of objects, found {}",
                kind_of(other)
            )));
        }
    };
    let mut columns: BTreeMap<&str, Column<'_>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let Value::Object(row) = row else {
            return Err(ToolError::bad_argument(format!(
                "csv.describe: row {i} is {}, not an object",
                kind_of(row)
            )));
        };
        for (key, v) in row {
            let col = columns.entry(key.as_str()).or_default();
            match v {
                Value::Null => continue,
                Value::Number(n) => col.numbers.push(n),
                Value::String(s) => {
                    col.text = true;
                    col.strings.insert(s);
                }
                other => {
                    col.text = true;
                    col.others.insert(canonical_json(other));
                }
            }
            col.count += 1;
        }
    }
    let mut out = Map::new();
    for (name, col) in columns {
        out.insert(name.to_owned(), column_stats(name, &col)?);
    }
    Ok(Value::Object(out))
}

fn column_stats(name: &str, col: &Column<'_>) -> ToolResult {
    let mut stats = Map::new();
    stats.insert("count".into(), Value::from(col.count));
    if col.text {
        // Numbers in a text column count as values too, each by its canonical text.
        let numbers: BTreeSet<String> = col.numbers.iter().map(|n| n.to_string()).collect();
        let distinct = col.strings.len() + col.others.len() + numbers.len();
        stats.insert("distinct".into(), Value::from(distinct));
        return Ok(Value::Object(stats));
    }
    let Some(first) = col.numbers.first() else {
        return Ok(Value::Object(stats));
    };
    let (mut min, mut max) = (*first, *first);
    for n in &col.numbers {
        if compare_numbers(n, min).is_lt() {
            min = n;
        }
        if compare_numbers(n, max).is_gt() {
            max = n;
        }
    }
    let float_sum: f64 = col.numbers.iter().filter_map(|n| n.as_f64()).sum();
    let int_sum = col
        .numbers
        .iter()
        .try_fold(0_i64, |acc, n| acc.checked_add(n.as_i64()?));
    let all_ints = col.numbers.iter().all(|n| n.is_i64() || n.is_u64());
    let what = |stat: &str| format!("csv.describe: the {stat} of column `{name}`");
    let as_float =
        |n: &serde_json::Number, stat: &str| float_value(n.as_f64().unwrap_or(0.0), &what(stat));
    match (all_ints, int_sum) {
        (true, Some(sum)) => {
            stats.insert("min".into(), Value::Number(min.clone()));
            stats.insert("max".into(), Value::Number(max.clone()));
            stats.insert("sum".into(), Value::from(sum));
        }
        _ => {
            stats.insert("min".into(), as_float(min, "min")?);
            stats.insert("max".into(), as_float(max, "max")?);
            stats.insert("sum".into(), float_value(float_sum, &what("sum"))?);
        }
    }
    let mean = match (all_ints, int_sum) {
        (true, Some(sum)) => sum as f64 / col.numbers.len() as f64,
        _ => float_sum / col.numbers.len() as f64,
    };
    stats.insert("mean".into(), float_value(mean, &what("mean"))?);
    Ok(Value::Object(stats))
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
