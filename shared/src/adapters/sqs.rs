//! SQS adapters: the FIFO event queue and the quarantine queue.

use async_trait::async_trait;
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_sdk_sqs::Client;

use crate::contract::message::{attributes, QuarantinedDelivery, QueuedEvent};
use crate::ports::{EventQueue, Quarantine, QueueError};

/// The FIFO queue of verified events (high-throughput mode in the template).
#[derive(Clone)]
pub struct SqsEventQueue {
    client: Client,
    queue_url: String,
}

impl SqsEventQueue {
    pub fn from_sdk_config(config: &aws_config::SdkConfig, queue_url: impl Into<String>) -> Self {
        Self::new(Client::new(config), queue_url)
    }

    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> QueueError {
    QueueError::Unavailable(Box::new(e))
}

fn attribute(data_type: &str, value: String) -> Result<MessageAttributeValue, QueueError> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .map_err(unavailable)
}

#[async_trait]
impl EventQueue for SqsEventQueue {
    async fn enqueue(&self, event: &QueuedEvent) -> Result<(), QueueError> {
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(&event.body)
            .message_group_id(&event.ordering_key)
            .message_deduplication_id(&event.deduplication_id)
            .message_attributes(
                attributes::EVENT_ID,
                attribute("String", event.event_id.clone())?,
            )
            .message_attributes(
                attributes::EVENT_TYPE,
                attribute("String", event.event_type.clone())?,
            )
            .message_attributes(attributes::KIND, attribute("String", event.kind.clone())?)
            .message_attributes(
                attributes::SIGNATURE_SCHEME,
                attribute("String", event.signature_scheme.to_string())?,
            )
            .message_attributes(
                attributes::RECEIVED_AT_MS,
                attribute("Number", event.received_at_ms.to_string())?,
            );
        if let Some(delivery_id) = &event.delivery_id {
            send = send.message_attributes(
                attributes::DELIVERY_ID,
                attribute("String", delivery_id.clone())?,
            );
        }
        if let Some(retry) = event.retry_count {
            send = send.message_attributes(
                attributes::RETRY_COUNT,
                attribute("Number", retry.to_string())?,
            );
        }
        send.send().await.map_err(unavailable)?;
        Ok(())
    }
}

/// A standard queue (14-day retention) holding validly signed deliveries that were not usable events.
#[derive(Clone)]
pub struct SqsQuarantine {
    client: Client,
    queue_url: String,
}

impl SqsQuarantine {
    pub fn from_sdk_config(config: &aws_config::SdkConfig, queue_url: impl Into<String>) -> Self {
        Self::new(Client::new(config), queue_url)
    }

    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl Quarantine for SqsQuarantine {
    async fn quarantine(&self, delivery: &QuarantinedDelivery) -> Result<(), QueueError> {
        let body = serde_json::to_string(delivery).map_err(unavailable)?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes("reason", attribute("String", delivery.reason.clone())?)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
