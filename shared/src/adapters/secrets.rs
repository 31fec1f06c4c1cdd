//! Reads the signing secrets from AWS Secrets Manager, once per cold start.

use crate::contract::signature::{parse_secrets, SecretError, SecretSource, SigningSecret};

/// Why the signing secrets could not be loaded (start-up fails with it).
#[derive(Debug, thiserror::Error)]
pub enum SecretLoadError {
    #[error("signing secrets could not be read from Secrets Manager")]
    Fetch(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the signing secret in Secrets Manager has no SecretString")]
    NotText,
    #[error("signing secrets: {0}")]
    Invalid(#[from] SecretError),
}

/// Resolves the configured source into secrets. Secrets Manager is read only when configured.
pub async fn load_signing_secrets(
    source: &SecretSource,
    aws: &aws_config::SdkConfig,
) -> Result<Vec<SigningSecret>, SecretLoadError> {
    match source {
        SecretSource::Inline(text) => Ok(parse_secrets(text)?),
        SecretSource::SecretsManager { secret_id } => {
            let output = aws_sdk_secretsmanager::Client::new(aws)
                .get_secret_value()
                .secret_id(secret_id)
                .send()
                .await
                .map_err(|e| SecretLoadError::Fetch(Box::new(e)))?;
            let text = output.secret_string().ok_or(SecretLoadError::NotText)?;
            Ok(parse_secrets(text)?)
        }
    }
}
