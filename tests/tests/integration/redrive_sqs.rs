//! The redrive policy against FIFO queues in moto.

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use fanfare_integration_tests::{
    drain, dynamo_processor, lambda_record, moto_config, template_resources,
};
use fanfare_shared::adapters::sqs::{SqsDeadLetterQueue, SqsEventQueue, SqsQuarantine};
use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::contract::message::{attributes, QuarantinedDelivery};
use fanfare_shared::ports::{EventQueue, FixedClock};
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::{IncomingMessage, Outcome};
use fanfare_shared::redrive::{redrive, RedrivePolicy, PARKED_REASON};

pub(crate) fn event_body(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"order.paid","created":1767225600,"data":{{"orderId":"o_{id}","paymentToken":"tok_SECRET"}}}}"#
    )
}

pub(crate) async fn put(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    id: &str,
    group: &str,
    redrive_count: Option<u32>,
) {
    let mut send = sqs
        .send_message()
        .queue_url(url)
        .message_body(event_body(id))
        .message_group_id(group)
        .message_deduplication_id(id)
        .message_attributes(
            attributes::EVENT_ID,
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(id)
                .build()
                .unwrap(),
        );
    if let Some(n) = redrive_count {
        send = send.message_attributes(
            attributes::REDRIVE_COUNT,
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value(n.to_string())
                .build()
                .unwrap(),
        );
    }
    send.send().await.unwrap();
}

/// (event id, redrive count) of every message on `queue`, sorted.
async fn moved_counts(sqs: &aws_sdk_sqs::Client, queue: &str) -> Vec<(String, String)> {
    let moved = sqs
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    let mut counts: Vec<(String, String)> = moved
        .messages()
        .iter()
        .map(|m| {
            let attrs = m.message_attributes().unwrap();
            let text = |name: &str| attrs[name].string_value().unwrap().to_string();
            (text(attributes::EVENT_ID), text(attributes::REDRIVE_COUNT))
        })
        .collect();
    counts.sort();
    counts
}

#[tokio::test]
async fn old_messages_go_back_with_their_count_and_exhausted_ones_are_parked_unblocking_their_group(
) {
    let config = moto_config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    // Messages a run leaves come back after 1 s here.
    let made = template_resources(&[("EventsDeadLetterQueue", "VisibilityTimeout", "1")]);
    let (main, dlq, kept) = (
        made.events_queue,
        made.dead_letter_queue,
        made.quarantine_queue,
    );
    put(&sqs, &dlq, "fresh", "order/a", None).await;
    put(&sqs, &dlq, "twice", "order/b", Some(2)).await;
    put(&sqs, &dlq, "exhausted", "order/c", Some(3)).await;
    // Behind the exhausted message in its FIFO group: blocked for as long as that one stays.
    put(&sqs, &dlq, "behind", "order/c", None).await;
    let queue = SqsDeadLetterQueue::new(sqs.clone(), &dlq, &main);
    let park = SqsQuarantine::new(sqs.clone(), &kept);
    let now = chrono::Utc::now().timestamp_millis();

    // Nothing is old enough yet; the exhausted one is parked at once, which frees its group.
    let early = redrive(&queue, &park, RedrivePolicy::default(), now)
        .await
        .unwrap();
    assert_eq!((early.moved, early.too_recent, early.parked), (0, 3, 1));

    // Messages a run leaves become visible again after the DLQ's visibility timeout (1 s here).
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let policy = RedrivePolicy {
        max_messages_per_run: 10,
        ..RedrivePolicy::default()
    };
    let later = redrive(&queue, &park, policy, now + 2 * 3600 * 1000)
        .await
        .unwrap();
    assert_eq!(later.moved, 3);

    assert_eq!(
        moved_counts(&sqs, &main).await,
        [
            ("behind".to_string(), "1".to_string()),
            ("fresh".to_string(), "1".to_string()),
            ("twice".to_string(), "3".to_string())
        ]
    );

    let left = sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = left.attributes().unwrap();
    let visible: u32 = attrs[&QueueAttributeName::ApproximateNumberOfMessages]
        .parse()
        .unwrap();
    let in_flight: u32 = attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible]
        .parse()
        .unwrap();
    assert_eq!(visible + in_flight, 0, "nothing is left blocking the DLQ");

    // The parked copy: redacted, with what a replay needs to claim the event's record.
    let parked = sqs
        .receive_message()
        .queue_url(&kept)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert_eq!(parked.messages().len(), 1);
    let delivery: QuarantinedDelivery =
        serde_json::from_str(parked.messages()[0].body().unwrap()).unwrap();
    assert_eq!(delivery.reason, PARKED_REASON);
    assert_eq!(delivery.event_id.as_deref(), Some("exhausted"));
    let original = parse_event(event_body("exhausted").as_bytes()).unwrap();
    assert_eq!(delivery.payload_hash, Some(original.payload_hash()));
    let body = String::from_utf8(delivery.body().unwrap()).unwrap();
    assert!(!body.contains("tok_SECRET"), "{body}");
    assert!(body.contains("o_exhausted"), "{body}");
}

