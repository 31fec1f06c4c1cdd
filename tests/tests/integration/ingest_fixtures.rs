//! Every fixture in events/http runs through the ingest handler (fixed clock, in-memory queue) and
//! gets the status its file name documents: `<name>_<status>.json`.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use fanfare_integration_tests::{
    events_dir, invoke_ingest, read_fixture, FIXTURE_TIME, TEST_SECRET,
};
use fanfare_shared::adapters::memory::MemoryQueue;
use fanfare_shared::contract::envelope::{digest_id, DIGEST_ID_PREFIX};
use fanfare_shared::contract::message::{
    decode_body, sqs_allows, BodyEncoding, MAX_QUEUE_MESSAGE_BYTES,
};
use fanfare_shared::contract::signature::{SigningSecret, Verifier, VerifierOptions};
use fanfare_shared::ingest::{IngestService, DEFAULT_MAX_BODY_BYTES};
use fanfare_shared::ports::FixedClock;

fn service(
    queue: Arc<MemoryQueue>,
) -> IngestService<Arc<MemoryQueue>, Arc<MemoryQueue>, FixedClock> {
    let verifier = Verifier::new(
        vec![SigningSecret::new(TEST_SECRET).unwrap()],
        VerifierOptions::default(),
    )
    .unwrap();
    let clock = FixedClock(Utc.timestamp_opt(FIXTURE_TIME + 10, 0).unwrap());
    IngestService::new(
        verifier,
        queue.clone(),
        queue,
        clock,
        DEFAULT_MAX_BODY_BYTES,
    )
}

fn expected_status(file_name: &str) -> u16 {
    file_name
        .trim_end_matches(".json")
        .rsplit('_')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{file_name} does not end in _<status>.json"))
}

