//! Resource limits: each one's default, its key in the `[limits]` table of `config.toml`,
//! and the one message that says a limit was hit and which key raises it.
//!
//! ```toml
//! [limits]
//! value = "64 MiB"        # one value a step makes (a string, list or object)
//! run_values = "256 MiB"  # all values a run holds at once
//! file_read = "64 MiB"    # a file fs.read reads
//! file_write = "64 MiB"   # a file fs.write or fs.append leaves
//! run_writes = "256 MiB"  # all bytes a run writes to files
//! csv_input = "16 MiB"    # the text csv.parse takes
//! shell_output = "1 MiB"  # stdout and stderr kept of one shell.run (the rest is dropped)
//! http_body = "10 MiB"    # an HTTP response body
//! http_timeout = "30s"    # one HTTP request, from connecting to its last byte
//! ```
//!
//! A size is a number of bytes (`1048576`) or a number with a unit: `B`, `KB`, `MB`,
//! `GB` (powers of 1000), `KiB`, `MiB`, `GiB` (powers of 1024; also `K`, `M`, `G`), at
//! most 1 TiB; `[llm] max_reply_size` is parsed the same way. Values are measured as
//! [`crate::value::size_of`] counts them: their text plus a fixed cost per list element
//! and object field, close to the memory they take.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Deserializer};

/// One limit: what it bounds, its key and its default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Value,
    RunValues,
    FileRead,
    FileWrite,
    RunWrites,
    CsvInput,
    ShellOutput,
    HttpBody,
}

impl Limit {
    /// Every limit, in the order `config.toml` and `llmos config` list them.
    pub const ALL: [Limit; 8] = [
        Limit::Value,
        Limit::RunValues,
        Limit::FileRead,
        Limit::FileWrite,
        Limit::RunWrites,
        Limit::CsvInput,
        Limit::ShellOutput,
        Limit::HttpBody,
    ];

    /// Its key in the `[limits]` table.
    pub fn key(self) -> &'static str {
        match self {
            Limit::Value => "value",
            Limit::RunValues => "run_values",
            Limit::FileRead => "file_read",
            Limit::FileWrite => "file_write",
            Limit::RunWrites => "run_writes",
            Limit::CsvInput => "csv_input",
            Limit::ShellOutput => "shell_output",
            Limit::HttpBody => "http_body",
        }
    }

    /// What it bounds, for messages: "the limit of 64 MiB for {what}".
    fn what(self) -> &'static str {
        match self {
            Limit::Value => "one value",
            Limit::RunValues => "all values of a run",
            Limit::FileRead => "a file read",
            Limit::FileWrite => "a file written",
            Limit::RunWrites => "all writes of a run",
            Limit::CsvInput => "the text of csv.parse",
            Limit::ShellOutput => "the output kept of shell.run",
            Limit::HttpBody => "an HTTP response body",
        }
    }

    /// Its default, in bytes.
    pub fn default_bytes(self) -> u64 {
        match self {
            Limit::Value | Limit::FileRead | Limit::FileWrite => 64 << 20,
            Limit::RunValues | Limit::RunWrites => 256 << 20,
            Limit::CsvInput => 16 << 20,
            Limit::ShellOutput => 1 << 20,
            Limit::HttpBody => 10 << 20,
        }
    }

    /// The message for `what` (which says how big: "the file would be 80 MiB") going
    /// over this limit of `max` bytes: ``the file would be 80 MiB, over the limit of
    /// 64 MiB for a file written (raise `limits.file_write` in config.toml)``.
    pub fn exceeded(self, what: impl std::fmt::Display, max: u64) -> String {
        format!(
            "{what}, over the limit of {} for {} (raise `limits.{}` in config.toml)",
            format_size(max),
            self.what(),
            self.key()
        )
    }
}

/// The `[limits]` table of `config.toml`: each key optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    #[serde(default, deserialize_with = "de_size")]
    pub value: Option<u64>,
    #[serde(default, deserialize_with = "de_size")]
    pub run_values: Option<u64>,
    #[serde(default, deserialize_with = "de_size")]
    pub file_read: Option<u64>,
    #[serde(default, deserialize_with = "de_size")]
    pub file_write: Option<u64>,
    #[serde(default, deserialize_with = "de_size")]
    pub run_writes: Option<u64>,
    #[serde(default, deserialize_with = "de_size")]
    pub csv_input: Option<u64>,
    #[serde(default, deserialize_with = "de_size")]
    pub shell_output: Option<u64>,
    #[serde(default, deserialize_with = "de_size")]
    pub http_body: Option<u64>,
    /// The time limit of one HTTP request (a duration such as `"30s"`).
    #[serde(default, deserialize_with = "de_http_timeout")]
    pub http_timeout: Option<String>,
}

/// The default of `[limits] http_timeout`.
pub const HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The largest `[limits] http_timeout` (the `http.*` tools' own time limit is a little
/// longer, so the request's clearer error comes first).
pub const HTTP_TIMEOUT_MAX: std::time::Duration = std::time::Duration::from_secs(600);

fn de_http_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = crate::workspace::de_duration(d)?;
    match text
        .as_deref()
        .and_then(|t| humantime::parse_duration(t).ok())
    {
        Some(t) if t > HTTP_TIMEOUT_MAX => Err(serde::de::Error::custom(format!(
            "`http_timeout`: an HTTP request's time limit is at most {}",
            humantime::format_duration(HTTP_TIMEOUT_MAX)
        ))),
        _ => Ok(text),
    }
}

impl LimitsConfig {
    /// The time limit of one HTTP request: as configured (checked when the config was
    /// read), else [`HTTP_TIMEOUT`].
    pub fn http_timeout(&self) -> std::time::Duration {
        self.http_timeout
            .as_deref()
            .and_then(|t| humantime::parse_duration(t).ok())
            .unwrap_or(HTTP_TIMEOUT)
    }

