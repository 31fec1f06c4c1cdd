//! The model against reality: `make bench`'s shapes (10 groups × 1 event, 1 group × 10 events, a
//! store call of 5 ms) through the real processor on the simulation's stores, in virtual time and
//! in real time. They must agree within 20 %.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use fanfare_shared::adapters::memory::{MemoryIdempotencyStore, MemoryStateStore};
use fanfare_shared::processor::handler::StateOnly;
use fanfare_shared::testing::{body_at, processor_at, T0_MS};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::billing::Billing;
use crate::profile::Receiver;
use crate::stores::{Model, Modelled};
use fanfare_shared::testing::Hooked;

/// The bench's batches: ten consumers' admissions, or one consumer's ten position updates.
fn shape(groups: usize) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = (0..10)
        .map(|i| {
            let consumer = if groups == 1 { 0 } else { i };
            let data = format!(
                r#"{{"experienceId":"exp_1","consumerId":"con_{consumer}","position":{}}}"#,
                100 - i
            );
            let ty = if groups == 1 {
                "queue.position_updated"
            } else {
                "queue.consumer_admitted"
            };
            let mut m = SqsMessage::default();
            m.message_id = Some(format!("m{i}"));
            m.body = Some(body_at(&format!("evt_{i}"), ty, T0_MS + i as i64, &data));
            m.attributes.insert(
                "MessageGroupId".into(),
                format!("admission/exp_1/con_{consumer}"),
            );
            m
        })
        .collect();
    event
}

/// The median time of seven runs of `event` on fresh stores with 5 ms calls.
fn median_ms(paused: bool, event: &SqsEvent) -> f64 {
    let receiver = Receiver {
        store_median_ms: 5.0,
        store_p99_ms: 5.0,
        partition_write_units_per_s: 1e9,
        ..Receiver::default()
    };
    let mut times: Vec<f64> = (0..7)
        .map(|seed| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .max_blocking_threads(64)
                .start_paused(paused)
                .build()
                .expect("a runtime");
            let state = Arc::new(MemoryStateStore::default());
            let billing = Billing::new(state.clone(), HashMap::new());
            let mut model = Model::new(&receiver, StdRng::seed_from_u64(seed), billing);
            // Real time: each round trip a thread's sleep, so tokio's 1 ms timer tick is not
            // measured as if it were DynamoDB's.
            model.real_time = !paused;
            let model = Arc::new(model);
            let p = processor_at(
                Hooked {
                    inner: MemoryIdempotencyStore::default(),
                    hook: Modelled(model.clone()),
                },
                Hooked {
                    inner: state,
                    hook: Modelled(model),
                },
                StateOnly,
                T0_MS,
            );
            runtime.block_on(async {
                let started = tokio::time::Instant::now();
                let response = p.process_batch(event, 0).await.expect("a batch");
                assert!(response.batch_item_failures.is_empty());
                started.elapsed().as_secs_f64() * 1000.0
            })
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[3]
}

pub fn run() -> ExitCode {
    let mut agree = true;
    for (name, groups) in [("10 groups x 1 event", 10), ("1 group x 10 events", 1)] {
        let event = shape(groups);
        let (simulated, measured) = (median_ms(true, &event), median_ms(false, &event));
        let off = (simulated - measured).abs() / measured;
        agree &= off <= 0.2;
        println!(
            "{name}: simulated {simulated:.1} ms, measured {measured:.1} ms ({:+.0} %)",
            (simulated / measured - 1.0) * 100.0
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    if std::env::var_os("MOTO_ENDPOINT").is_some() {
        let small_drop = crate::moto::agrees();
        println!("a small drop on moto and its simulation agree (medians over runs, within a factor of 1.5): {small_drop}");
        agree &= small_drop;
    } else {
        println!(
            "MOTO_ENDPOINT not set: the small drop on moto is not run (make drop-sim runs it)"
        );
    }
    if agree {
        println!("the model agrees with real time within 20 %");
        ExitCode::SUCCESS
    } else {
        println!("the model and real time differ by more than 20 %");
        ExitCode::FAILURE
    }
}
