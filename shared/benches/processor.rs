//! A batch of 10 new events through the processor with in-memory ports (claim, ordering gate, state,
//! handler, finish), and the same batch again as duplicates. Then the same stores behind a fixed
//! round trip (5 ms a call, as to DynamoDB): a batch of 10 groups × 1 event against 1 group × 10
//! events, and the ratio of the first to one event's own chain of round trips.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use fanfare_shared::adapters::memory::MemoryIdempotencyStore;
use fanfare_shared::adapters::memory::MemoryStateStore;
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::StateOnly;
use fanfare_shared::processor::{Processor, ProcessorOptions};
use fanfare_shared::testing::{Hooked, StoreCall, StoreHook};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;

const ROUND_TRIP: Duration = Duration::from_millis(5);

/// Store calls made since the last reset (each one a request to DynamoDB in production).
static CALLS: AtomicUsize = AtomicUsize::new(0);

async fn round_trip() {
    CALLS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(ROUND_TRIP).await;
}

/// Every store call takes one round trip, and is counted.
struct RoundTrip;

#[async_trait]
impl StoreHook for RoundTrip {
    async fn before(
        &self,
        _: StoreCall<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        round_trip().await;
        Ok(())
    }
}

type DelayedBench = Processor<
    Hooked<MemoryIdempotencyStore, RoundTrip>,
    Hooked<MemoryStateStore, RoundTrip>,
    StateOnly,
    FixedClock,
>;

fn delayed_processor() -> DelayedBench {
    Processor::new(
        Hooked {
            inner: MemoryIdempotencyStore::default(),
            hook: RoundTrip,
        },
        Hooked {
            inner: MemoryStateStore::default(),
            hook: RoundTrip,
        },
        StateOnly,
        FixedClock(Utc.timestamp_opt(1_767_225_610, 0).unwrap()),
        ProcessorOptions::default(),
    )
}

/// 10 new admissions: each its own group, or all one consumer's group (one per millisecond).
fn batch_of(groups: usize) -> SqsEvent {
    let mut event = batch();
    if groups == 1 {
        for (i, m) in event.records.iter_mut().enumerate() {
            m.body = Some(format!(
                r#"{{"id":"evt_{i}","type":"queue.position_updated","created":{},"data":{{"experienceId":"exp_1","consumerId":"con_0","position":{}}}}}"#,
                1_767_225_600_000u64 + i as u64,
                100 - i
            ));
            m.attributes
                .insert("MessageGroupId".into(), "admission/exp_1/con_0".into());
        }
    }
    event
}

fn wall_time(runtime: &tokio::runtime::Runtime, event: &SqsEvent) -> Duration {
    let p = delayed_processor();
    let started = Instant::now();
    let response = runtime.block_on(p.process_batch(event, 0)).unwrap();
    assert!(response.batch_item_failures.is_empty());
    started.elapsed()
}

/// One `draw.winners_selected` with `winners` winners: one state write each.
fn draw_results(winners: usize) -> SqsEvent {
    let list: Vec<String> = (0..winners)
        .map(|i| format!(r#"{{"consumerId":"con_{i}","position":{i},"claimDeadline":"2026-01-02T00:00:00Z"}}"#))
        .collect();
    let mut m = SqsMessage::default();
    m.message_id = Some("draw".into());
    m.body = Some(format!(
        r#"{{"id":"evt_draw","type":"draw.winners_selected","created":1767225600,"data":{{"experienceId":"exp_1","drawId":"drw_1","winners":[{}]}}}}"#,
        list.join(",")
    ));
    m.attributes
        .insert("MessageGroupId".into(), "draw/drw_1".into());
    let mut event = SqsEvent::default();
    event.records = vec![m];
    event
}

fn batch() -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = (0..10)
        .map(|i| {
            let mut m = SqsMessage::default();
            m.message_id = Some(format!("m{i}"));
            m.body = Some(format!(
                r#"{{"id":"evt_{i}","type":"queue.consumer_admitted","created":1767225600,"data":{{"experienceId":"exp_1","consumerId":"con_{i}","waitTimeSeconds":30,"admissionToken":"tok","expiresAt":"2026-01-01T00:15:00Z"}}}}"#
            ));
            m.attributes.insert("MessageGroupId".into(), format!("admission/exp_1/con_{i}"));
            m
        })
        .collect();
    event
}

type Bench = Processor<Arc<MemoryIdempotencyStore>, Arc<MemoryStateStore>, StateOnly, FixedClock>;

fn processor() -> Bench {
    Processor::new(
        Arc::default(),
        Arc::default(),
        StateOnly,
        FixedClock(Utc.timestamp_opt(1_767_225_610, 0).unwrap()),
        ProcessorOptions::default(),
    )
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let event = batch();
    c.bench_function("processor_batch_of_10_new_events", |b| {
        b.iter_batched(
            processor,
            |p| {
                let response = runtime
                    .block_on(p.process_batch(black_box(&event), 0))
                    .unwrap();
                assert!(response.batch_item_failures.is_empty());
                p
            },
            BatchSize::SmallInput,
        )
    });
    let warm = processor();
    runtime.block_on(warm.process_batch(&event, 0)).unwrap();
    c.bench_function("processor_batch_of_10_duplicates", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(warm.process_batch(black_box(&event), 0))
                    .unwrap(),
            )
        })
    });
}

fn bench_round_trips(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (spread, one_group) = (batch_of(10), batch_of(1));
    // One new event's own chain: claim, state write, finish.
    let chain = ROUND_TRIP * 3;
    let median = |event: &SqsEvent| {
        let mut times: Vec<_> = (0..7).map(|_| wall_time(&runtime, event)).collect();
        times.sort();
        times[3]
    };
    let (a, b) = (median(&spread), median(&one_group));
    println!(
        "batch wall time at {ROUND_TRIP:?} a call: 10 groups x 1 event {a:?} ({:.2}x one event's chain of {chain:?}); 1 group x 10 events {b:?} ({:.2}x)",
        a.as_secs_f64() / chain.as_secs_f64(),
        b.as_secs_f64() / chain.as_secs_f64(),
    );
    let calls_per_event = |event: &SqsEvent| {
        CALLS.store(0, Ordering::SeqCst);
        wall_time(&runtime, event);
        CALLS.load(Ordering::SeqCst) as f64 / event.records.len() as f64
    };
    println!(
        "store calls per event (requests to DynamoDB): 10 groups x 1 event {:.1}; 1 group x 10 events {:.1}",
        calls_per_event(&spread),
        calls_per_event(&one_group),
    );
    let results = draw_results(1_000);
    let draw = wall_time(&runtime, &results);
    println!(
        "draw.winners_selected with 1,000 winners at {ROUND_TRIP:?} a call: {draw:?} (1,002 writes, {} at a time)",
        fanfare_shared::processor::MAX_CONCURRENT_WRITES
    );
    let mut group = c.benchmark_group("processor_batch_at_5ms_round_trips");
    group.sample_size(10);
    group.bench_function("10_groups_x_1_event", |bench| {
        bench.iter(|| wall_time(&runtime, black_box(&spread)))
    });
    group.bench_function("1_group_x_10_events", |bench| {
        bench.iter(|| wall_time(&runtime, black_box(&one_group)))
    });
    group.finish();
}

criterion_group!(benches, bench, bench_round_trips);
criterion_main!(benches);
