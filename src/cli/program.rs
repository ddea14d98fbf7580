//! Naming a program on the command line: a `.llt` source (compiled first), a `.llb`
//! bytecode file, or a stored program id or unique id prefix (looked up in the
//! workspace's store). Every command that takes a PROGRAM goes through [`load`].

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::source::ReadError;
use crate::bytecode::format::{MAGIC, MAX_FILE_BYTES};
use crate::bytecode::{DecodeError, Verified, VerifyError};
use crate::diag::{Coded, Diagnostic, Span};
use crate::store::{ObjectId, ObjectStore, StoreError};
use crate::tools::ToolTable;
use crate::workspace::{Config, Workspace, WorkspaceError};

/// A program ready to run or inspect.
#[derive(Debug)]
pub struct Loaded {
    pub program: Verified,
    /// The id of the program's canonical bytes (also for a `.llt` source, which is
    /// compiled but not stored by `load`; see [`store`]).
    pub id: ObjectId,
    /// The source it came from (file name, text), when known: for messages that name a
    /// step's line. For a `.llb` file or an id, the sidecar kept in the store, if any.
    pub source: Option<(String, String)>,
    /// The step→span table of `source` (each step's span, then the `return`
    /// expression's): from compiling it, or from the store's sidecar; `None` for a
    /// sidecar written before sidecars kept one.
    pub steps: Option<Vec<Span>>,
    /// Warnings from compiling a `.llt` source.
    pub warnings: Vec<Diagnostic>,
}

/// Why a program could not be loaded: each variant names what and where, without the
/// `error: ` that [`super::error`] prints before it.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A source with errors: every diagnostic, to render against the text.
    #[error("{file}: {}", summary(text, diagnostics))]
    Diagnostics {
        file: String,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// The source file could not be read (missing, too large, not UTF-8).
    #[error("{}", .0.text())]
    Read(#[from] ReadError),
    /// The workspace or its `config.toml` could not be used.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The host of the workspace could not be set up.
    #[error(transparent)]
    Host(#[from] crate::host::HostError),
    /// The tools of the workspace's MCP servers could not be listed.
    #[error("{}: {message}", config.display())]
    Tools { config: PathBuf, message: String },
    /// Neither a file nor an id.
    #[error(
        "cannot load `{spec}`: no such file, and not a program id (a .llt or .llb path, or 4 to 64 hex digits of a stored program's id)"
    )]
    NotFound { spec: String },
    /// A file that is neither a source nor bytecode.
    #[error("cannot load `{spec}`: expected a .llt source or a .llb bytecode file")]
    NotAProgram { spec: String },
    /// A `.llb` file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `.llb` file over the size limit.
    #[error("{} is larger than {MAX_FILE_BYTES} bytes, the limit for a program", path.display())]
    TooLarge { path: PathBuf },
    /// Bytes that do not decode to a valid program.
    #[error("{} is not a valid program: {source}", path.display())]
    BadBytecode {
        path: PathBuf,
        #[source]
        source: DecodeError,
    },
    /// A stored program that no longer decodes (a tool changed signature).
    #[error("stored program {id} does not load: {source}")]
    BadStored {
        id: ObjectId,
        #[source]
        source: DecodeError,
    },
    /// A source that checks but lowers to an invalid program (a compiler bug).
    #[error("{file}: the compiled program is invalid: {source}")]
    Invalid {
        file: String,
        #[source]
        source: VerifyError,
    },
    /// Nothing is stored yet.
    #[error("no stored program id starts with `{spec}` (the store {} is empty)", objects.display())]
    EmptyStore { spec: String, objects: PathBuf },
    /// A stored object's bytes no longer hash to its id.
    #[error(
        "stored program {id} is corrupt (its bytes do not hash to its id); it will not be run. `llmos store verify` lists every corrupt object"
    )]
    Corrupt { id: ObjectId },
    /// The store could not be read or written.
    #[error("{doing}{source}")]
    Store {
        /// What was being done, as a prefix of the message (may be empty).
        doing: &'static str,
        #[source]
        source: StoreError,
    },
}

/// `N error(s), nothing compiled (LINE:COL: the first error)`.
fn summary(text: &str, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let s = if errors == 1 { "" } else { "s" };
    let first = match diagnostics.iter().find(|d| d.is_error()) {
        Some(d) => {
            let (line, col) = crate::diag::line_col(text, d.primary.span.start as usize);
            let which = if errors == 1 { "" } else { "the first at " };
            format!(" ({which}{line}:{col}: {})", d.message)
        }
        None => String::new(),
    };
    format!("{errors} error{s}, nothing compiled{first}")
}

