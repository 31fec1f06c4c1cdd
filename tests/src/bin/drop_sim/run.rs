//! The drop, run: Fanfare's deliveries through a modelled ingest into the modelled queue, and the
//! real processor invoked by modelled Lambda workers, on tokio's paused clock (or in real time, on
//! moto, for `--check`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fanfare_shared::adapters::memory::{MemoryIdempotencyStore, MemoryStateStore};
use fanfare_shared::ports::idempotency::IdempotencyStore;
use fanfare_shared::ports::pace::{InProcessTickets, PaceStore};
use fanfare_shared::ports::state::StateStore;
use fanfare_shared::processor::{Processor, ProcessorOptions, RetryPolicy};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::time::Instant;

use crate::arrivals::{Drop, Family};
use crate::billing::Billing;
use crate::handler::{SimClock, SimHandler};
use crate::ingest::ingest;
use crate::lambda::{event_source, Tally, Worker};
use crate::profile::Profile;
use crate::queue::{Queue, SimDeadLetters, SimVisibility};
use crate::stores::{Model, Modelled, Usage};
use fanfare_shared::testing::Hooked;

use crate::capacity::TableLoad;

/// The stores a run uses, and how their usage is read back at the end.
pub struct Stores<I, S> {
    pub ids: I,
    pub state: S,
    /// Where downstream tickets are drawn (the idempotency table on a stack).
    pub tickets: Arc<dyn PaceStore>,
    pub usage: Box<dyn Fn() -> HashMap<Family, Usage>>,
    pub loads: Box<dyn Fn() -> Vec<TableLoad>>,
}

/// What the run measured.
pub struct Outcome {
    /// Per event: first arrival (ms), first handler completion (ms).
    pub arrived: Vec<Option<f64>>,
    pub handled: Vec<Option<f64>>,
    pub dead_lettered: Vec<bool>,
    pub acknowledged_only: Vec<bool>,
    pub usage: HashMap<Family, Usage>,
    pub table_loads: Vec<TableLoad>,
    pub peak_backlog: HashMap<Family, usize>,
    /// Per second: deliveries arriving, and messages on the queue at its end.
    pub arrivals: Vec<u64>,
    pub depth: Vec<usize>,
    pub deliveries: u64,
    pub throttled_429: u64,
    /// Deliveries Fanfare gave up on after its last retry.
    pub given_up: u64,
    pub invocations: u64,
    pub processor_seconds: f64,
    pub peak_pollers: usize,
    /// Events a downstream's pace deferred at least once.
    pub paced: Vec<bool>,
    /// What each downstream saw.
    pub downstreams: Vec<(crate::downstream::DownstreamSpec, crate::downstream::Seen)>,
}

/// Per family: messages on the queue now, and the most there were.
#[derive(Default)]
pub struct Backlog {
    now: HashMap<Family, usize>,
    peak: HashMap<Family, usize>,
}

impl Backlog {
    pub fn add(&mut self, family: Family) {
        let n = self.now.entry(family).or_default();
        *n += 1;
        let peak = self.peak.entry(family).or_default();
        *peak = (*peak).max(*n);
    }
    pub fn remove(&mut self, family: Family) {
        if let Some(n) = self.now.get_mut(&family) {
            *n = n.saturating_sub(1);
        }
    }
}

/// The drop on the in-memory stores behind the DynamoDB model.
pub async fn simulate(profile: &Profile, drop: Arc<Drop>, seed: u64) -> Outcome {
    simulate_measured(profile, drop, seed, Vec::new()).await
}

/// The same, drawing each round trip from `measured_ms` when it is not empty.
pub async fn simulate_measured(
    profile: &Profile,
    drop: Arc<Drop>,
    seed: u64,
    measured_ms: Vec<f64>,
) -> Outcome {
    simulate_keeping_state(profile, drop, seed, measured_ms)
        .await
        .0
}

