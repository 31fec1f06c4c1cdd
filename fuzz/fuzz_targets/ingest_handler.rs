//! The ingest handler end to end on in-memory ports, behind the same layers as the Lambda binary
//! (base64 guard, lambda_http's adapter). Bodies are signed here, so the fuzzer reaches everything
//! past verification. Invariants: never a panic, never a 5xx from healthy ports, 200 only with the
//! body on the queue (decoding back to the signed bytes), 202 only with it in quarantine.
#![no_main]

use std::sync::Arc;

use base64::Engine;
use chrono::TimeZone;
use fanfare_shared::adapters::memory::MemoryQueue;
use fanfare_shared::contract::message::decode_body;
use fanfare_shared::contract::signature::{sign, Scheme, SigningSecret, Verifier, VerifierOptions};
use fanfare_shared::ingest::{Base64Guard, IngestService};
use fanfare_shared::ports::FixedClock;
use lambda_http::request::LambdaRequest;
use lambda_http::{service_fn, Adapter, Request, Service};
use lambda_runtime::{Context, LambdaEvent};
use libfuzzer_sys::fuzz_target;

mod common;
use common::runtime;

const NOW: i64 = 1_767_225_600;

fuzz_target!(|input: (&[u8], u8, i16, Option<&str>, bool)| {
    let (body, scheme, skew, event_id_header, as_base64) = input;
    let Ok(secret) = SigningSecret::new("whsec_fuzz") else {
        return;
    };
    let scheme = match scheme % 3 {
        0 => Scheme::A,
        1 => Scheme::B,
        _ => Scheme::C,
    };
    let mut headers = serde_json::Map::new();
    for (name, value) in sign(&secret, scheme, NOW + i64::from(skew), body) {
        headers.insert(name.to_ascii_lowercase(), value.into());
    }
    if let Some(id) = event_id_header {
        headers.insert("x-fanfare-event-id".into(), id.into());
    }
    // API Gateway hands binary bodies over as base64; text as it is.
    let (payload_body, encoded) = match std::str::from_utf8(body) {
        Ok(text) if !as_base64 => (text.to_string(), false),
        _ => (base64::engine::general_purpose::STANDARD.encode(body), true),
    };
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": "POST /webhooks/fanfare",
        "rawPath": "/webhooks/fanfare",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "example.com",
            "domainPrefix": "example", "requestId": "r", "routeKey": "POST /webhooks/fanfare",
            "stage": "$default", "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000u64,
            "http": {"method": "POST", "path": "/webhooks/fanfare", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "fuzz"}
        },
        "body": payload_body,
        "isBase64Encoded": encoded,
    });
    let Ok(request) = serde_json::from_value::<LambdaRequest>(event) else {
        return;
    };
    let Ok(verifier) = Verifier::new(
        vec![secret],
        VerifierOptions {
            allow_untimestamped: true,
            ..VerifierOptions::default()
        },
    ) else {
        return;
    };
    let queue = Arc::new(MemoryQueue::default());
    let Some(now) = chrono::Utc.timestamp_opt(NOW, 0).single() else {
        return;
    };
    let service = IngestService::new(
        verifier,
        queue.clone(),
        queue.clone(),
        FixedClock(now),
        256 * 1024,
    );
    let Some(runtime) = runtime() else {
        return;
    };
    let service = &service;
    let handler = service_fn(|request: Request| async move {
        Ok::<_, lambda_http::Error>(service.handle(request).await)
    });
    let mut layered = Base64Guard(Adapter::from(handler));
    let response = runtime
        .block_on(layered.call(LambdaEvent::new(request, Context::default())))
        .expect("the handler never fails");
    let json = serde_json::to_value(&response).expect("a response serialises");
    let status = json["statusCode"].as_u64().expect("a status");
    assert!(status < 500, "healthy ports never give {status}");
    let enqueued = queue.events.lock().map(|e| e.clone()).unwrap_or_default();
    let quarantined = queue
        .quarantined
        .lock()
        .map(|q| q.len())
        .unwrap_or_default();
    match status {
        200 => {
            assert_eq!((enqueued.len(), quarantined), (1, 0));
            let message = &enqueued[0];
            let signed = decode_body(&message.body, message.body_encoding.attribute())
                .expect("an enqueued body decodes");
            assert_eq!(&*signed, body);
        }
        202 => assert_eq!((enqueued.len(), quarantined), (0, 1)),
        _ => assert_eq!((enqueued.len(), quarantined), (0, 0)),
    }
});
