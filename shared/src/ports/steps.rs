//! Steps of a handler that completed: one small item per event and step, so that a retry, a
//! redelivery after a crash or a replay skips what already ran (`ctx.step`, `ctx.fan_out`).
//!
//! A step is named by its handler (`email:<consumer>`); the store keys it by a digest of the name,
//! so a name holding personal data is never stored (only a name made of code characters is kept,
//! for operators). A step's item expires with its event's record.

use std::collections::HashMap;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

/// The longest result a step may keep (JSON text, after redaction): an item stays within one
/// write unit (1 KB) with its key and bookkeeping.
pub const MAX_STEP_RESULT_BYTES: usize = 512;

/// A step's key within its event: the first 16 bytes of SHA-256 of its name, in hex.
pub fn step_key(name: &str) -> String {
    hex::encode(&Sha256::digest(name.as_bytes())[..16])
}

/// A step name as it may be stored beside its key: short, and made of code characters only (no
/// `@`, no spaces: an e-mail address or a person's name is never stored).
pub fn storable_name(name: &str) -> Option<&str> {
    let safe = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:-/#".contains(c));
    safe.then_some(name)
}

/// A completed step as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDone {
    pub key: String,
    /// The name, where [`storable_name`] allows it.
    pub name: Option<String>,
    /// The step's result as redacted JSON text (at most [`MAX_STEP_RESULT_BYTES`]); `None` for a
    /// step without one.
    pub result: Option<String>,
    pub at_ms: i64,
    /// When the item expires (seconds): its event record's expiry.
    pub expires_at_s: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("the step store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[async_trait]
pub trait StepStore: Send + Sync {
    /// Which of `keys` completed under `scope` (an event id), with each one's result; an item past
    /// its expiry counts as absent (TTL deletion lags).
    async fn completed(
        &self,
        scope: &str,
        keys: &[String],
        now_ms: i64,
    ) -> Result<HashMap<String, Option<String>>, StepError>;

    /// Records that a step completed.
    async fn record(&self, scope: &str, done: &StepDone) -> Result<(), StepError>;
}

#[async_trait]
impl<T: StepStore + ?Sized> StepStore for std::sync::Arc<T> {
    async fn completed(
        &self,
        scope: &str,
        keys: &[String],
        now_ms: i64,
    ) -> Result<HashMap<String, Option<String>>, StepError> {
        (**self).completed(scope, keys, now_ms).await
    }
    async fn record(&self, scope: &str, done: &StepDone) -> Result<(), StepError> {
        (**self).record(scope, done).await
    }
}

/// Steps in this process only: what the harness and local runs use until a store is given; a
/// deployed stack keeps its steps in the idempotency table.
#[derive(Debug, Default)]
pub struct InProcessSteps {
    pub done: std::sync::Mutex<HashMap<(String, String), StepDone>>,
}

#[async_trait]
impl StepStore for InProcessSteps {
    async fn completed(
        &self,
        scope: &str,
        keys: &[String],
        now_ms: i64,
    ) -> Result<HashMap<String, Option<String>>, StepError> {
        let done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        Ok(keys
            .iter()
            .filter_map(|key| done.get(&(scope.to_string(), key.clone())))
            .filter(|d| d.expires_at_s >= now_ms / 1000)
            .map(|d| (d.key.clone(), d.result.clone()))
            .collect())
    }

    async fn record(&self, scope: &str, done: &StepDone) -> Result<(), StepError> {
        let mut steps = self.done.lock().unwrap_or_else(|p| p.into_inner());
        steps.insert((scope.to_string(), done.key.clone()), done.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_personal_data_is_never_stored() {
        assert_eq!(storable_name("email:c_123"), Some("email:c_123"));
        assert_eq!(storable_name("email:alice@example.com"), None);
        assert_eq!(storable_name("mark Alice Smith"), None);
        assert_eq!(step_key("email:c_1").len(), 32);
        assert_ne!(step_key("email:c_1"), step_key("email:c_2"));
    }

    #[tokio::test]
    async fn an_expired_step_counts_as_absent() {
        let steps = InProcessSteps::default();
        let done = StepDone {
            key: step_key("a"),
            name: None,
            result: None,
            at_ms: 0,
            expires_at_s: 10,
        };
        steps.record("e", &done).await.unwrap();
        let keys = [step_key("a")];
        assert_eq!(steps.completed("e", &keys, 9_000).await.unwrap().len(), 1);
        assert!(steps
            .completed("e", &keys, 11_000)
            .await
            .unwrap()
            .is_empty());
        assert!(steps.completed("f", &keys, 9_000).await.unwrap().is_empty());
    }
}
