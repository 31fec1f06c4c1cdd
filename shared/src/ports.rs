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
