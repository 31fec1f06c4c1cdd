//! Declared downstreams and the pace of their calls.
//!
//! A brand declares each downstream its handler calls (`Downstream::new("erp", 50)`: 50 calls a
//! second, optionally at most N at once) in [`EventHandler::downstreams`](super::handler::EventHandler)
//! and wraps each call in `ctx.downstream("erp").call(...)`. The rate holds for the **sum over
//! every processor instance**: each call draws a ticket for a second from a counter shared by all
//! instances (the idempotency table on a stack, see `ports::pace`), and tickets past the rate move
//! the call to a later second. Within its second a call waits for its slot (`ticket / rate`), so
//! calls are spread over the second rather than sent at its start. A call waits for its slot inside
//! the invocation for at most [`MAX_INLINE_WAIT`], and never past the deadline less
//! [`DEFER_MARGIN`]; a call whose slot is further is not made: the handler returns a deferral, the
//! record keeps the slot (a reservation), the message comes back just before it and the call goes
//! in it. No failure is counted, and an event is deferred once however long the backlog.
//!
//! Why shared tickets and not each instance's share of the rate: a share (rate ÷ maximum
//! concurrency) is exact on average only. Forty instances that start in the same second each make
//! their first call at once, 40 calls against an SES account that takes 14, and during Lambda's
//! ramp the few instances running use only their small share. A ticket costs one write unit
//! (1,000 calls: about $0.00125 on demand) and a round trip, small next to an email or an ERP
//! call. At most N in flight is per instance (N ÷ maximum concurrency, at least 1), with tokio's
//! semaphore.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use super::handler::HandlerError;
use crate::ports::pace::{PaceStore, Reservation};
use crate::ports::Clock;
use crate::telemetry::Causes;

/// Time kept back before the invocation's deadline for the call itself and finishing the record.
pub const DEFER_MARGIN: Duration = Duration::from_secs(5);
/// The longest a call waits for its slot inside an invocation. Waiting holds the invocation (and
/// so one of the processor's concurrent instances) for every group of its batch; past this, the
/// event is deferred to its slot and the instance takes other work, at the cost of one more claim.
pub const MAX_INLINE_WAIT: Duration = Duration::from_millis(250);
/// How long a call that came back for its kept slot may wait for it (it returns shortly before:
/// `RESERVATION_LEAD`).
pub const MAX_RESERVED_WAIT: Duration = Duration::from_secs(2);

/// How long before the `deadline_ms` nothing new starts: [`DEFER_MARGIN`], or a quarter of the time
/// there was at `from_ms` if that is less, so a short invocation still makes progress.
pub fn deadline_margin_ms(deadline_ms: i64, from_ms: i64) -> i64 {
    (DEFER_MARGIN.as_millis() as i64).min((deadline_ms - from_ms) / 4)
}

/// A downstream the handler calls, and the pace it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Downstream {
    /// Its name in `ctx.downstream(name)`, records and metrics: letters, digits, `_` and `-`.
    pub name: &'static str,
    /// Calls a second, summed over every instance.
    pub per_second: u32,
    /// At most this many calls at once, summed over every instance (`None`: no limit).
    pub in_flight: Option<u32>,
}

impl Downstream {
    pub const fn new(name: &'static str, per_second: u32) -> Self {
        Self {
            name,
            per_second,
            in_flight: None,
        }
    }

    pub const fn at_most_in_flight(mut self, calls: u32) -> Self {
        self.in_flight = Some(calls);
        self
    }
}

/// One declared downstream's state in this instance.
struct Lane {
    limit: Downstream,
    in_flight: Option<Semaphore>,
    /// The earliest second not known to be full: callers skip seconds others found full.
    next_second: AtomicI64,
}

/// Each call let through: its downstream and when (Unix ms), for tests and the simulation.
pub type DownstreamCallLog = Arc<std::sync::Mutex<Vec<(&'static str, i64)>>>;

/// Every declared downstream of the handler, and where their tickets come from.
pub struct Pacer {
    lanes: HashMap<&'static str, Lane>,
    tickets: Arc<dyn PaceStore>,
    pub(super) log: Option<DownstreamCallLog>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.lanes.keys().collect();
        f.debug_struct("Pacer")
            .field("downstreams", &names)
            .finish()
    }
}

impl Pacer {
    /// `instances`: the processor's maximum concurrency, which divides the in-flight limits.
    pub fn new(declared: &[Downstream], instances: u32, tickets: Arc<dyn PaceStore>) -> Self {
        let lanes = declared
            .iter()
            .filter(|d| d.per_second > 0 && valid_name(d.name))
            .map(|&limit| {
                let share = |n: u32| (n / instances.max(1)).max(1) as usize;
                let lane = Lane {
                    limit,
                    in_flight: limit.in_flight.map(|n| Semaphore::new(share(n))),
                    next_second: AtomicI64::new(0),
                };
                (limit.name, lane)
            })
            .collect();
        Self {
            lanes,
            tickets,
            log: None,
        }
    }

    pub fn declared(&self) -> impl Iterator<Item = &Downstream> {
        self.lanes.values().map(|l| &l.limit)
    }
}

/// A downstream's name as it may be stored: short, and only characters a record code allows.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A call slot held: the call goes now; dropping it frees its in-flight place.
#[derive(Debug)]
pub struct Slot<'a> {
    _in_flight: Option<SemaphorePermit<'a>>,
}

