//! Experience and distribution kinds: the life of a drop.

use super::Extra;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::de;

/// `experience.created`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceCreated {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(rename = "type")]
    pub experience_type: Option<String>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub created_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.started`: the experience went live.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceStarted {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(rename = "type")]
    pub experience_type: Option<String>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub started_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.paused`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperiencePaused {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub paused_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.resumed`; `pausedDuration` in seconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceResumed {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::int")]
    pub paused_duration: Option<i64>,
    #[serde(default, deserialize_with = "de::time")]
    pub resumed_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.ended`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceEnded {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::int")]
    pub total_participants: Option<i64>,
    #[serde(default, deserialize_with = "de::time")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.cancelled`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceCancelled {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `distribution.opened`; `distributionType` is queue, draw, auction or timed_release.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DistributionOpened {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub distribution_id: Option<String>,
    pub distribution_type: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub opened_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `distribution.updated`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DistributionUpdated {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub distribution_id: Option<String>,
    pub distribution_type: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub updated_at: Option<DateTime<Utc>>,
    pub changed_fields: Option<Vec<String>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `distribution.closed`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DistributionClosed {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub distribution_id: Option<String>,
    pub distribution_type: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::int")]
    pub total_participants: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}
