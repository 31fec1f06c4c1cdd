//! The extension point: one method per event kind, called after the event's state has been
//! materialised, for every event that is not a duplicate, a conflict or ignored, in order or not.
//! Implement it for side effects (emails, ERP calls, releasing reservations); every method defaults
//! to doing nothing.
//!
//! - [`HandlerContext::relation`] says whether the event moved its entity ([`Relation::Current`]) or
//!   arrived after a newer event of the entity ([`Relation::Superseded`]); the handler decides what
//!   that means for its effect (`if !ctx.is_current() { return Ok(()) }` for a "you're in" email).
//! - [`HandlerContext::payload`] gives the kind's typed data.
//! - Side effects run at least once: if finishing the record fails after a handler succeeded, a
//!   retry runs it again. Pass `ctx.idempotency_key` (the Fanfare event id) to downstream APIs that
//!   accept one, and wrap each effect in `ctx.step` / `ctx.fan_out` (see `processor::steps`): a
//!   completed step is recorded and never runs again for the event.
//! - A failure is retried with backoff and spends the event's retry budget (then the event is
//!   dead-lettered); a panic is such a failure. [`HandlerError::retry_after`] asks for a delay
//!   without spending the budget; [`HandlerError::permanent`] says the event can never be
//!   processed (recorded `rejected`, no retry).
//! - Calls to a downstream that limits its rate go through `ctx.downstream(name).call(...)`, at the
//!   pace declared in [`EventHandler::downstreams`] (see `processor::pace`).

use std::time::Duration;

use async_trait::async_trait;

use super::pace::{Downstream, DownstreamCall, Pacer};
use crate::model::kind::EventKind;
use crate::model::payload::{KindData, Payload, PayloadError};
use crate::model::Event;
pub use crate::model::Relation;
use crate::ports::state::Version;
use crate::ports::Clock;

/// An operator's replay (`fanfare-webhooks replay`, `quarantine replay`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub id: String,
    /// The body is the archive's redacted copy: tokens read `"[redacted]"` (contact data too,
    /// unless the stack stores personal data).
    pub redacted: bool,
    /// The operator asked for the handler's completed steps to run again (`replay --force
    /// --rerun-steps`); otherwise a replay skips them like a retry.
    pub rerun_steps: bool,
}

/// What a handler method receives.
#[derive(Debug, Clone)]
pub struct HandlerContext<'a> {
    pub event: &'a Event,
    /// The Fanfare event id: pass it on as the idempotency key of downstream calls.
    pub idempotency_key: &'a str,
    /// 1 on the first claim of this event, more on retries.
    pub attempt: u32,
    pub relation: Relation,
    /// The event's version, `(time, lifecycle rank, id)` as its state writes carry it (`None` for
    /// a kind with no versioned state): make a downstream write conditional on it, so a late
    /// event never overwrites a newer one there either.
    pub version: Option<&'a Version>,
    /// For an event that writes several members' items (`draw.winners_selected`), or a member's
    /// own event (`draw.won`): the consumers whose item already held a newer event. Skip them
    /// ("mark the winner" when the winner already claimed).
    pub superseded_members: &'a [String],
    /// Set when an operator replayed the event.
    pub replay: Option<Replay>,
    pub(super) pace: PaceContext<'a>,
    pub(super) steps: super::steps::StepContext<'a>,
}

/// What `ctx.downstream(...)` needs: the declared downstreams, the clock, the deadline.
#[derive(Clone, Copy, Default)]
pub(super) struct PaceContext<'a> {
    pub(super) pacer: Option<&'a Pacer>,
    pub(super) clock: Option<&'a dyn Clock>,
    /// The invocation's deadline (Unix ms), 0 when there is none.
    pub(super) deadline_ms: i64,
    /// The slot a deferred attempt drew for this one.
    pub(super) reservation: Option<&'a std::sync::Mutex<Option<crate::ports::pace::Reservation>>>,
    /// Set while a fan-out runs: its calls wait for their slots up to the deadline's margin.
    pub(super) patient: Option<&'a std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for PaceContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaceContext")
            .field("pacer", &self.pacer)
            .field("deadline_ms", &self.deadline_ms)
            .finish()
    }
}

impl HandlerContext<'_> {
    /// The event moved its entity's state: the guard for effects that only make sense then.
    pub fn is_current(&self) -> bool {
        self.relation == Relation::Current
    }

    /// Whether the member's item took this event's write (not newer already): see
    /// [`HandlerContext::superseded_members`].
    pub fn member_is_current(&self, consumer_id: &str) -> bool {
        !self.superseded_members.iter().any(|m| m == consumer_id)
    }

    /// The event's typed data, one variant per kind.
    pub fn payload(&self) -> Result<Payload, PayloadError> {
        Payload::of(self.event)
    }

    /// The typed data of one kind, for a method that knows its kind:
    /// `let admitted: QueueAdmitted = ctx.data()?;`.
    pub fn data<T: KindData>(&self) -> Result<T, PayloadError> {
        T::from_event(self.event)
    }

    /// A declared downstream, to call at its pace: `ctx.downstream("erp").call(send(order)).await?`.
    /// An undeclared name is not paced (and logged).
    pub fn downstream<'c>(&'c self, name: &'c str) -> DownstreamCall<'c> {
        DownstreamCall {
            name,
            pacer: self.pace.pacer,
            clock: self.pace.clock,
            deadline_ms: self.pace.deadline_ms,
            reservation: self.pace.reservation,
            patient: self
                .pace
                .patient
                .is_some_and(|p| p.load(std::sync::atomic::Ordering::Relaxed)),
        }
    }

    /// The invocation's deadline (Unix ms), if it has one.
    pub fn deadline_ms(&self) -> Option<i64> {
        (self.pace.deadline_ms > 0).then_some(self.pace.deadline_ms)
    }
}

