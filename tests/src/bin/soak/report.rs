//! The soak's figures and its verdict.

use std::sync::atomic::Ordering;

use fanfare_integration_tests::soak::check::percentile;

use crate::drive::Run;
use crate::oracle::Found;
use crate::stack::Stack;
use crate::RunArgs;

pub(crate) fn figures(args: &RunArgs, stack: &Stack, run: &Run, found: &Found) {
    let mut latencies: Vec<i64> = run
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let first_run = found.runs.get(&e.id)?.iter().map(|(_, ms)| *ms).min()?;
            Some(first_run - run.first_sent_ms.get(&i)?)
        })
        .collect();
    latencies.sort_unstable();
    let stats = &run.stats;
    let handler_runs: usize = found.runs.values().map(Vec::len).sum();
    println!(
        "soak: main phase {:.1} s, {:.0} events/s through ingest → SQS → processor → DynamoDB",
        run.main_seconds,
        run.events.len() as f64 / run.main_seconds
    );
    println!(
        "soak: end-to-end (first send → handler run) p50 {} ms, p99 {} ms, over {} handler events",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.len()
    );
    println!(
        "soak: webhook requests {}, answered 503 {}, other non-2xx {}, transport errors {}, never delivered {}",
        stats.requests.load(Ordering::Relaxed),
        stats.unavailable.load(Ordering::Relaxed),
        stats.server_errors.load(Ordering::Relaxed),
        stats.transport_errors.load(Ordering::Relaxed),
        stats.gave_up.load(Ordering::Relaxed)
    );
    println!(
        "soak: senders paced {} times (the events queue held more than {} messages)",
        stats.paced.load(Ordering::Relaxed),
        args.max_backlog
    );
    println!(
        "soak: AWS calls through the proxy: {}",
        stack.fault_counts.summary()
    );
    println!(
        "soak: workers SIGKILLed {}; DLQ messages redriven {}",
        stack.workers.kills, run.redriven
    );
    println!(
        "soak: final records {:?} (the in-order reference: {} superseded); lost {}; \
         handler runs {handler_runs} for {} events, never ran {}; handler re-runs explained by a kill {}; applied twice {}",
        found.status_counts,
        found.reference_superseded,
        found.lost,
        found.runs.len(),
        found.never_ran,
        found.rerun_after_kill.len(),
        found.applied_twice
    );
    let (in_flight, dead_lettered, quarantined) = found.depths;
    println!(
        "soak: state items {} (reference {}), {}; in flight {in_flight}, DLQ {dead_lettered}, quarantine {quarantined}; \
         log lines with a secret or token: {}",
        found.state_items.0,
        found.state_items.1,
        if found.state_equal { "equal" } else { "DIFFERENT" },
        found.leaking
    );
    if !found.rerun_after_kill.is_empty() {
        println!(
            "soak: handler ran twice because a worker was killed between its handler and its finish: {}",
            found.rerun_after_kill.join(", ")
        );
    }
}

/// PASSED, or every failure; true when passed.
pub(crate) fn verdict(failures: &[String]) -> bool {
    if failures.is_empty() {
        println!("soak: PASSED");
        return true;
    }
    for f in failures {
        println!("soak: FAILED: {f}");
    }
    false
}
