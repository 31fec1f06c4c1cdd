//! Fanfare signature verification.
//!
//! Three schemes are described by Fanfare's docs (see `docs/contract.md`):
//! - **A**: `X-Fanfare-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, MAC over `"<t>.<raw body>"`;
//! - **B**: `X-Fanfare-Signature: sha256=<hex>` plus `X-Fanfare-Timestamp: <unix>`, same MAC input;
//! - **C**: `sha256=<hex>` or bare hex over the body alone. No replay protection, so it is only
//!   accepted when the operator turns it on.
//!
//! The MAC is HMAC-SHA256 keyed with the whole secret string as UTF-8. Digests are decoded to exactly
//! 32 bytes before a constant-time comparison, so an empty or truncated signature can never match.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

mod headers;
mod secret;
#[cfg(test)]
mod tests;

pub use secret::{parse_secrets, SecretError, SecretSource, SigningSecret};

use headers::{parse_headers, parse_timestamp};

type HmacSha256 = Hmac<Sha256>;

/// Default allowed clock difference between Fanfare and us, in both directions.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;
/// The largest tolerance allowed: a re-sent kept delivery must still be refused as too old when
/// its kept marker (24 h) expires, and an hour is already far past any clock difference.
pub const MAX_TOLERANCE_SECS: u64 = 3600;
/// An HMAC-SHA256 digest's length.
const DIGEST_LEN: usize = 32;

/// The scheme a request was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `t=…,v1=…`
    A,
    /// `sha256=…` + `X-Fanfare-Timestamp`
    B,
    /// body only, no timestamp
    C,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::A => "a",
            Scheme::B => "b",
            Scheme::C => "c",
        }
    }
}

/// The two headers that carry a signature, already looked up case-insensitively by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignatureHeaders<'a> {
    /// `X-Fanfare-Signature`
    pub signature: Option<&'a str>,
    /// `X-Fanfare-Timestamp`
    pub timestamp: Option<&'a str>,
}

/// Why a signature was rejected. `code()` is stable and safe to return to the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the X-Fanfare-Signature header is missing")]
    Missing,
    #[error("the X-Fanfare-Signature header is not in a recognised format")]
    Malformed,
    #[error(
        "the signature has no timestamp, and untimestamped (body-only) signatures are disabled"
    )]
    MissingTimestamp,
    #[error("the signature timestamp is not a Unix time in seconds")]
    MalformedTimestamp,
    #[error("the signature timestamp is older than the allowed tolerance")]
    TooOld,
    #[error("the signature timestamp is further in the future than the allowed tolerance")]
    InFuture,
    #[error("the signature does not match the body for any configured secret")]
    Mismatch,
    /// Scheme C signs the body alone, so every captured A or B signature is a valid C signature
    /// over `"<t>.<body>"`: such a body is never an event. C is accepted for usable events only.
    #[error("an untimestamped (body-only) signature is accepted only on a usable event")]
    UntimestampedNotAnEvent,
}

impl SignatureError {
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Missing => "missing_signature",
            SignatureError::Malformed => "malformed_signature",
            SignatureError::MissingTimestamp => "missing_timestamp",
            SignatureError::MalformedTimestamp => "malformed_timestamp",
            SignatureError::TooOld => "timestamp_too_old",
            SignatureError::InFuture => "timestamp_in_future",
            SignatureError::Mismatch => "signature_mismatch",
            SignatureError::UntimestampedNotAnEvent => "untimestamped_not_an_event",
        }
    }
}

/// What a successful verification established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub scheme: Scheme,
    /// The signed send time (schemes A and B).
    pub timestamp: Option<i64>,
}

/// Verifier settings.
#[derive(Debug, Clone, Copy)]
pub struct VerifierOptions {
    pub tolerance_secs: u64,
    /// Accept scheme C (no timestamp, so no replay protection).
    pub allow_untimestamped: bool,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        Self {
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
            allow_untimestamped: false,
        }
    }
}

