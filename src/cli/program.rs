//! Naming a program on the command line: a `.llt` source (compiled first), a `.llb`
//! bytecode file, or a stored program id or unique id prefix.

use std::path::Path;

use crate::diag::Diagnostic;
use crate::ir::Program;

/// A program ready to run or inspect.
#[derive(Debug)]
pub struct Loaded {
    pub program: Program,
    /// The source it came from (file name, text), when known: for messages that name a
    /// step's line.
    pub source: Option<(String, String)>,
    /// Warnings from compiling a `.llt` source.
    pub warnings: Vec<Diagnostic>,
}

/// Why a program could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// A source with errors: every diagnostic, to render against the text.
    Diagnostics {
        file: String,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// Anything else, as a one-line message naming what and where.
    Message(String),
}

/// Loads the program named by `spec`. Only `.llt` sources for now; `.llb` files and
/// store ids come with the bytecode.
pub fn load(spec: &str) -> Result<Loaded, LoadError> {
    let path = Path::new(spec);
    if path.extension().is_some_and(|e| e == "llt") {
        let text = super::source::read_source(path).map_err(LoadError::Message)?;
        return match crate::ir::build::compile_source(&text) {
            Ok((program, warnings)) => Ok(Loaded {
                program,
                source: Some((spec.to_owned(), text)),
                warnings,
            }),
            Err(diagnostics) => Err(LoadError::Diagnostics {
                file: spec.to_owned(),
                text,
                diagnostics,
            }),
        };
    }
    Err(LoadError::Message(format!(
        "error: cannot load `{spec}`: expected a .llt file"
    )))
}
