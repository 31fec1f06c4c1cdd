//! Configuration from environment variables. The names match `template.yaml`, the README and the
//! Makefile. Missing or invalid values fail start-up with a message that names the variable.

use crate::contract::message::MAX_ARCHIVABLE_BODY_BYTES;
use crate::contract::signature::{
    SecretSource, VerifierOptions, DEFAULT_TOLERANCE_SECS, MAX_TOLERANCE_SECS,
};
use crate::ingest::DEFAULT_MAX_BODY_BYTES;

mod handler;
use crate::privacy::Retention;
pub use handler::{HandlerSecret, HandlerSettings};

pub const EVENTS_QUEUE_URL: &str = "EVENTS_QUEUE_URL";
pub const QUARANTINE_QUEUE_URL: &str = "QUARANTINE_QUEUE_URL";
/// Secrets Manager secret holding the signing secret(s) (used in AWS).
pub const SIGNING_SECRET_ARN: &str = "SIGNING_SECRET_ARN";
/// The signing secret(s) inline (local development only).
pub const SIGNING_SECRETS: &str = "SIGNING_SECRETS";
pub const SIGNATURE_TOLERANCE_SECONDS: &str = "SIGNATURE_TOLERANCE_SECONDS";
pub const ALLOW_UNTIMESTAMPED_SIGNATURES: &str = "ALLOW_UNTIMESTAMPED_SIGNATURES";
pub const MAX_BODY_BYTES: &str = "MAX_BODY_BYTES";
pub const IDEMPOTENCY_TABLE: &str = "IDEMPOTENCY_TABLE";
pub const STATE_TABLE: &str = "STATE_TABLE";
pub const RECORD_TTL_SECONDS: &str = "RECORD_TTL_SECONDS";
pub const STORE_PERSONAL_DATA: &str = "STORE_PERSONAL_DATA";
pub const DEAD_LETTER_QUEUE_URL: &str = "DEAD_LETTER_QUEUE_URL";
/// Free-form configuration for the brand's handler (the template's `HandlerConfig`).
pub const HANDLER_CONFIG: &str = "HANDLER_CONFIG";
/// A secret the brand's handler may read (the template's `HandlerSecretArn`).
pub const HANDLER_SECRET_ARN: &str = "HANDLER_SECRET_ARN";
/// Canonical kinds ingest answers 200 without queueing (the template's `AcknowledgeOnlyKinds`).
pub const ACK_ONLY_KINDS: &str = "ACK_ONLY_KINDS";
pub const REDRIVE_MIN_AGE_SECONDS: &str = "REDRIVE_MIN_AGE_SECONDS";
pub const REDRIVE_MAX_ATTEMPTS: &str = "REDRIVE_MAX_ATTEMPTS";
/// Handler failures before the processor dead-letters an event.
pub const RETRY_BUDGET: &str = "RETRY_BUDGET";
pub const RETRY_BACKOFF_BASE_SECONDS: &str = "RETRY_BACKOFF_BASE_SECONDS";
pub const RETRY_BACKOFF_MAX_SECONDS: &str = "RETRY_BACKOFF_MAX_SECONDS";
/// The event source's maximum concurrency: divides each downstream's in-flight limit.
pub const PROCESSOR_MAX_CONCURRENCY: &str = "PROCESSOR_MAX_CONCURRENCY";
/// Seconds a secret read from Secrets Manager is used before it is read again (signing and handler
/// secrets): a rotation reaches warm functions within it.
pub const SECRET_MAX_AGE_SECONDS: &str = "SECRET_MAX_AGE_SECONDS";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("set exactly one of {SIGNING_SECRET_ARN} (AWS) or {SIGNING_SECRETS} (local)")]
    SecretSourceAmbiguous,
}

#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub events_queue_url: String,
    pub quarantine_queue_url: String,
    pub secret_source: SecretSource,
    /// How long the signing secrets are used before they are read again.
    pub secret_max_age: std::time::Duration,
    pub verifier: VerifierOptions,
    pub max_body_bytes: usize,
    /// What the quarantine may keep of a body.
    pub retention: Retention,
    /// Where kept deliveries are remembered, so a re-sent one is kept once (the idempotency table).
    pub idempotency_table: Option<String>,
    /// Kinds answered 200 without queueing.
    pub acknowledge_only: Vec<crate::model::EventKind>,
}

