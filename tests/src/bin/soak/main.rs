//! `make soak`: N events (every family), 20 % delivered two to four times, shuffled, some duplicates
//! long after the original; signed and POSTed by several senders to the ingest endpoint; AWS calls
//! failing through a fault proxy; processor workers SIGKILLed mid-batch and restarted; ingest
//! answering 503. Then the oracle: one final record per event, DynamoDB state equal to the
//! reference, no unexplained second handler run, nothing in flight, DLQ empty after redrive, no
//! secret in any log line. Needs MOTO_ENDPOINT (the Makefile starts moto).

//!
//! One phase a module: `stack` (queues, tables, fault proxy, ingest and worker children), `send`
//! (Fanfare's senders and the queue probes), `drive` (main phase with kills, late duplicates,
//! redrive), `oracle` (the checks), `report` (the figures).

mod drive;
mod oracle;
mod report;
mod send;
mod stack;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use fanfare_integration_tests::soak::children::{run_ingest, run_worker, IngestArgs, WorkerArgs};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole soak (what `make soak` runs).
    Run(RunArgs),
    /// A child: the ingest endpoint.
    Ingest(IngestArgs),
    /// A child: one processor worker.
    Worker(WorkerArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RunArgs {
    #[arg(long, default_value_t = 10_000)]
    pub(crate) events: usize,
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    #[arg(long, default_value_t = 0.2)]
    pub(crate) duplicate_rate: f64,
    #[arg(long, default_value_t = 6)]
    pub(crate) senders: usize,
    #[arg(long, default_value_t = 2)]
    pub(crate) workers: usize,
    /// Share of AWS calls that get a fault, split between the five kinds.
    #[arg(long, default_value_t = 0.03)]
    pub(crate) fault_rate: f64,
    /// Share of webhook requests answered 503 before they reach ingest.
    #[arg(long, default_value_t = 0.02)]
    pub(crate) unavailable_rate: f64,
    /// Mean seconds between SIGKILLs of a worker (0: never).
    #[arg(long, default_value_t = 4.0)]
    pub(crate) kill_every_secs: f64,
    /// The run fails if it has not converged by then (10,000 events take ~850 s on 2 cores).
    #[arg(long, default_value_t = 2_400)]
    pub(crate) max_secs: u64,
    /// Senders wait while the events queue holds more than this: moto's SQS scans every message on
    /// each call, so an unbounded backlog measures moto, not the receiver.
    #[arg(long, default_value_t = 200)]
    pub(crate) max_backlog: u64,
    #[arg(long, default_value = "target/soak")]
    pub(crate) out_dir: PathBuf,
}

pub(crate) const SECRET: &str = "whsec_soak_do_not_log";
/// The processor's invocation timeout (its claim lease); the queue hides a received message
/// for twice that, as the template does.
pub(crate) const WORKER_TIMEOUT_SECS: i64 = 4;
pub(crate) const VISIBILITY_SECS: i64 = 8;
pub(crate) const MAX_RECEIVE_COUNT: i64 = 5;
pub(crate) const SEND_ATTEMPTS: u32 = 30;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("soak: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Ingest(args) => {
            fanfare_shared::telemetry::init();
            report_child(runtime.block_on(run_ingest(args)))
        }
        Command::Worker(args) => {
            fanfare_shared::telemetry::init();
            report_child(runtime.block_on(run_worker(args)))
        }
        Command::Run(args) => match runtime.block_on(soak(args)) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("soak: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn report_child(result: Result<(), Box<dyn std::error::Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("soak child: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) type Error = Box<dyn std::error::Error>;

/// Set up, drive, check, report.
async fn soak(args: RunArgs) -> Result<bool, Error> {
    let started = Instant::now();
    let until = started + Duration::from_secs(args.max_secs);
    let moto = std::env::var("MOTO_ENDPOINT")
        .map_err(|_| "MOTO_ENDPOINT is not set: run `make soak`, which starts moto")?;
    let mut stack = stack::set_up(&args, &moto).await?;
    let run = drive::run(&args, &mut stack, until).await?;
    stack.stop();
    let found = oracle::check(&args, &stack, &run).await?;
    report::figures(&args, &stack, &run, &found);
    println!("soak: took {:.0} s", started.elapsed().as_secs_f64());
    Ok(report::verdict(&found.failures))
}
