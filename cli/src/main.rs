//! `fanfare-webhooks`: sign and verify Fanfare webhooks with the same code the ingest function runs.

mod signing;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "fanfare-webhooks",
    version,
    about = "Tools for the fanfare-webhooks receiver"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the signature headers Fanfare would send for a body, one `Name: value` per line.
    Sign(signing::SignArgs),
    /// Check signature headers against a body, exactly as the ingest function does.
    ///
    /// Exit codes: 0 valid (prints the normalised event as JSON), 1 signature rejected,
    /// 2 usage error, 3 valid signature but not a valid event envelope.
    Verify(signing::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sign(args) => signing::sign(args),
        Command::Verify(args) => signing::verify(args),
    }
}
