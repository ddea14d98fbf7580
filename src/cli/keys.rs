//! `llmos keys generate|show`: the workspace's ed25519 signing key, which signs every
//! record `llmos remote push` publishes. The public key is printed on stdout as one
//! token (`ed25519:` and base64), for other machines' `[remote] trusted_keys`.

use super::Outcome;
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

pub fn run(args: Args) -> Outcome {
    match run_inner(args) {
        Ok(()) => Outcome::Success,
        Err(e) => {
            eprintln!("error: {e}");
            Outcome::Failed
        }
    }
}

fn run_inner(args: Args) -> Result<(), String> {
    let ws = Workspace::open(args.root.root.as_deref(), super::env().lookup())
        .map_err(|e| e.to_string())?;
    let path = keys::key_path(&ws.state_dir);
    match args.command {
        Command::Generate { force } => {
            let pair = keys::generate(&path, force).map_err(|e| e.to_string())?;
            outln!("{}", pair.public());
            eprintln!(
                "key saved in {}; add the public key above to `[remote] trusted_keys` \
                 on the machines that should run what you push",
                path.display()
            );
        }
        Command::Show => match keys::load(&path).map_err(|e| e.to_string())? {
            Some(pair) => outln!("{}", pair.public()),
            None => {
                return Err(format!(
                    "no key in {} (`llmos keys generate` makes one)",
                    path.display()
                ));
            }
        },
    }
    Ok(())
}
