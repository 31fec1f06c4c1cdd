//! Fanfare signature verification.
//!
//! Three schemes are described by Fanfare's docs (see `fanfare-contract.md`):
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

type HmacSha256 = Hmac<Sha256>;

/// Default allowed clock difference between Fanfare and us, in both directions.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;
const DIGEST_LEN: usize = 32;

/// One endpoint signing secret. Its bytes never appear in `Debug` output or logs.
#[derive(Clone)]
pub struct SigningSecret(Vec<u8>);

impl SigningSecret {
    /// Accepts the secret exactly as Fanfare shows it. Empty or whitespace-padded secrets are refused:
    /// they are almost always a copy-paste accident, and "empty" must never mean "verification off".
    pub fn new(secret: &str) -> Result<Self, SecretError> {
        if secret.is_empty() {
            return Err(SecretError::Empty);
        }
        if secret.trim() != secret {
            return Err(SecretError::Whitespace);
        }
        Ok(Self(secret.as_bytes().to_vec()))
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

/// A signing secret that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("a signing secret is empty")]
    Empty,
    #[error("a signing secret has leading or trailing whitespace (a pasted newline?)")]
    Whitespace,
    #[error("no signing secret is configured")]
    NoneConfigured,
}

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

/// Most signatures a header may carry; a real header has one or two (two during a rotation).
const MAX_CANDIDATES: usize = 8;

/// The parsed contents of the signature headers, without heap allocation.
struct Parsed<'a> {
    scheme: Scheme,
    /// The timestamp exactly as sent: it is part of the signed bytes.
    timestamp: Option<&'a str>,
    digests: [[u8; DIGEST_LEN]; MAX_CANDIDATES],
    count: usize,
}

impl Parsed<'_> {
    fn digests(&self) -> &[[u8; DIGEST_LEN]] {
        &self.digests[..self.count]
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

    pub fn options(&self) -> VerifierOptions {
        self.options
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

fn parse_timestamp(raw: &str) -> Result<i64, SignatureError> {
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::MalformedTimestamp);
    }
    raw.parse().map_err(|_| SignatureError::MalformedTimestamp)
}

fn parse_headers<'a>(headers: SignatureHeaders<'a>) -> Result<Parsed<'a>, SignatureError> {
    let signature = headers.signature.map(str::trim).unwrap_or_default();
    if signature.is_empty() {
        return Err(SignatureError::Missing);
    }
    let header_ts = headers.timestamp.map(str::trim).filter(|t| !t.is_empty());

    // One pass: remember the timestamp, decode `v1` values and `sha256`/bare values separately
    // (which of the two counts depends on whether a `t=` shows up, possibly later in the header).
    let mut t_value: Option<&str> = None;
    let mut v1 = Candidates::default();
    let mut other = Candidates::default();
    for part in signature
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.split_once('=') {
            Some(("t", value)) => {
                if t_value.replace(value.trim()).is_some() {
                    return Err(SignatureError::Malformed); // two timestamps: ambiguous
                }
            }
            Some(("v1", value)) => v1.push(value.trim())?,
            Some(("sha256", value)) => other.push(value.trim())?,
            Some(_) => {} // unknown keys (v0, future schemes) are ignored, as in Stripe's format
            None => other.push(part)?,
        }
    }

    let (scheme, timestamp, candidates) = if let Some(t) = t_value {
        (Scheme::A, Some(t), v1)
    } else if v1.seen {
        return Err(SignatureError::MissingTimestamp);
    } else {
        match header_ts {
            Some(ts) => (Scheme::B, Some(ts), other),
            None => (Scheme::C, None, other),
        }
    };
    if candidates.count == 0 {
        return Err(SignatureError::Malformed);
    }
    Ok(Parsed {
        scheme,
        timestamp,
        digests: candidates.digests,
        count: candidates.count,
    })
}

/// Decoded digests of one kind; values that are not 64 hex digits are skipped (they can never match).
#[derive(Default)]
struct Candidates {
    digests: [[u8; DIGEST_LEN]; MAX_CANDIDATES],
    count: usize,
    seen: bool,
}

