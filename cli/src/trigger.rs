//! `trigger`: a realistic, fresh event of any kind, built from the catalog (the payload types), signed
//! as Fanfare signs and posted, like `stripe trigger`. A `--journey` sends a consumer's sequence in
//! Fanfare's order with coherent ids; `--count` repeats it for new consumers of the same drop.

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use fanfare_shared::catalog::{sample, Ids};
use fanfare_shared::contract::signature::Scheme;
use fanfare_shared::EventKind;
use serde_json::{json, Value};

use crate::error::{CliError, CliResult};
use crate::send::{post, signing_secret};
use crate::signing::SchemeArg;
use crate::target::{Target, DEV_WEBHOOK_URL};

#[derive(Args)]
pub struct TriggerArgs {
    /// The kind: a canonical name (`draw.won`) or any spelling Fanfare's docs use.
    #[arg(required_unless_present = "journey", conflicts_with = "journey")]
    kind: Option<String>,
    /// A consumer's journey, in Fanfare's order: queue (entered, two position updates, admitted,
    /// completed), draw (entered, won, prize claimed), auction (bid, outbid, bid, won, settled),
    /// order (created, paid, fulfilled, completed).
    #[arg(long, value_enum)]
    journey: Option<Journey>,
    /// Sets a top-level data field, for every event sent: `--set amount=59.90`,
    /// `--set consumerId=con_42` (an id is then that id throughout). A value that parses as JSON is
    /// sent as that JSON, anything else as a string.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    sets: Vec<String>,
    /// The webhook URL (default: the `--stack`'s WebhookUrl output, else the make-dev stack's).
    #[arg(long, env = "FANFARE_WEBHOOK_URL")]
    to: Option<String>,
    /// Signing secret (default: the `--stack`'s, else the make-dev stack's).
    #[arg(long, env = "FANFARE_SIGNING_SECRET")]
    secret: Option<String>,
    #[arg(long, value_enum, default_value = "a")]
    scheme: SchemeArg,
    /// Sends the event (or the journey) this many times, each for a new consumer of the same drop.
    #[arg(long, default_value_t = 1)]
    count: u32,
    /// Prints the bodies (one JSON per line) instead of sending them.
    #[arg(long)]
    print: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Journey {
    Queue,
    Draw,
    Auction,
    Order,
}

impl Journey {
    fn kinds(self) -> &'static [EventKind] {
        use EventKind::*;
        match self {
            Journey::Queue => &[
                QueueEntered,
                QueuePositionUpdated,
                QueuePositionUpdated,
                QueueAdmitted,
                QueueCompleted,
            ],
            Journey::Draw => &[DrawEntered, DrawWon, DrawPrizeClaimed],
            Journey::Auction => &[
                AuctionBidPlaced,
                AuctionOutbid,
                AuctionBidPlaced,
                AuctionWon,
                AuctionSettled,
            ],
            Journey::Order => &[OrderCreated, OrderPaid, OrderFulfilled, OrderCompleted],
        }
    }
}

/// `FIELD=VALUE` as a field name and its JSON value.
fn parse_set(raw: &str) -> Result<(String, Value), CliError> {
    let (field, value) = raw
        .split_once('=')
        .filter(|(f, _)| !f.trim().is_empty())
        .ok_or_else(|| CliError::usage(format!("--set {raw}: expected FIELD=VALUE")))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
    Ok((field.trim().to_string(), value))
}

/// The kinds to send, in order.
fn sequence(args: &TriggerArgs) -> Result<Vec<EventKind>, CliError> {
    if let Some(journey) = args.journey {
        return Ok(journey.kinds().to_vec());
    }
    let name = args.kind.as_deref().unwrap_or_default();
    match EventKind::from_type(name) {
        EventKind::Unknown => Err(CliError::usage(format!(
            "{name}: not a Fanfare kind (docs/catalog lists them)"
        ))),
        kind => Ok(vec![kind]),
    }
}

/// The bodies to send: each round a new consumer of the same drop, its events a second apart and
/// ending now (Fanfare's `created` order is the order they were built in).
fn bodies(
    args: &TriggerArgs,
    kinds: &[EventKind],
) -> Result<Vec<(EventKind, String, String)>, CliError> {
    let sets: Vec<(String, Value)> = args
        .sets
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<_, _>>()?;
    let drop_ids = Ids::fresh();
    let total = kinds.len() * args.count as usize;
    let start = Utc::now().timestamp() - total as i64;
    let mut out = Vec::with_capacity(total);
    for round in 0..args.count {
        let mut ids = drop_ids.clone();
        ids.set(
            "consumerId",
            &format!("{}_{round}", drop_ids.clone().get("consumerId")),
        );
        for (field, value) in &sets {
            if let (true, Some(id)) = (field.ends_with("Id"), value.as_str()) {
                ids.set(field, id);
            }
        }
        for (step, &kind) in kinds.iter().enumerate() {
            let created = start + out.len() as i64;
            let at = DateTime::from_timestamp(created, 0).unwrap_or_default();
            let mut data = sample(kind, &mut ids, at);
            if data.get("position").is_some() {
                // A queue journey moves up: 10, 7, 4, ...
                let position = (10 - 3 * step as i64).max(1);
                data["position"] = json!(position);
                if data.get("previousPosition").is_some() {
                    data["previousPosition"] = json!(position + 3);
                }
            }
            for (field, value) in &sets {
                data[field.as_str()] = value.clone();
            }
            let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
            let body = json!({
                "id": id,
                "type": kind.as_str(),
                "created": created,
                "organizationId": "org_trigger",
                "data": data,
            });
            out.push((kind, id, body.to_string()));
        }
    }
    Ok(out)
}

pub async fn trigger(target: &Target, args: TriggerArgs) -> CliResult {
    let kinds = sequence(&args)?;
    let bodies = bodies(&args, &kinds)?;
    if args.print {
        for (_, _, body) in &bodies {
            println!("{body}");
        }
        return Ok(());
    }
    let secret = signing_secret(target, args.secret.as_deref()).await?;
    let url = args
        .to
        .clone()
        .or_else(|| target.webhook_url().map(str::to_string))
        .unwrap_or_else(|| DEV_WEBHOOK_URL.to_string());
    let client = reqwest::Client::new();
    let scheme = Scheme::from(args.scheme);
    let mut refused = 0;
    for (kind, id, body) in bodies {
        let label = format!("{kind} {id}");
        let (line, accepted) =
            post(&client, &url, (&secret, scheme), &label, body.as_bytes(), 0).await;
        refused += usize::from(!accepted);
        println!("{line}");
    }
    match refused {
        0 => Ok(()),
        n => Err(CliError::refused(format!("{n} event(s) not accepted"))),
    }
}
