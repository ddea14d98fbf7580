//! `llmos man [COMMAND]`: the man page (roff) of llmos or of one of its commands, from
//! the same clap definitions as the command line; `--dir DIR` writes every page
//! (`llmos.1`, `llmos-run.1`, ...) into a folder instead.

use std::path::PathBuf;

use clap::CommandFactory as _;

use super::{Cli, CliError, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The command whose page to print (default: llmos itself, which lists them all).
    pub command: Option<String>,
    /// Write the pages of llmos and of every command into this folder (e.g.
    /// ~/.local/share/man/man1) instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let mut llmos = Cli::command();
    llmos.build();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(llmos, dir))
            .map_err(|source| CliError::Io {
                doing: "cannot write the man pages to",
                path: dir.clone(),
                source,
            })?;
        note!("man pages written to {}", dir.display());
        return Ok(Outcome::Success);
    }
    let page = match &args.command {
        None => llmos,
        Some(name) => match llmos.find_subcommand(name) {
            Some(sub) => sub.clone().version(env!("CARGO_PKG_VERSION")),
            None => {
                let names: Vec<&str> = llmos.get_subcommands().map(|c| c.get_name()).collect();
                return Err(CliError::input(
                    "unknown-command",
                    format!("no command `{name}` (commands: {})", names.join(", ")),
                ));
            }
        },
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| CliError::input("man-page", format!("cannot render the man page: {e}")))?;
    out!("{}", String::from_utf8_lossy(&roff));
    Ok(Outcome::Success)
}