impl Candidates {
    fn push(&mut self, hex_str: &str) -> Result<(), SignatureError> {
        self.seen = true;
        let mut digest = [0u8; DIGEST_LEN];
        if hex::decode_to_slice(hex_str, &mut digest).is_err() {
            return Ok(());
        }
        let slot = self
            .digests
            .get_mut(self.count)
            .ok_or(SignatureError::Malformed)?;
        *slot = digest;
        self.count += 1;
        Ok(())
    }
}

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
            vec![("X-Fanfare-Signature", format!("t={ts},v1={digest}"))]
        }
        Scheme::B => {
            let digest = hex::encode(mac_of(&key, Some(&ts), body));
            vec![
                ("X-Fanfare-Signature", format!("sha256={digest}")),
                ("X-Fanfare-Timestamp", ts),
            ]
        }
        Scheme::C => {
            let digest = hex::encode(mac_of(&key, None, body));
            vec![("X-Fanfare-Signature", format!("sha256={digest}"))]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors computed once with Python's `hmac` module, independently of this code:
    //   hmac.new(b"whsec_test", b"1767225600." + BODY, sha256).hexdigest()
    const BODY: &[u8] = br#"{"type":"test","data":{}}"#;
    const T: i64 = 1_767_225_600;
    const A_DIGEST: &str = "fca1144be289c5eb367ccd447a86cb46b504e2399e7033bd123bacae3a294539";
    const C_DIGEST: &str = "4cf1f9161d218d4ad9e4c6a6a1277598737dea8a8670b14350df610511847423";
    const OLD_SECRET_A_DIGEST: &str =
        "9e231b6709d3863613b40d6659078abf9c06ca4c2c4cccc83eb3063ce3b9ff52";

    fn verifier(secrets: &[&str], options: VerifierOptions) -> Verifier {
        let secrets = secrets
            .iter()
            .map(|s| SigningSecret::new(s).unwrap())
            .collect();
        Verifier::new(secrets, options).unwrap()
    }

    fn default_verifier() -> Verifier {
        verifier(&["whsec_test"], VerifierOptions::default())
    }

    fn sig(signature: &str) -> SignatureHeaders<'_> {
        SignatureHeaders {
            signature: Some(signature),
            timestamp: None,
        }
    }

    #[test]
    fn scheme_a_fixed_vector_verifies() {
        let header = format!("t={T},v1={A_DIGEST}");
        let ok = default_verifier().verify(sig(&header), BODY, T).unwrap();
        assert_eq!(ok.scheme, Scheme::A);
        assert_eq!(ok.timestamp, Some(T));
    }

    #[test]
    fn scheme_b_fixed_vector_verifies() {
        let header = format!("sha256={A_DIGEST}");
        let ts = T.to_string();
        let headers = SignatureHeaders {
            signature: Some(&header),
            timestamp: Some(&ts),
        };
        assert_eq!(
            default_verifier()
                .verify(headers, BODY, T + 5)
                .unwrap()
                .scheme,
            Scheme::B
        );
    }

    #[test]
    fn scheme_c_is_refused_by_default_and_accepted_when_enabled() {
        for header in [format!("sha256={C_DIGEST}"), C_DIGEST.to_string()] {
            assert_eq!(
                default_verifier().verify(sig(&header), BODY, T),
                Err(SignatureError::MissingTimestamp)
            );
            let opts = VerifierOptions {
                allow_untimestamped: true,
                ..Default::default()
            };
            let ok = verifier(&["whsec_test"], opts)
                .verify(sig(&header), BODY, T)
                .unwrap();
            assert_eq!(ok.scheme, Scheme::C);
            assert_eq!(ok.timestamp, None);
        }
    }

    #[test]
    fn sign_reproduces_the_fixed_vectors() {
        let secret = SigningSecret::new("whsec_test").unwrap();
        assert_eq!(
            sign(&secret, Scheme::A, T, BODY),
            vec![("X-Fanfare-Signature", format!("t={T},v1={A_DIGEST}"))]
        );
        assert_eq!(
            sign(&secret, Scheme::C, T, BODY),
            vec![("X-Fanfare-Signature", format!("sha256={C_DIGEST}"))]
        );
    }

    #[test]
    fn any_of_several_secrets_verifies_during_rotation() {
        let v = verifier(&["whsec_new", "whsec_old"], VerifierOptions::default());
        let header = format!("t={T},v1={OLD_SECRET_A_DIGEST}");
        assert!(v.verify(sig(&header), BODY, T).is_ok());
        let v = verifier(&["whsec_new"], VerifierOptions::default());
        assert_eq!(
            v.verify(sig(&header), BODY, T),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn any_of_several_v1_values_verifies_and_unknown_keys_are_ignored() {
        let wrong = "00".repeat(32);
        let header = format!("t={T}, v0=abc, v1={wrong}, v1={A_DIGEST}, x=1");
        assert!(default_verifier().verify(sig(&header), BODY, T).is_ok());
    }

    #[test]
    fn tolerance_is_enforced_in_both_directions() {
        let header = format!("t={T},v1={A_DIGEST}");
        let v = default_verifier();
        assert!(v.verify(sig(&header), BODY, T + 300).is_ok());
        assert!(v.verify(sig(&header), BODY, T - 300).is_ok());
        assert_eq!(
            v.verify(sig(&header), BODY, T + 301),
            Err(SignatureError::TooOld)
        );
        assert_eq!(
            v.verify(sig(&header), BODY, T - 301),
            Err(SignatureError::InFuture)
        );
        let wide = verifier(
            &["whsec_test"],
            VerifierOptions {
                tolerance_secs: 600,
                ..Default::default()
            },
        );
        assert!(wide.verify(sig(&header), BODY, T + 599).is_ok());
    }

    #[test]
    fn tampered_body_or_timestamp_is_a_mismatch() {
        let header = format!("t={T},v1={A_DIGEST}");
        let tampered = br#"{"type":"test","data":{ }}"#;
        assert_eq!(
            default_verifier().verify(sig(&header), tampered, T),
            Err(SignatureError::Mismatch)
        );
        let shifted = format!("t={},v1={A_DIGEST}", T + 1);
        assert_eq!(
            default_verifier().verify(sig(&shifted), BODY, T),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn truncated_empty_or_non_hex_digests_never_match() {
        let v = default_verifier();
        for header in [
            format!("t={T},v1="),
            format!("t={T},v1={}", &A_DIGEST[..62]),
            format!("t={T},v1={A_DIGEST}00"),
            format!("t={T},v1={}", "zz".repeat(32)),
            format!("t={T}"),
            "sha256=".to_string(),
        ] {
            let ts = T.to_string();
            let headers = SignatureHeaders {
                signature: Some(&header),
                timestamp: Some(&ts),
            };
            assert_eq!(
                v.verify(headers, BODY, T),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
    }

    #[test]
    fn missing_and_malformed_headers_have_distinct_errors() {
        let v = default_verifier();
        assert_eq!(
            v.verify(SignatureHeaders::default(), BODY, T),
            Err(SignatureError::Missing)
        );
        assert_eq!(v.verify(sig("   "), BODY, T), Err(SignatureError::Missing));
        assert_eq!(
            v.verify(sig(&format!("v1={A_DIGEST}")), BODY, T),
            Err(SignatureError::MissingTimestamp)
        );
        assert_eq!(
            v.verify(sig(&format!("t=-5,v1={A_DIGEST}")), BODY, T),
            Err(SignatureError::MalformedTimestamp)
        );
        assert_eq!(
            v.verify(sig(&format!("t=1,t=2,v1={A_DIGEST}")), BODY, T),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn uppercase_hex_is_accepted() {
        let header = format!("t={T},v1={}", A_DIGEST.to_uppercase());
        assert!(default_verifier().verify(sig(&header), BODY, T).is_ok());
    }

    #[test]
    fn bad_secrets_are_configuration_errors_and_debug_redacts() {
        assert_eq!(SigningSecret::new("").unwrap_err(), SecretError::Empty);
        assert_eq!(
            SigningSecret::new("whsec_x\n").unwrap_err(),
            SecretError::Whitespace
        );
        assert_eq!(
            SigningSecret::new(" whsec_x").unwrap_err(),
            SecretError::Whitespace
        );
        assert_eq!(
            Verifier::new(vec![], VerifierOptions::default()).unwrap_err(),
            SecretError::NoneConfigured
        );
        let secret = SigningSecret::new("whsec_supersecret").unwrap();
        assert!(!format!("{secret:?}").contains("supersecret"));
        let v = Verifier::new(vec![secret], VerifierOptions::default()).unwrap();
        assert!(!format!("{v:?}").contains("supersecret"));
    }
}
