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
    // A call waits inline for at most 250 ms: the slots at 0 and 200 ms; the rest are deferred.
    let delivered = harness.deliver_batch(&batch).await;
    assert_eq!(delivered.unacknowledged.len(), 6, "{delivered:?}");
    for deferred in &delivered.unacknowledged {
        let record = harness.record(&format!("evt_{}", deferred.index)).unwrap();
        assert_eq!(record.existing.status, Status::Deferred);
        assert_eq!(record.last_error.as_deref(), Some("deferred:erp"));
        assert_eq!(record.failures, 0);
        assert!(!deferred.dead_letter);
        assert!(record.reservation.is_some(), "its slot is kept");
    }
    // Each comes back when its delay says, and goes through.
    let again = futures_util::future::join_all(delivered.unacknowledged.iter().map(|u| async {
        tokio::time::sleep(u.retry_after.unwrap()).await;
        harness.deliver(&bodies[u.index]).await.outcome
    }))
    .await;
    assert!(again.iter().all(|o| *o == Outcome::Completed), "{again:?}");
    assert_eq!(harness.downstream_calls().len(), 8);
}

/// A backlog far longer than an invocation: each event is deferred once, keeps the slot it drew,
/// comes back shortly before it (as the queue returns it) and calls in it; the rate holds.
#[tokio::test(start_paused = true)]
async fn a_deferred_event_keeps_its_slot_and_is_deferred_only_once() {
    // 8 s less the 5 s margin: 3 s in which a call waits for its slot, more than the 2 s by
    // which a deferred event comes back early (a Lambda invocation has 25 s).
    let harness = Harness::new(ToErp).with_deadline(Duration::from_secs(8));
    let bodies: Vec<String> = (0..40).map(paid).collect();
    let groups: Vec<String> = (0..40).map(|n| format!("order/o{n}")).collect();
    let batches: Vec<Vec<(&str, &str)>> = (0..4)
        .map(|chunk| {
            (chunk * 10..chunk * 10 + 10)
                .map(|n| (groups[n].as_str(), bodies[n].as_str()))
                .collect()
        })
        .collect();
    // Four invocations at once, as four pollers take four batches; each deferred message comes
    // back when the delay set as its group was done says.
    let rounds = futures_util::future::join_all(batches.iter().map(|batch| async {
        let delivered = harness.deliver_batch(batch).await;
        let deferred: Vec<(String, i64, i64)> = delivered
            .unacknowledged
            .iter()
            .map(|u| {
                let id = format!("evt_{}", &batch[u.index].0["order/o".len()..]);
                let slot = harness.record(&id).and_then(|r| r.reservation);
                (
                    id,
                    slot.expect("a deferral keeps its slot").at_ms,
                    u.back_at_ms.expect("a return time"),
                )
            })
            .collect();
        let again = futures_util::future::join_all(deferred.iter().map(|(id, _, back_at)| async {
            let wait = *back_at - harness.now().timestamp_millis();
            tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
            let n: usize = id["evt_".len()..].parse().unwrap();
            harness.deliver(&bodies[n]).await.outcome
        }))
        .await;
        (deferred, again)
    }))
    .await;
    let deferred: Vec<_> = rounds.iter().flat_map(|(d, _)| d.clone()).collect();
    let again: Vec<Outcome> = rounds.iter().flat_map(|(_, a)| a.clone()).collect();
    // 40 calls at 5 a second: 8 s of slots, of which the first three seconds fit.
    assert!(deferred.len() >= 20, "{deferred:?}");
    assert!(again.iter().all(|o| *o == Outcome::Completed), "{again:?}");
    let mut reserved: Vec<i64> = deferred.iter().map(|(_, slot, _)| *slot).collect();
    let mut called: Vec<i64> = harness
        .downstream_calls()
        .iter()
        .map(|(_, at)| at.timestamp_millis())
        .filter(|at| reserved.contains(at))
        .collect();
    called.sort_unstable();
    reserved.sort_unstable();
    assert_eq!(
        called, reserved,
        "each deferred call went in the slot its event kept"
    );
    let calls = harness.downstream_calls();
    assert_eq!(calls.len(), 40);
    assert_eq!(
        busiest_second(calls.iter().map(|(_, at)| at.timestamp_millis())),
        5
    );
}
