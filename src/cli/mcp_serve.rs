//! `llmos mcp serve [--http ADDR] [--allow CAP,...] [--budget USD] [--timeout D]`: the
//! stored programs as MCP tools, on stdio (the default) or streamable HTTP on a loopback
//! address. Stdout carries only the protocol.

use std::net::SocketAddr;
use std::time::Duration;

use super::exec::{parse_cap, parse_limit};
use super::program::RootArg;
use super::{CliError, Outcome};
use crate::kernel::Kernel;
use crate::mcp::ServeError;
use crate::mcp::serve::State;
use crate::types::{Effect, EffectSet};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Serve streamable HTTP on this loopback address (e.g. 127.0.0.1:8931; port 0 picks
    /// one) instead of stdio. The endpoint is printed on stderr.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Capabilities granted to the programs beyond pure, read, write and llm.
    #[arg(long, value_name = "CAP,...", value_delimiter = ',', value_parser = parse_cap)]
    pub allow: Vec<Effect>,
    /// What the `ask` slots of one call may spend, in US dollars.
    #[arg(long, value_name = "USD")]
    pub budget: Option<f64>,
    /// Time limit of one call.
    #[arg(long, value_name = "DURATION", value_parser = parse_limit)]
    pub timeout: Option<Duration>,
}

pub fn run(args: Args, root: &RootArg) -> Result<Outcome, CliError> {
    let budget = match args.budget {
        Some(usd) => Some(crate::usage::to_micros(usd).ok_or_else(|| {
            CliError::input(
                "bad-amount",
                "--budget must be a number of dollars >= 0 (at most 1e9)",
            )
        })?),
        None => None,
    };
    // Calls are served at once: a runtime with worker threads.
    let host = super::host(root.root.as_deref())?;
    let kernel = Kernel::new(host.with_workers(2))?;
    let granted = EffectSet::DEFAULT_GRANTED
        .union(kernel.config().allowed())
        .union(args.allow.iter().copied().collect());
    let runtime = kernel.host.runtime()?.handle().clone();
    let served = runtime.block_on(async move {
        let state =
            tokio::task::spawn_blocking(move || State::new(kernel, granted, budget, args.timeout))
                .await
                .map_err(|e| ServeError::Session(e.to_string()))??;
        eprintln!(
            "llmos mcp serve: {} program{} offered",
            state.catalog().offered.len(),
            if state.catalog().offered.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        match args.http {
            Some(addr) => {
                crate::mcp::serve::serve_http(state, addr, |url| {
                    eprintln!("llmos mcp serve: listening on {url}");
                })
                .await
            }
            None => crate::mcp::serve::serve_stdio(state, super::out::record_failure).await,
        }
    });
    served?;
    Ok(Outcome::Success)
}
