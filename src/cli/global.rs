//! The options every command takes: `-q`, `-v` and `--color`.

use crate::ui::{self, ColorChoice, Verbosity};

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Print only results and errors: no progress, notes or summaries.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print a line per LLM and tool call as it happens, also when stderr is not a
    /// terminal.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Color diagnostics and messages: auto (on a terminal, unless NO_COLOR is set),
    /// always, never.
    #[arg(long, value_enum, global = true, default_value_t, value_name = "WHEN")]
    pub color: ColorChoice,
}

impl GlobalArgs {
    /// Makes the options the process's settings (see [`crate::ui`]).
    pub fn apply(&self, env: &crate::host::Env) {
        let verbosity = match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        };
        ui::set(verbosity, self.color, env);
    }
}

/// `--color` as given on the command line, for clap's own help and errors, which are
/// printed before the arguments are parsed (the last one wins, as clap reads it).
pub fn color_in_args(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    let mut choice = clap::ColorChoice::Auto;
    let mut next_is_value = false;
    for arg in args.iter().skip(1) {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        let value = if next_is_value {
            Some(arg)
        } else {
            arg.strip_prefix("--color=")
        };
        next_is_value = arg == "--color";
        choice = match value {
            Some("always") => clap::ColorChoice::Always,
            Some("never") => clap::ColorChoice::Never,
            Some("auto") => clap::ColorChoice::Auto,
            _ => choice,
        };
    }
    choice
}
