//! The Lambda-facing edge of the processor: an SQS batch is split into messages and message groups,
//! and the failures come back as a partial batch response. The rest of the processor never sees an
//! SQS type.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

use super::batch::GroupedMessage;
use super::handler::EventHandler;
use super::{IncomingMessage, Processor};
use crate::contract::message::attributes;
use crate::ports::idempotency::IdempotencyStore;
use crate::ports::state::StateStore;
use crate::ports::Clock;

#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// Without a message id no single record can be reported, so the whole batch is retried.
    #[error("an SQS record has no messageId")]
    MissingMessageId,
}

impl<I: IdempotencyStore, S: StateStore, H: EventHandler, C: Clock> Processor<I, S, H, C> {
    /// Processes an SQS batch (see [`Processor::process_messages`] for the group rules) and reports
    /// every record that was not acknowledged.
    pub async fn process_batch(
        &self,
        event: &SqsEvent,
        deadline_ms: i64,
    ) -> Result<SqsBatchResponse, ProcessorError> {
        // Every record must be reportable before any is processed: an empty or missing id in a
        // batch response would fail the whole batch anyway, after side effects had run.
        let ids = event
            .records
            .iter()
            .map(|r| r.message_id.as_deref().filter(|id| !id.is_empty()))
            .collect::<Option<Vec<_>>>()
            .ok_or(ProcessorError::MissingMessageId)?;
        let messages: Vec<GroupedMessage<'_>> = event
            .records
            .iter()
            .map(|record| GroupedMessage {
                group: message_group(record),
                message: queued_message(record),
            })
            .collect();
        let mut response = SqsBatchResponse::default();
        for failed in self.process_messages(&messages, deadline_ms).await {
            response.add_failure(ids[failed.index]);
            if let Some(delay) = failed.retry_after {
                self.delay(&event.records[failed.index], delay).await;
            }
        }
        Ok(response)
    }

    /// Keeps a record away for the delay its handler asked for. Without a visibility port, or if
    /// the change fails, it comes back after the queue's visibility timeout as any failure does.
    async fn delay(&self, record: &SqsMessage, delay: std::time::Duration) {
        let (Some(visibility), Some(receipt)) =
            (&self.visibility, record.receipt_handle.as_deref())
        else {
            return;
        };
        if let Err(e) = visibility.delay(receipt, delay).await {
            tracing::warn!(
                message_id = record.message_id.as_deref().unwrap_or_default(),
                error = %crate::telemetry::Causes(&e),
                "could not delay the message; it returns after the visibility timeout"
            );
        }
    }
}

/// The record's attributes the processor reads.
pub fn queued_message(record: &SqsMessage) -> IncomingMessage<'_> {
    let attribute = |name: &str| {
        record
            .message_attributes
            .get(name)
            .and_then(|a| a.string_value.as_deref())
    };
    IncomingMessage {
        body: record.body.as_deref().unwrap_or_default(),
        body_encoding: attribute(attributes::BODY_ENCODING),
        replay_id: attribute(attributes::REPLAY_ID),
        replay_payload_hash: attribute(attributes::REPLAY_PAYLOAD_HASH),
        replay_force: attribute(attributes::REPLAY_FORCE) == Some("true"),
        message_id: record.message_id.as_deref(),
        trace_header: record.attributes.get("AWSTraceHeader").map(String::as_str),
    }
}

/// A FIFO record's message group; `None` for a standard queue's record, which is independent of
/// every other. A FIFO record without a group id (never sent by Lambda) joins one shared group, to
/// stay in order.
fn message_group(record: &SqsMessage) -> Option<&str> {
    match record.attributes.get("MessageGroupId") {
        Some(group) => Some(group.as_str()),
        None if is_fifo(record) => Some(""),
        None => None,
    }
}

fn is_fifo(record: &SqsMessage) -> bool {
    record
        .event_source_arn
        .as_deref()
        .is_some_and(|arn| arn.ends_with(".fifo"))
}
