//! `status` and `state`: what the processor recorded and materialised.

use crate::error::{CliError, CliResult};
use clap::Subcommand;
use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use fanfare_shared::model::Entity;

use crate::target::Target;

#[derive(Subcommand)]
pub enum StateArgs {
    /// A consumer's admission in an experience's queue.
    Admission {
        #[arg(long)]
        experience: String,
        #[arg(long)]
        consumer: String,
    },
    Draw {
        id: String,
    },
    Auction {
        id: String,
    },
    Order {
        id: String,
    },
    Experience {
        id: String,
    },
    Distribution {
        id: String,
    },
    Consumer {
        id: String,
    },
}

fn pretty(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

pub async fn status(target: &Target, event_id: &str) -> CliResult {
    let config = target.sdk_config().await;
    let store = DynamoIdempotencyStore::from_sdk_config(&config, target.idempotency_table());
    match store.record_json(event_id).await {
        Ok(Some(record)) => {
            pretty(&record);
            Ok(())
        }
        Ok(None) => Err(CliError::refused(format!(
            "no record for event {event_id} (not received yet, or expired)"
        ))),
        Err(e) => Err(CliError::failure(e)),
    }
}

pub async fn state(target: &Target, args: StateArgs) -> CliResult {
    let entity = match args {
        StateArgs::Admission {
            experience,
            consumer,
        } => Entity::Admission {
            experience,
            consumer,
        },
        StateArgs::Draw { id } => Entity::Draw(id),
        StateArgs::Auction { id } => Entity::Auction(id),
        StateArgs::Order { id } => Entity::Order(id),
        StateArgs::Experience { id } => Entity::Experience(id),
        StateArgs::Distribution { id } => Entity::Distribution(id),
        StateArgs::Consumer { id } => Entity::Consumer(id),
    };
    let config = target.sdk_config().await;
    let store = DynamoStateStore::from_sdk_config(&config, target.state_table());
    match store.entity_json(&entity.key()).await {
        Ok(items) if items.as_object().is_some_and(|o| !o.is_empty()) => {
            pretty(&serde_json::json!({ "entity": entity.key(), "items": items }));
            Ok(())
        }
        Ok(_) => Err(CliError::refused(format!("no state for {}", entity.key()))),
        Err(e) => Err(CliError::failure(e)),
    }
}
