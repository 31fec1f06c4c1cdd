//! `sign` and `verify`.

use std::path::PathBuf;

use crate::error::{CliError, CliResult};
use chrono::SecondsFormat;
use clap::{Args, ValueEnum};
use fanfare_shared::contract::delivery;
use fanfare_shared::contract::headers;
use fanfare_shared::contract::signature::{
    self, Scheme, SigningSecret, Verifier, VerifierOptions, DEFAULT_TOLERANCE_SECS,
};

#[derive(Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    /// `X-Fanfare-Signature: t=<unix>,v1=<hex>`
    A,
    /// `X-Fanfare-Signature: sha256=<hex>` and `X-Fanfare-Timestamp: <unix>`
    B,
}

impl From<SchemeArg> for Scheme {
    fn from(arg: SchemeArg) -> Scheme {
        match arg {
            SchemeArg::A => Scheme::A,
            SchemeArg::B => Scheme::B,
        }
    }
}

#[derive(Args)]
pub struct SignArgs {
    /// Signing secret (`whsec_…`), used whole as UTF-8.
    #[arg(long)]
    secret: String,
    #[arg(long, value_enum, default_value = "a")]
    scheme: SchemeArg,
    /// Unix seconds to sign at (default: now).
    #[arg(long)]
    timestamp: Option<i64>,
    /// File holding the exact body bytes.
    body_file: PathBuf,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Signing secret; repeat for several (rotation).
    #[arg(long = "secret", required = true)]
    secrets: Vec<String>,
    /// A request header as `Name: value`; repeat for several.
    #[arg(long = "header")]
    headers: Vec<String>,
    /// Unix seconds to verify at (default: now).
    #[arg(long)]
    now: Option<i64>,
    /// Allowed clock difference in seconds, both directions.
    #[arg(long, default_value_t = DEFAULT_TOLERANCE_SECS)]
    tolerance: u64,
    /// Accept scheme C (body-only signature, no timestamp).
    #[arg(long)]
    allow_untimestamped: bool,
    /// Largest body accepted, as ingest's MAX_BODY_BYTES (a larger one is refused, as with 413).
    #[arg(long, default_value_t = fanfare_shared::ingest::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// File holding the exact body bytes.
    body_file: PathBuf,
}

fn read_body(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))
}

pub fn sign(args: SignArgs) -> CliResult {
    let secret = SigningSecret::new(&args.secret).map_err(CliError::usage)?;
    let body = read_body(&args.body_file)?;
    let scheme = Scheme::from(args.scheme);
    let timestamp = args
        .timestamp
        .unwrap_or_else(|| chrono::Utc::now().timestamp());
    for (name, value) in signature::sign(&secret, scheme, timestamp, &body) {
        println!("{name}: {value}");
    }
    Ok(())
}

pub fn verify(args: VerifyArgs) -> CliResult {
    let secrets = args
        .secrets
        .iter()
        .map(|s| SigningSecret::new(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::usage)?;
    let options = VerifierOptions {
        tolerance_secs: args.tolerance,
        allow_untimestamped: args.allow_untimestamped,
    };
    let verifier = Verifier::new(secrets, options).map_err(CliError::usage)?;
    let mut pairs = Vec::new();
    for raw in &args.headers {
        match raw.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                pairs.push((name.trim().to_ascii_lowercase(), value.trim().to_string()))
            }
            _ => {
                return Err(CliError::usage(format!(
                    "--header must be `Name: value`, got {raw:?}"
                )))
            }
        }
    }
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let body = read_body(&args.body_file)?;
    if body.len() > args.max_body_bytes {
        // What ingest answers 413 to, never verified.
        return Err(CliError::refused(format!(
            "payload_too_large: {} bytes, above the {} ingest accepts",
            body.len(),
            args.max_body_bytes
        )));
    }
    let now = args.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let sent = headers::DeliveryHeaders::read(find);
    let opened = delivery::open(&verifier, sent.signature_headers(), &body, now)
        .map_err(|e| CliError::refused(format!("rejected ({}): {e}", e.code())))?;
    let (verified, event) = match opened.event {
        Ok(event) => (opened.verified, event),
        Err(e) => {
            return Err(CliError::InvalidEnvelope(format!(
                "signature valid, but the body is not a valid event ({}): {e}",
                e.code()
            )))
        }
    };
    let out = serde_json::json!({
        "id": event.id,
        "type": event.event_type,
        "kind": event.kind.as_str(),
        "occurredAt": event.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "orderingKey": event.ordering_key(),
        "scheme": verified.scheme.as_str(),
        "signedAt": verified.timestamp,
        "organizationId": event.organization_id,
        "experienceId": event.experience_id,
        "payloadHash": event.payload_hash(),
    });
    println!("{out}");
    Ok(())
}
