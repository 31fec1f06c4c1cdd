//! What the on-call engineer reads, on moto: the failed events of the last hour
//! from the idempotency table's sparse index, with the handler's own error code.

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use fanfare_integration_tests::{create_tables, moto_config};
use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::{IncomingMessage, Outcome, Processor, ProcessorOptions};

const T0: i64 = 1_767_225_600_000;

/// Fails `order.paid` while `down` is set.
struct Erp {
    down: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl EventHandler for Erp {
    async fn order_paid(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(HandlerError::new("erp_unreachable"));
        }
        Ok(())
    }
    async fn order_cancelled(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        Err(HandlerError::permanent("order_unknown_to_erp"))
    }
}

#[tokio::test]
async fn failed_events_are_listed_by_time_until_they_succeed() {
    let ddb = aws_sdk_dynamodb::Client::new(&moto_config().await);
    let (idempotency_table, state_table) = create_tables();
    let store = DynamoIdempotencyStore::new(ddb.clone(), &idempotency_table);
    let processor = |now_ms: i64, down: bool| {
        Processor::new(
            DynamoIdempotencyStore::new(ddb.clone(), &idempotency_table),
            DynamoStateStore::new(ddb.clone(), &state_table),
            Erp { down: down.into() },
            FixedClock(Utc.timestamp_millis_opt(now_ms).unwrap()),
            ProcessorOptions::default(),
        )
    };
    let paid =
        r#"{"id":"evt_paid","type":"order.paid","created":1767225600,"data":{"orderId":"o1"}}"#;
    let fulfilled =
        r#"{"id":"evt_ok","type":"order.fulfilled","created":1767225600,"data":{"orderId":"o1"}}"#;
    let failing = processor(T0, true);
    assert!(matches!(
        failing.process(IncomingMessage::raw(paid), 0).await,
        Outcome::Failed(_)
    ));
    assert_eq!(
        failing.process(IncomingMessage::raw(fulfilled), 0).await,
        Outcome::Completed
    );

    let listed = store.failed_since(T0 - 3_600_000, 10).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].event_id, "evt_paid");
    assert_eq!(listed[0].kind, "order.paid");
    assert_eq!(listed[0].entity, "order/o1");
    assert_eq!(listed[0].attempts, 1);
    assert_eq!(listed[0].last_error, "erp_unreachable");
    assert_eq!(listed[0].last_attempt_ms, T0);
    assert_eq!(listed[0].status, "failed");
    // Older than the window: not listed.
    assert!(store.failed_since(T0 + 1, 10).await.unwrap().is_empty());
    // Once it succeeds it leaves the index.
    let fixed = processor(T0 + 60_000, false);
    assert_eq!(
        fixed.process(IncomingMessage::raw(paid), 0).await,
        Outcome::Superseded
    );
    assert!(store
        .failed_since(T0 - 3_600_000, 10)
        .await
        .unwrap()
        .is_empty());
    // A rejected event stays listed, as rejected, until a forced replay.
    let cancelled = r#"{"id":"evt_cancel","type":"order.cancelled","created":1767225600,"data":{"orderId":"o1"}}"#;
    assert_eq!(
        fixed.process(IncomingMessage::raw(cancelled), 0).await,
        Outcome::Rejected
    );
    let listed = store.failed_since(T0 - 3_600_000, 10).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].status.as_str(), listed[0].last_error.as_str()),
        ("rejected", "order_unknown_to_erp")
    );
}

/// A mass failure spreads over the failed index's key values (one value is one index partition,
/// and a throttled index throttles the table), and the list reads every one, newest first.
#[tokio::test]
async fn failures_spread_over_the_index_shards_and_list_newest_first() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use fanfare_shared::adapters::dynamodb::record;
    let ddb = aws_sdk_dynamodb::Client::new(&moto_config().await);
    let (idempotency_table, state_table) = create_tables();
    let store = DynamoIdempotencyStore::new(ddb.clone(), &idempotency_table);
    for i in 0..40i64 {
        let p = Processor::new(
            DynamoIdempotencyStore::new(ddb.clone(), &idempotency_table),
            DynamoStateStore::new(ddb.clone(), &state_table),
            Erp { down: true.into() },
            FixedClock(Utc.timestamp_millis_opt(T0 + i * 1_000).unwrap()),
            ProcessorOptions::default(),
        );
        let paid = format!(
            r#"{{"id":"evt_paid_{i}","type":"order.paid","created":1767225600,"data":{{"orderId":"o{i}"}}}}"#
        );
        assert!(matches!(
            p.process(IncomingMessage::raw(&paid), 0).await,
            Outcome::Failed(_)
        ));
    }
    // A record failed before the index was sharded still carries the one old value.
    ddb.update_item()
        .table_name(&idempotency_table)
        .key(record::EVENT_ID, AttributeValue::S("evt_paid_0".into()))
        .update_expression("SET failedFlag = :f")
        .expression_attribute_values(":f", AttributeValue::S(record::FAILED.into()))
        .send()
        .await
        .unwrap();
    let items = ddb
        .scan()
        .table_name(&idempotency_table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let shards: std::collections::BTreeSet<String> = items
        .iter()
        .filter_map(|item| item.get(record::FAILED_FLAG)?.as_s().ok().cloned())
        .collect();
    assert!(shards.len() >= 8, "40 failures on {shards:?}");

    let listed = store.failed_since(T0 - 3_600_000, 100).await.unwrap();
    let ids: Vec<String> = listed.iter().map(|r| r.event_id.clone()).collect();
    let expected: Vec<String> = (0..40).rev().map(|i| format!("evt_paid_{i}")).collect();
    assert_eq!(ids, expected, "every shard read, newest first");
    let newest = store.failed_since(T0 - 3_600_000, 5).await.unwrap();
    assert_eq!(newest.len(), 5);
    assert_eq!(newest[0].event_id, "evt_paid_39");
    assert_eq!(newest[4].event_id, "evt_paid_35");
}

/// `alerts`: after a `DeliveryFailed` alarm, the events Fanfare gave up on, with their ids.
#[tokio::test]
async fn delivery_failures_are_listed_with_the_lost_event() {
    let ddb = aws_sdk_dynamodb::Client::new(&moto_config().await);
    let (idempotency_table, state_table) = create_tables();
    let processor = Processor::new(
        DynamoIdempotencyStore::new(ddb.clone(), &idempotency_table),
        DynamoStateStore::new(ddb.clone(), &state_table),
        fanfare_shared::processor::handler::StateOnly,
        FixedClock(Utc.timestamp_millis_opt(T0).unwrap()),
        ProcessorOptions::default(),
    );
    let failed = r#"{"id":"evt_df","type":"webhook.delivery.failed","created":1767225600,"organizationId":"org_1","data":{"eventId":"evt_lost","eventType":"order.paid","retryCount":7,"willRetry":false}}"#;
    let paid =
        r#"{"id":"evt_ok","type":"order.paid","created":1767225600,"data":{"orderId":"o1"}}"#;
    for body in [failed, paid] {
        assert_eq!(
            processor.process(IncomingMessage::raw(body), 0).await,
            Outcome::Completed
        );
    }
    let state = DynamoStateStore::new(ddb, &state_table);
    let alerts = state.delivery_failed_alerts(10).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["failedEventId"], "evt_lost", "{alerts:?}");
}
