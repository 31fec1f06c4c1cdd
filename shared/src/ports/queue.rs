//! The queues: where verified events go, where unusable deliveries are kept, and the dead-letter
//! queue the redrive policy reads.

use std::error::Error as StdError;

use async_trait::async_trait;

use crate::contract::message::{OutgoingEvent, QuarantinedDelivery};

/// A queue that could not take a message.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue did not accept the message")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
}

/// Where verified events go: durably, before ingest answers 2xx.
#[async_trait]
pub trait EventQueue: Send + Sync {
    async fn enqueue(&self, event: &OutgoingEvent) -> Result<(), QueueError>;
}

/// Where validly signed but unusable deliveries go.
#[async_trait]
pub trait Quarantine: Send + Sync {
    async fn quarantine(&self, delivery: &QuarantinedDelivery) -> Result<(), QueueError>;
}

/// A message received from the DLQ.
/// `Debug` prints the body's size, never the body.
#[derive(Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
    /// When it was last sent to the main queue (SQS keeps this when it dead-letters a message).
    pub sent_at_ms: i64,
    /// Message attributes as (name, data type, value).
    pub attributes: Vec<(String, String, String)>,
    /// The queue SQS moved it from (`DeadLetterQueueSourceArn`); absent on a message sent to the
    /// DLQ (the processor's own dead-lettering).
    pub source_queue_arn: Option<String>,
}

impl std::fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetter")
            .field("message_id", &self.message_id)
            .field("body", &crate::telemetry::Withheld(self.body.len()))
            .field("group_id", &self.group_id)
            .field("sent_at_ms", &self.sent_at_ms)
            .field("attributes", &self.attributes)
            .field("source_queue_arn", &self.source_queue_arn)
            .finish_non_exhaustive()
    }
}

impl DeadLetter {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, v)| v.as_str())
    }
}

#[async_trait]
pub trait DeadLetterQueue: Send + Sync {
    /// Up to 10 messages; they stay invisible for the DLQ's visibility timeout.
    async fn receive(&self) -> Result<Vec<DeadLetter>, QueueError>;
    /// Sends a copy to the main queue with `redrive-count` set to `redrive`.
    async fn send_back(&self, message: &DeadLetter, redrive: u32) -> Result<(), QueueError>;
    async fn delete(&self, message: &DeadLetter) -> Result<(), QueueError>;
    /// Whether `source_queue_arn` (where SQS moved a dead letter from) is the main queue. Any
    /// queue of the account may name a DLQ in its redrive policy unless the DLQ's
    /// `RedriveAllowPolicy` refuses it, which the template cannot set (the events queue and its DLQ
    /// would name each other): the redrive checks instead.
    fn is_main_queue(&self, source_queue_arn: &str) -> bool;
}

/// Where the processor sends a message whose event spent its retry budget (the dead-letter queue):
/// body, group, deduplication id and attributes as received, so that redrive reads it like one
/// SQS dead-lettered.
#[async_trait]
pub trait DeadLetterSink: Send + Sync {
    async fn dead_letter(&self, message: &DeadLetter) -> Result<(), QueueError>;
}

/// Changes when a received message comes back: a handler that asked for time (a downstream
/// answered 429) gets its message, and the rest of its group, back after that delay.
#[async_trait]
pub trait MessageVisibility: Send + Sync {
    async fn delay(
        &self,
        receipt_handle: &str,
        delay: std::time::Duration,
    ) -> Result<(), QueueError>;
}

#[async_trait]
impl<T: EventQueue + ?Sized> EventQueue for std::sync::Arc<T> {
    async fn enqueue(&self, event: &OutgoingEvent) -> Result<(), QueueError> {
        (**self).enqueue(event).await
    }
}

#[async_trait]
impl<T: Quarantine + ?Sized> Quarantine for std::sync::Arc<T> {
    async fn quarantine(&self, delivery: &QuarantinedDelivery) -> Result<(), QueueError> {
        (**self).quarantine(delivery).await
    }
}
