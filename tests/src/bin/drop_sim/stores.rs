//! The stores as DynamoDB serves them, as a hook (`Modelled`) around the real in-memory stores: each
//! call becomes the requests the DynamoDB adapter would send (`billing`), each with a round trip
//! drawn from a log-normal latency, billed by item size, and admitted by the partition, table and
//! index limits (`capacity`) or throttled and retried as the SDK does; every request and write unit
//! is counted per family.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use fanfare_shared::testing::{StoreCall, StoreHook};
use rand::rngs::StdRng;
use rand::Rng;

use crate::arrivals::Family;
use crate::billing::{Billing, Request, FAILED_INDEX, IDEMPOTENCY, STATE};
use crate::capacity::Capacity;
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

pub struct Model {
    rng: Mutex<StdRng>,
    median_ms: f64,
    sigma: f64,
    capacity: Mutex<Capacity>,
    billing: Billing,
    pub usage: Mutex<HashMap<Family, Usage>>,
    /// Wait out round trips on a thread (real time, no timer tick) instead of tokio's clock.
    pub real_time: bool,
    /// Round trips (ms) to draw from instead of the log-normal: a measured distribution.
    pub measured_ms: Vec<f64>,
}

#[derive(Debug, thiserror::Error)]
#[error("throttled: a partition's, table's or index's write limit, after the SDK's retries")]
pub struct Throttled;

/// Each table's and index's starting rate: its warm throughput, a new table's rate, or twice the
/// peak a stack that has run before saw.
pub fn table_rates(r: &Receiver) -> [(&'static str, f64); 3] {
    let rate = |warm: f64| {
        warm.max(r.new_table_write_units_per_s)
            .max(2.0 * r.previous_peak_write_units)
    };
    [
        (IDEMPOTENCY, rate(r.idempotency_warm_write_units)),
        (STATE, rate(r.state_warm_write_units)),
        (FAILED_INDEX, rate(r.failed_index_warm_write_units)),
    ]
}

impl Model {
    pub fn new(receiver: &Receiver, rng: StdRng, billing: Billing) -> Model {
        // p99 of a log-normal is median * exp(2.326 sigma).
        let sigma = (receiver.store_p99_ms / receiver.store_median_ms)
            .max(1.0)
            .ln()
            / 2.326;
        let capacity = Capacity::new(
            tokio::time::Instant::now(),
            receiver.partition_write_units_per_s,
            &table_rates(receiver),
        );
        Model {
            rng: Mutex::new(rng),
            median_ms: receiver.store_median_ms,
            sigma,
            capacity: Mutex::new(capacity),
            billing,
            usage: Mutex::default(),
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

    /// One request: its round trip, the limits it must pass, and the SDK's retries.
    async fn send(&self, family: Family, request: &Request) -> Result<(), Throttled> {
        for attempt in 0..ATTEMPTS {
            let latency = self.latency();
            if self.real_time {
                let slept = tokio::task::spawn_blocking(move || std::thread::sleep(latency));
                slept.await.expect("a sleeping thread");
            } else {
                tokio::time::sleep(latency).await;
            }
            let admitted = self.capacity.lock().unwrap().admit(&request.charges);
            {
                let mut usage = self.usage.lock().unwrap();
                let u = usage.entry(family).or_default();
                u.requests += 1;
                if admitted {
                    u.write_units += request.units;
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

    /// Each event's record as billed, in write units.
    pub fn record_units(&self) -> &HashMap<std::sync::Arc<str>, u64> {
        &self.billing.record_units
    }

    /// Each table's and index's write units per second and its starting rate.
    pub fn loads(&self) -> Vec<crate::capacity::TableLoad> {
        self.capacity.lock().unwrap().loads()
    }
}

/// The family a store call serves, from its event id or its item's partition key.
pub fn family_of_call(call: StoreCall<'_>) -> Family {
    match call {
        StoreCall::Claim { event_id }
        | StoreCall::Finish { event_id }
        | StoreCall::Release { event_id, .. }
        | StoreCall::RecordConflict { event_id }
        | StoreCall::ReadSteps { event_id, .. }
        | StoreCall::RecordStep { event_id } => Family::of_event_id(event_id),
        StoreCall::TakeTicket { downstream, .. } => Family::of_downstream(downstream),
        StoreCall::Apply { .. } | StoreCall::ApplyMerged { .. } => {
            Family::of_item(call.state_pk().unwrap_or_default())
        }
    }
}

/// The model as a hook around a store: the call's requests, one after another, before it runs.
pub struct Modelled(pub std::sync::Arc<Model>);

#[async_trait]
impl StoreHook for Modelled {
    async fn before(
        &self,
        call: StoreCall<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let family = family_of_call(call);
        for request in self.0.billing.requests(call) {
            self.0.send(family, &request).await?;
        }
        Ok(())
    }
}
