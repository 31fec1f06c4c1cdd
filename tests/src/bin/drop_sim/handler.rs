//! The brand's handler and the processor's clock in virtual time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use fanfare_shared::ports::Clock;
use fanfare_shared::processor::handler::{EventHandler, FailureKind, HandlerContext, HandlerError};
use fanfare_shared::processor::Downstream;
use fanfare_shared::testing::T0_MS;
use tokio::time::Instant;

use crate::arrivals::Drop;
use crate::downstream::{DownstreamSpec, Service};

/// Virtual time as the processor's clock.
pub struct SimClock(pub Instant);

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let ms = T0_MS + self.0.elapsed().as_millis() as i64;
        Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
    }
}

/// The brand's handler: takes `handler_ms`, fails the first attempt of the events the profile's
/// failure rate picked, calls the downstream its kind uses at the declared pace, and notes when
/// each event's first successful run ended and which events a downstream's pace deferred.
pub struct SimHandler {
    latency: Duration,
    start: Instant,
    index: HashMap<Arc<str>, usize>,
    /// Events whose next attempt fails.
    failing: Mutex<Vec<bool>>,
    pub handled: Mutex<Vec<Option<f64>>>,
    pub services: Vec<Service>,
    /// Events a downstream's pace deferred at least once.
    pub paced: Mutex<Vec<bool>>,
}

impl SimHandler {
    async fn run(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if let Some(&i) = self.index.get(ctx.event.id.as_str()) {
            if std::mem::take(&mut self.failing.lock().unwrap()[i]) {
                return Err(HandlerError::new("simulated_failure"));
            }
            self.call_downstream(ctx, i).await?;
            let at = self.start.elapsed().as_secs_f64() * 1000.0;
            let mut handled = self.handled.lock().unwrap();
            handled[i].get_or_insert(at);
        }
        Ok(())
    }
}

/// Per event its first handler completion (ms) and whether a pace held it back, and what each
/// downstream saw.
pub type Results = (
    Vec<Option<f64>>,
    Vec<bool>,
    Vec<(crate::downstream::DownstreamSpec, crate::downstream::Seen)>,
);

impl SimHandler {
    /// What the run left: see [`Results`].
    pub fn results(&self) -> Results {
        let handled = std::mem::take(&mut *self.handled.lock().unwrap());
        let paced = std::mem::take(&mut *self.paced.lock().unwrap());
        let seen = self
            .services
            .iter()
            .map(|s| (s.spec.clone(), s.seen.lock().unwrap().clone()))
            .collect();
        (handled, paced, seen)
    }

    /// The downstream the event's kind calls, if any, through the pace.
    async fn call_downstream(
        &self,
        ctx: &HandlerContext<'_>,
        i: usize,
    ) -> Result<(), HandlerError> {
        let Some(service) = self.services.iter().find(|s| s.serves(ctx.event.kind)) else {
            return Ok(());
        };
        let draw = unit(&ctx.event.id, ctx.attempt);
        let began = Instant::now();
        let called = ctx.downstream(service.name).call(service.call(draw)).await;
        let deferred = called
            .as_ref()
            .is_err_and(|e| matches!(e.kind, FailureKind::Deferred { .. }));
        if deferred {
            service.note_deferred();
        }
        // Deferred, or waited over a second for its slot: the downstream's pace held it back.
        let waited = began.elapsed().as_secs_f64() * 1000.0 - service.spec.latency_ms;
        if deferred || waited > 1000.0 {
            self.paced.lock().unwrap()[i] = true;
        }
        called.and_then(|result| result)
    }
}

/// A number in [0, 1) from an event id and attempt: which calls fail, the same on every run.
fn unit(event_id: &str, attempt: u32) -> f64 {
    let hash = event_id
        .bytes()
        .chain(attempt.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

macro_rules! sim_handler {
    ($( $variant:ident => $name:literal, $method:ident, $family:ident: [$($alias:literal),+] );+ $(;)?) => {
        #[async_trait::async_trait]
        impl EventHandler for SimHandler {
            fn downstreams(&self) -> Vec<Downstream> {
                self.services.iter().map(Service::declared).collect()
            }
            $( async fn $method(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> { self.run(ctx).await } )+
        }
    };
}
fanfare_shared::for_each_kind!(sim_handler);

impl SimHandler {
    pub fn new(
        latency: Duration,
        start: Instant,
        drop: &Drop,
        downstreams: &[DownstreamSpec],
    ) -> SimHandler {
        SimHandler {
            latency,
            start,
            index: drop
                .events
                .iter()
                .enumerate()
                .map(|(i, e)| (e.id.clone(), i))
                .collect(),
            failing: Mutex::new(drop.events.iter().map(|e| e.fails_once).collect()),
            handled: Mutex::new(vec![None; drop.events.len()]),
            services: downstreams.iter().map(|d| Service::new(d, start)).collect(),
            paced: Mutex::new(vec![false; drop.events.len()]),
        }
    }
}
