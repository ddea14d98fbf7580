//! A command's result on stdout. `println!` panics when stdout cannot take the text (a
//! full disk, `> /dev/full`, a pipe whose reader has gone); here the first failure is
//! kept, later writes are skipped, and [`finish`] turns it into exit 1 with a message on
//! stderr. Every command writes its result through [`outln!`] and [`out!`] (clippy's
//! `print_stdout` lint is denied in `src/cli/`), so none can exit 0 with its output lost.

use std::io::{self, Write as _};
use std::sync::Mutex;

/// The first write to stdout that failed.
static FAILED: Mutex<Option<String>> = Mutex::new(None);

fn failed() -> std::sync::MutexGuard<'static, Option<String>> {
    FAILED.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes `text` to stdout, unless an earlier write failed.
pub fn write(text: &str) {
    let mut failed = failed();
    if failed.is_some() {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()) {
        *failed = Some(e.to_string());
    }
}

/// Records a write to stdout that failed elsewhere (a protocol on stdout), so that
/// [`finish`] reports it like one of [`write`]'s.
pub fn record_failure(message: String) {
    failed().get_or_insert(message);
}

/// Flushes stdout and reports the first write that failed.
pub fn finish() -> Result<(), super::CliError> {
    if let Err(e) = io::stdout().lock().flush() {
        failed().get_or_insert(e.to_string());
    }
    match failed().take() {
        Some(e) => Err(super::CliError::Stdout(e)),
        None => Ok(()),
    }
}

/// `print!` without the panic: see the module docs.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::write(&format!($($arg)*))
    };
}

/// `println!` without the panic: see the module docs.
macro_rules! outln {
    () => {
        $crate::cli::out::write("\n")
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write(&(format!($($arg)*) + "\n"))
    };
}

/// A note or summary on stderr, left out with `-q` (see [`crate::ui`]).
macro_rules! note {
    ($($arg:tt)*) => {
        if $crate::ui::notes() {
            eprintln!($($arg)*);
        }
    };
}
