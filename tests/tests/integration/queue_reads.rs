//! Reading the dead-letter and quarantine queues on moto: what a redrive carries back, and how
//! little `quarantine show` holds.

use aws_sdk_sqs::types::MessageAttributeValue;
use fanfare_integration_tests::{moto_config, template_resources};
use fanfare_shared::adapters::sqs::{SqsDeadLetterQueue, SqsQuarantine};
use fanfare_shared::contract::message::{attributes, QuarantinedDelivery};

use super::redrive_sqs::event_body;

/// A dead letter's `replay-force`, and any attribute ingest and replays never send, stay behind: a
/// message slipped into the DLQ cannot force a completed event's handler to run again.
#[tokio::test]
async fn a_redrive_forwards_only_the_attributes_it_knows() {
    use fanfare_shared::ports::DeadLetterQueue;
    let sqs = aws_sdk_sqs::Client::new(&moto_config().await);
    let (dlq_url, events_url) = (
        template_resources(&[]).events_queue,
        template_resources(&[]).events_queue,
    );
    let text = |v: &str| {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .unwrap()
    };
    sqs.send_message()
        .queue_url(&dlq_url)
        .message_body(event_body("evt_forced"))
        .message_group_id("order/o_evt_forced")
        .message_deduplication_id("evt_forced")
        .message_attributes(attributes::EVENT_ID, text("evt_forced"))
        .message_attributes(attributes::REPLAY_ID, text("rpl_1"))
        .message_attributes(attributes::REPLAY_FORCE, text("true"))
        .message_attributes("x-unknown", text("anything"))
        .send()
        .await
        .unwrap();
    let dlq = SqsDeadLetterQueue::new(sqs.clone(), &dlq_url, &events_url);
    let received = dlq.receive().await.unwrap();
    dlq.send_back(&received[0], 1).await.unwrap();
    let back = SqsDeadLetterQueue::new(sqs.clone(), &events_url, &dlq_url);
    let arrived = back.receive().await.unwrap();
    let names: Vec<&str> = arrived[0]
        .attributes
        .iter()
        .map(|(n, _, _)| n.as_str())
        .collect();
    assert!(names.contains(&attributes::EVENT_ID) && names.contains(&attributes::REPLAY_ID));
    assert!(!names.contains(&attributes::REPLAY_FORCE), "{names:?}");
    assert!(!names.contains(&"x-unknown"), "{names:?}");
    assert_eq!(arrived[0].redrive_count(), 1);
}

/// `quarantine show` reads until it finds its delivery, not the whole queue: it holds invisible
/// only what it read before, and gives it back.
#[tokio::test]
async fn showing_one_kept_delivery_stops_at_it() {
    use fanfare_shared::ports::Quarantine;
    let sqs = aws_sdk_sqs::Client::new(&moto_config().await);
    let queue = SqsQuarantine::new(sqs.clone(), template_resources(&[]).quarantine_queue);
    for n in 0..25 {
        let kept = QuarantinedDelivery {
            reason: "invalid_json".into(),
            body_base64: String::new(),
            received_at_ms: n,
            signature_scheme: "a".into(),
            event_type_header: None,
            event_id_header: None,
            delivery_id: Some(format!("dlv_{n}")),
            event_id: None,
            payload_hash: None,
            truncated: false,
        }
        .sealed(b"not json");
        queue.quarantine(&kept).await.unwrap();
    }
    let all = queue.receive_all(1_000).await.unwrap();
    assert_eq!(all.len(), 25);
    for k in &all {
        queue.release(k).await.unwrap();
    }
    let wanted = all[0].message_id.clone();
    let read = queue
        .receive_until(1_000, |k| k.message_id == wanted)
        .await
        .unwrap();
    assert!(read.iter().any(|k| k.message_id == wanted));
    assert!(read.len() < 25, "read {} of 25", read.len());
    for k in &read {
        queue.release(k).await.unwrap();
    }
    assert_eq!(queue.receive_all(1_000).await.unwrap().len(), 25);
}
