//! The command line: clap definitions, one file per subcommand, and the mapping of
//! outcomes to exit codes (0 success, 1 bad input or failed run, 2 bad command line).
//! Every command returns `Result<Outcome, CliError>`; [`run`] is where an error is shown
//! (see [`error`]).
// Results go to stdout through `outln!`/`out!` (see `out.rs`), never `println!`.
#![deny(clippy::print_stdout)]

// First: its macros are used by the modules below.
#[macro_use]
mod out;

mod budget;
mod check;
mod compile;
mod completions;
mod config;
mod demo;
mod disasm;
mod error;
mod exec;
mod fmt;
mod global;
mod graph;
mod init;
mod interactive;
mod keys;
mod man;
mod mcp;
mod mcp_serve;
pub mod program;
mod remote;
pub mod render;
mod run;
mod source;
mod store;
mod tools;
mod traces;

use std::sync::OnceLock;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::host::{Env, Host};
use crate::kernel::Kernel;
pub use error::CliError;

/// llmos: an operating system for LLM work. The LLM is a costly CPU; compiled traces are
/// cheap bytecode.
#[derive(Debug, Parser)]
#[command(name = "llmos", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: global::GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

// Only the chosen subcommand's arguments are built (`defer`): building all of them is a
// measurable part of a Follower run's start.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Parse, type-check and lint `.llt` files; prints every diagnostic.
    Check(check::Args),
    /// Rewrite `.llt` files in the canonical layout (`--check` only reports).
    Fmt(fmt::Args),
    /// Compile a `.llt` trace or a `.yaml` Learner recording to bytecode, store it and
    /// print its id.
    Compile(compile::Args),
    /// Print the readable listing of a program.
    Disasm(disasm::Args),
    /// Draw a program's DAG (Graphviz DOT or Mermaid).
    Graph(graph::Args),
    /// Check the program store (`verify`) or drop unreferenced objects (`gc`).
    Store(store::Args),
    /// Run a program in the VM (Follower mode): its output on stdout.
    Exec(exec::Args),
    /// List every tool with its signature, effects and doc.
    Tools(tools::Args),
    /// Reach a goal: a stored program when one matches, else the Learner (an LLM with
    /// tools, every call recorded).
    Run(run::Args),
    /// The token budget: balance, spend and recent charges; `--set USD` sets the balance.
    Budget(budget::Args),
    /// The trace library: `ls`, `show ID`, `rm ID`, `import FILE...`.
    Traces(traces::Args),
    /// A prompt that takes goals one after another.
    Interactive(interactive::Args),
    /// The team's shared library: `push [ID...]`, `pull`, `status`.
    Remote(remote::Args),
    /// The workspace's signing key: `generate`, `show`.
    Keys(keys::Args),
    /// See the Learner -> Follower loop offline: a goal learned from a recorded LLM
    /// (a cassette), then two goals of the same shape followed without it.
    Demo(demo::Args),
    /// Print the shell completion script: bash, zsh, fish, elvish or powershell.
    Completions(completions::Args),
    /// Print the man page (roff), or write every page to a folder with `--dir`.
    Man(man::Args),
    /// Make a folder a workspace: `.llmos/` with a commented `config.toml`.
    Init(init::Args),
    /// Print the settings in effect and where each comes from.
    Config(config::Args),
    /// MCP: `refresh` the cached tool lists of the configured servers; `serve` the
    /// stored programs as MCP tools.
    Mcp(mcp::Args),
}

impl Command {
    /// Whether a failure is printed on stdout as `{"error": {...}}` too: the commands
    /// asked for `--json` whose result is not a run's (`exec` and `run` print a run's
    /// object with its `error` themselves).
    fn json_errors(&self) -> bool {
        match self {
            Command::Check(a) => a.json,
            Command::Tools(a) => a.json,
            Command::Budget(a) => a.json,
            Command::Config(a) => a.json,
            Command::Run(a) => a.json && a.explain,
            Command::Traces(a) => a.json(),
            Command::Remote(a) => a.json(),
            _ => false,
        }
    }
}

/// The outcome of a command, mapped to the process exit code.
pub enum Outcome {
    Success,
    /// The input was wrong or the run failed (exit 1); the message was already printed.
    Failed,
}

/// The process environment, read once (the first thing [`run`] does); everything below
/// the command line gets it from here, through the [`Host`].
fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| Env::new(std::env::vars_os()))
}

/// The host of the workspace at `root` (else the one found from the current folder).
fn host(root: Option<&std::path::Path>) -> Result<Host, crate::host::HostError> {
    Host::open(root, env().clone())
}

/// The kernel of the workspace at `root`: its host, store and tools.
fn kernel(root: Option<&std::path::Path>) -> Result<Kernel, crate::kernel::KernelError> {
    Kernel::new(host(root)?)
}

/// Runs the command line and returns the exit code.
pub fn run() -> u8 {
    let env = env();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let command = Cli::command().color(global::color_in_args(&args));
    let parsed = command
        .try_get_matches_from(&args)
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            // `--help` and `--version` go to stdout, which may be full too.
            let printed = e.print().map_err(|e| CliError::Stdout(e.to_string()));
            return match printed.and_then(|()| out::finish()) {
                Ok(()) => code,
                Err(e) => {
                    e.print();
                    1
                }
            };
        }
    };
    cli.global.apply(env);
    let json = cli.command.json_errors();
    let result = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Disasm(a) => disasm::run(a),
        Command::Graph(a) => graph::run(a),
        Command::Store(a) => store::run(a),
        Command::Exec(a) => exec::run(a),
        Command::Tools(a) => tools::run(a),
        Command::Run(a) => run::run(a),
        Command::Budget(a) => budget::run(a),
        Command::Traces(a) => traces::run(a),
        Command::Interactive(a) => interactive::run(a),
        Command::Remote(a) => remote::run(a),
        Command::Keys(a) => keys::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
        Command::Init(a) => init::run(a),
        Command::Config(a) => config::run(a),
        Command::Mcp(a) => mcp::run(a),
    };
    let outcome = result.unwrap_or_else(|e| {
        e.print();
        if json {
            outln!("{}", crate::value::pretty_json(&e.json_object()));
        }
        Outcome::Failed
    });
    let code = match outcome {
        Outcome::Success => 0,
        Outcome::Failed => 1,
    };
    match out::finish() {
        Ok(()) => code,
        Err(e) => {
            e.print();
            1
        }
    }
}
