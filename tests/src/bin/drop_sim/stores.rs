//! The stores as DynamoDB serves them, as a hook (`Modelled`) around the real in-memory stores: a round trip drawn from a
//! log-normal latency per call, the per-partition write limit with the SDK's retries, and every
//! request and write unit counted per family.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use fanfare_shared::testing::{StoreCall, StoreHook};
use rand::rngs::StdRng;
use rand::Rng;
use tokio::time::Instant;

use crate::arrivals::Family;
use crate::profile::Receiver;

/// The SDK's standard retry: 3 attempts, full-jitter backoff from 1 s.
const ATTEMPTS: u32 = 3;
const INITIAL_BACKOFF_S: f64 = 1.0;

/// Requests, write units and throttled requests of one family.
#[derive(Debug, Default, Clone, Copy)]
pub struct Usage {
    pub requests: u64,
    pub write_units: u64,
    pub throttled: u64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct Model {
    rng: Mutex<StdRng>,
    median_ms: f64,
    sigma: f64,
    partition_rate: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
    pub usage: Mutex<HashMap<Family, Usage>>,
    /// Each event's record size in write units (its archived body and bookkeeping).
    record_units: HashMap<Arc<str>, u64>,
    /// Wait out round trips on a thread (real time, no timer tick) instead of tokio's clock.
    pub real_time: bool,
    /// Round trips (ms) to draw from instead of the log-normal: a measured distribution.
    pub measured_ms: Vec<f64>,
}

#[derive(Debug, thiserror::Error)]
#[error("throttled: the partition's write limit, after the SDK's retries")]
pub struct Throttled;

impl Model {
    pub fn new(receiver: &Receiver, rng: StdRng, record_units: HashMap<Arc<str>, u64>) -> Model {
        // p99 of a log-normal is median * exp(2.326 sigma).
        let sigma = (receiver.store_p99_ms / receiver.store_median_ms)
            .max(1.0)
            .ln()
            / 2.326;
        Model {
            rng: Mutex::new(rng),
            median_ms: receiver.store_median_ms,
            sigma,
            partition_rate: receiver.partition_write_units_per_s,
            buckets: Mutex::default(),
            usage: Mutex::default(),
            record_units,
            real_time: false,
            measured_ms: Vec::new(),
        }
    }

    fn latency(&self) -> Duration {
        let mut rng = self.rng.lock().unwrap();
        if !self.measured_ms.is_empty() {
            let ms = self.measured_ms[rng.random_range(0..self.measured_ms.len())];
            return Duration::from_secs_f64(ms / 1000.0);
        }
        // Box-Muller: one standard normal sample.
        let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        Duration::from_secs_f64(self.median_ms * (self.sigma * z).exp() / 1000.0)
    }

    /// Takes `units` from the partition's bucket (refilled at the limit, holding one second's).
    fn admit(&self, partition: &str, units: f64) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        let bucket = buckets.entry(partition.to_string()).or_insert(Bucket {
            tokens: self.partition_rate,
            at: now,
        });
        let refill = now.duration_since(bucket.at).as_secs_f64() * self.partition_rate;
        bucket.tokens = (bucket.tokens + refill).min(self.partition_rate);
        bucket.at = now;
        if bucket.tokens >= units {
            bucket.tokens -= units;
            true
        } else {
            false
        }
    }

    /// One request: its round trip, and for a write to a limited partition, the limit and the
    /// SDK's retries.
    async fn call(
        &self,
        family: Family,
        partition: Option<&str>,
        units: u64,
    ) -> Result<(), Throttled> {
        for attempt in 0..ATTEMPTS {
            let latency = self.latency();
            if self.real_time {
                let slept = tokio::task::spawn_blocking(move || std::thread::sleep(latency));
                slept.await.expect("a sleeping thread");
            } else {
                tokio::time::sleep(latency).await;
            }
            let admitted = partition.is_none_or(|p| self.admit(p, units as f64));
            {
                let mut usage = self.usage.lock().unwrap();
                let u = usage.entry(family).or_default();
                u.requests += 1;
                if admitted {
                    u.write_units += units;
                    return Ok(());
                }
                u.throttled += 1;
            }
            let cap = INITIAL_BACKOFF_S * f64::from(1u32 << attempt);
            let backoff = self.rng.lock().unwrap().random_range(0.0..cap);
            tokio::time::sleep(Duration::from_secs_f64(backoff)).await;
        }
        Err(Throttled)
    }

    /// The write units of the event's record (its archived body and bookkeeping).
    fn record_units(&self, event_id: &str) -> u64 {
        self.record_units.get(event_id).copied().unwrap_or(1)
    }
}

/// The family of one of the simulation's event ids.
fn family_of(id: &str) -> Family {
    if id.starts_with("evt_entry") || id.starts_with("evt_draw") {
        Family::Draw
    } else if id.starts_with("evt_bid") || id.starts_with("evt_auction") {
        Family::Auction
    } else {
        Family::Admission
    }
}

fn family_of_item(pk: &str) -> Family {
    match pk.split('/').next() {
        Some("draw") => Family::Draw,
        Some("auction") => Family::Auction,
        _ => Family::Admission,
    }
}

/// The family a store call serves, from its event id or its item's partition key.
pub fn family_of_call(call: StoreCall<'_>) -> Family {
    match call {
        StoreCall::Claim { event_id }
        | StoreCall::Finish { event_id }
        | StoreCall::Release { event_id }
        | StoreCall::RecordConflict { event_id } => family_of(event_id),
        StoreCall::Apply { pk } | StoreCall::ApplyMerged { pk } => family_of_item(pk),
    }
}

/// The model as a hook around a store: records are per event (never a hot partition), state writes
/// share their entity's partition.
pub struct Modelled(pub Arc<Model>);

#[async_trait]
impl StoreHook for Modelled {
    async fn before(
        &self,
        call: StoreCall<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let family = family_of_call(call);
        let (partition, units) = match call {
            StoreCall::Apply { pk } | StoreCall::ApplyMerged { pk } => (Some(pk), 1),
            StoreCall::Claim { event_id }
            | StoreCall::Finish { event_id }
            | StoreCall::Release { event_id }
            | StoreCall::RecordConflict { event_id } => (None, self.0.record_units(event_id)),
        };
        self.0.call(family, partition, units).await?;
        Ok(())
    }
}
