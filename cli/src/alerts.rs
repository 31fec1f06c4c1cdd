//! `alerts`: the events Fanfare gave up delivering to us (`webhook.delivery.failed`), one JSON
//! line each, with the id to fetch from Fanfare: what the runbook's `DeliveryFailed` step reads.

use clap::Args;
use fanfare_shared::adapters::dynamodb::DynamoStateStore;

use crate::error::{CliError, CliResult};
use crate::target::Target;

#[derive(Args)]
pub struct AlertsArgs {
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    max: usize,
}

pub async fn alerts(target: &Target, args: AlertsArgs) -> CliResult {
    let config = target.sdk_config().await;
    let state = DynamoStateStore::from_sdk_config(&config, target.state_table());
    let alerts = state
        .delivery_failed_alerts(args.max)
        .await
        .map_err(CliError::failure)?;
    for alert in &alerts {
        println!("{alert}");
    }
    eprintln!("{} delivery failure(s) reported by Fanfare", alerts.len());
    Ok(())
}
