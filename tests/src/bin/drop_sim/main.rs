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
mod handler;
mod ingest;
mod lambda;
mod moto;
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
    let scale = |n: &mut u64| *n = ((*n as f64) * args.scale).round() as u64;
    scale(&mut profile.queue.consumers);
    scale(&mut profile.draw.entries);
    scale(&mut profile.draw.winners);
    scale(&mut profile.auction.bids);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drop small enough for a unit test, with many duplicates and late copies.
    fn small(path: &str, groups: &str, handler_ms: f64) -> Profile {
        let mut p = Profile::default();
        p.queue.consumers = 200;
        p.queue.admit_per_s = 50.0;
        p.draw.entries = 300;
        p.draw.over_s = 10.0;
        p.draw.winners = 10;
        p.auction.bids = 60;
        p.auction.ends_at_s = 20.0;
        p.auction.last_s = 10.0;
        p.duplicates = 0.05;
        p.disorder = 0.05;
        p.receiver.path = path.into();
        p.receiver.groups = groups.into();
        p.receiver.handler_ms = handler_ms;
        p
    }

    fn run(profile: &Profile) -> Vec<report::Figures> {
        let drop = std::sync::Arc::new(arrivals::generate(profile, &mut StdRng::seed_from_u64(7)));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let out = tokio::task::LocalSet::new()
            .block_on(&runtime, run::simulate(profile, drop.clone(), 7));
        report::figures(&drop, &out)
    }

    /// The simulated receiver is the template's, unless a profile or an option says otherwise.
    #[test]
    fn the_receivers_defaults_are_the_templates() {
        let template =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
                .unwrap();
        let default_of = |name: &str| -> f64 {
            let at = template
                .find(&format!("\n  {name}:\n"))
                .unwrap_or_else(|| panic!("{name}"));
            let line = template[at..]
                .lines()
                .find(|l| l.trim_start().starts_with("Default:"))
                .unwrap();
            line.trim_start()
                .trim_start_matches("Default:")
                .trim()
                .parse()
                .unwrap()
        };
        let r = profile::Receiver::default();
        assert_eq!(
            default_of("ProcessorMaximumConcurrency"),
            r.processor_concurrency as f64
        );
        assert_eq!(
            default_of("IngestReservedConcurrency"),
            r.ingest_concurrency as f64
        );
        assert_eq!(default_of("RouteThrottleRate"), r.route_throttle_rate);
        assert_eq!(default_of("RouteThrottleBurst"), r.route_throttle_burst);
        let visibility = template.find("VisibilityTimeout: ").map(|at| {
            template[at + 19..]
                .lines()
                .next()
                .unwrap()
                .trim()
                .parse::<f64>()
                .unwrap()
        });
        assert_eq!(visibility, Some(r.visibility_timeout_s));
    }

    #[test]
    fn every_event_of_a_small_drop_reaches_the_handler_on_either_path() {
        for path in ["batch", "one-by-one"] {
            for f in run(&small(path, "member", 0.0)) {
                assert_eq!(f.handled, f.events, "{path} {}", f.family.name());
                assert_eq!(f.never_handled + f.dead_lettered, 0);
            }
        }
    }

    #[test]
    fn a_hot_draw_in_one_group_lags_behind_its_entrants_in_groups_of_their_own() {
        let lag = |groups| {
            let figures = run(&small("batch", groups, 50.0));
            figures
                .iter()
                .find(|f| f.family == arrivals::Family::Draw)
                .unwrap()
                .lag_p99_s
        };
        let (one_group, per_entrant) = (lag("entity"), lag("member"));
        // 30 entries a second at 50 ms each cannot be served one at a time.
        assert!(
            one_group > 5.0 * per_entrant,
            "{one_group} s against {per_entrant} s"
        );
    }
}
