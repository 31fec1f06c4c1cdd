//! Every SQS fixture in events/sqs runs through the processor with its DynamoDB adapters on moto:
//! no record fails, and each event ends with the record status its kind calls for.

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use fanfare_integration_tests::{
    create_tables, dynamo_processor, events_dir, moto_config, read_fixture,
};
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::StateOnly;

#[tokio::test]
async fn every_sqs_fixture_is_processed_without_failures() {
    let config = moto_config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let tables = create_tables();
    let processor = dynamo_processor(
        &ddb,
        &tables,
        StateOnly,
        FixedClock(Utc.timestamp_opt(1_767_225_700, 0).unwrap()),
    );
    let mut names: Vec<String> = std::fs::read_dir(events_dir().join("sqs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6);
    let mut event_ids = Vec::new();
    for name in &names {
        let event: SqsEvent = serde_json::from_str(&read_fixture(&format!("sqs/{name}"))).unwrap();
        for r in &event.records {
            event_ids.push(
                r.message_attributes["fanfare-event-id"]
                    .string_value
                    .clone()
                    .unwrap(),
            );
        }
        let response = processor.process_batch(&event, 0).await.unwrap();
        assert!(
            response.batch_item_failures.is_empty(),
            "{name}: {:?}",
            response.batch_item_failures
        );
    }
    event_ids.sort();
    event_ids.dedup();
    for id in event_ids {
        let item = ddb
            .get_item()
            .table_name(&tables.0)
            .key("eventId", AttributeValue::S(id.clone()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap_or_else(|| panic!("no record for {id}"));
        let status = item["status"].as_s().unwrap();
        let expected = if id == "evt_unknown_sqs" {
            "ignored"
        } else {
            "completed"
        };
        // Within one fixture batch, events of the same entity may be older than one processed before.
        assert!(
            status == expected || status == "superseded",
            "{id}: {status}"
        );
        if id.starts_with("evt_life_") || id == "evt_unknown_sqs" || id == "evt_dup" {
            assert_eq!(status, expected, "{id}");
        }
    }
}
