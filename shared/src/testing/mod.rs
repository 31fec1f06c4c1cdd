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

mod hooked;

pub use hooked::{Hooked, StoreCall, StoreHook};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::adapters::memory::{Item, MemoryIdempotencyStore, MemoryRecord, MemoryStateStore};
use crate::model::EventKind;
use crate::ports::FixedClock;
use crate::processor::handler::{EventHandler, HandlerContext, HandlerError, Relation, Replay};
use crate::processor::{IncomingMessage, Outcome, Processor, ProcessorOptions};

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

/// One call of the handler, as it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerCall {
    pub event_id: String,
    pub kind: EventKind,
    pub attempt: u32,
    pub relation: Relation,
    pub replay: Option<Replay>,
    /// `Err(code)` when the handler failed.
    pub result: Result<(), String>,
}

/// What one delivered message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub outcome: Outcome,
    /// The handler calls this delivery made (none for a duplicate, a conflict or an ignored type).
    pub calls: Vec<HandlerCall>,
}

type Calls = Arc<Mutex<Vec<HandlerCall>>>;

/// Wraps the handler under test and writes down every call.
pub struct Recorded<H> {
    inner: H,
    calls: Calls,
}

impl<H> Recorded<H> {
    fn note(&self, ctx: &HandlerContext<'_>, result: &Result<(), HandlerError>) {
        let call = HandlerCall {
            event_id: ctx.event.id.clone(),
            kind: ctx.event.kind,
            attempt: ctx.attempt,
            relation: ctx.relation.clone(),
            replay: ctx.replay.clone(),
            result: result.as_ref().map(|_| ()).map_err(|e| e.code.clone()),
        };
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(call);
    }
}

macro_rules! record_every_kind {
    ($( $variant:ident => $name:literal, $method:ident, $family:ident: [$($alias:literal),+] );+ $(;)?) => {
        #[async_trait]
        impl<H: EventHandler> EventHandler for Recorded<H> {
            $(
                async fn $method(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
                    let result = self.inner.$method(ctx).await;
                    self.note(ctx, &result);
                    result
                }
            )+
        }
    };
}
crate::for_each_kind!(record_every_kind);

type HarnessProcessor<H> =
    Processor<Arc<MemoryIdempotencyStore>, Arc<MemoryStateStore>, Recorded<H>, FixedClock>;

/// The real processor around a handler, on in-memory stores.
pub struct Harness<H> {
    processor: HarnessProcessor<H>,
    ids: Arc<MemoryIdempotencyStore>,
    state: Arc<MemoryStateStore>,
    calls: Calls,
}

impl<H: EventHandler> Harness<H> {
    /// Clock at [`FIXTURE_TIME_S`]; personal data not stored (the stack's default).
    pub fn new(handler: H) -> Self {
        Self::with_options(handler, ProcessorOptions::default())
    }

    pub fn with_options(handler: H, options: ProcessorOptions) -> Self {
        let ids = Arc::new(MemoryIdempotencyStore::default());
        let state = Arc::new(MemoryStateStore::default());
        let calls = Calls::default();
        let now = Utc
            .timestamp_opt(FIXTURE_TIME_S, 0)
            .single()
            .unwrap_or_default();
        let recorded = Recorded {
            inner: handler,
            calls: calls.clone(),
        };
        Self {
            processor: Processor::new(
                ids.clone(),
                state.clone(),
                recorded,
                FixedClock(now),
                options,
            ),
            ids,
            state,
            calls,
        }
    }