    /// The value of `limit`: as configured, else its default.
    pub fn get(&self, limit: Limit) -> u64 {
        let set = match limit {
            Limit::Value => self.value,
            Limit::RunValues => self.run_values,
            Limit::FileRead => self.file_read,
            Limit::FileWrite => self.file_write,
            Limit::RunWrites => self.run_writes,
            Limit::CsvInput => self.csv_input,
            Limit::ShellOutput => self.shell_output,
            Limit::HttpBody => self.http_body,
        };
        set.unwrap_or_else(|| limit.default_bytes())
    }
}

/// The sizes of the values a run holds at once, against `limits.run_values`: one meter
/// for the run's own values and those of every block frame (a `for` body's values count
/// while the body runs, for all its elements at once).
#[derive(Debug)]
pub struct ValueMeter {
    held: AtomicU64,
    max: u64,
}

impl ValueMeter {
    pub fn new(max: u64) -> ValueMeter {
        ValueMeter {
            held: AtomicU64::new(0),
            max,
        }
    }

    /// Whether `size` more would still fit; the refusal names the limit and its key.
    pub fn fits(&self, size: u64) -> Result<(), String> {
        let total = self.held.load(Ordering::Relaxed).saturating_add(size);
        if total > self.max {
            return Err(Limit::RunValues.exceeded(
                format!("the run's values would take {}", format_size(total)),
                self.max,
            ));
        }
        Ok(())
    }

    /// Counts `size` more held (checked with [`ValueMeter::fits`] first, or inputs that
    /// are there already).
    pub fn hold(&self, size: u64) {
        self.held.fetch_add(size, Ordering::Relaxed);
    }

    /// Counts `size` no longer held.
    pub fn release(&self, size: u64) {
        let _ = self
            .held
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| {
                Some(h.saturating_sub(size))
            });
    }

    /// The sizes held now.
    pub fn held(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }
}

/// The largest size a limit may be set to: 1 TiB.
const MAX_SIZE: u64 = 1 << 40;

/// Parses a size: `1048576`, `512 KiB`, `64MiB`, `8M`, `1.5 GB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit_bytes: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        _ => return Err(bad_size(text)),
    };
    let n: f64 = number.parse().map_err(|_| bad_size(text))?;
    let bytes = n * unit_bytes as f64;
    if !(bytes >= 1.0 && bytes <= MAX_SIZE as f64) {
        return Err(format!(
            "`{text}` is not a size from 1 byte to {}",
            format_size(MAX_SIZE)
        ));
    }
    Ok(bytes as u64)
}

fn bad_size(text: &str) -> String {
    format!("`{text}` is not a size; write e.g. 1048576, \"512 KiB\" or \"64 MiB\"")
}

/// A size for messages: `64 MiB`, `1.5 KiB`, `300 bytes`, `67108992 bytes` (just over
/// 64 MiB).
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let whole = bytes / unit;
            let tenths = (bytes % unit) * 10 / unit;
            return if bytes.is_multiple_of(unit) {
                format!("{whole} {name}")
            } else if tenths > 0 {
                format!("{whole}.{tenths} {name}")
            } else {
                // Just over a round size: the exact count, so it never reads as equal.
                format!("{bytes} bytes")
            };
        }
    }
    format!("{bytes} bytes")
}

/// A size in `config.toml`: an integer of bytes or a string with a unit.
pub(crate) fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bytes(i64),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Bytes(n) => n.to_string(),
        Raw::Text(t) => t,
    };
    parse_size(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
        assert_eq!(parse_size("64 MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("64mib").unwrap(), 64 << 20);
        assert_eq!(parse_size("1.5 KB").unwrap(), 1500);
        assert_eq!(parse_size("2GB").unwrap(), 2_000_000_000);
        assert_eq!(parse_size("8M").unwrap(), 8 << 20);
        for bad in [
            "",
            "MiB",
            "-1",
            "0",
            "1 XB",
            "1e3",
            "2 TiB",
            "99999999999 GiB",
            "18446744073709551615GiB",
            "8 parsecs",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(format_size(64 << 20), "64 MiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(300), "300 bytes");
        assert_eq!(format_size((64 << 20) + 128), "67108992 bytes");
    }

    #[test]
    fn the_value_meter_refuses_over_the_run_limit_and_gives_back() {
        let m = ValueMeter::new(100);
        m.hold(60);
        assert!(m.fits(40).is_ok());
        let refusal = m.fits(41).unwrap_err();
        assert!(
            refusal.contains("the run's values would take 101 bytes, over the limit of 100 bytes"),
            "{refusal}"
        );
        assert!(refusal.contains("`limits.run_values`"), "{refusal}");
        m.release(50);
        assert_eq!(m.held(), 10);
        m.release(50);
        assert_eq!(m.held(), 0, "never below zero");
    }

    #[test]
    fn the_message_names_the_limit_and_its_key() {
        assert_eq!(
            Limit::Value.exceeded(
                format!("the text would take {}", format_size(128 << 20)),
                64 << 20
            ),
            "the text would take 128 MiB, over the limit of 64 MiB for one value \
             (raise `limits.value` in config.toml)"
        );
        let cfg: LimitsConfig = toml::from_str("value = \"1 MiB\"\nrun_writes = 4096\n").unwrap();
        assert_eq!(cfg.get(Limit::Value), 1 << 20);
        assert_eq!(cfg.get(Limit::RunWrites), 4096);
        assert_eq!(cfg.get(Limit::CsvInput), 16 << 20);
        assert!(toml::from_str::<LimitsConfig>("valu = 1").is_err());
        assert!(toml::from_str::<LimitsConfig>("value = \"lots\"").is_err());
    }
}
