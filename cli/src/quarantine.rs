//! `quarantine list|show|replay`: the deliveries kept on the quarantine queue (signed bodies that
//! were not usable events, and events parked after they used up their redrives).

use crate::error::{CliError, CliResult};
use clap::Subcommand;
use fanfare_shared::adapters::sqs::{KeptDelivery, SqsQuarantine};
use fanfare_shared::ports::EventQueue;

use crate::target::Target;

#[derive(Subcommand)]
pub enum QuarantineArgs {
    /// One JSON line per kept delivery (message id, reason, event id and type, when kept).
    List {
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
    /// One kept delivery with its (redacted) body.
    Show { message_id: String },
    /// Put every kept delivery that is now a usable event back on the event queue (e.g. after an
    /// upgrade); the rest stay, with the reason printed.
    Replay {
        #[arg(long)]
        dry_run: bool,
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
}

fn summary(kept: &KeptDelivery, with_body: bool) -> serde_json::Value {
    let Some(d) = &kept.delivery else {
        return serde_json::json!({ "messageId": kept.message_id, "reason": "not_a_kept_delivery" });
    };
    let mut out = serde_json::json!({
        "messageId": kept.message_id,
        "reason": d.reason,
        "eventId": d.event_id,
        "eventTypeHeader": d.event_type_header,
        "deliveryId": d.delivery_id,
        "receivedAtMs": d.received_at_ms,
        "signatureScheme": d.signature_scheme,
    });
    if with_body {
        out["body"] = match d.body() {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned().into(),
            Err(e) => e.to_string().into(),
        };
    }
    out
}

/// Makes everything read visible again (listing must not hide deliveries from the next command).
async fn release_all(queue: &SqsQuarantine, kept: &[KeptDelivery]) -> CliResult {
    for k in kept {
        queue.release(k).await.map_err(CliError::failure)?;
    }
    Ok(())
}

pub async fn quarantine(target: &Target, args: QuarantineArgs) -> CliResult {
    let config = target.sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = target
        .quarantine_queue_url(&sqs)
        .await
        .map_err(CliError::failure)?;
    let queue = SqsQuarantine::new(sqs.clone(), url);
    let kept = match &args {
        QuarantineArgs::List { max } | QuarantineArgs::Replay { max, .. } => {
            queue.receive_all(*max).await
        }
        QuarantineArgs::Show { message_id } => {
            queue
                .receive_until(100_000, |k| &k.message_id == message_id)
                .await
        }
    }
    .map_err(CliError::failure)?;
    match args {
        QuarantineArgs::List { .. } => {
            for k in &kept {
                println!("{}", summary(k, false));
            }
            eprintln!("{} delivery(ies) in quarantine", kept.len());
            release_all(&queue, &kept).await
        }
        QuarantineArgs::Show { message_id } => {
            let found = kept.iter().find(|k| k.message_id == message_id);
            if let Some(k) = found {
                println!("{}", summary(k, true));
            }
            release_all(&queue, &kept).await?;
            match found {
                Some(_) => Ok(()),
                None => Err(CliError::refused(format!("no kept delivery {message_id}"))),
            }
        }
        QuarantineArgs::Replay { dry_run, .. } => {
            let events = target.events_queue(&sqs).await.map_err(CliError::failure)?;
            let now_ms = chrono::Utc::now().timestamp_millis();
            let mut requeued = 0;
            // Whatever stays in quarantine is made visible again at the end (all of it on a dry run).
            let mut staying = Vec::new();
            for k in &kept {
                let message = match k.delivery.as_ref().map(|d| d.requeue(now_ms)) {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => {
                        println!("kept {}: {e}", k.message_id);
                        staying.push(k.clone());
                        continue;
                    }
                    None => {
                        println!("kept {}: not a kept delivery", k.message_id);
                        staying.push(k.clone());
                        continue;
                    }
                };
                if dry_run {
                    println!("would requeue {} as {}", k.message_id, message.event_id);
                    staying.push(k.clone());
                    continue;
                }
                // Send first, then delete: a crash in between duplicates, which idempotency absorbs.
                if let Err(e) = events.enqueue(&message).await {
                    return Err(CliError::failure(e));
                }
                if let Err(e) = queue.delete(k).await {
                    return Err(CliError::failure(e));
                }
                println!("requeued {} as {}", k.message_id, message.event_id);
                requeued += 1;
            }
            release_all(&queue, &staying).await?;
            let left = kept.len() - requeued;
            eprintln!("{requeued} requeued, {left} left in quarantine");
            Ok(())
        }
    }
}
