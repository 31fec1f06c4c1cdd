//! Lambda's SQS event source, run locally (make dev, the soak) and for tests: the records a function
//! receives.

#[cfg(feature = "inspect")]
use aws_sdk_sqs::Client;

#[cfg(feature = "inspect")]
use super::unavailable;
#[cfg(feature = "inspect")]
use crate::ports::QueueError;

/// A received message as Lambda's SQS event source hands it to a function: the one builder of the
/// local event-source loops (`fanfare-webhooks local-mapping`, the soak's workers) and the tests.
pub fn lambda_record(
    message: &aws_sdk_sqs::types::Message,
    queue_arn: &str,
) -> aws_lambda_events::event::sqs::SqsMessage {
    use aws_lambda_events::event::sqs::{SqsMessage, SqsMessageAttribute};
    let mut record = SqsMessage::default();
    record.message_id = message.message_id().map(str::to_string);
    record.receipt_handle = message.receipt_handle().map(str::to_string);
    record.body = message.body().map(str::to_string);
    record.md5_of_body = message.md5_of_body().map(str::to_string);
    record.event_source = Some("aws:sqs".to_string());
    record.event_source_arn = Some(queue_arn.to_string());
    record.aws_region = queue_arn.split(':').nth(3).map(str::to_string);
    for (name, value) in message.attributes().into_iter().flatten() {
        record
            .attributes
            .insert(name.as_str().to_string(), value.clone());
    }
    for (name, value) in message.message_attributes().into_iter().flatten() {
        let mut attribute = SqsMessageAttribute::default();
        attribute.string_value = value.string_value().map(str::to_string);
        attribute.data_type = Some(value.data_type().to_string());
        record.message_attributes.insert(name.clone(), attribute);
    }
    record
}

/// Lambda's SQS event source, run locally: receive a batch, hand it over as Lambda records, delete
/// what was acknowledged (the rest comes back after its visibility timeout). `make dev`'s local
/// mapping and the soak's workers drive it; only the invocation differs.
#[cfg(feature = "inspect")]
pub struct LocalEventSource {
    client: Client,
    queue_url: String,
    queue_arn: String,
    batch_size: i32,
}

#[cfg(feature = "inspect")]
impl LocalEventSource {
    pub fn new(client: Client, queue_url: impl Into<String>, batch_size: i32) -> Self {
        let queue_url = queue_url.into();
        let name = queue_url.rsplit('/').next().unwrap_or("events.fifo");
        Self {
            queue_arn: format!("arn:aws:sqs:us-east-1:123456789012:{name}"),
            client,
            queue_url,
            batch_size,
        }
    }

    /// Up to a batch of messages, with every attribute. A short poll: a local moto serves one
    /// request at a time, and a long poll would stall every other call while it waits.
    pub async fn receive(&self) -> Result<Vec<aws_sdk_sqs::types::Message>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.batch_size)
            .wait_time_seconds(0)
            .message_attribute_names("All")
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.messages.unwrap_or_default())
    }

    /// The messages as the function receives them.
    pub fn records(
        &self,
        messages: &[aws_sdk_sqs::types::Message],
    ) -> Vec<aws_lambda_events::event::sqs::SqsMessage> {
        messages
            .iter()
            .map(|m| lambda_record(m, &self.queue_arn))
            .collect()
    }

    /// Deletes every message but the `failed` ones (by message id). A lost delete is a redelivery,
    /// which the processor absorbs.
    pub async fn acknowledge(
        &self,
        messages: &[aws_sdk_sqs::types::Message],
        failed: &[&str],
    ) -> Result<(), QueueError> {
        let entries: Vec<_> = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| m.message_id().is_some_and(|id| !failed.contains(&id)))
            .filter_map(|(i, m)| {
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle()?)
                    .build()
                    .ok()
            })
            .collect();
        if entries.is_empty() {
            return Ok(());
        }
        self.client
            .delete_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