/// Fails `order.paid` while told to, then succeeds.
pub(crate) struct FlakyPaid {
    pub(crate) fail: std::sync::atomic::AtomicBool,
    pub(crate) runs: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl EventHandler for FlakyPaid {
    async fn order_paid(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(HandlerError::new("downstream_down"));
        }
        self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_parked_event_replayed_from_quarantine_claims_its_failed_record_and_completes() {
    let config = moto_config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let made = template_resources(&[]);
    let (main, dlq, kept) = (
        made.events_queue,
        made.dead_letter_queue,
        made.quarantine_queue,
    );
    let tables = (made.idempotency_table, made.state_table);
    let processor = dynamo_processor(
        &ddb,
        &tables,
        FlakyPaid {
            fail: true.into(),
            runs: 0.into(),
        },
        FixedClock(chrono::Utc::now()),
    );
    let body = event_body("evt_parked");
    assert!(matches!(
        processor.process(IncomingMessage::raw(&body), 0).await,
        Outcome::Failed(_)
    ));

    // Its last redrive failed too: the redrive function parks it.
    put(&sqs, &dlq, "evt_parked", "order/p", Some(3)).await;
    let queue = SqsDeadLetterQueue::new(sqs.clone(), &dlq, &main);
    let park = SqsQuarantine::new(sqs.clone(), &kept);
    let report = redrive(&queue, &park, RedrivePolicy::default(), 0)
        .await
        .unwrap();
    assert_eq!(report.parked, 1);

    // After the fix, `fanfare-webhooks quarantine replay` does this.
    let events = SqsEventQueue::new(sqs.clone(), &main);
    for k in park.receive_all(100).await.unwrap() {
        let delivery = k.delivery.clone().expect("a kept delivery");
        let message = delivery.requeue(0).unwrap();
        assert!(!message.body.contains("tok_SECRET"));
        events.enqueue(&message).await.unwrap();
        park.delete(&k).await.unwrap();
    }
    processor
        .handler()
        .fail
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let mut batch = SqsEvent::default();
    batch.records = drain(&sqs, &main).await.iter().map(lambda_record).collect();
    assert_eq!(batch.records.len(), 1);
    let response = processor.process_batch(&batch, 0).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        processor
            .handler()
            .runs
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    let record = ddb
        .get_item()
        .table_name(&tables.0)
        .key(
            "eventId",
            aws_sdk_dynamodb::types::AttributeValue::S("evt_parked".into()),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(record["status"].as_s().unwrap(), "completed");
}

/// SQS takes at most 10 attributes a message. The messages with the most
/// (ingest's with every header and a base64 body, a forced replay of a redacted copy, a quarantine
/// replay) still fit after two redrives through the real adapters on moto.
#[tokio::test]
async fn the_fullest_messages_keep_within_sqs_attribute_limit_after_two_redrives() {
    use fanfare_shared::ports::DeadLetterQueue;
    let sqs = aws_sdk_sqs::Client::new(&moto_config().await);
    // U+FFFE: SQS refuses it, so the body travels base64 with `body-encoding`.
    let body = "{\"id\":\"evt_full\",\"type\":\"order.paid\",\"created\":1767225600,\"data\":{\"note\":\"\u{FFFE}\"}}";
    let event = parse_event(body.as_bytes()).unwrap();
    let mut from_ingest = fanfare_shared::contract::message::OutgoingEvent::new(
        &event,
        body.to_string(),
        fanfare_shared::contract::message::Provenance::Signed(
            fanfare_shared::contract::signature::Scheme::A,
        ),
        0,
    );
    from_ingest.event_id_header = Some("evt_header".into());
    from_ingest.delivery_id = Some("dlv_1".into());
    from_ingest.retry_count = Some(7);
    let replay = fanfare_shared::contract::message::OutgoingEvent::replay(
        body,
        "rpl_1",
        Some(&"a".repeat(64)),
        true,
        0,
    )
    .unwrap();
    let kept = QuarantinedDelivery {
        reason: PARKED_REASON.into(),
        body_base64: String::new(),
        received_at_ms: 0,
        signature_scheme: "a".into(),
        event_type_header: Some("order.paid".into()),
        event_id_header: Some("evt_header".into()),
        delivery_id: Some("dlv_1".into()),
        event_id: Some("evt_full".into()),
        payload_hash: Some("b".repeat(64)),
        truncated: false,
    }
    .sealed(body.as_bytes());
    let requeued = kept.requeue(0).unwrap();
    for (name, message) in [
        ("ingest", from_ingest),
        ("replay", replay),
        ("quarantine", requeued),
    ] {
        let hops: Vec<String> = {
            let mut urls = Vec::new();
            for _ in 0..3 {
                urls.push(template_resources(&[]).events_queue);
            }
            urls
        };
        SqsEventQueue::new(sqs.clone(), &hops[0])
            .enqueue(&message)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        for (redrive_count, pair) in hops.windows(2).enumerate() {
            let dlq = SqsDeadLetterQueue::new(sqs.clone(), &pair[0], &pair[1]);
            let received = dlq.receive().await.unwrap();
            assert_eq!(received.len(), 1, "{name}");
            dlq.send_back(&received[0], redrive_count as u32 + 1)
                .await
                .unwrap_or_else(|e| panic!("{name}, redrive {}: {e:?}", redrive_count + 1));
        }
        let last = SqsDeadLetterQueue::new(sqs.clone(), &hops[2], &hops[0]);
        let arrived = last.receive().await.unwrap();
        let count = arrived[0].attributes.len();
        assert!(
            count <= 10,
            "{name}: {count} attributes: {:?}",
            arrived[0].attributes
        );
        assert_eq!(arrived[0].redrive_count(), 2, "{name}");
    }
}
