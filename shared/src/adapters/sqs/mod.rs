//! SQS adapters: the FIFO event queue and the quarantine queue.

use async_trait::async_trait;
use aws_sdk_sqs::types::{
    MessageAttributeValue, MessageSystemAttributeNameForSends, MessageSystemAttributeValue,
};
use aws_sdk_sqs::Client;

use crate::contract::message::{attributes, sqs_text, OutgoingEvent, QuarantinedDelivery};
use crate::ports::{EventQueue, MessageVisibility, Quarantine, QueueError};

bound_client!(
    /// The FIFO queue of verified events (high-throughput mode in the template).
    SqsEventQueue(Client, queue_url)
);

fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> QueueError {
    QueueError::Unavailable(Box::new(e))
}

/// An attribute value, with characters SQS refuses replaced (attributes are informational).
fn attribute(data_type: &str, value: String) -> Result<MessageAttributeValue, QueueError> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(sqs_text(&value))
        .build()
        .map_err(unavailable)
}

#[async_trait]
impl EventQueue for SqsEventQueue {
    async fn enqueue(&self, event: &OutgoingEvent) -> Result<(), QueueError> {
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(&event.body)
            .message_group_id(&event.ordering_key)
            .message_deduplication_id(&event.deduplication_id);
        for (name, data_type, value) in event.attributes() {
            send = send.message_attributes(name, attribute(data_type, value)?);
        }
        if let Some(trace) = &event.trace_header {
            let value = MessageSystemAttributeValue::builder()
                .data_type("String")
                .string_value(sqs_text(trace))
                .build()
                .map_err(unavailable)?;
            send = send.message_system_attributes(
                MessageSystemAttributeNameForSends::AwsTraceHeader,
                value,
            );
        }
        send.send().await.map_err(unavailable)?;
        Ok(())
    }
}

bound_client!(
    /// The events queue as the processor sees it: received messages whose return it can delay.
    SqsVisibility(Client, queue_url)
);

