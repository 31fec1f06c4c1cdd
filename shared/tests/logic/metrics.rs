//! What the functions count: a recorder installed for one test reads the counts the
//! domain makes through the `metrics` facade.

use chrono::{TimeZone, Utc};
use fanfare_shared::adapters::memory::NoopQueue;
use fanfare_shared::contract::signature::{sign, Scheme, SigningSecret, Verifier, VerifierOptions};
use fanfare_shared::ingest::{IngestService, DEFAULT_MAX_BODY_BYTES};
use fanfare_shared::metrics::{name, KIND, REASON};
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::StateOnly;
use fanfare_shared::testing::Harness;
use lambda_http::Body;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

const T: i64 = 1_767_225_600;

/// A counter as recorded: name, labels, value.
type Count = (String, Vec<(String, String)>, u64);

/// Runs `work` with a recorder of its own; returns each counter as (name, labels, value).
fn counted(work: impl std::future::Future<Output = ()>) -> Vec<Count> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || runtime.block_on(work));
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| match value {
            DebugValue::Counter(n) => {
                let (name, labels) = key.key().clone().into_parts();
                let labels = labels
                    .into_iter()
                    .map(|l| (l.key().to_string(), l.value().to_string()))
                    .collect();
                Some((name.as_str().to_string(), labels, n))
            }
            _ => None,
        })
        .collect()
}

fn has(counts: &[Count], metric: &str, label: Option<(&str, &str)>, n: u64) -> bool {
    counts.iter().any(|(m, labels, value)| {
        m == metric
            && *value == n
            && match label {
                Some((k, v)) => labels == &[(k.to_string(), v.to_string())],
                None => labels.is_empty(),
            }
    })
}

#[test]
fn ingest_counts_every_delivery_by_its_outcome() {
    let secret = SigningSecret::new("whsec_test").unwrap();
    let service = IngestService::new(
        Verifier::new(vec![secret.clone()], VerifierOptions::default()).unwrap(),
        NoopQueue,
        NoopQueue,
        FixedClock(Utc.timestamp_opt(T, 0).unwrap()),
        DEFAULT_MAX_BODY_BYTES,
    );
    let request = |body: &[u8], signature: &str| {
        lambda_http::http::Request::builder()
            .method("POST")
            .uri("/webhooks/fanfare")
            .header("x-fanfare-signature", signature)
            .body(Body::Binary(body.to_vec()))
            .unwrap()
    };
    let event = br#"{"id":"evt_1","type":"order.paid","created":1767225600,"data":{}}"#;
    let good = sign(&secret, Scheme::A, T, event).remove(0).1;
    let wrong = sign(
        &SigningSecret::new("whsec_other").unwrap(),
        Scheme::A,
        T,
        event,
    )
    .remove(0)
    .1;
    let not_json = sign(&secret, Scheme::A, T, b"not json").remove(0).1;
    let probe = format!(
        r#"{{"id":"probe_1","type":"{}","created":1767225600,"organizationId":"o","data":{{}}}}"#,
        fanfare_shared::contract::envelope::PROBE_TYPE
    );
    let probe_signature = sign(&secret, Scheme::A, T, probe.as_bytes()).remove(0).1;
    let counts = counted(async {
        service
            .handle(request(probe.as_bytes(), &probe_signature))
            .await;
        service.handle(request(event, &good)).await;
        service.handle(request(event, &wrong)).await;
        service.handle(request(event, &wrong)).await;
        service.handle(request(b"not json", &not_json)).await;
    });
    assert!(
        has(&counts, name::ACCEPTED, Some((KIND, "order.paid")), 1),
        "{counts:?}"
    );
    assert!(
        has(&counts, name::ACCEPTED, None, 1),
        "the probe is not an accepted delivery: {counts:?}"
    );
    assert!(has(&counts, name::PROBE_ACCEPTED, None, 1), "{counts:?}");
    assert!(
        has(
            &counts,
            name::REJECTED,
            Some((REASON, "signature_mismatch")),
            2
        ),
        "{counts:?}"
    );
    assert!(
        has(
            &counts,
            name::QUARANTINED,
            Some((REASON, "invalid_json")),
            1
        ),
        "{counts:?}"
    );
}

#[test]
fn the_processor_counts_superseded_events_with_and_without_their_kind() {
    let counts = counted(async {
        let harness = Harness::new(StateOnly);
        let data = r#""data":{"experienceId":"x","consumerId":"c"}"#;
        let done = format!(
            r#"{{"id":"e2","type":"queue.admission_completed","created":1767225602,{data}}}"#
        );
        let admitted = format!(
            r#"{{"id":"e1","type":"queue.consumer_admitted","created":1767225601,{data}}}"#
        );
        harness.deliver_all(&[done, admitted]).await;
    });
    assert!(
        has(&counts, name::PROCESSED, Some((KIND, "queue.completed")), 1),
        "{counts:?}"
    );
    assert!(
        has(&counts, name::SUPERSEDED, Some((KIND, "queue.admitted")), 1),
        "{counts:?}"
    );
    assert!(has(&counts, name::SUPERSEDED, None, 1), "{counts:?}");
}

