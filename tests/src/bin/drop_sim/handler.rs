//! The brand's handler and the processor's clock in virtual time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use fanfare_shared::ports::Clock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::testing::T0_MS;
use tokio::time::Instant;

use crate::arrivals::Drop;

/// Virtual time as the processor's clock.
pub struct SimClock(pub Instant);

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let ms = T0_MS + self.0.elapsed().as_millis() as i64;
        Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
    }
}

/// The brand's handler: takes `handler_ms`, fails the first attempt of the events the profile's
/// failure rate picked, and notes when each event's first successful run ended.
pub struct SimHandler {
    latency: Duration,
    start: Instant,
    index: HashMap<Arc<str>, usize>,
    /// Events whose next attempt fails.
    failing: Mutex<Vec<bool>>,
    pub handled: Mutex<Vec<Option<f64>>>,
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
            let at = self.start.elapsed().as_secs_f64() * 1000.0;
            let mut handled = self.handled.lock().unwrap();
            handled[i].get_or_insert(at);
        }
        Ok(())
    }
}

macro_rules! sim_handler {
    ($( $variant:ident => $name:literal, $method:ident, $family:ident: [$($alias:literal),+] );+ $(;)?) => {
        #[async_trait::async_trait]
        impl EventHandler for SimHandler {
            $( async fn $method(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> { self.run(ctx).await } )+
        }
    };
}
fanfare_shared::for_each_kind!(sim_handler);

impl SimHandler {
    pub fn new(latency: Duration, start: Instant, drop: &Drop) -> SimHandler {
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
        }
    }
}
