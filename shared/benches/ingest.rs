//! The ingest handler in-process for a 1 KiB event, with the SQS port replaced by a no-op.
//! Target: under 10 µs per event.

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use fanfare_shared::adapters::memory::NoopQueue;
use fanfare_shared::contract::signature::{sign, Scheme, SigningSecret, Verifier, VerifierOptions};
use fanfare_shared::ingest::{IngestService, DEFAULT_MAX_BODY_BYTES};
use fanfare_shared::ports::FixedClock;
use lambda_http::http;
use lambda_http::Body;
use std::hint::black_box;

const T: i64 = 1_767_225_600;

fn body_1k() -> Vec<u8> {
    let mut body = br#"{"id":"evt_bench","type":"queue.consumer_admitted","created":1767225600,"organizationId":"org_1","data":{"experienceId":"exp_1","consumerId":"con_1","pad":""#.to_vec();
    body.resize(1024 - 3, b'x');
    body.extend_from_slice(br#""}}"#);
    body
}

fn bench(c: &mut Criterion) {
    let body = body_1k();
    let secret = SigningSecret::new("whsec_test").unwrap();
    let signature = sign(&secret, Scheme::A, T, &body).remove(0).1;
    let service = IngestService::new(
        Verifier::new(vec![secret], VerifierOptions::default()).unwrap(),
        NoopQueue,
        NoopQueue,
        FixedClock(Utc.timestamp_opt(T, 0).unwrap()),
        DEFAULT_MAX_BODY_BYTES,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let request = || {
        http::Request::builder()
            .method("POST")
            .uri("/webhooks/fanfare")
            .header("x-fanfare-signature", &signature)
            .header("x-fanfare-delivery-id", "dlv_1")
            .body(Body::Binary(body.clone()))
            .unwrap()
    };
    let status = runtime.block_on(service.handle(request())).status();
    assert_eq!(status, 200);

    c.bench_function("ingest_handler_1KiB_noop_queue", |b| {
        b.iter_batched(
            request,
            |req| black_box(runtime.block_on(service.handle(req))),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
