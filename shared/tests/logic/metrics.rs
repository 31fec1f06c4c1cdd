//! What the functions count (issue 17): a recorder installed for one test reads the counts the
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
    let counts = counted(async {
        service.handle(request(event, &good)).await;
        service.handle(request(event, &wrong)).await;
        service.handle(request(event, &wrong)).await;
        service.handle(request(b"not json", &not_json)).await;
    });
    assert!(
        has(&counts, name::ACCEPTED, Some((KIND, "order.paid")), 1),
        "{counts:?}"
    );
    assert!(has(&counts, name::ACCEPTED, None, 1), "{counts:?}");
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
