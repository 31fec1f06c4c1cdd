//! The dead-letter policy: a message that has sat in the DLQ for over an hour goes back to the main
//! queue, at most three times (the count travels with the message as the `redrive-count` attribute,
//! since a redriven message is a new message with a new id and receive count). After that it is
//! **parked** on the quarantine queue (redacted, with its payload hash) and deleted from the DLQ:
//! left at the head of its FIFO group there, it would block every later message of that entity.
//! The quarantine alarm then stays raised until an operator acts (`fanfare-webhooks quarantine`).

use crate::contract::envelope::parse_event;
use crate::contract::message::{attributes, decode_body, QuarantinedDelivery};
use crate::model::is_payload_hash;
use crate::ports::{DeadLetter, DeadLetterQueue, Quarantine, QueueError};
use crate::privacy::Retention;

/// The quarantine reason of a parked message.
pub const PARKED_REASON: &str = "redrive_exhausted";
/// The quarantine reason of a dead letter SQS moved from a queue other than the events queue:
/// never sent on (it would reach the processor unsigned), kept for an operator to look at.
pub const FOREIGN_REASON: &str = "foreign_dead_letter";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedrivePolicy {
    /// Minimum age (since it was last sent to the main queue) before a message is moved back.
    pub min_age_secs: i64,
    /// How many times a message may be moved back.
    pub max_redrives: u32,
    /// Upper bound of messages looked at per run, so a huge DLQ cannot time the function out.
    pub max_messages_per_run: usize,
    /// What a parked copy may keep.
    pub retention: Retention,
}

impl Default for RedrivePolicy {
    fn default() -> Self {
        Self {
            min_age_secs: 3600,
            max_redrives: 3,
            max_messages_per_run: 500,
            retention: Retention::default(),
        }
    }
}

// The redrive policy's view of a dead letter (the message itself is a port's vocabulary).
impl DeadLetter {
    pub fn redrive_count(&self) -> u32 {
        self.attribute(attributes::REDRIVE_COUNT)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// The copy kept on the quarantine queue: redacted body, and the original's payload hash so
    /// that a replay can claim its record. A replayed archive copy is already redacted and hashes
    /// differently: its message carries the original's hash (`replay-payload-hash`), which is kept.
    pub fn parked(&self, retention: Retention, now_ms: i64) -> QuarantinedDelivery {
        self.kept(PARKED_REASON, retention, now_ms)
    }

    /// The copy kept on the quarantine queue with `reason`.
    fn kept(&self, reason: &str, retention: Retention, now_ms: i64) -> QuarantinedDelivery {
        let signed = decode_body(&self.body, self.attribute(attributes::BODY_ENCODING))
            .map(|b| b.into_owned())
            .unwrap_or_else(|_| self.body.as_bytes().to_vec());
        let event = parse_event(&signed).ok();
        let header = |name| self.attribute(name).map(str::to_string);
        QuarantinedDelivery {
            reason: reason.to_string(),
            body_base64: String::new(),
            received_at_ms: self
                .attribute(attributes::RECEIVED_AT_MS)
                .and_then(|v| v.parse().ok())
                .unwrap_or(now_ms),
            signature_scheme: header(attributes::SIGNATURE_SCHEME).unwrap_or_default(),
            // The queued message carries the body's type, not the header as sent: that is in the
            // body, so a parked copy names no header.
            event_type_header: None,
            event_id_header: header(attributes::EVENT_ID_HEADER),
            delivery_id: header(attributes::DELIVERY_ID),
            event_id: event.as_ref().map(|e| e.id.clone()),
            payload_hash: self
                .attribute(attributes::REPLAY_PAYLOAD_HASH)
                .filter(|h| is_payload_hash(h))
                .map(str::to_string)
                .or_else(|| event.as_ref().map(|e| e.payload_hash())),
            truncated: false,
        }
        .sealed(retention.redact_body(&signed).as_bytes())
    }

    /// A fresh deduplication id per redrive (the recipe is `contract::message::dedup`'s).
    pub fn redrive_deduplication_id(&self, redrive: u32) -> String {
        let base = self.deduplication_id.as_deref().unwrap_or(&self.message_id);
        crate::contract::message::redrive_deduplication_id(base, redrive)
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RedriveReport {
    pub moved: usize,
    pub too_recent: usize,
    /// Used up their redrives: moved to the quarantine queue.
    pub parked: usize,
    /// Could not be moved or parked this run (each logged with its cause); they stay in the DLQ
    /// and are tried again next run, and the run reports failure.
    pub failed: usize,
}

/// What one dead letter needs: back to the main queue, parked, or nothing yet.
enum Step {
    Moved,
    Parked,
    TooRecent,
}

/// Whether SQS moved `message` here from a queue other than the main one.
fn foreign<Q: DeadLetterQueue + ?Sized>(queue: &Q, message: &DeadLetter) -> bool {
    message
        .source_queue_arn
        .as_deref()
        .is_some_and(|arn| !queue.is_main_queue(arn))
}

async fn step<Q: DeadLetterQueue + ?Sized, P: Quarantine + ?Sized>(
    queue: &Q,
    park: &P,
    policy: RedrivePolicy,
    message: &DeadLetter,
    now_ms: i64,
) -> Result<Step, QueueError> {
    let count = message.redrive_count();
    if foreign(queue, message) {
        tracing::warn!(message_id = %message.message_id, "dead letter from another queue: quarantined, not sent on");
        park.quarantine(&message.kept(FOREIGN_REASON, policy.retention, now_ms))
            .await?;
        queue.delete(message).await?;
        Ok(Step::Parked)
    } else if count >= policy.max_redrives {
        // Keep first, then delete: a crash in between leaves a second copy, never none.
        park.quarantine(&message.parked(policy.retention, now_ms))
            .await?;
        queue.delete(message).await?;
        Ok(Step::Parked)
    } else if now_ms - message.sent_at_ms < policy.min_age_secs * 1000 {
        Ok(Step::TooRecent)
    } else {
        // Send first, then delete: a crash in between duplicates, which idempotency absorbs.
        queue.send_back(message, count + 1).await?;
        queue.delete(message).await?;
        Ok(Step::Moved)
    }
}

/// One run of the policy. Messages it leaves stay invisible until the DLQ's visibility timeout
/// passes, so a run ends when the queue yields nothing new.
pub async fn redrive<Q: DeadLetterQueue + ?Sized, P: Quarantine + ?Sized>(
    queue: &Q,
    park: &P,
    policy: RedrivePolicy,
    now_ms: i64,
) -> Result<RedriveReport, QueueError> {
    let mut report = RedriveReport::default();
    let mut seen = 0;
    while seen < policy.max_messages_per_run {
        let batch = queue.receive().await?;
        if batch.is_empty() {
            break;
        }
        seen += batch.len();
        for message in batch {
            // One message that cannot be moved must not hold up the rest of the DLQ.
            match step(queue, park, policy, &message, now_ms).await {
                Ok(Step::Moved) => report.moved += 1,
                Ok(Step::Parked) => report.parked += 1,
                Ok(Step::TooRecent) => report.too_recent += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::error!(
                        message_id = %message.message_id,
                        error = %crate::telemetry::Causes(&e),
                        "dead letter not moved; it stays in the DLQ for the next run"
                    );
                }
            }
        }
    }
    tracing::info!(
        moved = report.moved,
        too_recent = report.too_recent,
        parked = report.parked,
        failed = report.failed,
        "redrive run"
    );
    Ok(report)
}