#[async_trait]
impl MessageVisibility for SqsVisibility {
    async fn delay(
        &self,
        receipt_handle: &str,
        delay: std::time::Duration,
    ) -> Result<(), QueueError> {
        let seconds = i32::try_from(delay.as_secs()).unwrap_or(i32::MAX);
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds.min(12 * 3600))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

bound_client!(
    /// The dead-letter queue as the processor writes to it: events whose retry budget is spent.
    SqsDeadLetters(Client, queue_url)
);

#[async_trait]
impl crate::ports::DeadLetterSink for SqsDeadLetters {
    async fn dead_letter(&self, message: &crate::ports::DeadLetter) -> Result<(), QueueError> {
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(&message.body);
        if self.queue_url.ends_with(".fifo") {
            // Its own message id, not the original deduplication id: a redriven copy that comes
            // back within five minutes is a new message and must not be dropped as a duplicate.
            send = send
                .message_group_id(message.group_id.as_deref().unwrap_or("unattributed"))
                .message_deduplication_id(format!("dl-{}", message.message_id));
        }
        for (name, data_type, value) in &message.attributes {
            send = send.message_attributes(name, attribute(data_type, value.clone())?);
        }
        send.send().await.map_err(unavailable)?;
        Ok(())
    }
}

/// The attribute naming why a delivery was kept.
pub const QUARANTINE_REASON_ATTRIBUTE: &str = "reason";

bound_client!(
    /// A standard queue (14-day retention) holding validly signed deliveries that were not usable
    /// events.
    SqsQuarantine(Client, queue_url)
);

#[async_trait]
impl Quarantine for SqsQuarantine {
    async fn quarantine(&self, delivery: &QuarantinedDelivery) -> Result<(), QueueError> {
        let body = serde_json::to_string(delivery).map_err(unavailable)?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes(
                QUARANTINE_REASON_ATTRIBUTE,
                attribute("String", delivery.reason.clone())?,
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// One delivery read back from the quarantine queue (the CLI's `quarantine`: `inspect` feature).
#[cfg(feature = "inspect")]
#[derive(Debug, Clone)]
pub struct KeptDelivery {
    pub message_id: String,
    pub receipt_handle: String,
    /// `None` when the message is not a kept delivery at all (never written by this receiver).
    pub delivery: Option<QuarantinedDelivery>,
}

#[cfg(feature = "inspect")]
impl SqsQuarantine {
    /// Every kept delivery, up to `max`. Received messages stay hidden until [`Self::release`]
    /// or deletion, so the read ends when the queue yields nothing new.
    pub async fn receive_all(&self, max: usize) -> Result<Vec<KeptDelivery>, QueueError> {
        self.receive_until(max, |_| false).await
    }

    /// Kept deliveries up to `max`, stopping at the first one `wanted` picks (`quarantine show`
    /// holds only what it read before it, not the whole queue). Each receive long-polls for a
    /// second: a short poll samples some of SQS's servers and can answer empty while messages
    /// wait, which would end the read early.
    pub async fn receive_until(
        &self,
        max: usize,
        wanted: impl Fn(&KeptDelivery) -> bool,
    ) -> Result<Vec<KeptDelivery>, QueueError> {
        let mut kept: Vec<KeptDelivery> = Vec::new();
        while kept.len() < max && !kept.iter().any(&wanted) {
            let out = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(120)
                .wait_time_seconds(1)
                .send()
                .await
                .map_err(unavailable)?;
            if out.messages().is_empty() {
                break;
            }
            for m in out.messages() {
                let (Some(id), Some(receipt)) = (m.message_id(), m.receipt_handle()) else {
                    continue;
                };
                kept.push(KeptDelivery {
                    message_id: id.to_string(),
                    receipt_handle: receipt.to_string(),
                    delivery: m.body().and_then(|b| serde_json::from_str(b).ok()),
                });
            }
        }
        Ok(kept)
    }

    /// Makes a received delivery visible again at once.
    pub async fn release(&self, kept: &KeptDelivery) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(&kept.receipt_handle)
            .visibility_timeout(0)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub async fn delete(&self, kept: &KeptDelivery) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(&kept.receipt_handle)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// The FIFO dead-letter queue, and the main queue messages go back to.
#[derive(Clone)]
pub struct SqsDeadLetterQueue {
    client: Client,
    dead_letter_queue_url: String,
    main_queue_url: String,
}

impl SqsDeadLetterQueue {
    pub fn new(
        client: Client,
        dead_letter_queue_url: impl Into<String>,
        main_queue_url: impl Into<String>,
    ) -> Self {
        Self {
            client,
            dead_letter_queue_url: dead_letter_queue_url.into(),
            main_queue_url: main_queue_url.into(),
        }
    }

    pub fn from_sdk_config(
        config: &aws_config::SdkConfig,
        dead_letter_queue_url: impl Into<String>,
        main_queue_url: impl Into<String>,
    ) -> Self {
        Self::new(Client::new(config), dead_letter_queue_url, main_queue_url)
    }
}

#[async_trait]
impl crate::ports::DeadLetterQueue for SqsDeadLetterQueue {
    async fn receive(&self) -> Result<Vec<crate::ports::DeadLetter>, QueueError> {
        use aws_sdk_sqs::types::MessageSystemAttributeName as Sys;
        let out = self
            .client
            .receive_message()
            .queue_url(&self.dead_letter_queue_url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .message_system_attribute_names(Sys::All)
            .send()
            .await
            .map_err(unavailable)?;
        let mut letters = Vec::new();
        for m in out.messages() {
            let (Some(id), Some(receipt)) = (m.message_id(), m.receipt_handle()) else {
                continue;
            };
            let system = m.attributes();
            let sys = |name: Sys| system.and_then(|a| a.get(&name)).cloned();
            letters.push(crate::ports::DeadLetter {
                message_id: id.to_string(),
                receipt_handle: receipt.to_string(),
                body: m.body().unwrap_or_default().to_string(),
                group_id: sys(Sys::MessageGroupId),
                deduplication_id: sys(Sys::MessageDeduplicationId),
                sent_at_ms: sys(Sys::SentTimestamp)
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0),
                source_queue_arn: sys(Sys::DeadLetterQueueSourceArn),
                attributes: m
                    .message_attributes()
                    .map(|attrs| {
                        attrs
                            .iter()
                            .filter_map(|(name, v)| {
                                Some((
                                    name.clone(),
                                    v.data_type().to_string(),
                                    v.string_value()?.to_string(),
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        Ok(letters)
    }

    async fn send_back(
        &self,
        message: &crate::ports::DeadLetter,
        redrive: u32,
    ) -> Result<(), QueueError> {
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.main_queue_url)
            .message_body(&message.body)
            // A message without a group (never sent by ingest) is kept together in one group.
            .message_group_id(message.group_id.as_deref().unwrap_or("unattributed"))
            .message_deduplication_id(message.redrive_deduplication_id(redrive));
        // Only what ingest and replays send: never `replay-force`, never a name we do not know.
        for (name, data_type, value) in &message.attributes {
            if attributes::redriven(name) {
                send = send.message_attributes(name, attribute(data_type, value.clone())?);
            }
        }
        send = send.message_attributes(
            attributes::REDRIVE_COUNT,
            attribute("Number", redrive.to_string())?,
        );
        send.send().await.map_err(unavailable)?;
        Ok(())
    }

    fn is_main_queue(&self, source_queue_arn: &str) -> bool {
        same_queue(source_queue_arn, &self.main_queue_url)
    }

    async fn delete(&self, message: &crate::ports::DeadLetter) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.dead_letter_queue_url)
            .receipt_handle(&message.receipt_handle)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// Whether a queue ARN (`arn:<partition>:sqs:<region>:<account>:<name>`) names the queue of a URL
/// (`https://sqs.<region>.amazonaws.com/<account>/<name>`, or a local endpoint's).
fn same_queue(arn: &str, url: &str) -> bool {
    let mut url_parts = url.trim_end_matches('/').rsplit('/');
    let (Some(name), Some(account)) = (url_parts.next(), url_parts.next()) else {
        return false;
    };
    let arn_parts: Vec<&str> = arn.split(':').collect();
    arn_parts.len() == 6 && arn_parts[2] == "sqs" && arn_parts[4] == account && arn_parts[5] == name
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_source_arn_matches_only_its_own_queue() {
        let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/stack-EventsQueue-AbC.fifo";
        let arn = |name: &str| format!("arn:aws:sqs:eu-west-1:123456789012:{name}");
        assert!(super::same_queue(&arn("stack-EventsQueue-AbC.fifo"), url));
        assert!(!super::same_queue(&arn("attacker-queue.fifo"), url));
        assert!(!super::same_queue(
            "arn:aws:sqs:eu-west-1:999999999999:stack-EventsQueue-AbC.fifo",
            url
        ));
        assert!(!super::same_queue("not an arn", url));
    }
}

mod event_source;

pub use event_source::lambda_record;
#[cfg(feature = "inspect")]
pub use event_source::LocalEventSource;
