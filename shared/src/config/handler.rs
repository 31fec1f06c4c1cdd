//! What the brand's handler is given at start, from the template's parameters (no template edit
//! needed): `HandlerConfig` as `config`, `HandlerSecretArn` as `secret_arn` (the processor's role may
//! read that secret). The secret itself is read by `adapters::secrets`.

use std::time::Duration;

/// The handler's secret as `HandlerSettings::secret` reads it: `secret.get().await` is its text,
/// read again after its maximum age, so a rotation needs no cold start.
pub type HandlerSecret = crate::refresh::Refreshing<Option<String>>;

#[derive(Debug, Clone)]
pub struct HandlerSettings {
    /// Free-form text (JSON, a URL, a list): the handler parses it.
    pub config: Option<String>,
    pub secret_arn: Option<String>,
    /// How long a read secret is used before it is read again (`SECRET_MAX_AGE_SECONDS`).
    pub secret_max_age: Duration,
}

impl Default for HandlerSettings {
    fn default() -> Self {
        Self {
            config: None,
            secret_arn: None,
            secret_max_age: crate::refresh::DEFAULT_MAX_AGE,
        }
    }
}