impl IngestConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(get);
        let secret_source = match (vars.get(SIGNING_SECRET_ARN), vars.get(SIGNING_SECRETS)) {
            (Some(secret_id), None) => SecretSource::SecretsManager { secret_id },
            (None, Some(inline)) => SecretSource::Inline(inline),
            (None, None) => return Err(ConfigError::Missing(SIGNING_SECRET_ARN)),
            (Some(_), Some(_)) => return Err(ConfigError::SecretSourceAmbiguous),
        };
        let max_body_bytes = vars.parse_or(MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES)?;
        // The processor archives the raw body in a DynamoDB item (400 KB at most, with its record).
        if max_body_bytes > MAX_ARCHIVABLE_BODY_BYTES {
            return Err(ConfigError::Invalid {
                name: MAX_BODY_BYTES,
                reason: format!(
                    "at most {MAX_ARCHIVABLE_BODY_BYTES}, so the raw event fits its archive record"
                ),
            });
        }
        let tolerance_secs = vars.parse_or(SIGNATURE_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECS)?;
        if tolerance_secs > MAX_TOLERANCE_SECS {
            return Err(ConfigError::Invalid {
                name: SIGNATURE_TOLERANCE_SECONDS,
                reason: format!(
                    "at most {MAX_TOLERANCE_SECS}: a kept delivery is remembered for 24 h, a \
                     re-send must be too old by then"
                ),
            });
        }
        Ok(Self {
            events_queue_url: vars.required(EVENTS_QUEUE_URL)?,
            quarantine_queue_url: vars.required(QUARANTINE_QUEUE_URL)?,
            secret_source,
            secret_max_age: secret_max_age(&vars)?,
            verifier: VerifierOptions {
                tolerance_secs,
                allow_untimestamped: vars.parse_or(ALLOW_UNTIMESTAMPED_SIGNATURES, false)?,
            },
            max_body_bytes,
            retention: retention(&vars)?,
            idempotency_table: vars.get(IDEMPOTENCY_TABLE),
            acknowledge_only: acknowledge_only(&vars)?,
        })
    }
}

/// The processor's configuration.
#[derive(Debug, Clone)]
pub struct ProcessorConfig {
    pub idempotency_table: String,
    pub state_table: String,
    /// The events queue, where backoff, `retry_after` and deferrals change a message's visibility.
    pub events_queue_url: Option<String>,
    /// Where the processor sends an event whose retry budget is spent.
    pub dead_letter_queue_url: Option<String>,
    pub options: crate::processor::ProcessorOptions,
    /// What the brand's handler is given at start.
    pub handler: HandlerSettings,
}

impl ProcessorConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(get);
        let ttl: i64 = vars.parse_or(
            RECORD_TTL_SECONDS,
            crate::processor::DEFAULT_RECORD_TTL_SECS,
        )?;
        if ttl < crate::processor::MIN_RECORD_TTL_SECS {
            return Err(ConfigError::Invalid {
                name: RECORD_TTL_SECONDS,
                reason: format!(
                    "must be at least {} (72 h): Fanfare retries for up to ~44 h",
                    crate::processor::MIN_RECORD_TTL_SECS
                ),
            });
        }
        Ok(Self {
            idempotency_table: vars.required(IDEMPOTENCY_TABLE)?,
            state_table: vars.required(STATE_TABLE)?,
            events_queue_url: vars.get(EVENTS_QUEUE_URL),
            dead_letter_queue_url: vars.get(DEAD_LETTER_QUEUE_URL),
            handler: HandlerSettings {
                config: vars.get(HANDLER_CONFIG),
                secret_arn: vars.get(HANDLER_SECRET_ARN),
                secret_max_age: secret_max_age(&vars)?,
            },
            options: crate::processor::ProcessorOptions {
                record_ttl_secs: ttl,
                plan: crate::processor::plan::PlanOptions {
                    retention: retention(&vars)?,
                },
                retry: retry_policy(&vars)?,
                instances: vars.parse_or(PROCESSOR_MAX_CONCURRENCY, 1u32)?.max(1),
            },
        })
    }
}

