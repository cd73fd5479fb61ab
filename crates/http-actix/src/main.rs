//! `api`: parse the command line, run it, report failure on stderr.

use std::process::ExitCode;

use clap::Parser;
use http_actix::cli::{Cli, run};

/// mimalloc instead of glibc's malloc: a request allocates and frees many
/// small blocks, and malloc/free were a tenth of the server's CPU
/// (BENCHMARKS.md, "What changed").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
