//! The event queue and quarantine in memory: records what it is given, and can be told to fail.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::contract::message::{OutgoingEvent, QuarantinedDelivery};
use crate::ports::{EventQueue, Quarantine, QueueError};

/// Records what it was given; can be told to fail.
#[derive(Default)]
pub struct MemoryQueue {
    pub events: Mutex<Vec<OutgoingEvent>>,
    pub quarantined: Mutex<Vec<QuarantinedDelivery>>,
    pub fail: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("the in-memory queue was told to fail")]
struct Told;

#[async_trait]
impl EventQueue for MemoryQueue {
    async fn enqueue(&self, event: &OutgoingEvent) -> Result<(), QueueError> {
        if self.fail {
            return Err(QueueError::Unavailable(Box::new(Told)));
        }
        self.events
            .lock()
            .map_err(|_| QueueError::Unavailable(Box::new(Told)))?
            .push(event.clone());
        Ok(())
    }
}

#[async_trait]
impl Quarantine for MemoryQueue {
    async fn quarantine(&self, delivery: &QuarantinedDelivery) -> Result<(), QueueError> {
        if self.fail {
            return Err(QueueError::Unavailable(Box::new(Told)));
        }
        self.quarantined
            .lock()
            .map_err(|_| QueueError::Unavailable(Box::new(Told)))?
            .push(delivery.clone());
        Ok(())
    }
}

/// Accepts everything and keeps nothing: for measuring the handler alone.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopQueue;

#[async_trait]
impl EventQueue for NoopQueue {
    async fn enqueue(&self, _: &OutgoingEvent) -> Result<(), QueueError> {
        Ok(())
    }
}

#[async_trait]
impl Quarantine for NoopQueue {
    async fn quarantine(&self, _: &QuarantinedDelivery) -> Result<(), QueueError> {
        Ok(())
    }
}
