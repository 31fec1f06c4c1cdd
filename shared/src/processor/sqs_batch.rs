//! The Lambda-facing edge of the processor: an SQS batch is split into messages and message groups,
//! and the failures come back as a partial batch response. The rest of the processor never sees an
//! SQS type.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

use super::batch::GroupedMessage;
use super::handler::EventHandler;
use super::{IncomingMessage, Processor};
use crate::contract::message::{attributes, REPLAY_RERUN_STEPS};
use crate::ports::idempotency::IdempotencyStore;
use crate::ports::state::StateStore;
use crate::ports::Clock;
use crate::ports::DeadLetter;

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
            let record = &event.records[failed.index];
            if failed.dead_letter && self.dead_letter(record).await {
                continue;
            }
            // Its return time was set when its group was done (`Processor::process_messages`).
            response.add_failure(ids[failed.index]);
        }
        Ok(response)
    }

    /// Sends a record whose event spent its retry budget to the dead-letter queue, as SQS would
    /// have: whether it is there (then it is acknowledged). If not, it comes back after its
    /// backoff with a fresh budget, and the queue's `maxReceiveCount` remains the safety net.
    async fn dead_letter(&self, record: &SqsMessage) -> bool {
        let Some(sink) = &self.dead_letters else {
            return false;
        };
        let message_id = record.message_id.as_deref().unwrap_or_default();
        match sink.dead_letter(&dead_letter_of(record)).await {
            Ok(()) => {
                tracing::warn!(
                    message_id,
                    "retry budget spent; sent to the dead-letter queue"
                );
                crate::metrics::count(crate::metrics::name::DEAD_LETTERED, None);
                true
            }
            Err(e) => {
                tracing::warn!(message_id, error = %crate::telemetry::Causes(&e), "could not dead-letter; it returns after its backoff");
                false
            }
        }
    }
}

/// A received record as a dead letter: its body, group, deduplication id and every string or
/// number attribute, so that redrive treats it like one SQS moved.
fn dead_letter_of(record: &SqsMessage) -> DeadLetter {
    let attributes = record
        .message_attributes
        .iter()
        .filter_map(|(name, a)| {
            let value = a.string_value.clone()?;
            Some((
                name.clone(),
                a.data_type.clone().unwrap_or_else(|| "String".into()),
                value,
            ))
        })
        .collect();
    DeadLetter {
        message_id: record.message_id.clone().unwrap_or_default(),
        receipt_handle: record.receipt_handle.clone().unwrap_or_default(),
        body: record.body.clone().unwrap_or_default(),
        group_id: record.attributes.get("MessageGroupId").cloned(),
        deduplication_id: record.attributes.get("MessageDeduplicationId").cloned(),
        sent_at_ms: 0,
        attributes,
        source_queue_arn: None,
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
        replay_force: matches!(
            attribute(attributes::REPLAY_FORCE),
            Some("true" | REPLAY_RERUN_STEPS)
        ),
        replay_rerun_steps: attribute(attributes::REPLAY_FORCE) == Some(REPLAY_RERUN_STEPS),
        event_id: attribute(attributes::EVENT_ID),
        message_id: record.message_id.as_deref(),
        receipt_handle: record.receipt_handle.as_deref(),
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
