//! Queue and admission kinds: a consumer's place in an experience's queue.

use super::Extra;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::de;
use super::Token;

/// `queue.entered`: a consumer joined a queue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntered {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub queue_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::int")]
    pub position: Option<i64>,
    #[serde(default, deserialize_with = "de::time")]
    pub entered_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.admitted`: admitted from the queue; `admissionToken` lets the consumer check out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueAdmitted {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub queue_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub distribution_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub entered_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::time")]
    pub admitted_at: Option<DateTime<Utc>>,
    pub admission_token: Option<Token>,
    #[serde(default, deserialize_with = "de::time")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::int")]
    pub position: Option<i64>,
    #[serde(default, deserialize_with = "de::int")]
    pub wait_time_seconds: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.completed`: the admitted consumer checked out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueCompleted {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub queue_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub distribution_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::id")]
    pub order_id: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.admission_expired`: the admission lapsed before checkout.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionExpired {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub queue_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub distribution_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub expired_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.left`: the consumer left the queue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueLeft {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub queue_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub left_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::int")]
    pub position_when_left: Option<i64>,
    pub reason: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.denied`: the consumer was refused entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueDenied {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub queue_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub denied_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.position_updated`: the consumer moved in the queue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuePositionUpdated {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub queue_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::int")]
    pub position: Option<i64>,
    #[serde(default, deserialize_with = "de::int")]
    pub previous_position: Option<i64>,
    #[serde(default, deserialize_with = "de::time")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `queue.sold_out`: the queue's stock is gone.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueSoldOut {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub queue_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub sold_out_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}
