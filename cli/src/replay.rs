//! `replay`: re-run archived events through the processor on purpose (after fixing a handler).
//!
//! An event whose record failed (or expired) is processed again by any replay. A finished record
//! (`completed`, `superseded`) runs again only with `--force`: each replay has its own id, carried as
//! a message attribute, and a forced replay lets a finished record through once per replay id, so
//! ordinary duplicates and copies stay out and a replay never runs twice.

use crate::error::{CliError, CliResult};
use clap::Args;
use fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore;
use fanfare_shared::contract::message::OutgoingEvent;
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
    /// Only these events (repeat the flag, or separate ids by commas).
    #[arg(long = "event-id", value_delimiter = ',')]
    event_ids: Vec<String>,
    /// Re-run events whose record is finished too (their handler runs again, once for this replay).
    #[arg(long)]
    force: bool,
    /// With --force: the handler's completed steps (`ctx.step`) run again too; without it a
    /// replay skips them, as a retry does (an email already sent is not sent again).
    #[arg(long, requires = "force")]
    rerun_steps: bool,
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

pub async fn replay(target: &Target, args: ReplayArgs) -> CliResult {
    let since = match args.since.as_deref().map(parse_time) {
        Some(None) => return Err(CliError::usage("--since must be RFC 3339 or Unix seconds")),
        Some(Some(t)) => t,
        None => 0,
    };
    let until = match args.until.as_deref().map(parse_time) {
        Some(None) => return Err(CliError::usage("--until must be RFC 3339 or Unix seconds")),
        Some(Some(t)) => t,
        None => i64::MAX,
    };
    if let Some(kind) = &args.kind {
        if EventKind::from_canonical(kind).is_none() {
            return Err(CliError::usage(format!(
                "unknown kind {kind}; kinds are printed by `fanfare-webhooks verify`"
            )));
        }
    }
    let config = target.sdk_config().await;
    let store = DynamoIdempotencyStore::from_sdk_config(&config, target.idempotency_table());
    // Named events are read by their key; only a time range scans the table.
    let events = if args.event_ids.is_empty() {
        store.archived(since, until).await
    } else {
        store.archived_by_id(&args.event_ids).await
    }
    .map_err(CliError::failure)?;
    let selected: Vec<_> = events
        .into_iter()
        .filter(|e| (since..until).contains(&e.occurred_at_ms))
        .filter(|e| args.kind.as_deref().is_none_or(|k| e.kind == k))
        .filter(|e| args.event_ids.is_empty() || args.event_ids.contains(&e.event_id))
        .collect();
    if let Some(missing) = args
        .event_ids
        .iter()
        .find(|id| !selected.iter().any(|e| &e.event_id == *id))
    {
        return Err(CliError::refused(format!(
            "no archived event {missing} in the time range (not received, or expired)"
        )));
    }
    let replay_id = format!("rpl_{}", uuid::Uuid::new_v4().simple());
    if args.dry_run {
        for e in &selected {
            println!("{} {} {}", e.event_id, e.kind, e.ordering_key);
        }
        println!("{} event(s) would be replayed", selected.len());
        return Ok(());
    }
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = target.events_queue(&sqs).await.map_err(CliError::failure)?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    for e in &selected {
        let Some(message) = OutgoingEvent::replay(
            &e.raw_event,
            &replay_id,
            Some(&e.payload_hash),
            args.force,
            now_ms,
        ) else {
            eprintln!("skipped {}: the archived copy is not an event", e.event_id);
            continue;
        };
        let message = message.named(&e.event_id);
        let message = if args.rerun_steps {
            message.rerunning_steps()
        } else {
            message
        };
        if let Err(err) = queue.enqueue(&message).await {
            eprintln!("replay {replay_id} stopped at {}", e.event_id);
            return Err(CliError::failure(err));
        }
    }
    println!("replay {replay_id}: {} event(s) queued", selected.len());
    if !args.force {
        eprintln!("events whose record is finished are duplicates; --force runs them again");
    }
    Ok(())
}