/// How long before its slot a deferred event comes back: time to be received and claimed.
pub const RESERVATION_LEAD: Duration = Duration::from_millis(500);

/// What a handler failure asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// Try again later, spending the retry budget (unless `retry_after` is set).
    Retry,
    /// Never: the record ends `rejected`.
    Permanent,
    /// A downstream's pace: come back when its slot is near; not a failure. `slot_at_ms`: the slot
    /// drawn for the next attempt.
    Deferred {
        downstream: String,
        slot_at_ms: Option<i64>,
    },
    /// The deadline came before the handler's steps were done: come back at once to go on with
    /// them (the completed ones are kept); not a failure.
    Continue,
}

/// The `lastError` of an event whose steps go on in its next attempt.
pub const STEPS_CONTINUE: &str = "steps_continue";

/// A handler failure: the claim is released and the message retried (then dead-lettered). It
/// displays as its stored code, never free text a handler put in `code`.
#[derive(Debug)]
pub struct HandlerError {
    /// A stable code, stored as the record's `lastError` and logged (no personal data; letters,
    /// digits and `_.:-`, at most 64 characters, or it is stored as `handler_failed`).
    pub code: String,
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Come back after this delay instead of the queue's visibility timeout (a downstream answered
    /// 429). The rest of the event's message group waits with it; other groups go on. Does not
    /// spend the retry budget; the wait is at least the backoff the event's failures earned.
    pub retry_after: Option<Duration>,
    pub kind: FailureKind,
}

impl HandlerError {
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            source: None,
            retry_after: None,
            kind: FailureKind::Retry,
        }
    }

    /// The event can never be processed (a fix is needed): recorded `rejected` with `code`, not
    /// retried, counted and alarmed; `replay --event-id ID --force` runs it again after the fix.
    pub fn permanent(code: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Permanent,
            ..Self::new(code)
        }
    }

    /// The invocation's deadline is near and steps remain: the event comes back at once to go on
    /// (`ctx.step` and `ctx.fan_out` return this themselves).
    pub fn to_continue() -> Self {
        Self {
            kind: FailureKind::Continue,
            ..Self::new(STEPS_CONTINUE)
        }
    }

    /// The downstream's pace has no slot before the deadline: come back after `wait`.
    pub fn deferred(downstream: &str, wait: Duration) -> Self {
        Self {
            kind: FailureKind::Deferred {
                downstream: downstream.to_string(),
                slot_at_ms: None,
            },
            retry_after: Some(wait),
            ..Self::new(format!("deferred:{downstream}"))
        }
    }

    /// The call's slot (`slot_at_ms`) is past the deadline: the next attempt keeps it and comes
    /// back shortly before it.
    pub fn deferred_to(downstream: &str, slot_at_ms: i64, now_ms: i64) -> Self {
        let wait_ms = slot_at_ms - now_ms - RESERVATION_LEAD.as_millis() as i64;
        let mut deferred = Self::deferred(
            downstream,
            Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)),
        );
        deferred.kind = FailureKind::Deferred {
            downstream: downstream.to_string(),
            slot_at_ms: Some(slot_at_ms),
        };
        deferred
    }

    /// Keeps the cause: its chain is logged once with the event's id (never stored).
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Asks for the retry after `delay` (a downstream's `Retry-After`), without spending the retry
    /// budget: the wait is the longer of `delay` and the event's backoff, within what SQS accepts.
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// The code as stored on the record: the handler's own when it is a safe, short code.
    pub fn stored_code(&self) -> &str {
        let safe = !self.code.is_empty()
            && self.code.len() <= 64
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c));
        if safe {
            &self.code
        } else {
            "handler_failed"
        }
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "handler failed: {}", self.stored_code())
    }
}

impl std::error::Error for HandlerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The signed bytes never change, so data the handler cannot read will never be readable: the
/// event is rejected, to be replayed once the handler is fixed.
impl From<PayloadError> for HandlerError {
    fn from(e: PayloadError) -> Self {
        HandlerError::permanent("invalid_payload").with_source(e)
    }
}

macro_rules! handler_trait {
    ($( $variant:ident => $name:literal, $method:ident, $family:ident: [$($alias:literal),+] );+ $(;)?) => {
        /// One method per kind of the contract's alias table.
        #[async_trait]
        pub trait EventHandler: Send + Sync {
            /// The downstreams this handler calls and the pace each takes (none by default).
            fn downstreams(&self) -> Vec<Downstream> {
                Vec::new()
            }
            $(
                async fn $method(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
                    let _ = ctx;
                    Ok(())
                }
            )+
        }

        /// Calls the method for the event's kind. Unknown kinds call nothing.
        pub async fn dispatch<H: EventHandler + ?Sized>(
            handler: &H,
            ctx: &HandlerContext<'_>,
        ) -> Result<(), HandlerError> {
            match ctx.event.kind {
                $( EventKind::$variant => handler.$method(ctx).await, )+
                EventKind::Unknown => Ok(()),
            }
        }
    };
}

crate::for_each_kind!(handler_trait);

/// The built-in handler: state is materialised by the processor; no side effects.
#[derive(Debug, Default, Clone, Copy)]
pub struct StateOnly;

impl EventHandler for StateOnly {}
