//! The migration CLI: `cargo run -p migration -- up` (or `down`, `status`,
//! `fresh --yes`, ...), reading the database URL from `-u` or `DATABASE_URL`
//! (the environment or `.env`). The command line is in `cli.rs`.

use std::process::ExitCode;

use clap::Parser;

mod cli;

#[tokio::main]
async fn main() -> ExitCode {
    cli::load_dotenv();
    match cli::run(cli::Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}
