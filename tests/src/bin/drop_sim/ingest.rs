//! Fanfare's side and ingest's: deliveries through the route throttle and ingest's concurrency
//! into the queue.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::arrivals::Drop;
use crate::profile::Profile;
use crate::queue::Queue;
use crate::run::Backlog;

/// Fanfare's retries after a failed attempt, in seconds (its longest documented schedule).
const RETRY_AFTER_S: [u64; 7] = [60, 300, 1_800, 7_200, 21_600, 43_200, 86_400];
/// The pending entry of a delivery ingest has sent to SQS.
const QUEUED: usize = usize::MAX;

pub struct Ingested {
    pub arrived: Vec<Option<f64>>,
    pub acknowledged_only: Vec<bool>,
    pub timeline: Vec<u64>,
    pub deliveries: u64,
    pub throttled: u64,
    pub given_up: u64,
}

/// Fanfare's deliveries through API Gateway's route throttle and ingest's concurrency into the
/// queue; a 429 comes back on Fanfare's retry schedule.
pub async fn ingest(
    profile: &Profile,
    drop: &Drop,
    queue: &Queue,
    backlog: &Mutex<Backlog>,
    start: Instant,
) -> Ingested {
    let r = &profile.receiver;
    let micros = |ms: f64| (ms * 1000.0) as u64;
    // (when, event, attempt): a delivery reaching the route (attempt 0 is Fanfare's first, later
    // ones its retries after a 429), or with `QUEUED`, ingest's SendMessage returning.
    let mut pending: BinaryHeap<Reverse<(u64, usize, usize)>> = drop
        .deliveries
        .iter()
        .map(|d| Reverse((micros(d.at_ms), d.event, 0)))
        .collect();
    let mut out = Ingested {
        arrived: vec![None; drop.events.len()],
        acknowledged_only: vec![false; drop.events.len()],
        timeline: Vec::new(),
        deliveries: 0,
        throttled: 0,
        given_up: 0,
    };
    let (mut tokens, mut refilled) = (r.route_throttle_burst, 0.0f64);
    let mut in_flight: VecDeque<f64> = VecDeque::new();
    while let Some(Reverse((at_us, event, attempt))) = pending.pop() {
        tokio::time::sleep_until(start + Duration::from_micros(at_us)).await;
        let e = &drop.events[event];
        if attempt == QUEUED {
            backlog.lock().unwrap().add(e.family);
            queue.send(&e.group, event);
            continue;
        }
        let at_ms = at_us as f64 / 1000.0;
        let second = (at_ms / 1000.0) as usize;
        if out.timeline.len() <= second {
            out.timeline.resize(second + 1, 0);
        }
        out.timeline[second] += 1;
        out.deliveries += 1;
        // Lag counts from Fanfare's first attempt, 429s included.
        out.arrived[event].get_or_insert(at_ms);
        tokens = (tokens + (at_ms - refilled) / 1000.0 * r.route_throttle_rate)
            .min(r.route_throttle_burst);
        refilled = at_ms;
        while in_flight.front().is_some_and(|&end| end <= at_ms) {
            in_flight.pop_front();
        }
        if tokens < 1.0 || in_flight.len() >= r.ingest_concurrency {
            out.throttled += 1;
            match RETRY_AFTER_S.get(attempt) {
                Some(&delay) => {
                    pending.push(Reverse((at_us + delay * 1_000_000, event, attempt + 1)))
                }
                None => out.given_up += 1,
            }
            continue;
        }
        tokens -= 1.0;
        in_flight.push_back(at_ms + r.ingest_ms);
        if r.ack_only_kinds.iter().any(|k| k == e.kind) {
            out.acknowledged_only[event] = true;
            continue;
        }
        pending.push(Reverse((at_us + micros(r.ingest_ms), event, QUEUED)));
    }
    queue.close();
    out
}
