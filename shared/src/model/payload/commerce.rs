//! Order, consumer and webhook kinds.

use super::Extra;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::de;
use super::{Personal, Token};
use crate::model::Money;

/// `order.created`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    #[serde(default, with = "de::Id")]
    pub order_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(alias = "totalAmount")]
    pub amount: Option<Money>,
    pub currency_code: Option<String>,
    pub items: Option<Vec<OrderItem>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// One line of `order.created`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    #[serde(default, with = "de::Id")]
    pub product_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub variant_id: Option<String>,
    #[serde(default, with = "de::Int")]
    pub quantity: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `order.paid`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderPaid {
    #[serde(default, with = "de::Id")]
    pub order_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub paid_at: Option<DateTime<Utc>>,
    #[serde(alias = "totalAmount")]
    pub amount: Option<Money>,
    pub currency_code: Option<String>,
    pub payment_token: Option<Token>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `order.completed`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderCompleted {
    #[serde(default, with = "de::Id")]
    pub order_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(alias = "totalAmount")]
    pub amount: Option<Money>,
    pub currency_code: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `order.fulfilled`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderFulfilled {
    #[serde(default, with = "de::Id")]
    pub order_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `order.cancelled`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    #[serde(default, with = "de::Id")]
    pub order_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub cancelled_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    #[serde(alias = "totalAmount")]
    pub amount: Option<Money>,
    pub currency_code: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `consumer.created`: contact data only when the stack stores personal data on replay copies.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsumerCreated {
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    pub email: Option<Personal>,
    pub phone: Option<Personal>,
    pub full_name: Option<Personal>,
    /// A credential some pages add (never printed).
    pub access_token: Option<Token>,
    #[serde(default, with = "de::Time")]
    pub created_at: Option<DateTime<Utc>>,
    pub source: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `consumer.updated`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsumerUpdated {
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    pub email: Option<Personal>,
    pub phone: Option<Personal>,
    pub full_name: Option<Personal>,
    #[serde(default, with = "de::Time")]
    pub updated_at: Option<DateTime<Utc>>,
    pub changed_fields: Option<Vec<String>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `consumer.deleted`: erase what you hold about the consumer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsumerDeleted {
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `consumer.authenticated`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsumerAuthenticated {
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub authenticated_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `consumer.linked`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsumerLinked {
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub linked_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `webhook.delivery_failed`: Fanfare gave up delivering `eventId` to an endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeliveryFailed {
    #[serde(default, with = "de::Id")]
    pub endpoint_id: Option<String>,
    pub endpoint_url: Option<String>,
    #[serde(default, with = "de::Id")]
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    #[serde(default, with = "de::Int")]
    pub retry_count: Option<i64>,
    pub last_error: Option<String>,
    pub will_retry: Option<bool>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}