/// Verifies Fanfare signatures against one or more secrets (several during a rotation).
#[derive(Clone)]
pub struct Verifier {
    /// One keyed MAC per secret, keyed once at start-up and cloned per request.
    keyed: Vec<HmacSha256>,
    options: VerifierOptions,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &format_args!("<{} redacted>", self.keyed.len()))
            .field("options", &self.options)
            .finish()
    }
}

impl Verifier {
    pub fn new(secrets: Vec<SigningSecret>, options: VerifierOptions) -> Result<Self, SecretError> {
        if secrets.is_empty() {
            return Err(SecretError::NoneConfigured);
        }
        let keyed = secrets.iter().map(|s| keyed_mac(s.bytes())).collect();
        Ok(Self { keyed, options })
    }

    /// Checks `headers` against the raw `body` at time `now_unix` (seconds).
    pub fn verify(
        &self,
        headers: SignatureHeaders<'_>,
        body: &[u8],
        now_unix: i64,
    ) -> Result<Verified, SignatureError> {
        let parsed = parse_headers(headers)?;
        if parsed.scheme == Scheme::C && !self.options.allow_untimestamped {
            return Err(SignatureError::MissingTimestamp);
        }
        let timestamp = match parsed.timestamp {
            Some(raw) => Some(parse_timestamp(raw)?),
            None => None,
        };

        let matched = self.keyed.iter().any(|key| {
            let expected = mac_of(key, parsed.timestamp, body);
            // Check every candidate so the time taken does not depend on which one matched.
            parsed
                .digests()
                .iter()
                .fold(subtle::Choice::from(0), |acc, d| acc | expected.ct_eq(d))
                .into()
        });
        if !matched {
            return Err(SignatureError::Mismatch);
        }

        // Time is checked after the MAC, so "too old" always means a genuine but late request.
        if let Some(ts) = timestamp {
            let tolerance = i64::try_from(self.options.tolerance_secs).unwrap_or(i64::MAX);
            if now_unix.saturating_sub(ts) > tolerance {
                return Err(SignatureError::TooOld);
            }
            if ts.saturating_sub(now_unix) > tolerance {
                return Err(SignatureError::InFuture);
            }
        }
        Ok(Verified {
            scheme: parsed.scheme,
            timestamp,
        })
    }
}

fn keyed_mac(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!())
}

fn mac_of(key: &HmacSha256, timestamp: Option<&str>, body: &[u8]) -> [u8; DIGEST_LEN] {
    let mut mac = key.clone();
    if let Some(ts) = timestamp {
        mac.update(ts.as_bytes());
        mac.update(b".");
    }
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The signature headers as Fanfare's docs write them (what [`sign`] produces); ingest reads them
/// case-insensitively (`contract::headers`).
pub const SIGNATURE_AS_SENT: &str = "X-Fanfare-Signature";
pub const TIMESTAMP_AS_SENT: &str = "X-Fanfare-Timestamp";

/// Produces the headers Fanfare would send for `body` (used by the CLI, fixtures and tests).
pub fn sign(
    secret: &SigningSecret,
    scheme: Scheme,
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let key = keyed_mac(secret.bytes());
    let ts = timestamp.to_string();
    match scheme {
        Scheme::A => {
            let digest = hex::encode(mac_of(&key, Some(&ts), body));
            vec![(SIGNATURE_AS_SENT, format!("t={ts},v1={digest}"))]
        }
        Scheme::B => {
            let digest = hex::encode(mac_of(&key, Some(&ts), body));
            vec![
                (SIGNATURE_AS_SENT, format!("sha256={digest}")),
                (TIMESTAMP_AS_SENT, ts),
            ]
        }
        Scheme::C => {
            let digest = hex::encode(mac_of(&key, None, body));
            vec![(SIGNATURE_AS_SENT, format!("sha256={digest}"))]
        }
    }
}
