//! Every deduplication id the receiver sends with, in one place. SQS FIFO drops a message whose id
//! it saw in the last 5 minutes; each recipe says what must collapse and what must not. Hex of
//! SHA-256 is always a valid (64-character) id.

use sha2::{Digest, Sha256};

fn digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// Derived from the event id and the payload hash: Fanfare's retries of one event collapse within
/// SQS's 5-minute window, while the same id with a different payload still reaches the processor,
/// which records it as a conflict. Hex of SHA-256 is always a valid (64-character) dedup id.
pub fn deduplication_id(event_id: &str, payload_hash: &str) -> String {
    digest(&[event_id.as_bytes(), payload_hash.as_bytes()])
}

/// The dedup id of a deliberate replay: one per event and replay, so that a replay is never
/// swallowed by the original's 5-minute window, and never queued twice by one replay.
pub fn replay_deduplication_id(event_id: &str, replay_id: &str) -> String {
    // "replay\0" + id + "\0" + replay id, as before the recipes moved here.
    digest(&[b"replay", event_id.as_bytes(), replay_id.as_bytes()])
}

/// A kept delivery put back by `quarantine replay`: one id per event and payload, so the copies a
/// crash between park and delete leaves collapse into one message.
pub fn quarantine_deduplication_id(event_id: &str, payload_hash: &str) -> String {
    digest(&[b"quarantine", event_id.as_bytes(), payload_hash.as_bytes()])
}

/// A dead letter sent back by the redrive function: a fresh id per redrive, so SQS's window never
/// swallows it, derived from the message's own (or its SQS message id).
pub fn redrive_deduplication_id(base: &str, redrive: u32) -> String {
    hex::encode(Sha256::digest(
        format!("{base}#redrive#{redrive}").as_bytes(),
    ))
}
