//! The figures a brand plans with, per family, the drop's estimated cost, and the plot.

use std::collections::HashMap;

use crate::arrivals::{Drop, Family};
use crate::profile::Profile;
use crate::run::Outcome;

/// One family's figures.
pub struct Figures {
    pub family: Family,
    pub events: usize,
    pub handled: usize,
    pub lag_p50_s: f64,
    pub lag_p99_s: f64,
    pub lag_max_s: f64,
    pub peak_backlog: usize,
    pub drain_s: f64,
    pub acknowledged_only: usize,
    /// Events whose handler failed once or whose downstream call a pace deferred, and those queued
    /// behind them in their message group while they waited (a backoff, a slot): their lag is the
    /// retry's or the downstream's, not the receiver's, so the lag and drain figures above leave
    /// them out and these count them.
    pub held_back: usize,
    pub held_back_lag_max_s: f64,
    pub dead_lettered: usize,
    /// Queued, not dead-lettered, and its handler never ran: must be 0.
    pub never_handled: usize,
    pub requests: u64,
    pub write_units: u64,
    pub throttled: u64,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Per event: whether a handler failure or a downstream's pace held it back (it failed or was
/// deferred, or it arrived in that event's group while that one waited).
pub fn held_back(drop: &Drop, out: &Outcome) -> Vec<bool> {
    let waited = |i: usize| drop.events[i].fails_once || out.paced.get(i).copied().unwrap_or(false);
    let mut failures: HashMap<&str, Vec<(f64, f64)>> = HashMap::new();
    for (i, e) in drop.events.iter().enumerate() {
        if let (true, Some(arrived)) = (waited(i), out.arrived[i]) {
            let until = out.handled[i].unwrap_or(f64::INFINITY);
            failures.entry(&e.group).or_default().push((arrived, until));
        }
    }
    drop.events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let arrived = out.arrived[i].unwrap_or(0.0);
            waited(i)
                || failures.get(&*e.group).is_some_and(|spans| {
                    spans
                        .iter()
                        .any(|(from, until)| arrived >= *from && arrived <= *until)
                })
        })
        .collect()
}

pub fn figures(drop: &Drop, out: &Outcome) -> Vec<Figures> {
    let held = held_back(drop, out);
    Family::ALL
        .iter()
        .map(|&family| {
            let mut lags = Vec::new();
            let (mut events, mut last_arrival, mut last_handled) = (0, 0f64, 0f64);
            let (mut ack_only, mut dead, mut never) = (0, 0, 0);
            let (mut held_count, mut held_max) = (0, 0f64);
            for (i, _) in drop
                .events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.family == family)
            {
                events += 1;
                let arrived = out.arrived[i].unwrap_or(0.0);
                match out.handled[i] {
                    Some(at) if held[i] => {
                        held_count += 1;
                        held_max = held_max.max((at - arrived) / 1000.0);
                    }
                    Some(at) => {
                        last_arrival = last_arrival.max(arrived);
                        lags.push((at - arrived) / 1000.0);
                        last_handled = last_handled.max(at);
                    }
                    None if out.acknowledged_only[i] => ack_only += 1,
                    None if out.dead_lettered[i] => dead += 1,
                    None => never += 1,
                }
            }
            lags.sort_by(f64::total_cmp);
            let usage = out.usage.get(&family).copied().unwrap_or_default();
            Figures {
                family,
                events,
                handled: lags.len() + held_count,
                held_back: held_count,
                held_back_lag_max_s: held_max,
                lag_p50_s: quantile(&lags, 0.5),
                lag_p99_s: quantile(&lags, 0.99),
                lag_max_s: lags.last().copied().unwrap_or(0.0),
                peak_backlog: out.peak_backlog.get(&family).copied().unwrap_or(0),
                drain_s: ((last_handled - last_arrival) / 1000.0).max(0.0),
                acknowledged_only: ack_only,
                dead_lettered: dead,
                never_handled: never,
                requests: usage.requests,
                write_units: usage.write_units,
                throttled: usage.throttled,
            }
        })
        .collect()
}

/// The drop's goals at this profile: admissions p99 ≤ 2 s, the draw and the auction p99 ≤ 10 s,
/// each drained within 30 s of its last arrival, nothing lost.
pub fn goals_met(figures: &[Figures]) -> bool {
    figures.iter().all(|f| {
        let p99_goal = if f.family == Family::Admission {
            2.0
        } else {
            10.0
        };
        f.events == 0 || (f.lag_p99_s <= p99_goal && f.drain_s <= 30.0 && f.never_handled == 0)
    })
}