fn secret_max_age<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<std::time::Duration, ConfigError> {
    let default = crate::refresh::DEFAULT_MAX_AGE.as_secs();
    let seconds: u64 = vars.parse_or(SECRET_MAX_AGE_SECONDS, default)?;
    if seconds == 0 {
        return Err(ConfigError::Invalid {
            name: SECRET_MAX_AGE_SECONDS,
            reason: "must be at least 1 (each request would read Secrets Manager)".into(),
        });
    }
    Ok(std::time::Duration::from_secs(seconds))
}

fn retry_policy<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<crate::processor::RetryPolicy, ConfigError> {
    let defaults = crate::processor::RetryPolicy::default();
    let seconds = std::time::Duration::from_secs;
    let budget: u32 = vars.parse_or(RETRY_BUDGET, defaults.budget)?;
    if budget == 0 {
        return Err(ConfigError::Invalid {
            name: RETRY_BUDGET,
            reason: "must be at least 1".into(),
        });
    }
    Ok(crate::processor::RetryPolicy {
        budget,
        base: seconds(vars.parse_or(RETRY_BACKOFF_BASE_SECONDS, defaults.base.as_secs())?),
        max: seconds(vars.parse_or(RETRY_BACKOFF_MAX_SECONDS, defaults.max.as_secs())?),
    })
}

/// The redrive function's configuration.
#[derive(Debug, Clone)]
pub struct RedriveConfig {
    pub events_queue_url: String,
    pub dead_letter_queue_url: String,
    /// Where messages that used up their redrives are parked.
    pub quarantine_queue_url: String,
    pub policy: crate::redrive::RedrivePolicy,
}

impl RedriveConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(get);
        let defaults = crate::redrive::RedrivePolicy::default();
        Ok(Self {
            events_queue_url: vars.required(EVENTS_QUEUE_URL)?,
            dead_letter_queue_url: vars.required(DEAD_LETTER_QUEUE_URL)?,
            quarantine_queue_url: vars.required(QUARANTINE_QUEUE_URL)?,
            policy: crate::redrive::RedrivePolicy {
                min_age_secs: vars.parse_or(REDRIVE_MIN_AGE_SECONDS, defaults.min_age_secs)?,
                max_redrives: vars.parse_or(REDRIVE_MAX_ATTEMPTS, defaults.max_redrives)?,
                retention: retention(&vars)?,
                ..defaults
            },
        })
    }
}

/// Kinds that must reach the processor: acknowledging `consumer.deleted` without processing would
/// stop erasing a consumer's contact data, and `webhook.delivery_failed` would silence its alarm.
pub const NEVER_ACK_ONLY: [crate::model::EventKind; 2] = [
    crate::model::EventKind::ConsumerDeleted,
    crate::model::EventKind::WebhookDeliveryFailed,
];

/// `ACK_ONLY_KINDS`: canonical kind names, comma-separated; a name that is no kind is an error, so a
/// typo cannot silently queue (or drop) the wrong kind, and so is a kind of [`NEVER_ACK_ONLY`].
fn acknowledge_only<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<Vec<crate::model::EventKind>, ConfigError> {
    let Some(list) = vars.get(ACK_ONLY_KINDS) else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| match crate::model::EventKind::from_canonical(name) {
            Some(kind) if NEVER_ACK_ONLY.contains(&kind) => Err(ConfigError::Invalid {
                name: ACK_ONLY_KINDS,
                reason: format!(
                    "{name} must be processed (erasure, alerting), never only acknowledged"
                ),
            }),
            Some(kind) if kind != crate::model::EventKind::Unknown => Ok(kind),
            _ => Err(ConfigError::Invalid {
                name: ACK_ONLY_KINDS,
                reason: format!(
                    "{name} is not a kind (canonical names, e.g. queue.position_updated)"
                ),
            }),
        })
        .collect()
}

/// `STORE_PERSONAL_DATA`: every function that stores a body reads it.
fn retention<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<Retention, ConfigError> {
    Ok(Retention {
        store_personal_data: vars.parse_or(STORE_PERSONAL_DATA, false)?,
    })
}