#[tokio::test]
async fn every_http_fixture_gets_its_documented_status() {
    let mut names: Vec<String> = std::fs::read_dir(events_dir().join("http"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 50, "fixtures are missing: {}", names.len());

    let mut failures = Vec::new();
    for name in &names {
        let queue = Arc::new(MemoryQueue::default());
        let answer = invoke_ingest(
            &service(queue.clone()),
            &read_fixture(&format!("http/{name}")),
        )
        .await;
        let expected = expected_status(name);
        if answer.status != expected {
            failures.push(format!("{name}: got {} {}", answer.status, answer.body));
            continue;
        }
        let enqueued = queue.events.lock().unwrap().len();
        let quarantined = queue.quarantined.lock().unwrap().len();
        match expected {
            200 => {
                assert_eq!(answer.body["received"], true, "{name}");
                assert!(
                    answer.body["id"].as_str().is_some_and(|id| !id.is_empty()),
                    "{name}"
                );
                assert_eq!((enqueued, quarantined), (1, 0), "{name}");
            }
            // Validly signed but unusable: kept in quarantine, never refused (a 4xx is retried).
            202 => {
                assert_eq!(answer.body["received"], true, "{name}");
                assert_eq!(answer.body["quarantined"], true, "{name}");
                assert!(answer.body["reason"].is_string(), "{name}");
                assert_eq!((enqueued, quarantined), (0, 1), "{name}");
            }
            _ => {
                assert!(answer.body["error"].is_string(), "{name}: {}", answer.body);
                assert!(answer.body["message"].is_string(), "{name}");
                assert_eq!((enqueued, quarantined), (0, 0), "{name}");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "fixtures with the wrong status:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn rejections_name_their_reason_and_never_echo_secrets() {
    let cases = [
        ("missing_signature_401", "missing_signature"),
        ("malformed_signature_401", "malformed_signature"),
        ("wrong_secret_401", "signature_mismatch"),
        ("tampered_body_401", "signature_mismatch"),
        ("stale_timestamp_401", "timestamp_too_old"),
        ("future_timestamp_401", "timestamp_in_future"),
        ("scheme_c_disabled_401", "missing_timestamp"),
        ("get_method_405", "method_not_allowed"),
        ("body_too_large_413", "payload_too_large"),
        ("invalid_base64_400", "invalid_base64"),
    ];
    for (fixture, code) in cases {
        let queue = Arc::new(MemoryQueue::default());
        let answer = invoke_ingest(
            &service(queue),
            &read_fixture(&format!("http/{fixture}.json")),
        )
        .await;
        assert_eq!(answer.body["error"], code, "{fixture}");
        assert!(!answer.body.to_string().contains(TEST_SECRET), "{fixture}");
    }
}

#[tokio::test]
async fn get_is_answered_with_allow_post() {
    let answer = invoke_ingest(
        &service(Arc::new(MemoryQueue::default())),
        &read_fixture("http/get_method_405.json"),
    )
    .await;
    assert_eq!(answer.headers["allow"], "POST");
}

#[tokio::test]
async fn queue_message_carries_group_dedup_id_and_delivery_attributes() {
    let queue = Arc::new(MemoryQueue::default());
    let answer = invoke_ingest(
        &service(queue.clone()),
        &read_fixture("http/queue_admitted_scheme_b_200.json"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["id"], "evt_queue_admitted");
    let events = queue.events.lock().unwrap();
    let message = &events[0];
    assert_eq!(message.ordering_key, "admission/exp_spring_drop/con_001");
    assert_eq!(message.kind, fanfare_shared::EventKind::QueueAdmitted);
    assert_eq!(message.event_type, "queue.consumer.admitted");
    assert_eq!(message.delivery_id.as_deref(), Some("dlv_queue_admitted"));
    assert_eq!(message.retry_count, Some(0));
    assert_eq!(message.provenance.as_str(), "b");
    assert_eq!(message.deduplication_id.len(), 64);
    // The body is passed on exactly as signed.
    let fixture: serde_json::Value =
        serde_json::from_str(&read_fixture("http/queue_admitted_scheme_b_200.json")).unwrap();
    assert_eq!(message.body, fixture["body"].as_str().unwrap());
}

#[tokio::test]
async fn queue_failure_is_a_503_so_fanfare_retries() {
    let queue = Arc::new(MemoryQueue {
        fail: true,
        ..Default::default()
    });
    let answer = invoke_ingest(
        &service(queue),
        &read_fixture("http/order_paid_scheme_a_200.json"),
    )
    .await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.body["error"], "temporarily_unavailable");
}

#[tokio::test]
async fn quarantine_failure_is_a_503_so_nothing_signed_is_lost() {
    let queue = Arc::new(MemoryQueue {
        fail: true,
        ..Default::default()
    });
    let answer = invoke_ingest(
        &service(queue),
        &read_fixture("http/signed_not_json_202.json"),
    )
    .await;
    assert_eq!(answer.status, 503);
}

#[tokio::test]
async fn the_event_id_comes_from_the_signed_body_never_the_header() {
    let queue = Arc::new(MemoryQueue::default());
    let answer = invoke_ingest(
        &service(queue.clone()),
        &read_fixture("http/event_id_header_disagrees_200.json"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["id"], "evt_order_paid_variant");
    let queued = queue.events.lock().unwrap()[0].clone();
    assert_eq!(queued.event_id, "evt_order_paid_variant");
    // Kept for logs only.
    assert_eq!(queued.event_id_header.as_deref(), Some("evt_forged"));

    let queue = Arc::new(MemoryQueue::default());
    let answer = invoke_ingest(
        &service(queue.clone()),
        &read_fixture("http/signed_missing_id_200.json"),
    )
    .await;
    let id = answer.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with(DIGEST_ID_PREFIX), "{id}");
    let fixture: serde_json::Value =
        serde_json::from_str(&read_fixture("http/signed_missing_id_200.json")).unwrap();
    assert_eq!(id, digest_id(fixture["body"].as_str().unwrap().as_bytes()));
}

#[tokio::test]
async fn unusable_bodies_are_quarantined_with_their_reason_and_without_tokens() {
    for (fixture, reason) in [
        ("signed_not_json_202", "invalid_json"),
        ("signed_missing_time_202", "missing_event_time"),
    ] {
        let queue = Arc::new(MemoryQueue::default());
        let answer = invoke_ingest(
            &service(queue.clone()),
            &read_fixture(&format!("http/{fixture}.json")),
        )
        .await;
        assert_eq!(answer.status, 202, "{fixture}");
        assert_eq!(answer.body["reason"], reason, "{fixture}");
        let kept = queue.quarantined.lock().unwrap();
        assert_eq!(kept[0].reason, reason);
        let body = String::from_utf8(kept[0].body().unwrap()).unwrap();
        assert!(!body.contains("pay_secret"), "{fixture}: {body}");
    }
}

#[tokio::test]
async fn a_body_with_characters_sqs_refuses_travels_as_base64_and_decodes_to_the_signed_bytes() {
    let queue = Arc::new(MemoryQueue::default());
    let fixture = read_fixture("http/noncharacter_in_body_200.json");
    let answer = invoke_ingest(&service(queue.clone()), &fixture).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let events = queue.events.lock().unwrap();
    let message = &events[0];
    assert_eq!(message.body_encoding, BodyEncoding::Base64);
    assert!(message.body.chars().all(sqs_allows));
    let signed: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    let decoded = decode_body(&message.body, message.body_encoding.attribute()).unwrap();
    assert_eq!(&*decoded, signed["body"].as_str().unwrap().as_bytes());
    assert!(message.wire_size() <= MAX_QUEUE_MESSAGE_BYTES);
}
