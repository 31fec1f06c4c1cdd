//! `make drop-sim`: the drop before the drop. Runs the real processor code on the in-memory stores
//! under tokio's paused clock (twenty minutes of drop in under a minute) with what it cannot run
//! modelled as AWS bills and throttles it: Lambda's FIFO event source and its ramp, DynamoDB's
//! round trips, item-size billing and partition, table and index limits with the SDK's retries, and
//! ingest behind the route throttle. Prints per family the lag from arrival to handler, the peak
//! backlog, the drain time, requests, write units and the estimated cost; writes a plot.
//!
//! `--check` compares the model with moto; `--recommend` finds the template's values for a profile.

mod arrivals;
mod billing;
mod capacity;
mod check;
mod downstream;
mod handler;
mod ingest;
mod lambda;
mod moto;
mod plot;
mod profile;
mod queue;
mod recommend;
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
    /// `batch` (today's processor) or `one-by-one` (each group's messages one at a time, as before a
    /// group's run was claimed together).
    #[arg(long)]
    path: Option<String>,
    /// RouteThrottleRate and RouteThrottleBurst (requests a second, and at once).
    #[arg(long)]
    route_rate: Option<f64>,
    #[arg(long)]
    route_burst: Option<f64>,
    /// IngestReservedConcurrency.
    #[arg(long)]
    ingest_concurrency: Option<usize>,
    /// `member` (today's message groups) or `entity` (one group per draw or auction, as before).
    #[arg(long)]
    groups: Option<String>,
    /// The stack the drop meets: `new` (a new stack with the template's warm throughput), `bare`
    /// (a new stack without warm throughput: each table and index at a new table's 4,000 write
    /// units a second), or `warmed` (its tables have seen a far higher peak before).
    #[arg(long, default_value = "new")]
    stack: String,
    /// Warm throughput of the tables and the failed index (write units a second), as the
    /// template's parameters set it.
    #[arg(long)]
    idempotency_warm: Option<f64>,
    #[arg(long)]
    state_warm: Option<f64>,
    #[arg(long)]
    failed_index_warm: Option<f64>,
    /// Share of events whose handler fails its first attempt.
    #[arg(long)]
    handler_failure_rate: Option<f64>,
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
    /// Find the template's parameter values that meet the goals for the profile instead, and
    /// write them where `fanfare-webhooks doctor --drop` reads them.
    #[arg(long)]
    recommend: bool,
    /// Where `--recommend` writes the needs.
    #[arg(long, default_value = "target/drop-sim/needs.json")]
    needs: PathBuf,
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
    if args.recommend {
        return match recommend::recommend(&profile, args.seed, &args.needs) {
            true => ExitCode::SUCCESS,
            false => ExitCode::FAILURE,
        };
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    let drop = std::sync::Arc::new(arrivals::generate(&profile, &mut rng));
    let started = std::time::Instant::now();
    let (out, figures) = recommend::simulate(&profile, &drop, args.seed);
    report::print(&profile, &drop, &figures, &out);
    if let Some(dir) = args.svg.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let plotted = plot::svg(&drop, &out).map_err(|e| e.to_string());
    match plotted.and_then(|svg| std::fs::write(&args.svg, svg).map_err(|e| e.to_string())) {
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
    if let Some(v) = args.route_rate {
        r.route_throttle_rate = v;
    }
    if let Some(v) = args.route_burst {
        r.route_throttle_burst = v;
    }
    if let Some(v) = args.ingest_concurrency {
        r.ingest_concurrency = v;
    }
    if let Some(v) = &args.groups {
        r.groups = v.clone();
    }
    if let Some(v) = &args.ack_only {
        r.ack_only_kinds = v.clone();
    }
    r.stack = args.stack.clone();
    match args.stack.as_str() {
        "bare" => {
            r.idempotency_warm_write_units = 0.0;
            r.state_warm_write_units = 0.0;
            r.failed_index_warm_write_units = 0.0;
        }
        // Twice a peak this high is far above anything a drop here reaches.
        "warmed" => r.previous_peak_write_units = 1e7,
        _ => {}
    }
    let warm = [
        (args.idempotency_warm, &mut r.idempotency_warm_write_units),
        (args.state_warm, &mut r.state_warm_write_units),
        (args.failed_index_warm, &mut r.failed_index_warm_write_units),
    ];
    for (arg, field) in warm {
        if let Some(v) = arg {
            *field = v;
        }
    }
    if let Some(v) = args.handler_failure_rate {
        profile.handler_failure_rate = v;
    }
    let scale = |n: &mut u64| *n = ((*n as f64) * args.scale).round() as u64;
    scale(&mut profile.queue.consumers);
    scale(&mut profile.draw.entries);
    scale(&mut profile.draw.winners);
    scale(&mut profile.auction.bids);
}

#[cfg(test)]
mod tests;
