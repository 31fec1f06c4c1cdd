//! Reads the signing secrets from AWS Secrets Manager, once per cold start.

use crate::config::{parse_secrets, ConfigError, SecretSource};
use crate::contract::signature::SigningSecret;

/// Resolves the configured source into secrets. Secrets Manager is read only when configured.
pub async fn load_signing_secrets(
    source: &SecretSource,
    aws: &aws_config::SdkConfig,
) -> Result<Vec<SigningSecret>, ConfigError> {
    match source {
        SecretSource::Inline(text) => parse_secrets(text),
        SecretSource::SecretsManager { secret_id } => {
            let output = aws_sdk_secretsmanager::Client::new(aws)
                .get_secret_value()
                .secret_id(secret_id)
                .send()
                .await
                .map_err(|e| ConfigError::SecretFetch(Box::new(e)))?;
            let text = output.secret_string().ok_or_else(|| ConfigError::Invalid {
                name: crate::config::SIGNING_SECRET_ARN,
                reason: "the secret has no SecretString".to_string(),
            })?;
            parse_secrets(text)
        }
    }
}
