//! Ports: every trait the domain depends on, with the vocabulary it is spoken in. The adapters (AWS,
//! and in-memory ones for tests) live in `adapters`.
//!
//! - [`EventQueue`], [`Quarantine`], [`DeadLetterQueue`], [`MessageVisibility`]: the queues (`queue`);
//! - [`IdempotencyStore`]: one record per event id, claimed before anything runs (`idempotency`);
//! - [`StateStore`]: conditional writes of materialised state (`state`);
//! - [`PaceStore`]: tickets that pace the calls to a brand's downstreams (`pace`);
//! - [`StepStore`]: the steps of a handler that completed (`steps`);
//! - [`Clock`].

pub mod idempotency;
pub mod pace;
pub mod queue;
pub mod state;
pub mod steps;

pub use idempotency::{IdempotencyError, IdempotencyStore};
pub use pace::{PaceError, PaceStore};
pub use queue::{
    DeadLetter, DeadLetterQueue, DeadLetterSink, EventQueue, MessageVisibility, Quarantine,
    QueueError,
};
pub use state::{StateError, StateStore};
pub use steps::{StepError, StepStore};

use chrono::{DateTime, Utc};

/// What time it is (a port so that tests and fixtures can stop it).
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

impl<T: Clock + ?Sized> Clock for std::sync::Arc<T> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant, for tests and fixtures.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// The clock a function runs with: the system clock, or, in debug builds only, a clock pinned by
/// `FANFARE_DEBUG_FIXED_NOW` (Unix seconds) so that fixtures signed at a fixed time can be replayed
/// through the Lambda emulator. Release builds (what `sam build` deploys) ignore the variable.
#[derive(Debug, Clone, Copy)]
pub enum RuntimeClock {
    System,
    Fixed(FixedClock),
}

impl RuntimeClock {
    pub const FIXED_NOW_VAR: &'static str = "FANFARE_DEBUG_FIXED_NOW";

    pub fn from_env() -> Self {
        if !cfg!(debug_assertions) {
            return RuntimeClock::System;
        }
        std::env::var(Self::FIXED_NOW_VAR)
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .and_then(|secs| chrono::TimeZone::timestamp_opt(&Utc, secs, 0).single())
            .map(|t| RuntimeClock::Fixed(FixedClock(t)))
            .unwrap_or(RuntimeClock::System)
    }
}

impl Clock for RuntimeClock {
    fn now(&self) -> DateTime<Utc> {
        match self {
            RuntimeClock::System => Utc::now(),
            RuntimeClock::Fixed(c) => c.now(),
        }
    }
}
