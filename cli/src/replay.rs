//! `replay`: re-run archived events through the processor on purpose (after fixing a handler).
//!
//! Each replay has its own id, carried as a message attribute: the processor lets a finished record
//! through once per replay id, so ordinary duplicates stay out and a replay never runs twice.

use std::process::ExitCode;

use clap::Args;
use fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore;
use fanfare_shared::adapters::sqs::SqsEventQueue;
use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::contract::message::{deduplication_id, QueuedEvent};
use fanfare_shared::model::parse_iso8601;
use fanfare_shared::ports::EventQueue;
use fanfare_shared::EventKind;

use crate::target::Target;

#[derive(Args)]
pub struct ReplayArgs {
    /// Events that occurred at or after this time (RFC 3339 or Unix seconds).
    #[arg(long)]
    since: Option<String>,
    /// Events that occurred before this time.
    #[arg(long)]
    until: Option<String>,
    /// Only this kind (canonical name, e.g. queue.admitted).
    #[arg(long)]
    kind: Option<String>,
    /// List what would be replayed without sending anything.
    #[arg(long)]
    dry_run: bool,
}

fn parse_time(raw: &str) -> Option<i64> {
    raw.parse::<i64>()
        .ok()
        .map(|s| s * 1000)
        .or_else(|| parse_iso8601(raw).map(|t| t.timestamp_millis()))
}

/// The queue message of a deliberate replay: its own dedup id per replay, the replay id, and the
/// original payload hash (the archived copy was redacted, so it no longer hashes the same).
pub fn replay_message(
    body: &str,
    replay_id: &str,
    original_payload_hash: Option<&str>,
    now_ms: i64,
) -> Option<QueuedEvent> {
    let event = parse_event(body.as_bytes()).ok()?;
    let mut message = QueuedEvent::new(&event, body.to_string(), "replay", now_ms);
    message.deduplication_id = deduplication_id(&event.id, replay_id);
    message.replay_id = Some(replay_id.to_string());
    message.replay_payload_hash = original_payload_hash
        .filter(|h| !h.is_empty())
        .map(str::to_string);
    Some(message)
}

pub async fn replay(target: &Target, args: ReplayArgs) -> ExitCode {
    let since = match args.since.as_deref().map(parse_time) {
        Some(None) => return crate::usage("--since must be RFC 3339 or Unix seconds"),
        Some(Some(t)) => t,
        None => 0,
    };
    let until = match args.until.as_deref().map(parse_time) {
        Some(None) => return crate::usage("--until must be RFC 3339 or Unix seconds"),
        Some(Some(t)) => t,
        None => i64::MAX,
    };
    if let Some(kind) = &args.kind {
        if EventKind::from_canonical(kind).is_none() {
            return crate::usage(format!(
                "unknown kind {kind}; kinds are printed by `fanfare-webhooks verify`"
            ));
        }
    }
    let config = target.sdk_config().await;
    let store = DynamoIdempotencyStore::from_sdk_config(&config, target.idempotency_table());
    let events = match store.archived(since, until).await {
        Ok(e) => e,
        Err(e) => return crate::failure(e),
    };
    let selected: Vec<_> = events
        .into_iter()
        .filter(|e| args.kind.as_deref().is_none_or(|k| e.kind == k))
        .collect();
    let replay_id = format!("rpl_{}", uuid::Uuid::new_v4().simple());
    if args.dry_run {
        for e in &selected {
            println!("{} {} {}", e.event_id, e.kind, e.ordering_key);
        }
        println!("{} event(s) would be replayed", selected.len());
        return ExitCode::SUCCESS;
    }
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = match target.events_queue_url(&sqs).await {
        Ok(q) => SqsEventQueue::new(sqs, q),
        Err(e) => return crate::failure(e),
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    for e in &selected {
        let Some(message) = replay_message(&e.raw_event, &replay_id, Some(&e.payload_hash), now_ms)
        else {
            eprintln!("skipped {}: the archived copy is not an event", e.event_id);
            continue;
        };
        if let Err(err) = queue.enqueue(&message).await {
            eprintln!("replay {replay_id} stopped at {}: {err}", e.event_id);
            return ExitCode::from(1);
        }
    }
    println!("replay {replay_id}: {} event(s) queued", selected.len());
    ExitCode::SUCCESS
}
