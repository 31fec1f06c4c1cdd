//! `dlq list` and `dlq redrive`.

use crate::error::{CliError, CliResult};
use clap::Subcommand;
use fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore;
use fanfare_shared::adapters::sqs::{SqsDeadLetterQueue, SqsQuarantine};
use fanfare_shared::contract::message::attributes;
use fanfare_shared::ports::DeadLetterQueue;
use fanfare_shared::redrive::{redrive, RedrivePolicy};

use crate::target::Target;

#[derive(Subcommand)]
pub enum DlqArgs {
    /// Print the dead-lettered events, one JSON object per line.
    List {
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// Move every dead-lettered event back to the main queue now (counts as a redrive).
    Redrive,
}

pub async fn dlq(target: &Target, args: DlqArgs) -> CliResult {
    let config = target.sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let (dlq, main, kept) = match (
        target.dead_letter_queue_url(&sqs).await,
        target.events_queue_url(&sqs).await,
        target.quarantine_queue_url(&sqs).await,
    ) {
        (Ok(d), Ok(m), Ok(q)) => (d, m, q),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Err(CliError::failure(e)),
    };
    let records = DynamoIdempotencyStore::from_sdk_config(&config, target.idempotency_table());
    let park = SqsQuarantine::new(sqs.clone(), kept);
    let queue = SqsDeadLetterQueue::new(sqs, dlq, main);
    match args {
        DlqArgs::List { max } => {
            let now = chrono::Utc::now().timestamp_millis();
            let mut seen = 0;
            while seen < max {
                // Received messages stay hidden for the DLQ's visibility timeout, so this ends.
                let batch = queue.receive().await.map_err(CliError::failure)?;
                if batch.is_empty() {
                    break;
                }
                for m in batch {
                    seen += 1;
                    let attr = |name: &str| {
                        m.attributes
                            .iter()
                            .find(|(n, _, _)| n == name)
                            .map(|(_, _, v)| v.clone())
                    };
                    let event_id = attr(attributes::EVENT_ID);
                    println!(
                        "{}",
                        serde_json::json!({
                            "messageId": m.message_id,
                            "lastError": last_error(&records, event_id.as_deref()).await,
                            "eventId": event_id,
                            "kind": attr(attributes::KIND),
                            "group": m.group_id,
                            "redriveCount": m.redrive_count(),
                            "ageSeconds": (now - m.sent_at_ms) / 1000,
                        })
                    );
                }
            }
            eprintln!("{seen} message(s) in the dead-letter queue");
            Ok(())
        }
        DlqArgs::Redrive => redrive_all(&queue, &park).await,
    }
}

/// Moves every dead letter back now, in rounds of the policy's 500, with a progress line per round:
/// a run ends when the queue yields nothing new (received messages stay hidden meanwhile).
async fn redrive_all(queue: &SqsDeadLetterQueue, park: &SqsQuarantine) -> CliResult {
    let policy = RedrivePolicy {
        min_age_secs: 0,
        max_redrives: u32::MAX,
        ..RedrivePolicy::default()
    };
    let (mut moved, mut parked, mut failed) = (0, 0, 0);
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let report = redrive(queue, park, policy, now)
            .await
            .map_err(CliError::failure)?;
        moved += report.moved;
        parked += report.parked;
        failed += report.failed;
        eprintln!("moved {moved}, quarantined {parked}, not moved {failed}");
        if report.moved + report.parked + report.failed == 0 {
            break;
        }
    }
    println!("moved {moved} message(s) back to the queue");
    if parked > 0 {
        println!("{parked} message(s) from another queue quarantined (quarantine list)");
    }
    if failed > 0 {
        return Err(CliError::failure(std::io::Error::other(format!(
            "{failed} message(s) could not be moved; they stay in the dead-letter queue"
        ))));
    }
    Ok(())
}

/// The record's `lastError` (the handler's own code when a handler failed), where there is one.
async fn last_error(records: &DynamoIdempotencyStore, event_id: Option<&str>) -> Option<String> {
    let record = records.record_json(event_id?).await.ok()??;
    record.get("lastError")?.as_str().map(str::to_string)
}
