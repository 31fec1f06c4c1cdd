//! A small drop on moto, in real time, through the DynamoDB adapters, against the same drop simulated
//! at the round trip moto showed: the model's lag must agree with the run's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fanfare_integration_tests::{create_tables, moto_config};
use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use fanfare_shared::ports::idempotency::{
    Claim, ClaimOutcome, IdempotencyError, IdempotencyStore, Status,
};
use fanfare_shared::ports::state::{
    Applied, ItemWrite, MergedApplied, MergedWrite, StateError, StateStore,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::time::Instant;

use crate::arrivals::{self, Family};
use crate::profile::Profile;
use crate::report;
use crate::run::{self, Stores};
use crate::stores::{family_of, family_of_item, Usage};

/// Every call's round trip (ms) and the requests per family.
#[derive(Default)]
struct Calls {
    latencies: Mutex<Vec<f64>>,
    usage: Mutex<HashMap<Family, Usage>>,
}

/// A real store, timed.
struct Measured<T> {
    inner: T,
    calls: Arc<Calls>,
}

impl<T> Measured<T> {
    async fn time<R>(&self, family: Family, call: impl std::future::Future<Output = R>) -> R {
        let started = Instant::now();
        let out = call.await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        self.calls.latencies.lock().unwrap().push(ms);
        self.calls
            .usage
            .lock()
            .unwrap()
            .entry(family)
            .or_default()
            .requests += 1;
        out
    }
}

#[async_trait]
impl<T: IdempotencyStore> IdempotencyStore for Measured<T> {
    async fn claim(&self, c: &Claim) -> Result<ClaimOutcome, IdempotencyError> {
        self.time(family_of(&c.event_id), self.inner.claim(c)).await
    }
    async fn finish(
        &self,
        id: &str,
        owner: &str,
        status: Status,
        now: i64,
    ) -> Result<(), IdempotencyError> {
        self.time(family_of(id), self.inner.finish(id, owner, status, now))
            .await
    }
    async fn release(
        &self,
        id: &str,
        owner: &str,
        code: &str,
        now: i64,
    ) -> Result<(), IdempotencyError> {
        self.time(family_of(id), self.inner.release(id, owner, code, now))
            .await
    }
    async fn record_conflict(&self, c: &Claim) -> Result<(), IdempotencyError> {
        self.time(family_of(&c.event_id), self.inner.record_conflict(c))
            .await
    }
}

#[async_trait]
impl<T: StateStore> StateStore for Measured<T> {
    async fn apply(&self, w: &ItemWrite, event_id: &str) -> Result<Applied, StateError> {
        self.time(family_of_item(&w.pk), self.inner.apply(w, event_id))
            .await
    }
    async fn apply_merged(&self, w: &MergedWrite) -> Result<MergedApplied, StateError> {
        self.time(family_of_item(&w.pk), self.inner.apply_merged(w))
            .await
    }
}

/// About 300 events in 25 s: a queue of 30, a draw of 60 entries, an auction of 40 bids.
fn small() -> Profile {
    let mut p = Profile::default();
    p.queue.consumers = 30;
    p.queue.enter_within_s = 5.0;
    p.queue.admit_after_s = 3.0;
    p.queue.admit_per_s = 20.0;
    p.queue.complete_within_s = 10.0;
    p.queue.expire_after_s = 15.0;
    p.draw.entries = 60;
    p.draw.over_s = 10.0;
    p.draw.winners = 5;
    p.auction.bids = 40;
    p.auction.ends_at_s = 15.0;
    p.auction.last_s = 10.0;
    p.duplicates = 0.02;
    p.disorder = 0.02;
    p.receiver.processor_concurrency = 4;
    p
}

fn quantile(mut values: Vec<f64>, q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values
        .get(((values.len().max(1) - 1) as f64 * q).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

/// Lag p50 and p99 over every event, in seconds.
fn lags(figures: &[report::Figures]) -> (f64, f64) {
    let handled: usize = figures.iter().map(|f| f.handled).sum::<usize>().max(1);
    let weighted = |f: fn(&report::Figures) -> f64| {
        figures.iter().map(|x| f(x) * x.handled as f64).sum::<f64>() / handled as f64
    };
    (weighted(|f| f.lag_p50_s), weighted(|f| f.lag_p99_s))
}

/// Runs the small drop on moto, then simulated; true when their lags agree within 30 %.
pub fn agrees() -> bool {
    let mut profile = small();
    let drop = Arc::new(arrivals::generate(&profile, &mut StdRng::seed_from_u64(3)));
    let real = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let calls = Arc::new(Calls::default());
    let on_moto = tokio::task::LocalSet::new().block_on(&real, async {
        let ddb = aws_sdk_dynamodb::Client::new(&moto_config().await);
        let (ids_table, state_table) = create_tables();
        let c = calls.clone();
        let stores = Stores {
            ids: Measured {
                inner: DynamoIdempotencyStore::new(ddb.clone(), &ids_table),
                calls: calls.clone(),
            },
            state: Measured {
                inner: DynamoStateStore::new(ddb, &state_table),
                calls: calls.clone(),
            },
            usage: Box::new(move || c.usage.lock().unwrap().clone()),
        };
        run::run_on(&profile, drop.clone(), stores).await
    });
    let latencies = calls.latencies.lock().unwrap().clone();
    profile.receiver.store_median_ms = quantile(latencies.clone(), 0.5);
    profile.receiver.store_p99_ms =
        quantile(latencies.clone(), 0.99).max(profile.receiver.store_median_ms);
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    // The model draws each round trip from the distribution moto showed.
    let simulated = tokio::task::LocalSet::new().block_on(
        &paused,
        run::simulate_measured(&profile, drop.clone(), 3, latencies),
    );
    let (real_lag, sim_lag) = (
        lags(&report::figures(&drop, &on_moto)),
        lags(&report::figures(&drop, &simulated)),
    );
    let within = |a: f64, b: f64| (a - b).abs() <= 0.3 * b.max(0.001);
    println!(
        "small drop ({} events) on moto (store call median {:.1} ms, p99 {:.1} ms): lag p50 {:.3} s, p99 {:.3} s; simulated drawing from those round trips: p50 {:.3} s, p99 {:.3} s",
        drop.events.len(),
        profile.receiver.store_median_ms,
        profile.receiver.store_p99_ms,
        real_lag.0, real_lag.1, sim_lag.0, sim_lag.1
    );
    within(sim_lag.0, real_lag.0) && within(sim_lag.1, real_lag.1)
}
