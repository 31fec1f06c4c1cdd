//! A downstream's pace through the harness, in virtual time: calls never above the declared rate,
//! summed over instances, spread within each second, and deferred (not failed) at the deadline.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fanfare_shared::adapters::memory::{MemoryIdempotencyStore, MemoryStateStore};
use fanfare_shared::ports::idempotency::Status;
use fanfare_shared::ports::pace::InProcessTickets;
use fanfare_shared::ports::Clock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::pace::DownstreamCallLog;
use fanfare_shared::processor::{
    Downstream, GroupedMessage, IncomingMessage, Outcome, Processor, ProcessorOptions,
};
use fanfare_shared::testing::{body_at, Harness, T0_MS};

/// Sends every paid order to the ERP, which takes 5 calls a second.
struct ToErp;

#[async_trait]
impl EventHandler for ToErp {
    fn downstreams(&self) -> Vec<Downstream> {
        vec![Downstream::new("erp", 5)]
    }
    async fn order_paid(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        ctx.downstream("erp").call(async {}).await
    }
}

fn paid(n: usize) -> String {
    let data = format!(r#"{{"orderId":"o{n}","experienceId":"x","consumerId":"c{n}"}}"#);
    body_at(&format!("evt_{n}"), "order.paid", T0_MS, &data)
}

/// Wall time that moves with tokio's (paused) clock, as the harness's does.
struct VirtualClock(tokio::time::Instant);

impl Clock for VirtualClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let ms = T0_MS + self.0.elapsed().as_millis() as i64;
        chrono::TimeZone::timestamp_millis_opt(&chrono::Utc, ms).unwrap()
    }
}

/// The most calls in any whole second (Unix ms → second).
fn busiest_second(times_ms: impl Iterator<Item = i64>) -> usize {
    let mut per_second: BTreeMap<i64, usize> = BTreeMap::new();
    for t in times_ms {
        *per_second.entry(t.div_euclid(1000)).or_default() += 1;
    }
    per_second.into_values().max().unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn calls_go_at_the_declared_rate_spread_over_each_second() {
    let harness = Harness::new(ToErp);
    let bodies: Vec<String> = (0..20).map(paid).collect();
    let groups: Vec<String> = (0..20).map(|n| format!("order/o{n}")).collect();
    for chunk in 0..2 {
        let batch: Vec<(&str, &str)> = (chunk * 10..chunk * 10 + 10)
            .map(|n| (groups[n].as_str(), bodies[n].as_str()))
            .collect();
        let delivered = harness.deliver_batch(&batch).await;
        assert!(delivered.unacknowledged.is_empty(), "{delivered:?}");
    }
    let calls = harness.downstream_calls();
    assert_eq!(calls.len(), 20);
    let times: Vec<i64> = calls.iter().map(|(_, at)| at.timestamp_millis()).collect();
    assert_eq!(busiest_second(times.iter().copied()), 5);
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert!(
        sorted.windows(2).all(|w| w[1] - w[0] >= 200),
        "one call every 200 ms: {sorted:?}"
    );
    assert!(
        sorted[19] - sorted[0] >= 3_800,
        "20 calls at 5 a second take 4 s"
    );
}

#[tokio::test(start_paused = true)]
async fn the_rate_holds_for_the_sum_over_instances() {
    // Two instances drawing from one ticket counter, as every Lambda instance does from the table.
    let tickets = Arc::new(InProcessTickets::default());
    let log = DownstreamCallLog::default();
    let instance = || {
        Processor::new(
            Arc::new(MemoryIdempotencyStore::default()),
            Arc::new(MemoryStateStore::default()),
            ToErp,
            VirtualClock(tokio::time::Instant::now()),
            ProcessorOptions::default(),
        )
        .with_pace_store(tickets.clone())
        .with_call_log(log.clone())
    };
    let (a, b) = (instance(), instance());
    let bodies: Vec<String> = (0..20).map(paid).collect();
    let groups: Vec<String> = (0..20).map(|n| format!("order/o{n}")).collect();
    let batch = |range: std::ops::Range<usize>| -> Vec<GroupedMessage<'_>> {
        range
            .map(|n| GroupedMessage {
                group: Some(groups[n].as_str()),
                message: IncomingMessage::raw(&bodies[n]),
            })
            .collect()
    };
    let (first, second) = (batch(0..10), batch(10..20));
    let (x, y) = tokio::join!(
        a.process_messages(&first, 0),
        b.process_messages(&second, 0)
    );
    assert!(x.is_empty() && y.is_empty());
    let calls = log.lock().unwrap().clone();
    assert_eq!(calls.len(), 20);
    assert_eq!(busiest_second(calls.iter().map(|&(_, t)| t)), 5);
}

#[tokio::test(start_paused = true)]
async fn a_slot_past_the_deadline_defers_and_the_event_goes_through_later() {
    let harness = Harness::new(ToErp).with_deadline(Duration::from_secs(6));
    let bodies: Vec<String> = (0..8).map(paid).collect();
    let groups: Vec<String> = (0..8).map(|n| format!("order/o{n}")).collect();
    let batch: Vec<(&str, &str)> = (0..8)
        .map(|n| (groups[n].as_str(), bodies[n].as_str()))
        .collect();
    // 6 s less the 5 s margin leaves 1 s: the first second's five slots and the next second's
    // first; the other two would pass the deadline.
    let delivered = harness.deliver_batch(&batch).await;
    assert_eq!(delivered.unacknowledged.len(), 2, "{delivered:?}");
    for deferred in &delivered.unacknowledged {
        let record = harness.record(&format!("evt_{}", deferred.index)).unwrap();
        assert_eq!(record.existing.status, Status::Deferred);
        assert_eq!(record.last_error.as_deref(), Some("deferred:erp"));
        assert_eq!(record.failures, 0);
        assert!(!deferred.dead_letter);
        assert!(deferred.retry_after.is_some());
    }
    harness.advance(delivered.unacknowledged[0].retry_after.unwrap());
    for deferred in &delivered.unacknowledged {
        let again = harness.deliver(&bodies[deferred.index]).await;
        assert_eq!(again.outcome, Outcome::Completed);
    }
    assert_eq!(harness.downstream_calls().len(), 8);
}