impl Coded for LoadError {
    fn kind(&self) -> &'static str {
        match self {
            LoadError::Diagnostics { .. } => "check",
            LoadError::Read(_) | LoadError::Io { .. } => "input",
            LoadError::Workspace(_) => "workspace",
            LoadError::Host(e) => e.kind(),
            LoadError::Tools { .. } => "mcp",
            LoadError::Store { .. } => "store",
            _ => "program",
        }
    }

    fn code(&self) -> &'static str {
        match self {
            LoadError::Diagnostics { diagnostics, .. } => diagnostics
                .iter()
                .find(|d| d.is_error())
                .map_or("check-failed", |d| d.code),
            LoadError::Read(e) => e.code,
            LoadError::Workspace(_) => "workspace",
            LoadError::Host(e) => e.code(),
            LoadError::Tools { .. } => "mcp-tools",
            LoadError::NotFound { .. } | LoadError::EmptyStore { .. } => "no-program",
            LoadError::NotAProgram { .. } => "not-a-program",
            LoadError::Io { .. } => "io",
            LoadError::TooLarge { .. } => "file-too-large",
            LoadError::BadBytecode { .. } | LoadError::BadStored { .. } => "bad-program",
            LoadError::Invalid { .. } => "invalid-program",
            LoadError::Corrupt { .. } => "corrupt-object",
            LoadError::Store { source, .. } => super::error::store_code(source),
        }
    }
}

/// Opens the workspace rooted at `root` (default: the current directory), with
/// `$LLMOS_HOME` from the environment.
pub fn open_workspace(root: Option<&Path>) -> Result<Workspace, LoadError> {
    Ok(Workspace::open(root, super::env().lookup())?)
}

/// The tools of the workspace: the built-in ones and those of its MCP servers (a server
/// without a cached tool list is started once to list them). Notes go to stderr.
pub fn workspace_tools(host: &crate::host::Host) -> Result<ToolTable, LoadError> {
    tools_listed(
        &host.ws,
        &host.config,
        crate::mcp::Listing::StartMissing(host),
    )
}

/// [`workspace_tools`] with the MCP tool lists taken as `listing` says.
pub fn tools_listed(
    ws: &Workspace,
    config: &Config,
    listing: crate::mcp::Listing<'_>,
) -> Result<ToolTable, LoadError> {
    let w = crate::mcp::workspace_tools(ws, config, super::env(), listing).map_err(|e| {
        LoadError::Tools {
            config: ws.config_path(),
            message: e.to_string(),
        }
    })?;
    for note in &w.notes {
        eprintln!("{note}");
    }
    Ok(w.table)
}

/// Opens the workspace at `root` (default: the current directory) and its tools.
pub fn workspace_and_tools(root: Option<&Path>) -> Result<(Workspace, ToolTable), LoadError> {
    let host = super::host(root)?;
    let tools = workspace_tools(&host)?;
    Ok((host.ws.clone(), tools))
}

/// Loads the program named by `spec`, linked against `tools`: a path ending `.llt` (compiled, not stored) or
/// `.llb` (decoded and verified), or a stored id or unique id prefix of 4 to 64 hex
/// digits (an ambiguous prefix lists the candidates; a corrupt object is refused, naming
/// its id). A file with another name is taken as bytecode if it starts with the `.llb`
/// magic bytes.
pub fn load(spec: &str, ws: &Workspace, tools: &ToolTable) -> Result<Loaded, LoadError> {
    let path = Path::new(spec);
    match path.extension().and_then(|e| e.to_str()) {
        Some("llt") => return load_source(path, tools),
        Some("llb") => return load_bytecode_file(path, ws, tools),
        _ => {}
    }
    if looks_like_id(spec) && !path.exists() {
        return load_stored(spec, ws, tools);
    }
    if path.is_file() {
        let mut head = [0u8; 4];
        let is_bytecode = std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head == MAGIC);
        if is_bytecode {
            return load_bytecode_file(path, ws, tools);
        }
        return Err(LoadError::NotAProgram {
            spec: spec.to_owned(),
        });
    }
    Err(LoadError::NotFound {
        spec: spec.to_owned(),
    })
}

