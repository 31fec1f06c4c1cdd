//! The harness: the real processor around a handler, on in-memory stores, with a clock the test
//! moves. It reports each outcome, every handler call with its context, every downstream call with
//! its time, the records and the state items.
//!
//! Time: the clock starts at [`FIXTURE_TIME_S`] and moves with tokio's clock (so under
//! `#[tokio::test(start_paused = true)]` a downstream's pace runs in virtual time, and the calls'
//! times show it) and with [`Harness::advance`] (a backoff, a `retry_after`, a deferral).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::FIXTURE_TIME_S;
use crate::adapters::memory::{Item, MemoryIdempotencyStore, MemoryRecord, MemoryStateStore};
use crate::model::EventKind;
use crate::ports::Clock;
use crate::processor::handler::{EventHandler, HandlerContext, HandlerError, Relation, Replay};
use crate::processor::pace::{Downstream, DownstreamCallLog};
use crate::processor::{GroupedMessage, IncomingMessage, Outcome, Processor, ProcessorOptions};
use crate::processor::{StepLog, StepRun, Unacknowledged};

/// The harness's clock: a start, tokio's time since, and what the test advanced it by.
#[derive(Debug)]
pub struct HarnessClock {
    start_ms: AtomicI64,
    since: tokio::time::Instant,
    advanced_ms: AtomicI64,
}

impl HarnessClock {
    fn at(start: DateTime<Utc>) -> Self {
        Self {
            start_ms: AtomicI64::new(start.timestamp_millis()),
            since: tokio::time::Instant::now(),
            advanced_ms: AtomicI64::new(0),
        }
    }

    fn now_ms(&self) -> i64 {
        self.start_ms.load(Ordering::SeqCst)
            + self.since.elapsed().as_millis() as i64
            + self.advanced_ms.load(Ordering::SeqCst)
    }
}

impl Clock for HarnessClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.now_ms())
            .single()
            .unwrap_or_default()
    }
}
/// One call of the handler, as it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerCall {
    pub event_id: String,
    pub kind: EventKind,
    pub attempt: u32,
    pub relation: Relation,
    /// The members whose items held a newer event (`ctx.superseded_members`).
    pub superseded_members: Vec<String>,
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
            superseded_members: ctx.superseded_members.to_vec(),
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
            fn downstreams(&self) -> Vec<Downstream> {
                self.inner.downstreams()
            }
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
    Processor<Arc<MemoryIdempotencyStore>, Arc<MemoryStateStore>, Recorded<H>, Arc<HarnessClock>>;

/// What one batch did: the messages not acknowledged (with when they come back, and whether they
/// go to the dead-letter queue) and the handler calls it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchDelivery {
    pub unacknowledged: Vec<Unacknowledged>,
    pub calls: Vec<HandlerCall>,
}

/// The real processor around a handler, on in-memory stores.
pub struct Harness<H> {
    processor: HarnessProcessor<H>,
    ids: Arc<MemoryIdempotencyStore>,
    state: Arc<MemoryStateStore>,
    calls: Calls,
    clock: Arc<HarnessClock>,
    downstream_calls: DownstreamCallLog,
    steps: StepLog,
    /// Each delivery's deadline, from its start (`None`: no deadline, as in local runs).
    deadline: Option<Duration>,
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
        let start = Utc
            .timestamp_opt(FIXTURE_TIME_S, 0)
            .single()
            .unwrap_or_default();
        let clock = Arc::new(HarnessClock::at(start));
        let downstream_calls = DownstreamCallLog::default();
        let steps = StepLog::default();
        let recorded = Recorded {
            inner: handler,
            calls: calls.clone(),
        };
        let processor =
            Processor::new(ids.clone(), state.clone(), recorded, clock.clone(), options)
                .with_call_log(downstream_calls.clone())
                .with_step_log(steps.clone());
        Self {
            processor,
            ids,
            state,
            calls,
            clock,
            downstream_calls,
            steps,
            deadline: None,
        }
    }

    /// Sets the clock to `now` (records, leases, expiry, downstream seconds).
    pub fn at(self, now: DateTime<Utc>) -> Self {
        let shift = now.timestamp_millis() - self.clock.now_ms();
        self.clock.start_ms.fetch_add(shift, Ordering::SeqCst);
        self
    }

    /// Moves the clock on: past a backoff, a `retry_after` or a deferral.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.clock.advanced_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// The time now, as the processor reads it.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Each delivery runs with a deadline `budget` after it starts, as a Lambda invocation does
    /// (a downstream call whose slot would pass it is deferred).
    pub fn with_deadline(mut self, budget: Duration) -> Self {
        self.deadline = Some(budget);
        self
    }

    fn deadline_ms(&self) -> i64 {
        self.deadline
            .map_or(0, |d| self.clock.now_ms() + d.as_millis() as i64)
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
        let outcome = self.processor.process(message, self.deadline_ms()).await;
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

    /// Delivers one batch as the event source does: `(message group, body)` in order, groups at the
    /// same time, each group in order and stopping at its first failure.
    pub async fn deliver_batch(&self, messages: &[(&str, &str)]) -> BatchDelivery {
        let before = self.calls().len();
        let grouped: Vec<GroupedMessage<'_>> = messages
            .iter()
            .map(|&(group, body)| GroupedMessage {
                group: Some(group),
                message: IncomingMessage::raw(body),
            })
            .collect();
        let deadline_ms = self.deadline_ms();
        let unacknowledged = self.processor.process_messages(&grouped, deadline_ms).await;
        BatchDelivery {
            unacknowledged,
            calls: self.calls()[before..].to_vec(),
        }
    }

    /// Every handler call so far.
    pub fn calls(&self) -> Vec<HandlerCall> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Every downstream call let through so far: its downstream and when it went.
    pub fn downstream_calls(&self) -> Vec<(&'static str, DateTime<Utc>)> {
        let calls = self
            .downstream_calls
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        calls
            .iter()
            .map(|&(name, ms)| {
                (
                    name,
                    Utc.timestamp_millis_opt(ms).single().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Every step so far (`ctx.step`, `ctx.fan_out`): its event, its name, and whether it ran or
    /// was skipped because an earlier attempt completed it.
    pub fn steps(&self) -> Vec<StepRun> {
        self.steps.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