/// The same, with the state the drop left and each event's record as the model billed it.
pub async fn simulate_keeping_state(
    profile: &Profile,
    drop: Arc<Drop>,
    seed: u64,
    measured_ms: Vec<f64>,
) -> (Outcome, Arc<MemoryStateStore>, HashMap<Arc<str>, u64>) {
    let record_units = drop
        .events
        .iter()
        .map(|e| (e.id.clone(), (e.body.len() as u64 + 400).div_ceil(1024)))
        .collect();
    let state = Arc::new(MemoryStateStore::default());
    let mut model = Model::new(
        &profile.receiver,
        StdRng::seed_from_u64(seed ^ 0x5eed),
        Billing::new(state.clone(), record_units),
    );
    let kept = (state.clone(), model.record_units().clone());
    model.measured_ms = measured_ms;
    let model = Arc::new(model);
    let read = model.clone();
    let stores = Stores {
        ids: Hooked {
            inner: MemoryIdempotencyStore::default(),
            hook: Modelled(model.clone()),
        },
        state: Hooked {
            inner: state,
            hook: Modelled(model.clone()),
        },
        tickets: Arc::new(Hooked {
            inner: InProcessTickets::default(),
            hook: Modelled(model.clone()),
        }),
        usage: Box::new(move || model.usage.lock().unwrap().clone()),
        loads: Box::new(move || read.loads()),
    };
    let outcome = run_on(profile, drop, stores).await;
    (outcome, kept.0, kept.1)
}

/// The drop on the given stores (in virtual time under a paused clock, else in real time).
pub async fn run_on<I, S>(profile: &Profile, drop: Arc<Drop>, stores: Stores<I, S>) -> Outcome
where
    I: IdempotencyStore + 'static,
    S: StateStore + 'static,
{
    let r = &profile.receiver;
    let start = Instant::now();
    let queue = Arc::new(Queue::new(
        Duration::from_secs_f64(r.visibility_timeout_s),
        r.max_receive_count,
    ));
    let dead_letters = Arc::new(SimDeadLetters::default());
    let handler_ms = Duration::from_secs_f64(r.handler_ms / 1000.0);
    let processor = Arc::new(
        Processor::new(
            stores.ids,
            stores.state,
            SimHandler::new(handler_ms, start, &drop, &profile.downstreams),
            SimClock(start),
            processor_options(r),
        )
        .with_pace_store(stores.tickets)
        .with_visibility(Arc::new(SimVisibility(queue.clone())))
        .with_dead_letters(dead_letters.clone()),
    );
    let (usage, loads) = (stores.usage, stores.loads);
    let backlog = Arc::new(Mutex::new(Backlog::default()));
    let tally = Arc::new(Mutex::new(Tally::new(drop.events.len())));
    let worker = Worker {
        processor: processor.clone(),
        queue: queue.clone(),
        drop: drop.clone(),
        backlog: backlog.clone(),
        tally: tally.clone(),
        overhead: Duration::from_secs_f64(r.invocation_overhead_ms / 1000.0),
        one_by_one: r.path == "one-by-one",
        start,
        dead_letters,
    };
    let pollers = tokio::task::spawn_local(event_source(
        worker,
        r.lambda_initial_concurrency,
        r.lambda_scale_per_minute,
        r.processor_concurrency,
    ));
    let sampler = tokio::task::spawn_local(sample_depth(queue.clone()));
    let ingest = ingest(profile, &drop, &queue, &backlog, start).await;
    for w in pollers.await.expect("the event source ran to the end") {
        w.await.expect("a worker ran to the end");
    }
    let (handled, paced, downstreams) = processor.handler().results();
    let usage = usage();
    let table_loads = loads();
    let peak_backlog = backlog.lock().unwrap().peak.clone();
    let tally = std::mem::replace(&mut *tally.lock().unwrap(), Tally::new(0));
    Outcome {
        arrived: ingest.arrived,
        handled,
        dead_lettered: tally.dead,
        acknowledged_only: ingest.acknowledged_only,
        usage,
        table_loads,
        peak_backlog,
        arrivals: ingest.timeline,
        depth: sampler.await.expect("the sampler ran to the end"),
        deliveries: ingest.deliveries,
        throttled_429: ingest.throttled,
        given_up: ingest.given_up,
        invocations: tally.invocations,
        processor_seconds: tally.seconds,
        peak_pollers: tally.peak_pollers,
        paced,
        downstreams,
    }
}

/// The processor as the template configures it.
fn processor_options(r: &crate::profile::Receiver) -> ProcessorOptions {
    ProcessorOptions {
        instances: r.processor_concurrency as u32,
        retry: RetryPolicy {
            budget: r.retry_budget,
            base: Duration::from_secs_f64(r.retry_backoff_base_s),
            max: Duration::from_secs_f64(r.retry_backoff_max_s),
        },
        ..ProcessorOptions::default()
    }
}

/// The queue's depth at the end of each second, until it is closed and empty.
async fn sample_depth(queue: Arc<Queue>) -> Vec<usize> {
    let mut depth = Vec::new();
    while !queue.finished() {
        tokio::time::sleep(Duration::from_secs(1)).await;
        depth.push(queue.depth());
    }
    depth
}