    /// The clock the processor reads from now on (records, leases, expiry).
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        let Harness {
            processor,
            ids,
            state,
            calls,
        } = self;
        let (handler, options) = processor.into_parts();
        self = Harness {
            processor: Processor::new(
                ids.clone(),
                state.clone(),
                handler,
                FixedClock(now),
                options,
            ),
            ids,
            state,
            calls,
        };
        self
    }

    pub fn handler(&self) -> &H {
        &self.processor.handler().inner
    }

    /// Delivers a fixture file: an API Gateway request (`events/http`), an SQS batch (`events/sqs`,
    /// every record in order) or a raw event body. A relative path is looked up from the current
    /// directory and its ancestors, so a crate in the workspace can name `events/...`.
    /// Panics when the file cannot be read (it is a test helper).
    pub async fn deliver_fixture(&self, path: impl AsRef<Path>) -> Delivery {
        let path = find(path.as_ref());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
        let mut deliveries = Vec::new();
        for body in bodies_of(&text) {
            deliveries.push(self.deliver(&body).await);
        }
        match deliveries.len() {
            1 => deliveries.remove(0),
            _ => Delivery {
                outcome: deliveries
                    .last()
                    .map(|d| d.outcome)
                    .unwrap_or(Outcome::Ignored),
                calls: deliveries.into_iter().flat_map(|d| d.calls).collect(),
            },
        }
    }

    /// Delivers one event body (the signed bytes, as ingest queues them).
    pub async fn deliver(&self, body: &str) -> Delivery {
        self.deliver_message(IncomingMessage::raw(body)).await
    }

    /// Delivers a queued message as built (replays: `replay_id`, `replay_payload_hash`).
    pub async fn deliver_message(&self, message: IncomingMessage<'_>) -> Delivery {
        let before = self.calls().len();
        let outcome = self.processor.process(message, 0).await;
        Delivery {
            outcome,
            calls: self.calls()[before..].to_vec(),
        }
    }

    /// Delivers bodies one after another, in the order given (repeat one for a duplicate, reorder
    /// for disorder).
    pub async fn deliver_all<S: AsRef<str>>(&self, bodies: &[S]) -> Vec<Delivery> {
        let mut out = Vec::new();
        for body in bodies {
            out.push(self.deliver(body.as_ref()).await);
        }
        out
    }

    /// Every handler call so far.
    pub fn calls(&self) -> Vec<HandlerCall> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The idempotency record of an event.
    pub fn record(&self, event_id: &str) -> Option<MemoryRecord> {
        self.ids
            .records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(event_id)
            .cloned()
    }

    /// Every state item by `(pk, sk)`.
    pub fn state_items(&self) -> BTreeMap<(String, String), Item> {
        self.state
            .items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn find(path: &Path) -> PathBuf {
    if path.is_absolute() || path.exists() {
        return path.to_path_buf();
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    cwd.ancestors()
        .map(|dir| dir.join(path))
        .find(|candidate| candidate.exists())
        .unwrap_or_else(|| path.to_path_buf())
}

/// The event bodies a fixture holds.
fn bodies_of(text: &str) -> Vec<String> {
    let Ok(json) = serde_json::from_str::<Value>(text) else {
        return vec![text.to_string()];
    };
    if let Some(records) = json.get("Records").and_then(Value::as_array) {
        return records
            .iter()
            .filter_map(|r| r.get("body").and_then(Value::as_str).map(str::to_string))
            .collect();
    }
    match json.get("body").and_then(Value::as_str) {
        Some(body) if json.get("requestContext").is_some() => {
            let base64 = json.get("isBase64Encoded").and_then(Value::as_bool) == Some(true);
            let decoded = base64
                .then(|| base64::engine::general_purpose::STANDARD.decode(body).ok())
                .flatten()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            vec![decoded.unwrap_or_else(|| body.to_string())]
        }
        _ => vec![text.to_string()],
    }
}

/// A body with `marker` planted under a credential name, shaped by `seed` (fuzz or property-test
/// input): JSON or not, the name spelt one of several ways (escaped, plural, snake_case), the
/// value a string, an object or an array, duplicated keys, nesting, random text around it and a
/// cut after the value. [`crate::privacy::Retention::redact_body`] must never keep `marker`.
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
    let body = match pick(1) / 3 % 4 {
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
        _ => format!("{}{{{planted}, {}", text(before), text(after)),
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
