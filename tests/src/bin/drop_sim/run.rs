//! The drop, run: Fanfare's deliveries through a modelled ingest into the modelled queue, and the
//! real processor (in-memory stores behind the DynamoDB model) invoked by modelled Lambda workers,
//! all on tokio's paused clock.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{DateTime, TimeZone, Utc};
use fanfare_shared::adapters::memory::{MemoryIdempotencyStore, MemoryStateStore};
use fanfare_shared::ports::idempotency::IdempotencyStore;
use fanfare_shared::ports::state::StateStore;
use fanfare_shared::ports::Clock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::{IncomingMessage, Processor, ProcessorOptions};
use fanfare_shared::testing::T0_MS;
use futures_util::future::join_all;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::time::Instant;

use crate::arrivals::{Drop, Family};
use crate::profile::Profile;
use crate::queue::{Batch, Queue};
use crate::stores::{Model, Simulated, Usage};

/// Virtual time as the processor's clock.
struct SimClock(Instant);

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let ms = T0_MS + self.0.elapsed().as_millis() as i64;
        Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
    }
}

/// The brand's handler: takes `handler_ms`, and notes when each event's first successful run ended.
pub struct SimHandler {
    latency: Duration,
    start: Instant,
    index: HashMap<Arc<str>, usize>,
    pub handled: Mutex<Vec<Option<f64>>>,
}

impl SimHandler {
    async fn run(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if let Some(&i) = self.index.get(ctx.event.id.as_str()) {
            let at = self.start.elapsed().as_secs_f64() * 1000.0;
            let mut handled = self.handled.lock().unwrap();
            handled[i].get_or_insert(at);
        }
        Ok(())
    }
}

