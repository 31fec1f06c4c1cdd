//! `sign` and `verify`.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::SecondsFormat;
use clap::{Args, ValueEnum};
use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::contract::headers;
use fanfare_shared::contract::signature::{
    self, Scheme, SignatureHeaders, SigningSecret, Verifier, VerifierOptions,
    DEFAULT_TOLERANCE_SECS,
};

const REJECTED: u8 = 1;
const INVALID_ENVELOPE: u8 = 3;

#[derive(Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    /// `X-Fanfare-Signature: t=<unix>,v1=<hex>`
    A,
    /// `X-Fanfare-Signature: sha256=<hex>` and `X-Fanfare-Timestamp: <unix>`
    B,
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
    /// File holding the exact body bytes.
    body_file: PathBuf,
}

fn read_body(path: &std::path::Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| crate::usage(format!("cannot read {}: {e}", path.display())))
}

pub fn sign(args: SignArgs) -> ExitCode {
    let secret = match SigningSecret::new(&args.secret) {
        Ok(s) => s,
        Err(e) => return crate::usage(e),
    };
    let body = match read_body(&args.body_file) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let scheme = match args.scheme {
        SchemeArg::A => Scheme::A,
        SchemeArg::B => Scheme::B,
    };
    let timestamp = args
        .timestamp
        .unwrap_or_else(|| chrono::Utc::now().timestamp());
    for (name, value) in signature::sign(&secret, scheme, timestamp, &body) {
        println!("{name}: {value}");
    }
    ExitCode::SUCCESS
}

pub fn verify(args: VerifyArgs) -> ExitCode {
    let secrets = match args
        .secrets
        .iter()
        .map(|s| SigningSecret::new(s))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(s) => s,
        Err(e) => return crate::usage(e),
    };
    let options = VerifierOptions {
        tolerance_secs: args.tolerance,
        allow_untimestamped: args.allow_untimestamped,
    };
    let verifier = match Verifier::new(secrets, options) {
        Ok(v) => v,
        Err(e) => return crate::usage(e),
    };
    let mut pairs = Vec::new();
    for raw in &args.headers {
        match raw.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                pairs.push((name.trim().to_ascii_lowercase(), value.trim().to_string()))
            }
            _ => return crate::usage(format!("--header must be `Name: value`, got {raw:?}")),
        }
    }
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let body = match read_body(&args.body_file) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let now = args.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let signature_headers = SignatureHeaders {
        signature: find(headers::SIGNATURE),
        timestamp: find(headers::TIMESTAMP),
    };
    let verified = match verifier.verify(signature_headers, &body, now) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("rejected ({}): {e}", e.code());
            return ExitCode::from(REJECTED);
        }
    };
    let event = match parse_event(&body) {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "signature valid, but the body is not a valid event ({}): {e}",
                e.code()
            );
            return ExitCode::from(INVALID_ENVELOPE);
        }
    };
    let out = serde_json::json!({
        "id": event.id,
        "type": event.event_type,
        "kind": event.kind.as_str(),
        "occurredAt": event.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "orderingKey": event.entity().key(),
        "scheme": verified.scheme.as_str(),
        "signedAt": verified.timestamp,
        "organizationId": event.organization_id,
        "experienceId": event.experience_id,
        "payloadHash": event.payload_hash(),
    });
    println!("{out}");
    ExitCode::SUCCESS
}
