//! `llmos completions SHELL`: the shell completion script, from the same clap
//! definitions as the command line itself.

use clap::CommandFactory as _;
use clap_complete::Shell;

use super::{Cli, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: Args) -> Result<Outcome, super::CliError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "llmos", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(Outcome::Success)
}
