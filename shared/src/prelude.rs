//! Everything a brand's handler crate needs, in one import: `use fanfare_shared::prelude::*;`.
//! Upgrading the receiver keeps these names.

pub use async_trait::async_trait;
/// Log with the event's fields: every record is processed inside a span carrying them.
pub use tracing;

pub use crate::model::payload::*;
pub use crate::model::{Event, EventKind, Money};
pub use crate::processor::handler::{
    EventHandler, HandlerContext, HandlerError, Relation, Replay, StateOnly,
};
pub use crate::processor::Downstream;

/// A boxed error, for a handler's set-up.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the brand's handler is given at start, from the template's parameters (no template edit
/// needed): `HandlerConfig` as `config`, `HandlerSecretArn` as `secret_arn` (the processor's role
/// may read that secret).
#[derive(Debug, Clone, Default)]
pub struct HandlerSettings {
    /// Free-form text (JSON, a URL, a list): the handler parses it.
    pub config: Option<String>,
    pub secret_arn: Option<String>,
}

#[cfg(feature = "aws")]
pub use aws_config::SdkConfig;

#[cfg(feature = "aws")]
impl HandlerSettings {
    /// The `HandlerSecretArn` secret's text, read once (call it at start, not per event).
    pub async fn read_secret(&self, aws: &SdkConfig) -> Result<Option<String>, BoxError> {
        let Some(arn) = &self.secret_arn else {
            return Ok(None);
        };
        let output = aws_sdk_secretsmanager::Client::new(aws)
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await?;
        Ok(output.secret_string().map(str::to_string))
    }
}
