//! A batch of 10 new events through the processor with in-memory ports (claim, ordering gate, state,
//! handler, finish), and the same batch again as duplicates.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::StateOnly;
use fanfare_shared::processor::idempotency::MemoryIdempotencyStore;
use fanfare_shared::processor::state::MemoryStateStore;
use fanfare_shared::processor::{Processor, ProcessorOptions};
use std::hint::black_box;

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
        ProcessorOptions {
            emit_metrics: false,
            ..Default::default()
        },
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

criterion_group!(benches, bench);
criterion_main!(benches);
