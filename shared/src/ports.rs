//! Ports: the small traits the domain depends on. Adapters (AWS, in-memory) live in `adapters`.

use std::error::Error as StdError;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::contract::message::{QuarantinedDelivery, QueuedEvent};

/// A queue that could not take a message.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue did not accept the message")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
}

/// Where verified events go: durably, before ingest answers 2xx.
#[async_trait]
pub trait EventQueue: Send + Sync {
    async fn enqueue(&self, event: &QueuedEvent) -> Result<(), QueueError>;
}

/// Where validly signed but unusable deliveries go.
#[async_trait]
pub trait Quarantine: Send + Sync {
    async fn quarantine(&self, delivery: &QuarantinedDelivery) -> Result<(), QueueError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
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

#[async_trait]
impl<T: EventQueue + ?Sized> EventQueue for std::sync::Arc<T> {
    async fn enqueue(&self, event: &QueuedEvent) -> Result<(), QueueError> {
        (**self).enqueue(event).await
    }
}

#[async_trait]
impl<T: Quarantine + ?Sized> Quarantine for std::sync::Arc<T> {
    async fn quarantine(&self, delivery: &QuarantinedDelivery) -> Result<(), QueueError> {
        (**self).quarantine(delivery).await
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
