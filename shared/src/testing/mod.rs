//! A harness for testing a handler in a few lines: the real processor on the in-memory stores with a
//! fixed clock, fed fixture files or bodies, reporting each outcome, every handler call with its
//! context, and the state items (`test-util` feature).
//!
//! ```
//! # use fanfare_shared::testing::Harness;
//! # use fanfare_shared::processor::handler::StateOnly;
//! # tokio_test_block_on(async {
//! let harness = Harness::new(StateOnly);
//! let delivery = harness
//!     .deliver_fixture("events/http/queue_admitted_scheme_b_200.json")
//!     .await;
//! assert!(delivery.calls[0].relation == fanfare_shared::processor::handler::Relation::Current);
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

mod harness;
mod hooked;

pub use harness::{BatchDelivery, Delivery, HandlerCall, Harness, HarnessClock, Recorded};
pub use hooked::{Hooked, StoreCall, StoreHook};

use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};

use crate::ports::FixedClock;
use crate::processor::handler::EventHandler;
use crate::processor::{Processor, ProcessorOptions};

/// The fixtures' signing time (2026-01-01T00:00:00Z), the harness's default clock.
pub const FIXTURE_TIME_S: i64 = 1_767_225_600;
/// The same instant in milliseconds: the base time of the project's own tests.
pub const T0_MS: i64 = FIXTURE_TIME_S * 1000;

/// An event body of type `ty` that occurred at `at_ms`, with `data` (JSON text).
pub fn body_at(id: &str, ty: &str, at_ms: i64, data: &str) -> String {
    let iso = Utc
        .timestamp_millis_opt(at_ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339();
    format!(r#"{{"id":"{id}","type":"{ty}","created":"{iso}","data":{data}}}"#)
}

/// An SQS record carrying `body`: of a FIFO events queue in `group`, or of a standard queue (each
/// record on its own) without one.
pub fn sqs_record(
    id: &str,
    body: &str,
    group: Option<&str>,
) -> aws_lambda_events::event::sqs::SqsMessage {
    let mut m = aws_lambda_events::event::sqs::SqsMessage::default();
    m.message_id = Some(id.to_string());
    m.receipt_handle = Some(format!("rh-{id}"));
    m.body = Some(body.to_string());
    let queue = if group.is_some() {
        "events.fifo"
    } else {
        "events"
    };
    m.event_source_arn = Some(format!("arn:aws:sqs:us-east-1:123456789012:{queue}"));
    if let Some(group) = group {
        m.attributes.insert("MessageGroupId".into(), group.into());
    }
    m
}

/// A processor on the given stores with a clock stopped at `now_ms`.
pub fn processor_at<I, S, H>(
    ids: I,
    state: S,
    handler: H,
    now_ms: i64,
) -> Processor<I, S, H, FixedClock>
where
    I: crate::ports::IdempotencyStore,
    S: crate::ports::StateStore,
    H: EventHandler,
{
    let now = Utc
        .timestamp_millis_opt(now_ms)
        .single()
        .unwrap_or_default();
    Processor::new(
        ids,
        state,
        handler,
        FixedClock(now),
        ProcessorOptions::default(),
    )
}

/// A body with `marker` planted under a credential name, shaped by `seed` (fuzz or property-test
/// input): JSON or not, the name spelt one of several ways (escaped, plural, snake_case), the
/// value a string, an object or an array, duplicated keys, nesting, random text around it, a cut
/// after the value, and the pair inside a JSON-encoded string (`"lastError": "{\"paymentToken\":
/// …}"`), whole or cut. [`crate::privacy::Retention::redact_body`] must never keep `marker`.
pub fn planted_body(seed: &[u8], marker: &str) -> Vec<u8> {
    const NAMES: &[&str] = &[
        "paymentToken",
        "payment\\u0054oken",
        "claim_tokens",
        "accessKey",
        "card",
        "ADMISSION-TOKEN",
        "clientSecret",
        "password",
    ];
    let pick = |i: usize| seed.get(i).copied().unwrap_or(0) as usize;
    let name = NAMES[pick(0) % NAMES.len()];
    let value = match pick(1) % 3 {
        0 => format!("\"{marker}\""),
        1 => format!("{{\"number\": \"{marker}\", \"n\": [1, {{}}]}}"),
        _ => format!("[\"{marker}\", \"x\"]"),
    };
    let planted = format!("\"{name}\": {value}");
    let rest = seed.get(3..).unwrap_or_default();
    let split = if rest.is_empty() {
        0
    } else {
        pick(2) % (rest.len() + 1)
    };
    let (before, after) = rest.split_at(split);
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let json_text = |bytes: &[u8]| serde_json::Value::String(text(bytes)).to_string();
    let inside_a_string =
        serde_json::Value::String(format!("upstream said {{{planted}}}")).to_string();
    // The shape: `pick(1) / 3 % 4` as before (the fuzzer's recorded finds keep theirs), and one
    // more bit for the pair inside a string.
    let inside = pick(1) / 12 % 2 == 1;
    let shape = match (pick(1) / 3 % 4, inside) {
        (3, true) => 5,
        (_, true) => 4,
        (shape, false) => shape,
    };
    let body = match shape {
        // JSON: the credential among other fields.
        0 => format!(
            "{{\"a\": {}, {planted}, \"b\": {}}}",
            json_text(before),
            json_text(after)
        ),
        // JSON with the key again, last value null: parsing keeps only the last.
        1 => format!(
            "{{\"data\": {{{planted}, \"{name}\": null}}, \"a\": {}}}",
            json_text(before)
        ),
        // Nested in an array of objects.
        2 => format!(
            "{{\"items\": [{{\"x\": {}}}, {{{planted}}}]}}",
            json_text(before)
        ),
        // Not JSON: random text around it, cut somewhere after the value.
        3 => format!("{}{{{planted}, {}", text(before), text(after)),
        // JSON whose string field holds the pair, JSON-encoded (an upstream's error text).
        4 => format!(
            "{{\"a\": {}, \"lastError\": {inside_a_string}}}",
            json_text(before)
        ),
        // The same, cut somewhere after the encoded value: not JSON any more.
        _ => format!(
            "{}{{\"lastError\": {inside_a_string}, {}",
            text(before),
            text(after)
        ),
    };
    body.into_bytes()
}

/// A `tracing` writer that keeps what it is given, for tests that read log lines.
#[derive(Clone, Default)]
pub struct CapturedLog(pub Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
