//! `make drop-sim`: the drop before the drop. Runs the real processor code on the in-memory stores
//! under tokio's paused clock (an hour of drop in seconds) with what it cannot run modelled: Lambda's
//! FIFO event source, DynamoDB's latency and per-partition write limit with the SDK's retries, and
//! ingest behind the route throttle. Prints per family the lag from arrival to handler, the peak
//! backlog, the drain time, requests, write units and the estimated cost; writes a plot.
//!
//! `--check` compares the model with reality: the `make bench` shapes in virtual time against the
//! same shapes in real time.

mod arrivals;
mod check;
mod profile;
mod queue;
mod report;
mod run;
mod stores;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rand::rngs::StdRng;
use rand::SeedableRng;

use profile::Profile;

#[derive(Parser)]
#[command(about = "Simulate a drop against the receiver before the drop")]
struct Args {
    /// The drop (JSON; fields left out take the defaults of profiles/default.json).
    #[arg(long, default_value = "profiles/default.json")]
    profile: PathBuf,
    /// The handler's time per event, ms.
    #[arg(long)]
    handler_ms: Option<f64>,
    /// ProcessorMaximumConcurrency.
    #[arg(long)]
    concurrency: Option<usize>,
    #[arg(long)]
    store_median_ms: Option<f64>,
    #[arg(long)]
    store_p99_ms: Option<f64>,
    /// `batch` (today's processor) or `one-by-one` (each group's messages one at a time, as before
    /// issue 19).
    #[arg(long)]
    path: Option<String>,
    /// `member` (today's message groups) or `entity` (one group per draw or auction, as before).
    #[arg(long)]
    groups: Option<String>,
    /// Kinds ingest acknowledges without queueing (AcknowledgeOnlyKinds), comma-separated.
    #[arg(long, value_delimiter = ',')]
    ack_only: Option<Vec<String>>,
    /// Scales every family's event count (0.1: a tenth of the drop), for a quick look.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the plot goes.
    #[arg(long, default_value = "target/drop-sim/plot.svg")]
    svg: PathBuf,
    /// Check the model against real time instead.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.check {
        return check::run();
    }
    let mut profile = match Profile::load(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("drop-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    apply(&args, &mut profile);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let drop = std::sync::Arc::new(arrivals::generate(&profile, &mut rng));
    let started = std::time::Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let local = tokio::task::LocalSet::new();
    let out = local.block_on(&runtime, run::simulate(&profile, drop.clone(), args.seed));
    let figures = report::figures(&drop, &out);
    report::print(&profile, &figures, &out);
    if let Some(dir) = args.svg.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&args.svg, report::svg(&drop, &out)) {
        Ok(()) => println!("plot: {}", args.svg.display()),
        Err(e) => eprintln!("drop-sim: cannot write {}: {e}", args.svg.display()),
    }
    println!(
        "simulated {} events, {:.0} s of drop, in {:.1} s",
        drop.events.len(),
        out.arrivals.len().max(out.depth.len()),
        started.elapsed().as_secs_f64()
    );
    if figures.iter().any(|f| f.never_handled > 0) {
        eprintln!("drop-sim: an event was queued and never handled");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn apply(args: &Args, profile: &mut Profile) {
    let r = &mut profile.receiver;
    if let Some(v) = args.handler_ms {
        r.handler_ms = v;
    }
    if let Some(v) = args.concurrency {
        r.processor_concurrency = v;
    }
    if let Some(v) = args.store_median_ms {
        r.store_median_ms = v;
    }
    if let Some(v) = args.store_p99_ms {
        r.store_p99_ms = v;
    }
    if let Some(v) = &args.path {
        r.path = v.clone();
    }
    if let Some(v) = &args.groups {
        r.groups = v.clone();
    }
    if let Some(v) = &args.ack_only {
        r.ack_only_kinds = v.clone();
    }
    let scale = |n: &mut u64| *n = ((*n as f64) * args.scale).round() as u64;
    scale(&mut profile.queue.consumers);
    scale(&mut profile.draw.entries);
    scale(&mut profile.draw.winners);
    scale(&mut profile.auction.bids);
}
