//! `doctor`: one command after a deploy. Checks what bites on day one and prints
//! a checklist: the signing secret is set, a signed probe reaches its record, the queues are readable
//! (with their depths), and for a deployed stack every alarm exists and is not in ALARM and every log
//! group has a retention. Exits non-zero when a check fails, saying what to do.

use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use clap::Args;
use fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore;
use fanfare_shared::adapters::secrets::load_signing_secrets;
use fanfare_shared::contract::signature::{sign, Scheme, SecretSource, SigningSecret};

use crate::error::{CliError, CliResult};
use crate::target::{dev_name, Target, DEV_WEBHOOK_URL};

/// A type no kind has: the receiver records it as ignored and runs no handler.
pub use fanfare_shared::contract::envelope::PROBE_TYPE;

#[derive(Args)]
pub struct DoctorArgs {
    /// The webhook URL (default: the `--stack`'s WebhookUrl output, else the make-dev stack's).
    #[arg(long, env = "FANFARE_WEBHOOK_URL")]
    url: Option<String>,
    /// How long the probe may take to reach its record.
    #[arg(long, default_value_t = 60)]
    probe_timeout_secs: u64,
    /// Instead of the day-one checks: the stack against a drop's needs (the file `drop_sim
    /// --recommend` writes): warm throughput, concurrency and the route throttle.
    #[arg(long, value_name = "NEEDS")]
    drop: Option<std::path::PathBuf>,
}

mod capacity;
mod stack;

/// One line of the checklist: what was checked, and what was found or what to do.
struct Check {
    name: &'static str,
    result: Result<String, String>,
}

pub async fn doctor(target: &Target, args: DoctorArgs) -> CliResult {
    let config = target.sdk_config().await;
    if let Some(path) = &args.drop {
        let needs = capacity::read_needs(path)?;
        let checks = capacity::capacity(target, &config, &needs).await;
        return capacity::report(&checks, &needs);
    }
    let mut checks = Vec::new();
    let secret = signing_secret(target, &config).await;
    checks.push(Check {
        name: "signing secret",
        result: secret
            .as_ref()
            .map(|_| "set (whsec_…)".to_string())
            .map_err(Clone::clone),
    });
    let url = args
        .url
        .clone()
        .or_else(|| target.webhook_url().map(str::to_string))
        .unwrap_or_else(|| DEV_WEBHOOK_URL.to_string());
    let timeout = Duration::from_secs(args.probe_timeout_secs);
    checks.push(Check {
        name: "probe",
        result: match &secret {
            Ok(secret) => probe(target, &config, &url, secret, timeout).await,
            Err(_) => Err("not sent: no usable signing secret".to_string()),
        },
    });
    if target.stack().is_some() {
        checks.push(Check {
            name: "operator role",
            result: stack::operator_role(target, &config).await,
        });
    }
    checks.extend(stack::queues(target, &config).await);
    checks.extend(stack::alarms_and_logs(target, &config).await);
    match print(&checks) {
        0 => Ok(()),
        n => Err(CliError::refused(format!("{n} check(s) failed"))),
    }
}

/// Prints the checklist, a line a check; returns how many failed.
fn print(checks: &[Check]) -> usize {
    for check in checks {
        match &check.result {
            Ok(detail) => println!("ok    {}: {detail}", check.name),
            Err(what) => println!("FAIL  {}: {what}", check.name),
        }
    }
    checks.iter().filter(|c| c.result.is_err()).count()
}

/// The secret ingest verifies with: the stack's, else make dev's.
async fn signing_secret(target: &Target, config: &SdkConfig) -> Result<SigningSecret, String> {
    let secret_id = target
        .signing_secret_arn()
        .map(str::to_string)
        .unwrap_or_else(|| dev_name("SigningSecret"));
    let source = SecretSource::SecretsManager { secret_id };
    let secrets = load_signing_secrets(&source, config).await.map_err(|e| {
        format!("cannot be read ({e}): check the secret exists and you may read it")
    })?;
    if secrets.iter().any(|s| !s.looks_issued()) {
        return Err(
            "still the stack's placeholder (not a whsec_ secret): put the endpoint's secret \
                    from Fanfare with `aws secretsmanager put-secret-value`, then refresh ingest \
                    (README, Deploy)"
                .to_string(),
        );
    }
    secrets
        .into_iter()
        .next()
        .ok_or_else(|| "empty".to_string())
}

/// Sends a signed event of [`PROBE_TYPE`] and waits for its record.
async fn probe(
    target: &Target,
    config: &SdkConfig,
    url: &str,
    secret: &SigningSecret,
    timeout: Duration,
) -> Result<String, String> {
    let id = format!("probe_{}", uuid::Uuid::new_v4().simple());
    let now = chrono::Utc::now().timestamp();
    // An organisation of its own: its message group is never the `unattributed` one, where it
    // could wait behind a failing event.
    let body = format!(
        r#"{{"id":"{id}","type":"{PROBE_TYPE}","created":{now},"organizationId":"fanfare-webhooks-doctor","data":{{}}}}"#
    );
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.clone());
    for (name, value) in sign(secret, Scheme::A, now, body.as_bytes()) {
        request = request.header(name, value);
    }
    let answer = request.send().await.map_err(|e| {
        format!("{url} did not answer ({e}): check the WebhookUrl output and the route")
    })?;
    let status = answer.status();
    if !status.is_success() {
        let text = answer.text().await.unwrap_or_default();
        return Err(format!(
            "{url} answered {status} {}: with 401, ingest verifies with another secret than the one \
             stored (refresh ingest after put-secret-value); with 5xx, see its log group",
            text.trim()
        ));
    }
    let started = Instant::now();
    let store = DynamoIdempotencyStore::from_sdk_config(config, target.idempotency_table());
    while started.elapsed() < timeout {
        if let Ok(Some(record)) = store.record_json(&id).await {
            if record["status"] == "ignored" {
                return Ok(format!(
                    "{id} accepted and recorded in {:.1} s",
                    started.elapsed().as_secs_f64()
                ));
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!(
        "{id} was accepted but has no record after {} s: the processor is not consuming the events \
         queue (its event source mapping, permissions, or errors in its log group)",
        timeout.as_secs()
    ))
}
