//! `--recommend`: the template's parameter values that meet the goals for a profile, and the needs
//! file `fanfare-webhooks doctor --drop` compares a deployed stack with.
//!
//! The processor's concurrency is the smallest of a ladder that meets the goals on a stack whose
//! tables have seen a higher peak (so only Lambda and the partitions limit it); the warm throughput
//! of each table and index is 1.25 × the busiest second of that run (at least a new table's 4,000);
//! the route throttle and ingest's concurrency 1.25 × the busiest second of deliveries. The values
//! are then run on a new stack, and the result printed.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Serialize;

use crate::arrivals::{self, Drop};
use crate::billing::{FAILED_INDEX, IDEMPOTENCY, STATE};
use crate::profile::Profile;
use crate::report::{self, Figures};
use crate::run::{self, Outcome};

const CONCURRENCY_LADDER: [usize; 9] = [10, 20, 30, 40, 60, 80, 120, 160, 240];
const MARGIN: f64 = 1.25;

/// What a stack needs for a drop, by template parameter name.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Needs {
    pub processor_maximum_concurrency: usize,
    pub ingest_reserved_concurrency: usize,
    pub route_throttle_rate: u64,
    pub route_throttle_burst: u64,
    pub idempotency_table_warm_write_units: u64,
    pub state_table_warm_write_units: u64,
    pub failed_index_warm_write_units: u64,
}

/// One simulated run of the profile.
pub fn simulate(profile: &Profile, drop: &Arc<Drop>, seed: u64) -> (Outcome, Vec<Figures>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let out =
        tokio::task::LocalSet::new().block_on(&runtime, run::simulate(profile, drop.clone(), seed));
    let figures = report::figures(drop, &out);
    (out, figures)
}

fn with_margin(peak: f64) -> u64 {
    ((peak * MARGIN / 1000.0).ceil() * 1000.0) as u64
}

/// The needs read off a run on a warmed stack at `concurrency`.
fn needs_of(profile: &Profile, out: &Outcome, concurrency: usize) -> Needs {
    let table = |name: &str| {
        let peak = out
            .table_loads
            .iter()
            .find(|load| load.name == name)
            .map_or(0.0, |load| load.peak());
        with_margin(peak).max(profile.receiver.new_table_write_units_per_s as u64)
    };
    let deliveries = out.arrivals.iter().copied().max().unwrap_or(0) as f64;
    let route = with_margin(deliveries).max(1000);
    let in_flight = deliveries * profile.receiver.ingest_ms / 1000.0;
    Needs {
        processor_maximum_concurrency: concurrency,
        ingest_reserved_concurrency: ((in_flight * MARGIN).ceil() as usize).max(10),
        route_throttle_rate: route,
        route_throttle_burst: route,
        idempotency_table_warm_write_units: table(IDEMPOTENCY),
        state_table_warm_write_units: table(STATE),
        failed_index_warm_write_units: table(FAILED_INDEX),
    }
}

/// The profile on a stack with these values.
fn applied(profile: &Profile, needs: &Needs) -> Profile {
    let mut p = profile.clone();
    let r = &mut p.receiver;
    r.processor_concurrency = needs.processor_maximum_concurrency;
    r.ingest_concurrency = needs.ingest_reserved_concurrency;
    r.route_throttle_rate = needs.route_throttle_rate as f64;
    r.route_throttle_burst = needs.route_throttle_burst as f64;
    r.idempotency_warm_write_units = needs.idempotency_table_warm_write_units as f64;
    r.state_warm_write_units = needs.state_table_warm_write_units as f64;
    r.failed_index_warm_write_units = needs.failed_index_warm_write_units as f64;
    r.previous_peak_write_units = 0.0;
    r.stack = "new".into();
    p
}

/// Finds the values, checks them on a new stack, prints them, and writes the needs file.
pub fn recommend(profile: &Profile, seed: u64, out_path: &std::path::Path) -> bool {
    let drop = Arc::new(arrivals::generate(
        profile,
        &mut StdRng::seed_from_u64(seed),
    ));
    let mut warmed = profile.clone();
    warmed.receiver.previous_peak_write_units = 1e7;
    warmed.receiver.route_throttle_rate = 1e9;
    warmed.receiver.route_throttle_burst = 1e9;
    warmed.receiver.ingest_concurrency = 100_000;
    let mut found = None;
    for &concurrency in &CONCURRENCY_LADDER {
        warmed.receiver.processor_concurrency = concurrency;
        let (out, figures) = simulate(&warmed, &drop, seed);
        let met = report::goals_met(&figures);
        println!(
            "processor concurrency {concurrency:>3} on a warmed stack: goals {}",
            if met { "met" } else { "missed" }
        );
        if met {
            found = Some(needs_of(&warmed, &out, concurrency));
            break;
        }
    }
    let Some(needs) = found else {
        println!("no processor concurrency up to {} meets the goals: the handler or a hot entity is the limit", CONCURRENCY_LADDER[CONCURRENCY_LADDER.len() - 1]);
        return false;
    };
    let on_new = applied(profile, &needs);
    let (out, figures) = simulate(&on_new, &drop, seed);
    println!("\nwith these values on a new stack:");
    report::print(&on_new, &drop, &figures, &out);
    let json = serde_json::to_string_pretty(&needs).expect("needs serialize");
    println!("\nparameter overrides for sam deploy:");
    for (name, value) in serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&json)
        .expect("an object")
    {
        print!("{name}={value} ");
    }
    println!();
    if let Some(dir) = out_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(out_path, json + "\n") {
        Ok(()) => println!(
            "needs: {} (fanfare-webhooks doctor --stack NAME --drop {})",
            out_path.display(),
            out_path.display()
        ),
        Err(e) => eprintln!("drop-sim: cannot write {}: {e}", out_path.display()),
    }
    report::goals_met(&figures)
}
