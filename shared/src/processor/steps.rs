//! Steps that run once: `ctx.step(name, work)` records, under the event, that `work` completed, so
//! a retry, a redelivery after a crash or a replay skips it; `ctx.fan_out` runs a step per item of
//! a list (a draw's winners) with at most N at once.
//!
//! - A step is recorded right after its work returns `Ok`: a crash in between runs it again (the
//!   only window left; pass `ctx.idempotency_key` and the step's name to downstreams that take a
//!   key). A step that fails is not recorded, and runs again on the event's retry.
//! - The first attempt of an event reads nothing (no earlier attempt can have recorded a step);
//!   later attempts read the steps they need (a fan-out reads its items' steps 100 at a time).
//! - Near the invocation's deadline (5 s before it, or a quarter of what the handler had if that
//!   is less) no step starts: the event comes back at once **to continue**, its completed steps
//!   kept, without spending its retry budget, and its message group waits for it.
//! - Cost: one write unit per step that runs (an item under 1 KB), and on a later attempt one read
//!   unit per step read.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::handler::{HandlerContext, HandlerError};
use super::pace::deadline_margin_ms;
use crate::ports::steps::{step_key, storable_name, StepDone, StepStore, MAX_STEP_RESULT_BYTES};
use crate::privacy::Retention;
use crate::telemetry::Causes;

/// Keys read in one call of the store (DynamoDB's `BatchGetItem` takes 100).
pub const STEP_READS_AT_ONCE: usize = 100;

/// One step as it went: run, or skipped because an earlier attempt completed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRun {
    pub event_id: String,
    pub name: String,
    pub ran: bool,
}

/// Each step run or skipped, for the harness and the simulation.
pub type StepLog = Arc<Mutex<Vec<StepRun>>>;

/// What `ctx.step` needs: the store, the event's scope, what is known completed.
#[derive(Clone, Copy)]
pub(super) struct StepContext<'a> {
    pub(super) store: Option<&'a dyn StepStore>,
    /// The event id the steps are recorded under.
    pub(super) scope: &'a str,
    /// An earlier attempt may have recorded steps (not the event's first claim).
    pub(super) earlier: bool,
    pub(super) expires_at_s: i64,
    pub(super) retention: Retention,
    /// When the handler started (Unix ms): the deadline's margin is a quarter of what it had.
    pub(super) started_ms: i64,
    pub(super) known: Option<&'a Mutex<HashMap<String, Option<String>>>>,
    pub(super) log: Option<&'a StepLog>,
}

impl std::fmt::Debug for StepContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepContext")
            .field("earlier", &self.earlier)
            .finish()
    }
}

/// What a fan-out did in this attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FanOut {
    pub ran: usize,
    /// Completed by an earlier attempt.
    pub skipped: usize,
}