/// One downstream as the handler sees it (`ctx.downstream("erp")`).
pub struct DownstreamCall<'a> {
    pub(super) name: &'a str,
    pub(super) pacer: Option<&'a Pacer>,
    pub(super) clock: Option<&'a dyn Clock>,
    /// The invocation's deadline (Unix ms), 0 when there is none.
    pub(super) deadline_ms: i64,
    pub(super) reservation: Option<&'a std::sync::Mutex<Option<Reservation>>>,
    /// In a fan-out: wait for the slot up to the deadline's margin, not [`MAX_INLINE_WAIT`].
    pub(super) patient: bool,
}

impl<'a> DownstreamCall<'a> {
    /// Runs `call` at the downstream's pace: waits for its slot, or defers the event when the slot
    /// would pass the deadline.
    pub async fn call<T>(
        self,
        call: impl std::future::Future<Output = T>,
    ) -> Result<T, HandlerError> {
        let _slot = self.acquire().await?;
        Ok(call.await)
    }

    /// Waits for a slot (see [`DownstreamCall::call`]).
    pub async fn acquire(self) -> Result<Slot<'a>, HandlerError> {
        let (Some(pacer), Some(clock)) = (self.pacer, self.clock) else {
            return Ok(Slot { _in_flight: None });
        };
        let Some(lane) = pacer.lanes.get(self.name) else {
            tracing::warn!(
                downstream = self.name,
                "downstream not declared: its calls are not paced"
            );
            return Ok(Slot { _in_flight: None });
        };
        let now_ms = || clock.now().timestamp_millis();
        let reserved = self.reserved(now_ms());
        // A fan-out's calls are the invocation's work: waiting for their slots at the
        // downstream's pace beats deferring (each deferral re-claims the event, re-reads its
        // steps, and leaves the tickets its other calls drew unused).
        let inline = match reserved {
            Some(_) => MAX_RESERVED_WAIT,
            None if self.patient => Duration::MAX,
            None => MAX_INLINE_WAIT,
        };
        // A deadline already past is no deadline (a local emulator's, as for the claim's lease).
        let latest_ms = (self.deadline_ms > now_ms()).then(|| {
            let now = now_ms();
            // A short invocation keeps a quarter of what is left rather than the whole margin.
            let margin = deadline_margin_ms(self.deadline_ms, now);
            let inline_ms = i64::try_from(inline.as_millis()).unwrap_or(i64::MAX);
            (self.deadline_ms - margin).min(now.saturating_add(inline_ms))
        });
        let in_flight = match &lane.in_flight {
            None => None,
            Some(semaphore) => Some(in_flight_slot(semaphore, lane, latest_ms, now_ms()).await?),
        };
        let slot_ms = match reserved {
            Some(at_ms) => at_ms,
            None => draw_slot(pacer, lane, now_ms).await?,
        };
        if latest_ms.is_some_and(|latest| slot_ms > latest) {
            return Err(HandlerError::deferred_to(
                lane.limit.name,
                slot_ms,
                now_ms(),
            ));
        }
        let wait = slot_ms - now_ms();
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
        if let Some(log) = &pacer.log {
            let call = (lane.limit.name, now_ms());
            log.lock().unwrap_or_else(|p| p.into_inner()).push(call);
        }
        Ok(Slot {
            _in_flight: in_flight,
        })
    }

    /// The slot an earlier, deferred attempt drew for this call, once, while its second has not
    /// passed (a later call draws again: going in another second could pass that second's rate).
    fn reserved(&self, now_ms: i64) -> Option<i64> {
        let mut held = self.reservation?.lock().unwrap_or_else(|p| p.into_inner());
        if held.as_ref()?.downstream != self.name {
            return None;
        }
        held.take()
            .map(|r| r.at_ms)
            .filter(|at| at.div_euclid(1000) >= now_ms.div_euclid(1000))
    }
}

/// Draws tickets from the earliest second not known to be full until one is within its rate: the
/// call's slot (Unix ms), spread within its second by the ticket's place.
async fn draw_slot(
    pacer: &Pacer,
    lane: &Lane,
    now_ms: impl Fn() -> i64,
) -> Result<i64, HandlerError> {
    let rate = u64::from(lane.limit.per_second);
    loop {
        let second = (now_ms() / 1000).max(lane.next_second.load(Ordering::Relaxed));
        let ticket = pacer
            .tickets
            .take(lane.limit.name, second)
            .await
            .map_err(|e| {
                tracing::warn!(downstream = lane.limit.name, error = %Causes(&e), "pace tickets unavailable");
                HandlerError::new("pace_unavailable").retry_after(Duration::from_secs(5))
            })?;
        // A draw slow enough (a throttled write and its retries) to come back after its second
        // holds a ticket for a second that is over: calling now would add to this second's.
        if second < now_ms().div_euclid(1000) {
            continue;
        }
        if ticket <= rate {
            return Ok(second * 1000 + ((ticket - 1) * 1000 / rate) as i64);
        }
        // Full: as many seconds on as it is over, so that waiting callers spread out.
        let ahead = (ticket - 1) / rate;
        lane.next_second
            .fetch_max(second + ahead as i64, Ordering::Relaxed);
    }
}

async fn in_flight_slot<'s>(
    semaphore: &'s Semaphore,
    lane: &Lane,
    latest_ms: Option<i64>,
    now_ms: i64,
) -> Result<SemaphorePermit<'s>, HandlerError> {
    let Some(latest) = latest_ms else {
        return semaphore
            .acquire()
            .await
            .map_err(|_| HandlerError::new("downstream_closed"));
    };
    let budget = Duration::from_millis(u64::try_from(latest - now_ms).unwrap_or(0));
    match tokio::time::timeout(budget, semaphore.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) => Err(HandlerError::new("downstream_closed")),
        Err(_) => Err(HandlerError::deferred(
            lane.limit.name,
            Duration::from_secs(1),
        )),
    }
}
