//! Queue and admission kinds: a consumer's place in an experience's queue.

use super::Extra;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::de;
use super::Token;

/// `queue.entered`: a consumer joined a queue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueueEntered {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub queue_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Int")]
    pub position: Option<i64>,
    #[serde(default, with = "de::Time")]
    pub entered_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.admitted`: admitted from the queue; `admissionToken` lets the consumer check out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueueAdmitted {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub queue_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub distribution_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub entered_at: Option<DateTime<Utc>>,
    #[serde(default, with = "de::Time")]
    pub admitted_at: Option<DateTime<Utc>>,
    pub admission_token: Option<Token>,
    #[serde(default, with = "de::Time")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, with = "de::Int")]
    pub position: Option<i64>,
    #[serde(default, with = "de::Int")]
    pub wait_time_seconds: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.completed`: the admitted consumer checked out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueueCompleted {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub queue_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub distribution_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default, with = "de::Id")]
    pub order_id: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.admission_expired`: the admission lapsed before checkout.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdmissionExpired {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub queue_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub distribution_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub expired_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.left`: the consumer left the queue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueueLeft {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub queue_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub left_at: Option<DateTime<Utc>>,
    #[serde(default, with = "de::Int")]
    pub position_when_left: Option<i64>,
    pub reason: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.denied`: the consumer was refused entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueueDenied {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub queue_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub denied_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.position_updated`: the consumer moved in the queue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueuePositionUpdated {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub queue_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Int")]
    pub position: Option<i64>,
    #[serde(default, with = "de::Int")]
    pub previous_position: Option<i64>,
    #[serde(default, with = "de::Time")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.sold_out`: the queue's stock is gone.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueueSoldOut {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub queue_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub sold_out_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}
