//! Recovery paths: what an operator's replay, park and quarantine replay do to an event.

use async_trait::async_trait;
use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::prelude::*;
use fanfare_shared::privacy::Retention;
use fanfare_shared::processor::{IncomingMessage, Outcome};
use fanfare_shared::testing::Harness;

/// Fails `order.paid` until fixed; counts its successful runs.
#[derive(Default)]
struct Erp {
    fixed: std::sync::atomic::AtomicBool,
    runs: std::sync::atomic::AtomicUsize,
}

impl Erp {
    fn fix(&self) {
        self.fixed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn runs(&self) -> usize {
        self.runs.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[async_trait]
impl EventHandler for Erp {
    async fn order_paid(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        if !self.fixed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(HandlerError::new("erp_down"));
        }
        self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// Replay a redacted archive copy, let it fail until it is parked, then
/// `quarantine replay` it after the fix: it is processed (not a conflict), its handler runs once.
#[tokio::test]
async fn a_parked_replay_of_a_redacted_copy_is_processed_after_the_fix() {
    use fanfare_shared::contract::message::attributes;
    use fanfare_shared::ports::DeadLetter;
    let harness = Harness::new(Erp::default());
    let original = r#"{"id":"evt_pay","type":"order.paid","created":1767225600,"data":{"orderId":"o1","paymentToken":"tok_secret"}}"#;
    assert!(matches!(
        harness.deliver(original).await.outcome,
        Outcome::Failed(_)
    ));
    // The operator replays the archive's (redacted) copy; the handler still fails.
    let hash = parse_event(original.as_bytes()).unwrap().payload_hash();
    let archived = Retention::default().redact_body(original.as_bytes());
    let replay = IncomingMessage {
        replay_id: Some("rpl_1"),
        replay_payload_hash: Some(&hash),
        ..IncomingMessage::raw(&archived)
    };
    assert!(matches!(
        harness.deliver_message(replay).await.outcome,
        Outcome::Failed(_)
    ));
    // It used up its redrives in the DLQ: parked, then requeued by `quarantine replay`.
    let attribute =
        |name: &str, value: &str| (name.to_string(), "String".to_string(), value.to_string());
    let dead = DeadLetter {
        message_id: "m1".into(),
        receipt_handle: "rh".into(),
        body: archived.clone(),
        group_id: Some("order/o1".into()),
        deduplication_id: None,
        sent_at_ms: 0,
        attributes: vec![
            attribute(attributes::EVENT_ID, "evt_pay"),
            attribute(attributes::REPLAY_ID, "rpl_1"),
            attribute(attributes::REPLAY_PAYLOAD_HASH, &hash),
            attribute(attributes::REDRIVE_COUNT, "3"),
        ],
        source_queue_arn: None,
    };
    let parked = dead.parked(Retention::default(), 0);
    assert_eq!(parked.payload_hash.as_deref(), Some(hash.as_str()));
    let requeued = parked.requeue(0).expect("a parked event requeues");
    harness.handler().fix();
    let delivery = harness
        .deliver_message(IncomingMessage {
            replay_id: requeued.replay_id.as_deref(),
            replay_payload_hash: requeued.replay_payload_hash.as_deref(),
            ..IncomingMessage::raw(&requeued.body)
        })
        .await;
    assert_eq!(delivery.outcome, Outcome::Completed);
    assert_eq!(harness.handler().runs(), 1);
}

/// A `replay-payload-hash` that is not a hash is not used (the body's own hash
/// decides), so it can neither make a replay claim a record nor reach a byte slice.
#[tokio::test]
async fn a_replay_hash_that_is_not_a_hash_is_ignored() {
    let harness = Harness::new(Erp::default());
    harness.handler().fix();
    let body = r#"{"id":"evt_h","type":"order.paid","created":1767225600,"data":{"orderId":"o1"}}"#;
    assert_eq!(harness.deliver(body).await.outcome, Outcome::Completed);
    let odd = "é".repeat(32);
    let replay = IncomingMessage {
        replay_id: Some("rpl_h"),
        replay_payload_hash: Some(&odd),
        replay_force: true,
        ..IncomingMessage::raw(body)
    };
    // The body's own hash matches its record: a replay, not a conflict.
    assert_eq!(
        harness.deliver_message(replay).await.outcome,
        Outcome::Completed
    );
    assert_eq!(harness.handler().runs(), 2);
}

/// A parked event as `quarantine replay` requeues it: `copies` kept deliveries of one event.
fn requeued_copies(
    body: &str,
    copies: usize,
) -> Vec<fanfare_shared::contract::message::OutgoingEvent> {
    use fanfare_shared::contract::message::attributes;
    use fanfare_shared::ports::DeadLetter;
    (0..copies)
        .map(|n| {
            let dead = DeadLetter {
                message_id: format!("m{n}"),
                receipt_handle: format!("rh{n}"),
                body: body.to_string(),
                group_id: Some("order/o1".into()),
                deduplication_id: None,
                sent_at_ms: 0,
                attributes: vec![(
                    attributes::REDRIVE_COUNT.into(),
                    "Number".into(),
                    "3".into(),
                )],
                source_queue_arn: None,
            };
            let parked = dead.parked(Retention::default(), 0);
            parked.requeue(n as i64).expect("a parked event requeues")
        })
        .collect()
}

async fn deliver_requeued<H: EventHandler>(
    harness: &Harness<H>,
    message: &fanfare_shared::contract::message::OutgoingEvent,
) -> Outcome {
    harness
        .deliver_message(IncomingMessage {
            replay_id: message.replay_id.as_deref(),
            replay_payload_hash: message.replay_payload_hash.as_deref(),
            replay_force: message.replay_force,
            event_id: Some(&message.event_id),
            ..IncomingMessage::raw(&message.body)
        })
        .await
        .outcome
}

/// An id-less event is named by the digest of its bytes, and its archived copy was redacted: a
/// replay of the copy (`replay`, `quarantine replay`) claims the original's record, so the handler
/// does not run again under another key; a body with an id of its own is never renamed.
#[tokio::test]
async fn a_replay_of_an_id_less_redacted_copy_keeps_the_original_id() {
    use fanfare_shared::contract::message::OutgoingEvent;
    let harness = Harness::new(Erp::default());
    harness.handler().fix();
    let original = r#"{"type":"order.paid","created":1767225600,"data":{"orderId":"o1","paymentToken":"tok_secret"}}"#;
    let id = parse_event(original.as_bytes()).unwrap().id;
    assert_eq!(harness.deliver(original).await.outcome, Outcome::Completed);
    let hash = parse_event(original.as_bytes()).unwrap().payload_hash();
    let archived = Retention::default().redact_body(original.as_bytes());
    assert_ne!(
        parse_event(archived.as_bytes()).unwrap().id,
        id,
        "redaction moved the digest"
    );
    let replay = OutgoingEvent::replay(&archived, "rpl_1", Some(&hash), false, 0)
        .unwrap()
        .named(&id);
    assert_eq!(
        deliver_requeued(&harness, &replay).await,
        Outcome::Duplicate
    );
    assert_eq!(harness.handler().runs(), 1, "not run again under a new key");

    // A body with its own id keeps it, whatever the attribute says.
    let own =
        r#"{"id":"evt_own","type":"order.paid","created":1767225600,"data":{"orderId":"o2"}}"#;
    let renamed = IncomingMessage {
        replay_id: Some("rpl_2"),
        event_id: Some(id.as_str()),
        ..IncomingMessage::raw(own)
    };
    assert_eq!(renamed.event(own.as_bytes()).unwrap().id, "evt_own");
}

/// A crash between park and delete leaves two copies in quarantine; replaying
/// both runs the handler once.
#[tokio::test]
async fn two_copies_of_a_parked_event_run_its_handler_once() {
    let harness = Harness::new(Erp::default());
    let body =
        r#"{"id":"evt_two","type":"order.paid","created":1767225600,"data":{"orderId":"o1"}}"#;
    assert!(matches!(
        harness.deliver(body).await.outcome,
        Outcome::Failed(_)
    ));
    harness.handler().fix();
    let copies = requeued_copies(body, 2);
    assert_eq!(copies[0].deduplication_id, copies[1].deduplication_id);
    assert_eq!(
        deliver_requeued(&harness, &copies[0]).await,
        Outcome::Completed
    );
    assert_eq!(
        deliver_requeued(&harness, &copies[1]).await,
        Outcome::Duplicate
    );
    assert_eq!(harness.handler().runs(), 1);
}

/// A `quarantine replay` after an operator's replay completed the event does not
/// run it once more; only `replay --force` re-runs a finished record.
#[tokio::test]
async fn a_quarantine_copy_never_reruns_a_completed_event() {
    let harness = Harness::new(Erp::default());
    harness.handler().fix();
    let body =
        r#"{"id":"evt_done","type":"order.paid","created":1767225600,"data":{"orderId":"o1"}}"#;
    assert_eq!(harness.deliver(body).await.outcome, Outcome::Completed);
    let copy = &requeued_copies(body, 1)[0];
    assert!(!copy.replay_force);
    assert_eq!(deliver_requeued(&harness, copy).await, Outcome::Duplicate);
    assert_eq!(harness.handler().runs(), 1);
}

mod redrive_survives {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use base64::Engine;
    use fanfare_shared::adapters::memory::MemoryQueue;
    use fanfare_shared::contract::message::{attributes, sqs_allows, MAX_QUEUE_MESSAGE_BYTES};
    use fanfare_shared::ports::{DeadLetter, DeadLetterQueue, QueueError};
    use fanfare_shared::privacy::Retention;
    use fanfare_shared::redrive::{redrive, RedrivePolicy};

    fn dead(id: &str, body: &str, attrs: &[(&str, &str)]) -> DeadLetter {
        DeadLetter {
            message_id: id.into(),
            receipt_handle: format!("rh-{id}"),
            body: body.into(),
            group_id: Some("g".into()),
            deduplication_id: None,
            sent_at_ms: 0,
            attributes: attrs
                .iter()
                .map(|(n, v)| (n.to_string(), "String".to_string(), v.to_string()))
                .collect(),
            source_queue_arn: None,
        }
    }

    /// Redaction can grow a body (invalid UTF-8 becomes U+FFFD, three bytes for
    /// one); the parked copy is cut to fit the queue instead of failing every run.
    #[test]
    fn a_body_whose_redaction_grows_is_parked_cut_to_fit() {
        let raw = vec![0xffu8; 384 * 1024];
        let encoded = base64::engine::general_purpose::STANDARD.encode(&raw);
        let message = dead(
            "m",
            &encoded,
            &[
                (attributes::BODY_ENCODING, "base64"),
                (attributes::REDRIVE_COUNT, "3"),
            ],
        );
        let parked = message.parked(Retention::default(), 0);
        let json = serde_json::to_string(&parked).unwrap();
        assert!(
            json.len() + 256 <= MAX_QUEUE_MESSAGE_BYTES,
            "{} bytes",
            json.len()
        );
        assert!(parked.truncated);
    }

    /// An event id holding U+FFFE is not written raw into the parked JSON.
    #[test]
    fn a_parked_copy_holds_only_characters_sqs_takes() {
        let body =
            "{\"id\":\"evt_\u{FFFE}\",\"type\":\"order.paid\",\"created\":1767225600,\"data\":{}}";
        let parked = dead("m", body, &[]).parked(Retention::default(), 0);
        let json = serde_json::to_string(&parked).unwrap();
        assert!(json.chars().all(sqs_allows), "{json}");
        assert!(!parked.truncated);
    }

    /// A DLQ that hands out its messages once and cannot send one of them back.
    struct Dlq {
        messages: Mutex<Vec<DeadLetter>>,
        broken: &'static str,
        moved: Mutex<Vec<String>>,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("refused")]
    struct Refused;

    #[async_trait]
    impl DeadLetterQueue for Dlq {
        async fn receive(&self) -> Result<Vec<DeadLetter>, QueueError> {
            Ok(std::mem::take(&mut *self.messages.lock().unwrap()))
        }
        async fn send_back(&self, message: &DeadLetter, _: u32) -> Result<(), QueueError> {
            if message.message_id == self.broken {
                return Err(QueueError::Unavailable(Box::new(Refused)));
            }
            self.moved.lock().unwrap().push(message.message_id.clone());
            Ok(())
        }
        async fn delete(&self, _: &DeadLetter) -> Result<(), QueueError> {
            Ok(())
        }
        fn is_main_queue(&self, source_queue_arn: &str) -> bool {
            source_queue_arn.ends_with(":events.fifo")
        }
    }

    /// A message SQS moved from another queue of the account (one that names our DLQ in its own
    /// redrive policy) is quarantined, never sent on to the events queue.
    #[tokio::test]
    async fn a_dead_letter_from_another_queue_is_quarantined_not_sent_on() {
        let body = r#"{"id":"e","type":"order.paid","created":1767225600,"data":{}}"#;
        let from = |id: &str, queue: Option<&str>| DeadLetter {
            source_queue_arn: queue.map(|q| format!("arn:aws:sqs:eu-west-1:123456789012:{q}")),
            ..dead(id, body, &[])
        };
        let dlq = Dlq {
            messages: Mutex::new(vec![
                from("ours", Some("events.fifo")),
                from("theirs", Some("attacker.fifo")),
                from("processor", None),
            ]),
            broken: "",
            moved: Mutex::default(),
        };
        let park = MemoryQueue::default();
        let report = redrive(&dlq, &park, RedrivePolicy::default(), 10 * 3600 * 1000)
            .await
            .unwrap();
        assert_eq!((report.moved, report.parked), (2, 1));
        assert_eq!(*dlq.moved.lock().unwrap(), ["ours", "processor"]);
        let kept = park.quarantined.lock().unwrap();
        assert_eq!(kept[0].reason, fanfare_shared::redrive::FOREIGN_REASON);
    }

    /// A message that cannot be moved is counted and logged, and the run goes on.
    #[tokio::test]
    async fn one_message_that_cannot_move_does_not_stop_the_run() {
        let body = r#"{"id":"e","type":"order.paid","created":1767225600,"data":{}}"#;
        let dlq = Dlq {
            messages: Mutex::new(vec![
                dead("m1", body, &[]),
                dead("bad", body, &[]),
                dead("m3", body, &[]),
            ]),
            broken: "bad",
            moved: Mutex::default(),
        };
        let report = redrive(
            &dlq,
            &MemoryQueue::default(),
            RedrivePolicy::default(),
            10 * 3600 * 1000,
        )
        .await
        .unwrap();
        assert_eq!((report.moved, report.failed), (2, 1));
        assert_eq!(*dlq.moved.lock().unwrap(), ["m1", "m3"]);
    }
}
