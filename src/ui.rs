//! How llmos talks to people on stderr: how much (`-q`, `-v`) and in color or not
//! (`--color`). Set once by the command line ([`set`]) before any command runs; library
//! code asks here instead of looking at the terminal itself.

use std::io::IsTerminal as _;
use std::sync::OnceLock;

/// How much goes to stderr besides errors and warnings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Results and errors only: no progress, notes or summaries (`-q`).
    Quiet,
    /// Notes and summaries; progress lines and bars on a terminal.
    #[default]
    Normal,
    /// Also a progress line per LLM and tool call when stderr is not a terminal (`-v`).
    Verbose,
}

/// When to color what goes to stderr (`--color`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (or `CLICOLOR_FORCE` forces it).
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, Default)]
struct Settings {
    verbosity: Verbosity,
    color: ColorChoice,
    /// `NO_COLOR` and `CLICOLOR_FORCE` set (not empty; `CLICOLOR_FORCE=0` does not force).
    no_color: bool,
    force_color: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Sets the process's verbosity and color choice (with `NO_COLOR` and `CLICOLOR_FORCE`
/// from `env`); the first call wins.
pub fn set(verbosity: Verbosity, color: ColorChoice, env: &crate::host::Env) {
    let _ = SETTINGS.set(Settings {
        verbosity,
        color,
        no_color: env.flag("NO_COLOR"),
        force_color: env.flag("CLICOLOR_FORCE"),
    });
}

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or_default()
}

/// The verbosity set on the command line.
pub fn verbosity() -> Verbosity {
    settings().verbosity
}

/// Whether notes and summaries are printed (not `-q`).
pub fn notes() -> bool {
    verbosity() > Verbosity::Quiet
}

/// Whether to print a progress line per LLM and tool call: on a terminal, or with `-v`;
/// never with `-q`.
pub fn progress_lines() -> bool {
    match verbosity() {
        Verbosity::Quiet => false,
        Verbosity::Normal => std::io::stderr().is_terminal(),
        Verbosity::Verbose => true,
    }
}

/// Whether to draw a progress bar: only on a terminal, and not with `-q`.
pub fn progress_bar() -> bool {
    notes() && std::io::stderr().is_terminal()
}

/// Whether what goes to stderr is colored.
pub fn color() -> bool {
    let s = settings();
    match s.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if s.force_color => true,
        ColorChoice::Auto => std::io::stderr().is_terminal() && !s.no_color,
    }
}

/// Prints a note on stderr, unless `-q`.
pub fn note(text: &str) {
    if notes() {
        eprintln!("{text}");
    }
}