/// The drop's AWS bill for the receiver, from list prices.
pub fn cost(profile: &Profile, figures: &[Figures], out: &Outcome) -> (f64, String) {
    let p = &profile.prices;
    let accepted = out.deliveries - out.throttled_429;
    let api = accepted as f64 / 1e6 * p.api_per_million;
    // SendMessage per queued delivery; ReceiveMessage and DeleteMessageBatch per invocation.
    let queued: u64 = accepted
        - figures
            .iter()
            .map(|f| f.acknowledged_only as u64)
            .sum::<u64>();
    let sqs = (queued + 2 * out.invocations) as f64 / 1e6 * p.sqs_fifo_per_million;
    let ingest_s = accepted as f64 * profile.receiver.ingest_ms / 1000.0;
    let lambda = (accepted + out.invocations) as f64 / 1e6 * p.lambda_per_million
        + (ingest_s + out.processor_seconds) * p.lambda_memory_gb * p.lambda_gb_second;
    let units: u64 = figures.iter().map(|f| f.write_units).sum();
    let dynamodb = units as f64 / 1e6 * p.dynamodb_write_per_million;
    let total = api + sqs + lambda + dynamodb;
    let detail = format!(
        "API Gateway ${api:.2}, SQS ${sqs:.2}, Lambda ${lambda:.2}, DynamoDB writes ${dynamodb:.2}"
    );
    (total, detail)
}

pub fn print(profile: &Profile, drop: &Drop, figures: &[Figures], out: &Outcome) {
    let r = &profile.receiver;
    println!(
        "drop-sim: profile {}, {} stack, path {}, handler {} ms, processor concurrency {}, store median {} ms p99 {} ms",
        profile.name, r.stack, r.path, r.handler_ms, r.processor_concurrency, r.store_median_ms, r.store_p99_ms
    );
    println!(
        "{:<11} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>7} {:>9} {:>6}",
        "family",
        "events",
        "handled",
        "lag p50",
        "lag p99",
        "lag max",
        "backlog",
        "drain",
        "requests",
        "write u.",
        "u./evt",
        "throttled",
        "lost"
    );
    for f in figures {
        println!(
            "{:<11} {:>8} {:>8} {:>8.2}s {:>8.2}s {:>8.2}s {:>9} {:>8.1}s {:>10} {:>10} {:>7.1} {:>9} {:>6}",
            f.family.name(), f.events, f.handled, f.lag_p50_s, f.lag_p99_s, f.lag_max_s, f.peak_backlog,
            f.drain_s, f.requests, f.write_units, f.write_units as f64 / f.events.max(1) as f64,
            f.throttled, f.never_handled
        );
        if f.acknowledged_only + f.dead_lettered + f.held_back > 0 {
            println!(
                "{:<11} acknowledged only {}, dead-lettered {}, held back by a handler failure or a downstream's pace {} (lag up to {:.0} s)",
                "", f.acknowledged_only, f.dead_lettered, f.held_back, f.held_back_lag_max_s
            );
        }
    }
    print_downstreams(drop, out);
    let (total, detail) = cost(profile, figures, out);
    let peak = out.arrivals.iter().max().copied().unwrap_or(0);
    println!(
        "deliveries {} (peak {peak}/s; {} answered 429 and retried by Fanfare, {} given up), processor invocations {}",
        out.deliveries, out.throttled_429, out.given_up, out.invocations
    );
    println!("estimated cost ${total:.2} ({detail})");
    for load in &out.table_loads {
        println!(
            "{}: busiest second {:.0} write units (limit at the start {:.0}/s)",
            load.name,
            load.peak(),
            load.limit
        );
    }
    println!(
        "processor pollers: at most {} (Lambda's event source: {} at the start, +{:.0} a minute, maximum {})",
        out.peak_pollers, r.lambda_initial_concurrency, r.lambda_scale_per_minute, r.processor_concurrency
    );
    println!(
        "goals (admissions p99 <= 2 s, draw and auction p99 <= 10 s, drained <= 30 s, nothing lost): {}",
        if goals_met(figures) { "met" } else { "MISSED" }
    );
}

/// One downstream's figures: what it saw and when its backlog drained.
pub struct DownstreamFigures {
    pub name: String,
    pub per_second: u32,
    pub calls: u64,
    pub peak_per_second: u64,
    pub throttled_429: u64,
    pub deferred: u64,
    pub errors: u64,
    /// Events of its kinds dead-lettered: must be 0.
    pub dead_lettered: usize,
    /// When its last successful call ended, seconds from the drop's start.
    pub drained_s: f64,
}

pub fn downstream_figures(drop: &Drop, out: &Outcome) -> Vec<DownstreamFigures> {
    out.downstreams
        .iter()
        .map(|(spec, seen)| {
            let kinds: Vec<&str> = spec.kinds.iter().map(String::as_str).collect();
            let dead_lettered = drop
                .events
                .iter()
                .zip(&out.dead_lettered)
                .filter(|(e, dead)| **dead && kinds.contains(&e.kind))
                .count();
            DownstreamFigures {
                name: spec.name.clone(),
                per_second: spec.per_second,
                calls: seen.per_second.values().sum(),
                peak_per_second: seen.per_second.values().max().copied().unwrap_or(0),
                throttled_429: seen.throttled_429,
                deferred: seen.deferred,
                errors: seen.errors,
                dead_lettered,
                drained_s: seen.last_ok_ms / 1000.0,
            }
        })
        .collect()
}

fn print_downstreams(drop: &Drop, out: &Outcome) {
    for d in downstream_figures(drop, out) {
        println!(
            "downstream {}: {} calls, at most {}/s (its rate {}/s), 429s {}, deferred {}, errors {}, dead-lettered {}, last call done at {:.0} s",
            d.name, d.calls, d.peak_per_second, d.per_second, d.throttled_429, d.deferred, d.errors,
            d.dead_lettered, d.drained_s
        );
    }
}
