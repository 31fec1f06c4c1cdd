//! Reads secrets from AWS Secrets Manager: the signing secrets (ingest) and the handler's secret
//! (processor), each through a [`Refreshing`] cache, so a rotation reaches warm functions within
//! `SECRET_MAX_AGE_SECONDS`.

use std::time::Duration;

use crate::config::{HandlerSecret, HandlerSettings};
use crate::contract::signature::{
    parse_secrets, SecretError, SecretSource, SigningSecret, Verifier, VerifierOptions,
};
use crate::refresh::{ReadError, Refreshing};

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
            let text = secret_text(&client(aws), secret_id)
                .await?
                .ok_or(SecretLoadError::NotText)?;
            Ok(parse_secrets(&text)?)
        }
    }
}

/// Ingest's verifier, built again from the secret after `max_age` (an inline secret never changes).
pub async fn refreshing_verifier(
    source: &SecretSource,
    options: VerifierOptions,
    aws: &aws_config::SdkConfig,
    max_age: Duration,
) -> Result<Refreshing<Verifier>, ReadError> {
    if let SecretSource::Inline(_) = source {
        let secrets = load_signing_secrets(source, aws).await?;
        return Ok(Refreshing::fixed(Verifier::new(secrets, options)?));
    }
    let (source, aws) = (source.clone(), aws.clone());
    Refreshing::start(max_age, move || {
        let (source, aws) = (source.clone(), aws.clone());
        async move {
            let secrets = load_signing_secrets(&source, &aws).await?;
            Ok(Verifier::new(secrets, options)?)
        }
    })
    .await
}

impl HandlerSettings {
    /// The `HandlerSecretArn` secret's text, read now and again after `secret_max_age`: keep the
    /// returned value in your handler and call `get().await` per use. `None` when no secret is set.
    pub async fn secret(&self, aws: &aws_config::SdkConfig) -> Result<HandlerSecret, ReadError> {
        let Some(arn) = self.secret_arn.clone() else {
            return Ok(Refreshing::fixed(None));
        };
        let secrets = client(aws);
        Refreshing::start(self.secret_max_age, move || {
            let (secrets, arn) = (secrets.clone(), arn.clone());
            async move { Ok(secret_text(&secrets, &arn).await?) }
        })
        .await
    }

    /// The secret's text, read once (it does not follow a rotation: prefer [`Self::secret`]).
    pub async fn read_secret(
        &self,
        aws: &aws_config::SdkConfig,
    ) -> Result<Option<String>, ReadError> {
        match &self.secret_arn {
            Some(arn) => Ok(secret_text(&client(aws), arn).await?),
            None => Ok(None),
        }
    }
}

fn client(aws: &aws_config::SdkConfig) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(aws)
}

async fn secret_text(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<Option<String>, SecretLoadError> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| SecretLoadError::Fetch(Box::new(e)))?;
    Ok(output.secret_string().map(str::to_string))
}
