//! `llmos keys generate|show`: the workspace's ed25519 signing key, which signs every
//! record `llmos remote push` publishes. The public key is printed on stdout as one
//! token (`ed25519:` and base64), for other machines' `[remote] trusted_keys`.

use super::{CliError, Outcome};
use crate::remote::keys;
use crate::workspace::Workspace;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub root: super::program::RootArg,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Make a new key in the workspace and print its public key.
    Generate {
        /// Replace an existing key (records it signed stay trusted only where its
        /// public key is listed).
        #[arg(long)]
        force: bool,
    },
    /// Print the workspace's public key.
    Show,
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let ws = Workspace::open(args.root.root.as_deref(), super::env().lookup())?;
    let path = keys::key_path(&ws.state_dir);
    match args.command {
        Command::Generate { force } => {
            let pair = keys::generate(&path, force)?;
            outln!("{}", pair.public());
            eprintln!(
                "key saved in {}; add the public key above to `[remote] trusted_keys` \
                 on the machines that should run what you push",
                path.display()
            );
        }
        Command::Show => match keys::load(&path)? {
            Some(pair) => outln!("{}", pair.public()),
            None => {
                return Err(CliError::input(
                    "no-key",
                    format!(
                        "no key in {} (`llmos keys generate` makes one)",
                        path.display()
                    ),
                ));
            }
        },
    }
    Ok(Outcome::Success)
}
