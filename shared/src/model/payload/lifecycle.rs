//! Experience and distribution kinds: the life of a drop.

use super::Extra;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::de;

/// `experience.created`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExperienceCreated {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(rename = "type")]
    pub experience_type: Option<String>,
    pub status: Option<String>,
    #[serde(default, with = "de::Time")]
    pub created_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.started`: the experience went live.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExperienceStarted {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(rename = "type")]
    pub experience_type: Option<String>,
    pub status: Option<String>,
    #[serde(default, with = "de::Time")]
    pub started_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.paused`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExperiencePaused {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    pub reason: Option<String>,
    #[serde(default, with = "de::Time")]
    pub paused_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.resumed`; `pausedDuration` in seconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExperienceResumed {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Int")]
    pub paused_duration: Option<i64>,
    #[serde(default, with = "de::Time")]
    pub resumed_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.ended`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExperienceEnded {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Int")]
    pub total_participants: Option<i64>,
    #[serde(default, with = "de::Time")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `experience.cancelled`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExperienceCancelled {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    pub reason: Option<String>,
    #[serde(default, with = "de::Time")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `distribution.opened`; `distributionType` is queue, draw, auction or timed_release.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DistributionOpened {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub distribution_id: Option<String>,
    pub distribution_type: Option<String>,
    #[serde(default, with = "de::Time")]
    pub opened_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `distribution.updated`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DistributionUpdated {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub distribution_id: Option<String>,
    pub distribution_type: Option<String>,
    #[serde(default, with = "de::Time")]
    pub updated_at: Option<DateTime<Utc>>,
    pub changed_fields: Option<Vec<String>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `distribution.closed`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DistributionClosed {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub distribution_id: Option<String>,
    pub distribution_type: Option<String>,
    #[serde(default, with = "de::Time")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, with = "de::Int")]
    pub total_participants: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}