/// Configuration variables from a lookup; an empty value counts as unset.
struct Vars<F>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.is_empty())
    }

    fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing(name))
    }

    fn parse_or<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::Invalid {
                    name,
                    reason: e.to_string(),
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn an_inline_secret_is_never_printed_by_debug() {
        let source = SecretSource::Inline("whsec_do_not_print".into());
        assert!(!format!("{source:?}").contains("whsec_do_not_print"));
        let config = IngestConfig::from_lookup(lookup(&[
            (EVENTS_QUEUE_URL, "q"),
            (QUARANTINE_QUEUE_URL, "r"),
            (SIGNING_SECRETS, "whsec_do_not_print"),
        ]))
        .unwrap();
        assert!(!format!("{config:?}").contains("whsec_do_not_print"));
    }

    #[test]
    fn secrets_are_read_again_after_five_minutes_unless_told_otherwise() {
        let base = [
            (EVENTS_QUEUE_URL, "q"),
            (QUARANTINE_QUEUE_URL, "r"),
            (SIGNING_SECRETS, "whsec_x"),
        ];
        let c = IngestConfig::from_lookup(lookup(&base)).unwrap();
        assert_eq!(c.secret_max_age, std::time::Duration::from_secs(300));
        let mut hourly = base.to_vec();
        hourly.push((SECRET_MAX_AGE_SECONDS, "3600"));
        let c = IngestConfig::from_lookup(lookup(&hourly)).unwrap();
        assert_eq!(c.secret_max_age, std::time::Duration::from_secs(3600));
        let mut never = base.to_vec();
        never.push((SECRET_MAX_AGE_SECONDS, "0"));
        let err = IngestConfig::from_lookup(lookup(&never)).unwrap_err();
        assert!(err.to_string().contains(SECRET_MAX_AGE_SECONDS), "{err}");
        let processor = ProcessorConfig::from_lookup(lookup(&[
            (IDEMPOTENCY_TABLE, "i"),
            (STATE_TABLE, "s"),
            (SECRET_MAX_AGE_SECONDS, "60"),
        ]))
        .unwrap();
        assert_eq!(
            processor.handler.secret_max_age,
            std::time::Duration::from_secs(60)
        );
    }

    #[test]
    fn ingest_config_reads_defaults_and_names_missing_variables() {
        let base = [
            (EVENTS_QUEUE_URL, "q"),
            (QUARANTINE_QUEUE_URL, "r"),
            (SIGNING_SECRETS, "whsec_x"),
        ];
        let c = IngestConfig::from_lookup(lookup(&base)).unwrap();
        assert_eq!(c.verifier.tolerance_secs, 300);
        assert!(!c.verifier.allow_untimestamped);
        assert_eq!(c.max_body_bytes, 256 * 1024);

        let err = IngestConfig::from_lookup(lookup(&base[1..])).unwrap_err();
        assert!(err.to_string().contains(EVENTS_QUEUE_URL));
        let err = IngestConfig::from_lookup(lookup(&base[..2])).unwrap_err();
        assert!(err.to_string().contains(SIGNING_SECRET_ARN));

        let mut bad = base.to_vec();
        bad.push((SIGNATURE_TOLERANCE_SECONDS, "five"));
        let err = IngestConfig::from_lookup(lookup(&bad)).unwrap_err();
        assert!(err.to_string().contains(SIGNATURE_TOLERANCE_SECONDS));

        let mut wide = base.to_vec();
        wide.push((SIGNATURE_TOLERANCE_SECONDS, "86400"));
        let err = IngestConfig::from_lookup(lookup(&wide)).unwrap_err();
        assert!(err.to_string().contains("at most 3600"), "{err}");

        for kind in ["consumer.deleted", "webhook.delivery_failed"] {
            let mut ack = base.to_vec();
            ack.push((ACK_ONLY_KINDS, kind));
            let err = IngestConfig::from_lookup(lookup(&ack)).unwrap_err();
            assert!(err.to_string().contains("never only acknowledged"), "{err}");
        }
        let mut ack = base.to_vec();
        ack.push((ACK_ONLY_KINDS, "queue.position_updated"));
        assert_eq!(
            IngestConfig::from_lookup(lookup(&ack))
                .unwrap()
                .acknowledge_only
                .len(),
            1
        );
    }
}
