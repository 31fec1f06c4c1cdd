//! Signing secrets: how they are configured, stored and kept out of logs.

use std::fmt;

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

    /// Shaped like the secrets Fanfare issues (`whsec_…`): the stack's generated placeholder is not.
    pub fn looks_issued(&self) -> bool {
        self.0.starts_with(b"whsec_")
    }

    pub(super) fn bytes(&self) -> &[u8] {
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
    #[error("the stored signing secrets are malformed: {0}")]
    Malformed(&'static str),
}

/// Where the signing secrets come from.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    SecretsManager {
        secret_id: String,
    },
    /// Inline text; never printed (see the `Debug` impl).
    Inline(String),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::SecretsManager { secret_id } => f
                .debug_struct("SecretsManager")
                .field("secret_id", secret_id)
                .finish(),
            SecretSource::Inline(_) => f.write_str("Inline(<redacted>)"),
        }
    }
}

/// Parses the signing secrets as stored: a JSON array of strings, a JSON object `{"secrets": [...]}`,
/// or plain text with the secrets separated by commas. List the new secret first during a rotation.
pub fn parse_secrets(text: &str) -> Result<Vec<SigningSecret>, SecretError> {
    let list: Vec<String> = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => strings(items)?,
        Ok(serde_json::Value::Object(mut map)) => match map.remove("secrets") {
            Some(serde_json::Value::Array(items)) => strings(items)?,
            _ => {
                return Err(SecretError::Malformed(
                    "a JSON object must hold a \"secrets\" array",
                ))
            }
        },
        _ => text.split(',').map(str::to_string).collect(),
    };
    let secrets = list
        .iter()
        .map(|s| SigningSecret::new(s))
        .collect::<Result<Vec<_>, _>>()?;
    if secrets.is_empty() {
        return Err(SecretError::NoneConfigured);
    }
    Ok(secrets)
}

fn strings(items: Vec<serde_json::Value>) -> Result<Vec<String>, SecretError> {
    items
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(SecretError::Malformed("every secret must be a string")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_parse_from_each_stored_form() {
        assert_eq!(parse_secrets("whsec_a").unwrap().len(), 1);
        assert_eq!(parse_secrets("whsec_a,whsec_b").unwrap().len(), 2);
        assert_eq!(parse_secrets(r#"["whsec_a","whsec_b"]"#).unwrap().len(), 2);
        assert_eq!(
            parse_secrets(r#"{"secrets":["whsec_a"]}"#).unwrap().len(),
            1
        );
    }

    #[test]
    fn padded_or_empty_secrets_fail_start_up() {
        assert!(matches!(
            parse_secrets("whsec_a\n"),
            Err(SecretError::Whitespace)
        ));
        assert!(matches!(parse_secrets(""), Err(SecretError::Empty)));
        assert!(matches!(parse_secrets("whsec_a,"), Err(SecretError::Empty)));
        assert!(matches!(
            parse_secrets("[]"),
            Err(SecretError::NoneConfigured)
        ));
    }
}