/// Whether `s` could be a program id or id prefix.
fn looks_like_id(s: &str) -> bool {
    (crate::store::MIN_PREFIX..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compiles `.llt` text against `tools`: parse, check, lower and verify. The bytes are
/// canonical.
pub fn compile_text(
    file: &str,
    text: &str,
    tools: &ToolTable,
) -> Result<(Loaded, Vec<u8>), LoadError> {
    let (program, warnings, steps) =
        crate::ir::build::compile_with_spans(text, tools).map_err(|diagnostics| {
            LoadError::Diagnostics {
                file: file.to_owned(),
                text: text.to_owned(),
                diagnostics,
            }
        })?;
    let program = crate::bytecode::verify(program, tools).map_err(|source| LoadError::Invalid {
        file: file.to_owned(),
        source,
    })?;
    let bytes = crate::bytecode::encode(&program);
    let loaded = Loaded {
        program,
        id: ObjectId::of(&bytes),
        source: Some((file.to_owned(), text.to_owned())),
        steps: Some(steps),
        warnings,
    };
    Ok((loaded, bytes))
}

fn load_source(path: &Path, tools: &ToolTable) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    let text = super::source::read_source(path)?;
    compile_text(&name, &text, tools).map(|(loaded, _)| loaded)
}

/// Reads a `.llb` file (at most [`MAX_FILE_BYTES`]).
pub fn read_bytecode(path: &Path) -> Result<Vec<u8>, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

fn load_bytecode_file(path: &Path, ws: &Workspace, tools: &ToolTable) -> Result<Loaded, LoadError> {
    let bytes = read_bytecode(path)?;
    let program =
        crate::bytecode::decode_with(&bytes, tools).map_err(|source| LoadError::BadBytecode {
            path: path.to_owned(),
            source,
        })?;
    let id = ObjectId::of(&bytes);
    // The store may hold the source it was compiled from; a missing or bad one is no
    // reason to refuse the program (`store verify` reports bad ones).
    let source = existing_store(ws).and_then(|s| s.get_source_record(&id).ok().flatten());
    Ok(with_source(program, id, source))
}

/// The workspace's store, if it exists (looking a program up creates nothing).
fn existing_store(ws: &Workspace) -> Option<ObjectStore> {
    let dir = ws.objects_dir();
    if dir.is_dir() {
        ObjectStore::open(&dir).ok()
    } else {
        None
    }
}

fn load_stored(spec: &str, ws: &Workspace, tools: &ToolTable) -> Result<Loaded, LoadError> {
    let Some(store) = existing_store(ws) else {
        return Err(LoadError::EmptyStore {
            spec: spec.to_owned(),
            objects: ws.objects_dir(),
        });
    };
    let id = store.resolve(spec).map_err(store_error)?;
    let bytes = store.get(&id).map_err(store_error)?;
    let program = crate::bytecode::decode_with(&bytes, tools)
        .map_err(|source| LoadError::BadStored { id, source })?;
    let source = store.get_source_record(&id).ok().flatten();
    Ok(with_source(program, id, source))
}

/// A stored program with the source its sidecar keeps, if any.
fn with_source(program: Verified, id: ObjectId, source: Option<crate::store::Source>) -> Loaded {
    let (source, steps) = match source {
        Some(s) => (Some((s.file, s.text)), s.steps),
        None => (None, None),
    };
    Loaded {
        program,
        id,
        source,
        steps,
        warnings: Vec::new(),
    }
}

fn store_error(e: StoreError) -> LoadError {
    match e {
        StoreError::Corrupt { id } => LoadError::Corrupt { id },
        source => LoadError::Store { doing: "", source },
    }
}

/// Stores a loaded program's bytes and, when known, its source beside them; returns the
/// id (equal to `loaded.id`).
pub fn store(ws: &Workspace, loaded: &Loaded) -> Result<ObjectId, LoadError> {
    let bytes = crate::bytecode::encode(&loaded.program);
    ws.ensure_state_dir()?;
    let objects = ws.object_store().map_err(store_error)?;
    let id = objects.put(&bytes).map_err(|source| LoadError::Store {
        doing: "cannot store the program: ",
        source,
    })?;
    if let Some((file, text)) = &loaded.source {
        objects
            .put_source(&id, file, text, loaded.steps.as_deref())
            .map_err(|source| LoadError::Store {
                doing: "cannot store the program's source: ",
                source,
            })?;
    }
    Ok(id)
}

// The `--root` flag shared by the commands that use the workspace. (A `///` doc here
// would become the `about` of every command that flattens it.)
#[derive(Debug, Clone, clap::Args)]
pub struct RootArg {
    /// The workspace root (default: the nearest folder at or above the current one with a
    /// `.llmos/`, else the current folder); its state is in `.llmos/` there, or in
    /// `$LLMOS_HOME`.
    #[arg(long, value_name = "DIR", global = true)]
    pub root: Option<PathBuf>,
}

/// Loads a program for a command that only shows it, with the workspace's tools; its
/// warnings are printed on stderr.
pub fn load_to_show(spec: &str, root: Option<&Path>) -> Result<(Loaded, ToolTable), LoadError> {
    let (ws, tools) = workspace_and_tools(root)?;
    let loaded = load(spec, &ws, &tools)?;
    if let Some((file, text)) = &loaded.source
        && !loaded.warnings.is_empty()
    {
        super::render::print_all(&loaded.warnings, file, text, 100);
    }
    Ok((loaded, tools))
}