/// A kind in `ACK_ONLY_KINDS` is answered 200 and counted, never queued.
#[test]
fn an_acknowledge_only_kind_is_answered_and_never_queued() {
    use fanfare_shared::adapters::memory::MemoryQueue;
    use fanfare_shared::EventKind;
    let secret = SigningSecret::new("whsec_test").unwrap();
    let queue = std::sync::Arc::new(MemoryQueue::default());
    let service = IngestService::new(
        Verifier::new(vec![secret.clone()], VerifierOptions::default()).unwrap(),
        queue.clone(),
        NoopQueue,
        FixedClock(Utc.timestamp_opt(T, 0).unwrap()),
        DEFAULT_MAX_BODY_BYTES,
    )
    .with_acknowledge_only(vec![EventKind::QueuePositionUpdated]);
    let deliver = |body: &'static [u8]| {
        let signature = sign(&secret, Scheme::A, T, body).remove(0).1;
        lambda_http::http::Request::builder()
            .method("POST")
            .header("x-fanfare-signature", signature)
            .body(Body::Binary(body.to_vec()))
            .unwrap()
    };
    let position = br#"{"id":"evt_pos","type":"queue.position_updated","created":1767225600,"data":{"experienceId":"x","consumerId":"c","position":3}}"#;
    let admitted = br#"{"id":"evt_adm","type":"queue.consumer_admitted","created":1767225600,"data":{"experienceId":"x","consumerId":"c"}}"#;
    let mut statuses = Vec::new();
    let counts = counted(async {
        statuses.push(service.handle(deliver(position)).await.status().as_u16());
        statuses.push(service.handle(deliver(admitted)).await.status().as_u16());
    });
    assert_eq!(statuses, [200, 200]);
    let queued: Vec<String> = queue
        .events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event_id.clone())
        .collect();
    assert_eq!(queued, ["evt_adm"]);
    assert!(
        has(
            &counts,
            name::ACKNOWLEDGED_ONLY,
            Some((KIND, "queue.position_updated")),
            1
        ),
        "{counts:?}"
    );
}

#[test]
fn ack_only_kinds_are_canonical_names_and_a_typo_is_an_error() {
    use fanfare_shared::config::IngestConfig;
    let env = |ack: &'static str| {
        move |name: &str| match name {
            "EVENTS_QUEUE_URL" | "QUARANTINE_QUEUE_URL" => Some("q".to_string()),
            "SIGNING_SECRETS" => Some("whsec_x".to_string()),
            "ACK_ONLY_KINDS" => Some(ack.to_string()),
            _ => None,
        }
    };
    let config = IngestConfig::from_lookup(env(" queue.position_updated ,")).unwrap();
    assert_eq!(
        config.acknowledge_only,
        [fanfare_shared::EventKind::QueuePositionUpdated]
    );
    let typo = IngestConfig::from_lookup(env("queue.position_update")).unwrap_err();
    assert!(typo.to_string().contains("queue.position_update"), "{typo}");
}

/// Rejections, panics and deferrals are counted (the first two alarmed, the last by downstream).
#[test]
fn the_processor_counts_rejections_panics_and_deferrals() {
    use fanfare_shared::metrics::DOWNSTREAM;
    use fanfare_shared::prelude::*;

    struct Told;
    #[async_trait]
    impl EventHandler for Told {
        fn downstreams(&self) -> Vec<Downstream> {
            vec![Downstream::new("erp", 1)]
        }
        async fn order_cancelled(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
            Err(HandlerError::permanent("unknown_order"))
        }
        async fn order_fulfilled(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
            panic!("a bug")
        }
        async fn order_paid(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
            ctx.downstream("erp").call(async {}).await
        }
    }
    let counts = counted(async {
        let harness = Harness::new(Told).with_deadline(std::time::Duration::from_secs(30));
        let event = |id: &str, ty: &str| {
            format!(
                r#"{{"id":"{id}","type":"{ty}","created":1767225600,"data":{{"orderId":"o1"}}}}"#
            )
        };
        harness.deliver(&event("e1", "order.cancelled")).await;
        harness.deliver(&event("e2", "order.fulfilled")).await;
        // One call a second: the second paid order's slot is a second on, past the inline wait.
        harness.deliver(&event("e3", "order.paid")).await;
        harness.deliver(&event("e4", "order.paid")).await;
    });
    assert!(
        has(
            &counts,
            name::HANDLER_REJECTED,
            Some((KIND, "order.cancelled")),
            1
        ),
        "{counts:?}"
    );
    assert!(has(&counts, name::HANDLER_PANICKED, None, 1), "{counts:?}");
    assert!(
        has(&counts, name::DEFERRED, Some((DOWNSTREAM, "erp")), 1),
        "{counts:?}"
    );
}