impl HandlerContext<'_> {
    /// When the invocation ends, if it has a deadline.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        self.deadline_ms()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
    }

    /// The time left before the invocation's deadline, if it has one.
    pub fn remaining(&self) -> Option<Duration> {
        let now = self.now_ms()?;
        self.deadline_ms()
            .map(|d| Duration::from_millis(u64::try_from(d - now).unwrap_or(0)))
    }

    fn now_ms(&self) -> Option<i64> {
        self.pace.clock.map(|c| c.now().timestamp_millis())
    }

    /// Whether a step started now could run into the deadline's margin.
    fn deadline_near(&self) -> bool {
        let (Some(deadline), Some(now)) = (self.deadline_ms(), self.now_ms()) else {
            return false;
        };
        let started = self.steps.started_ms;
        deadline > started && now > deadline - deadline_margin_ms(deadline, started)
    }

    /// Runs `work` once for this event: skipped when an earlier attempt completed it.
    pub async fn step<F>(&self, name: &str, work: F) -> Result<(), HandlerError>
    where
        F: Future<Output = Result<(), HandlerError>>,
    {
        self.step_with_result(name, work).await
    }

    /// [`HandlerContext::step`] for work with a small result (an id a later step needs): kept with
    /// the step, redacted like everything stored, at most [`MAX_STEP_RESULT_BYTES`] of JSON, and
    /// given back when the step is skipped. A larger result fails the event as `rejected`.
    pub async fn step_with_result<T, F>(&self, name: &str, work: F) -> Result<T, HandlerError>
    where
        T: Serialize + DeserializeOwned,
        F: Future<Output = Result<T, HandlerError>>,
    {
        let key = step_key(name);
        if let Some(kept) = self
            .completed_steps(std::slice::from_ref(&key))
            .await?
            .remove(&key)
        {
            self.note(name, false);
            return read_result(kept);
        }
        if self.deadline_near() {
            return Err(HandlerError::to_continue());
        }
        let value = work.await?;
        let text = serde_json::to_string(&value).unwrap_or_default();
        self.record_step(name, &key, Some(text)).await?;
        Ok(value)
    }

    /// Runs `each(item)` as a step per item, at most `at_once` at a time: items an earlier attempt
    /// completed are skipped. The first failure stops new items (those running finish and are
    /// recorded) and is returned; so is a deferral from a downstream's pace. Near the deadline no
    /// item starts and the event comes back to continue.
    pub async fn fan_out<T, F, Fut>(
        &self,
        items: impl IntoIterator<Item = (String, T)>,
        at_once: usize,
        each: F,
    ) -> Result<FanOut, HandlerError>
    where
        F: Fn(T) -> Fut,
        Fut: Future<Output = Result<(), HandlerError>>,
    {
        let items: Vec<(String, T)> = items.into_iter().collect();
        let keys: Vec<String> = items.iter().map(|(name, _)| step_key(name)).collect();
        let done = self.completed_steps(&keys).await?;
        let mut report = FanOut::default();
        let mut todo = Vec::new();
        for ((name, item), key) in items.into_iter().zip(keys) {
            if done.contains_key(&key) {
                self.note(&name, false);
                report.skipped += 1;
            } else {
                todo.push((name, key, item));
            }
        }
        let mut todo = todo.into_iter();
        let _patient = Patient::set(self.pace.patient);
        let mut running = FuturesUnordered::new();
        let mut stopped: Option<HandlerError> = None;
        loop {
            while stopped.is_none() && running.len() < at_once.max(1) {
                let Some((name, key, item)) = todo.next() else {
                    break;
                };
                if self.deadline_near() {
                    stopped = Some(HandlerError::to_continue());
                    break;
                }
                let work = each(item);
                running.push(async move { (name, key, work.await) });
            }
            let Some((name, key, result)) = running.next().await else {
                break;
            };
            let recorded = match result {
                Ok(()) => self.record_step(&name, &key, None).await,
                Err(e) => Err(e),
            };
            match recorded {
                Ok(()) => report.ran += 1,
                Err(e) => {
                    stopped.get_or_insert(e);
                }
            }
        }
        match stopped {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// The steps among `keys` completed by this attempt or (read once) an earlier one.
    async fn completed_steps(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, Option<String>>, HandlerError> {
        let s = &self.steps;
        let (Some(store), Some(known)) = (s.store, s.known) else {
            return Ok(HashMap::new());
        };
        let mut found: HashMap<String, Option<String>> = {
            let known = known.lock().unwrap_or_else(|p| p.into_inner());
            keys.iter()
                .filter_map(|k| known.get(k).map(|v| (k.clone(), v.clone())))
                .collect()
        };
        if !s.earlier {
            return Ok(found);
        }
        let unknown: Vec<String> = keys
            .iter()
            .filter(|k| !found.contains_key(*k))
            .cloned()
            .collect();
        let now_ms = self.now_ms().unwrap_or_default();
        for chunk in unknown.chunks(STEP_READS_AT_ONCE) {
            let read = store.completed(s.scope, chunk, now_ms).await.map_err(|e| {
                tracing::warn!(error = %Causes(&e), "steps unavailable");
                HandlerError::new("steps_unavailable").retry_after(Duration::from_secs(5))
            })?;
            found.extend(read);
        }
        // What was read stays known: a key read once is not read again by this attempt.
        let mut known = known.lock().unwrap_or_else(|p| p.into_inner());
        known.extend(found.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(found)
    }

    /// Records a completed step (its result redacted and bounded).
    async fn record_step(
        &self,
        name: &str,
        key: &str,
        result: Option<String>,
    ) -> Result<(), HandlerError> {
        self.note(name, true);
        let s = &self.steps;
        let (Some(store), Some(known)) = (s.store, s.known) else {
            return Ok(());
        };
        let result = result
            .filter(|text| text != "null")
            .map(|text| s.retention.redact_body(text.as_bytes()));
        if result
            .as_ref()
            .is_some_and(|r| r.len() > MAX_STEP_RESULT_BYTES)
        {
            return Err(HandlerError::permanent("step_result_too_large"));
        }
        let done = StepDone {
            key: key.to_string(),
            name: storable_name(name).map(str::to_string),
            result,
            at_ms: self.now_ms().unwrap_or_default(),
            expires_at_s: s.expires_at_s,
        };
        store.record(s.scope, &done).await.map_err(|e| {
            // The work ran but is not recorded: the event's retry runs it again.
            tracing::warn!(error = %Causes(&e), "step completed but not recorded");
            HandlerError::new("step_not_recorded").retry_after(Duration::from_secs(5))
        })?;
        known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(done.key, done.result);
        Ok(())
    }

    fn note(&self, name: &str, ran: bool) {
        if let Some(log) = self.steps.log {
            let run = StepRun {
                event_id: self.event.id.clone(),
                name: name.to_string(),
                ran,
            };
            log.lock().unwrap_or_else(|p| p.into_inner()).push(run);
        }
    }
}

/// Marks the context patient (a fan-out's downstream calls wait for their slots) while it lives.
struct Patient<'a>(Option<&'a AtomicBool>);

impl<'a> Patient<'a> {
    fn set(flag: Option<&'a AtomicBool>) -> Self {
        if let Some(flag) = flag {
            flag.store(true, Ordering::Relaxed);
        }
        Self(flag)
    }
}

impl Drop for Patient<'_> {
    fn drop(&mut self) {
        if let Some(flag) = self.0 {
            flag.store(false, Ordering::Relaxed);
        }
    }
}

/// A skipped step's kept result as the step's type.
fn read_result<T: DeserializeOwned>(kept: Option<String>) -> Result<T, HandlerError> {
    let text = kept.unwrap_or_else(|| "null".to_string());
    serde_json::from_str(&text)
        .map_err(|e| HandlerError::permanent("step_result_unreadable").with_source(e))
}
