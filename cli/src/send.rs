//! `send`: sign and post events to the webhook URL, like Fanfare would.

use std::path::{Path, PathBuf};

use crate::error::{CliError, CliResult};
use clap::Args;
use fanfare_shared::contract::headers;
use fanfare_shared::contract::signature::{sign, Scheme, SigningSecret};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;

use crate::signing::SchemeArg;
use crate::target::{Target, DEV_SECRET, DEV_WEBHOOK_URL};
use fanfare_shared::adapters::secrets::load_signing_secrets;
use fanfare_shared::contract::signature::SecretSource;

#[derive(Args)]
pub struct SendArgs {
    /// The webhook URL (default: the `--stack`'s WebhookUrl output, else the make-dev stack's).
    #[arg(long, env = "FANFARE_WEBHOOK_URL")]
    url: Option<String>,
    /// Signing secret (default: the `--stack`'s signing secret, the newest of a rotation, else the
    /// make-dev stack's).
    #[arg(long, env = "FANFARE_SIGNING_SECRET")]
    secret: Option<String>,
    #[arg(long, value_enum, default_value = "a")]
    scheme: SchemeArg,
    /// Send every event this many times (retries of the same delivery).
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// Send in random order.
    #[arg(long)]
    shuffle: bool,
    /// Event files (a Fanfare event body, or an API Gateway fixture whose body is sent) or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// The body of an API Gateway fixture, decoded when it is base64.
fn decode_fixture_body(value: &serde_json::Value) -> Option<Vec<u8>> {
    use base64::Engine;
    let body = value.get("body")?.as_str()?;
    if value
        .get("isBase64Encoded")
        .and_then(serde_json::Value::as_bool)
        == Some(true)
    {
        base64::engine::general_purpose::STANDARD.decode(body).ok()
    } else {
        Some(body.as_bytes().to_vec())
    }
}

fn collect(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn body_of(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) if v.get("requestContext").is_some() => decode_fixture_body(&v)
            .ok_or_else(|| format!("{}: fixture without a body", path.display())),
        _ => Ok(bytes),
    }
}

/// Signs and posts one delivery, as Fanfare would; the line to print (starting with the answer's
/// status, then `label`) and whether it got a 2xx.
pub(crate) async fn post(
    client: &reqwest::Client,
    url: &str,
    (secret, scheme): (&SigningSecret, Scheme),
    label: &str,
    body: &[u8],
    attempt: u32,
) -> (String, bool) {
    let now = chrono::Utc::now().timestamp();
    let event_type = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_default();
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "Fanfare-Webhooks/1.0")
        .header(
            headers::DELIVERY_ID,
            format!("dlv_{}", uuid::Uuid::new_v4().simple()),
        )
        .header(headers::RETRY_COUNT, attempt.to_string())
        .header(headers::EVENT_TYPE, event_type)
        .body(body.to_vec());
    for (name, value) in sign(secret, scheme, now, body) {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let line = format!("{} {label} {}", status.as_u16(), text.trim());
            (line, status.is_success())
        }
        Err(e) => (format!("ERR {label} {e}"), false),
    }
}

/// The secret to sign with: the flag, else the stack's secret in Secrets Manager, else make dev's.
pub(crate) async fn signing_secret(
    target: &Target,
    given: Option<&str>,
) -> Result<SigningSecret, CliError> {
    let Some(arn) = target.signing_secret_arn().filter(|_| given.is_none()) else {
        return SigningSecret::new(given.unwrap_or(DEV_SECRET)).map_err(CliError::usage);
    };
    let source = SecretSource::SecretsManager {
        secret_id: arn.to_string(),
    };
    load_signing_secrets(&source, &target.sdk_config().await)
        .await
        .map_err(CliError::failure)?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::refused("the stack's signing secret holds no secret"))
}

pub async fn send(target: &Target, args: SendArgs) -> CliResult {
    let secret = signing_secret(target, args.secret.as_deref()).await?;
    let url = args
        .url
        .clone()
        .or_else(|| target.webhook_url().map(str::to_string))
        .unwrap_or_else(|| DEV_WEBHOOK_URL.to_string());
    let files = collect(&args.paths).map_err(CliError::usage)?;
    let mut deliveries = Vec::new();
    for file in &files {
        let body = body_of(file).map_err(CliError::usage)?;
        for attempt in 0..args.repeat {
            deliveries.push((file.clone(), body.clone(), attempt));
        }
    }
    if args.shuffle {
        deliveries.shuffle(&mut rand::rng());
    }
    let scheme = Scheme::from(args.scheme);
    let client = reqwest::Client::new();
    let progress = ProgressBar::new(deliveries.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if deliveries.len() < 2 {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut failures = 0;
    for (file, body, attempt) in deliveries {
        let label = file.display().to_string();
        let (line, accepted) = post(&client, &url, (&secret, scheme), &label, &body, attempt).await;
        if !accepted {
            failures += 1;
        }
        // A hidden bar (not a terminal, or a single event) drops println: print directly then.
        if progress.is_hidden() {
            println!("{line}");
        } else {
            progress.println(line);
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    if failures == 0 {
        Ok(())
    } else {
        Err(CliError::refused(format!(
            "{failures} event(s) not accepted"
        )))
    }
}
