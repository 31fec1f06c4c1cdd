//! A small drop on moto, in real time, through the DynamoDB adapters, against the same drop simulated
//! at the round trip moto showed: the model's lag must agree with the run's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fanfare_integration_tests::{create_tables, moto_config};
use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use fanfare_shared::testing::{Hooked, StoreCall, StoreHook};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::arrivals::{self, Family};
use crate::profile::Profile;
use crate::report;
use crate::run::{self, Stores};
use crate::stores::{family_of_call, Usage};

/// Every call's round trip (ms) and the requests per family.
#[derive(Default)]
struct Calls {
    latencies: Mutex<Vec<f64>>,
    usage: Mutex<HashMap<Family, Usage>>,
}

/// A hook that times every call of a real store and counts it for its family.
struct Stopwatch(Arc<Calls>);

#[async_trait]
impl StoreHook for Stopwatch {
    async fn before(
        &self,
        call: StoreCall<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut usage = self.0.usage.lock().unwrap();
        usage.entry(family_of_call(call)).or_default().requests += 1;
        Ok(())
    }

    fn after(&self, _: StoreCall<'_>, took: std::time::Duration) {
        self.0
            .latencies
            .lock()
            .unwrap()
            .push(took.as_secs_f64() * 1000.0);
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
            ids: Hooked {
                inner: DynamoIdempotencyStore::new(ddb.clone(), &ids_table),
                hook: Stopwatch(calls.clone()),
            },
            state: Hooked {
                inner: DynamoStateStore::new(ddb, &state_table),
                hook: Stopwatch(calls.clone()),
            },
            usage: Box::new(move || c.usage.lock().unwrap().clone()),
            peaks: Box::new(Vec::new),
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
