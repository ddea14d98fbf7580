//! Reading source files for the commands: size limit, UTF-8 check, a diagnostic for each
//! problem.

use std::io::Read as _;
use std::path::Path;

use crate::syntax::MAX_SOURCE_BYTES;

/// Reads a source file; on failure, a one-line message naming the file and the problem.
pub fn read_source(path: &Path) -> Result<String, String> {
    let name = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("error: cannot read {name}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("error: cannot read {name}: {e}"))?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(format!(
            "error[file-too-large]: {name} is larger than {MAX_SOURCE_BYTES} bytes, the limit for a source file"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let (line, col) = crate::diag::line_col(&prefix, valid);
        format!("error[not-utf8]: {name}:{line}:{col}: the file is not valid UTF-8 (bad byte at offset {valid})")
    })
}

/// Runs `f(path, name, text)` on every readable file, in order; an unreadable file is
/// reported and counts as a failure. Fails when any file failed (`f` returns false).
pub fn for_each_source(
    files: &[std::path::PathBuf],
    mut f: impl FnMut(&Path, &str, &str) -> bool,
) -> super::Outcome {
    let mut failed = false;
    for path in files {
        let name = path.display().to_string();
        match read_source(path) {
            Ok(src) => failed |= !f(path, &name, &src),
            Err(msg) => {
                eprintln!("{msg}");
                failed = true;
            }
        }
    }
    if failed {
        super::Outcome::Failed
    } else {
        super::Outcome::Success
    }
}