macro_rules! sim_handler {
    ($( $variant:ident => $name:literal, $method:ident, $family:ident: [$($alias:literal),+] );+ $(;)?) => {
        #[async_trait::async_trait]
        impl EventHandler for SimHandler {
            $( async fn $method(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> { self.run(ctx).await } )+
        }
    };
}
fanfare_shared::for_each_kind!(sim_handler);

type SimProcessor<I, S> = Processor<I, S, SimHandler, SimClock>;

/// The stores a run uses, and how their usage is read back at the end.
pub struct Stores<I, S> {
    pub ids: I,
    pub state: S,
    pub usage: Box<dyn Fn() -> HashMap<Family, Usage>>,
}

/// What the run measured.
pub struct Outcome {
    /// Per event: first arrival (ms), first handler completion (ms).
    pub arrived: Vec<Option<f64>>,
    pub handled: Vec<Option<f64>>,
    pub dead_lettered: Vec<bool>,
    pub acknowledged_only: Vec<bool>,
    pub usage: HashMap<Family, Usage>,
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
}

/// Per family: messages on the queue now, and the most there were.
#[derive(Default)]
struct Backlog {
    now: HashMap<Family, usize>,
    peak: HashMap<Family, usize>,
}

impl Backlog {
    fn add(&mut self, family: Family) {
        let n = self.now.entry(family).or_default();
        *n += 1;
        let peak = self.peak.entry(family).or_default();
        *peak = (*peak).max(*n);
    }
    fn remove(&mut self, family: Family) {
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
    let record_units = drop
        .events
        .iter()
        .map(|e| (e.id.clone(), (e.body.len() as u64 + 400).div_ceil(1024)))
        .collect();
    let mut model = Model::new(
        &profile.receiver,
        StdRng::seed_from_u64(seed ^ 0x5eed),
        record_units,
    );
    model.measured_ms = measured_ms;
    let model = Arc::new(model);
    let stores = Stores {
        ids: Simulated {
            inner: MemoryIdempotencyStore::default(),
            model: model.clone(),
        },
        state: Simulated {
            inner: MemoryStateStore::default(),
            model: model.clone(),
        },
        usage: Box::new(move || model.usage.lock().unwrap().clone()),
    };
    run_on(profile, drop, stores).await
}

/// The drop on the given stores (in virtual time under a paused clock, else in real time).
pub async fn run_on<I, S>(profile: &Profile, drop: Arc<Drop>, stores: Stores<I, S>) -> Outcome
where
    I: IdempotencyStore + 'static,
    S: StateStore + 'static,
{
    let r = &profile.receiver;
    let start = Instant::now();
    let handler = SimHandler {
        latency: Duration::from_secs_f64(r.handler_ms / 1000.0),
        start,
        index: drop
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect(),
        handled: Mutex::new(vec![None; drop.events.len()]),
    };
    let processor = Arc::new(Processor::new(
        stores.ids,
        stores.state,
        handler,
        SimClock(start),
        ProcessorOptions::default(),
    ));
    let queue = Arc::new(Queue::new(
        Duration::from_secs_f64(r.visibility_timeout_s),
        r.max_receive_count,
    ));
    let backlog = Arc::new(Mutex::new(Backlog::default()));
    let dead = Arc::new(Mutex::new(vec![false; drop.events.len()]));
    let invocations = Arc::new(Mutex::new((0u64, 0f64)));
    let workers: Vec<_> = (0..r.processor_concurrency)
        .map(|_| {
            let (p, q, d, b, dead, inv) = (
                processor.clone(),
                queue.clone(),
                drop.clone(),
                backlog.clone(),
                dead.clone(),
                invocations.clone(),
            );
            let overhead = Duration::from_secs_f64(r.invocation_overhead_ms / 1000.0);
            let one_by_one = r.path == "one-by-one";
            tokio::task::spawn_local(async move {
                while let Some(batch) = next_batch(&q).await {
                    let began = Instant::now();
                    tokio::time::sleep(overhead).await;
                    let deadline = T0_MS + start.elapsed().as_millis() as i64 + 30_000;
                    let failed = invoke(&p, &d, &batch, one_by_one, deadline).await;
                    let families: Vec<(Family, bool)> = batch
                        .iter()
                        .zip(&failed)
                        .map(|((_, m), f)| (d.events[m.event].family, *f))
                        .collect();
                    let gone = q.complete(batch, &failed);
                    let mut b = b.lock().unwrap();
                    for (family, failed) in families {
                        if !failed {
                            b.remove(family);
                        }
                    }
                    for event in gone {
                        b.remove(d.events[event].family);
                        dead.lock().unwrap()[event] = true;
                    }
                    let mut inv = inv.lock().unwrap();
                    inv.0 += 1;
                    inv.1 += began.elapsed().as_secs_f64();
                }
            })
        })
        .collect();
    let sampler = {
        let q = queue.clone();
        tokio::spawn(async move {
            let mut depth = Vec::new();
            while !q.finished() {
                tokio::time::sleep(Duration::from_secs(1)).await;
                depth.push(q.depth());
            }
            depth
        })
    };
    let ingest = ingest(profile, &drop, &queue, &backlog, start).await;
    for w in workers {
        w.await.expect("a worker ran to the end");
    }
    let handled = std::mem::take(&mut *processor.handler().handled.lock().unwrap());
    let usage = (stores.usage)();
    let peak_backlog = backlog.lock().unwrap().peak.clone();
    let (invocations, processor_seconds) = *invocations.lock().unwrap();
    let dead_lettered = dead.lock().unwrap().clone();
    Outcome {
        arrived: ingest.arrived,
        handled,
        dead_lettered,
        acknowledged_only: ingest.acknowledged_only,
        usage,
        peak_backlog,
        arrivals: ingest.timeline,
        depth: sampler.await.expect("the sampler ran to the end"),
        deliveries: ingest.deliveries,
        throttled_429: ingest.throttled,
        given_up: ingest.given_up,
        invocations,
        processor_seconds,
    }
}

/// The next batch, waiting for messages; `None` once the queue is closed and empty.
async fn next_batch(q: &Queue) -> Option<Batch> {
    loop {
        let notified = q.wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(batch) = q.receive() {
            return Some(batch);
        }
        if q.finished() {
            return None;
        }
        match q.next_visible() {
            Some(at) => {
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep_until(at) => {}
                }
            }
            None => notified.await,
        }
    }
}

/// One invocation: the batch as Lambda hands it over, through the real processor. Which failed.
async fn invoke<I: IdempotencyStore, S: StateStore>(
    p: &SimProcessor<I, S>,
    drop: &Drop,
    batch: &Batch,
    one_by_one: bool,
    deadline: i64,
) -> Vec<bool> {
    if one_by_one {
        return before_hot_groups(p, drop, batch, deadline).await;
    }
    let mut event = SqsEvent::default();
    event.records = batch
        .iter()
        .map(|(group, m)| {
            let mut record = SqsMessage::default();
            record.message_id = Some(format!("m{}", m.seq));
            record.body = Some(drop.events[m.event].body.to_string());
            record
                .attributes
                .insert("MessageGroupId".into(), group.to_string());
            record
        })
        .collect();
    let response = p
        .process_batch(&event, deadline)
        .await
        .expect("every record has an id");
    let failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    event
        .records
        .iter()
        .map(|r| failed.iter().any(|f| Some(f) == r.message_id.as_ref()))
        .collect()
}

/// The processor's batch rule before issue 19: each group one message at a time, groups at once.
async fn before_hot_groups<I: IdempotencyStore, S: StateStore>(
    p: &SimProcessor<I, S>,
    drop: &Drop,
    batch: &Batch,
    deadline: i64,
) -> Vec<bool> {
    let mut groups: Vec<(Arc<str>, Vec<usize>)> = Vec::new();
    for (i, (group, _)) in batch.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| g == group) {
            Some((_, members)) => members.push(i),
            None => groups.push((group.clone(), vec![i])),
        }
    }
    let results = join_all(groups.into_iter().map(|(_, members)| async move {
        let mut failed_from = None;
        for (n, &i) in members.iter().enumerate() {
            let body = &drop.events[batch[i].1.event].body;
            if !p
                .process(IncomingMessage::raw(body), deadline)
                .await
                .acknowledged()
            {
                failed_from = Some(n);
                break;
            }
        }
        (members.clone(), failed_from)
    }))
    .await;
    let mut failed = vec![false; batch.len()];
    for (members, from) in results {
        if let Some(n) = from {
            for &i in &members[n..] {
                failed[i] = true;
            }
        }
    }
    failed
}

/// Fanfare's retries after a failed attempt, in seconds (its longest documented schedule).
const RETRY_AFTER_S: [u64; 7] = [60, 300, 1_800, 7_200, 21_600, 43_200, 86_400];
/// The pending entry of a delivery ingest has sent to SQS.
const QUEUED: usize = usize::MAX;

struct Ingested {
    arrived: Vec<Option<f64>>,
    acknowledged_only: Vec<bool>,
    timeline: Vec<u64>,
    deliveries: u64,
    throttled: u64,
    given_up: u64,
}

/// Fanfare's deliveries through API Gateway's route throttle and ingest's concurrency into the
/// queue; a 429 comes back on Fanfare's retry schedule.
async fn ingest(
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
