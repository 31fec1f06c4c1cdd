//! The retry budget on moto: a failure that spends it makes the processor send the message to the
//! DLQ itself, with its group and attributes, and acknowledge it; the record starts a fresh budget,
//! and the redrive brings the event back for the fixed handler.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_dynamodb::types::AttributeValue;
use fanfare_integration_tests::{drain, lambda_record, moto_config, template_resources};
use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use fanfare_shared::adapters::sqs::{SqsDeadLetterQueue, SqsDeadLetters, SqsQuarantine};
use fanfare_shared::contract::message::attributes;
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::{Processor, ProcessorOptions};
use fanfare_shared::redrive::{redrive, RedrivePolicy};

use crate::redrive_sqs::{put, FlakyPaid};

type Record = std::collections::HashMap<String, AttributeValue>;

async fn record(ddb: &aws_sdk_dynamodb::Client, table: &str, event_id: &str) -> Record {
    ddb.get_item()
        .table_name(table)
        .key("eventId", AttributeValue::S(event_id.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}

fn batch_of(messages: &[aws_sdk_sqs::types::Message]) -> SqsEvent {
    let mut batch = SqsEvent::default();
    batch.records = messages.iter().map(lambda_record).collect();
    batch
}

#[tokio::test]
async fn an_event_whose_budget_is_spent_is_dead_lettered_by_the_processor_and_redriven() {
    let config = moto_config().await;
    let (sqs, ddb) = (
        aws_sdk_sqs::Client::new(&config),
        aws_sdk_dynamodb::Client::new(&config),
    );
    let made = template_resources(&[("EventsDeadLetterQueue", "VisibilityTimeout", "1")]);
    let (main, dlq, ids) = (
        made.events_queue,
        made.dead_letter_queue,
        made.idempotency_table,
    );
    put(&sqs, &main, "evt_spent", "order/s", None).await;
    let mut options = ProcessorOptions::default();
    options.retry.budget = 2;
    let handler = FlakyPaid {
        fail: true.into(),
        runs: 0.into(),
    };
    let processor = Processor::new(
        DynamoIdempotencyStore::new(ddb.clone(), &ids),
        DynamoStateStore::new(ddb.clone(), &made.state_table),
        handler,
        FixedClock(chrono::Utc::now()),
        options,
    )
    .with_dead_letters(Arc::new(SqsDeadLetters::new(sqs.clone(), &dlq)));
    let batch = batch_of(&drain(&sqs, &main).await);
    // The first failure is retried; the second spends the budget of 2.
    let first = processor.process_batch(&batch, 0).await.unwrap();
    assert_eq!(first.batch_item_failures.len(), 1);
    assert_eq!(
        record(&ddb, &ids, "evt_spent").await["failures"]
            .as_n()
            .unwrap(),
        "1"
    );
    let second = processor.process_batch(&batch, 0).await.unwrap();
    assert!(
        second.batch_item_failures.is_empty(),
        "acknowledged: it is in the DLQ"
    );
    let stored = record(&ddb, &ids, "evt_spent").await;
    assert_eq!(stored["failures"].as_n().unwrap(), "0", "a fresh budget");
    assert_eq!(stored["deadLetters"].as_n().unwrap(), "1");
    assert_eq!(stored["lastError"].as_s().unwrap(), "downstream_down");

    let queue = SqsDeadLetterQueue::new(sqs.clone(), &dlq, &main);
    let park = SqsQuarantine::new(sqs.clone(), &made.quarantine_queue);
    let later = chrono::Utc::now().timestamp_millis() + 2 * 3600 * 1000;
    let report = redrive(&queue, &park, RedrivePolicy::default(), later)
        .await
        .unwrap();
    assert_eq!(report.moved, 1);
    let back = drain(&sqs, &main).await;
    let attrs = back[0].message_attributes().unwrap();
    assert_eq!(
        attrs[attributes::EVENT_ID].string_value(),
        Some("evt_spent")
    );
    assert_eq!(attrs[attributes::REDRIVE_COUNT].string_value(), Some("1"));
    processor.handler().fail.store(false, Ordering::SeqCst);
    let response = processor.process_batch(&batch_of(&back), 0).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        record(&ddb, &ids, "evt_spent").await["status"]
            .as_s()
            .unwrap(),
        "completed"
    );
}
