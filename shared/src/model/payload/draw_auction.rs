//! Draw and auction kinds.

use super::Extra;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::de;
use super::Token;
use crate::model::Money;

/// `draw.entered`: a consumer entered a draw.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DrawEntered {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub draw_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub entered_at: Option<DateTime<Utc>>,
    #[serde(default, with = "de::Int", alias = "entryNumber")]
    pub entrant_number: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.left`: a consumer withdrew from a draw.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DrawLeft {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub draw_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub left_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.won`: one consumer won.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DrawWon {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub draw_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub won_at: Option<DateTime<Utc>>,
    pub admission_token: Option<Token>,
    #[serde(default, with = "de::Int")]
    pub winner_position: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.winners_selected`: the winners of a draw, in one event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DrawWinnersSelected {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub draw_id: Option<String>,
    pub winners: Option<Vec<DrawWinner>>,
    #[serde(default, with = "de::Int")]
    pub total_entries: Option<i64>,
    pub selection_method: Option<String>,
    #[serde(default, with = "de::Time")]
    pub selected_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// One winner of `draw.winners_selected`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DrawWinner {
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Int")]
    pub position: Option<i64>,
    pub claim_token: Option<Token>,
    #[serde(default, with = "de::Time")]
    pub claim_deadline: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.lost`: a consumer did not win.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DrawLost {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub draw_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub lost_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.completed`: the draw was executed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DrawCompleted {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub draw_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default, with = "de::Int")]
    pub total_entrants: Option<i64>,
    #[serde(default, with = "de::Int")]
    pub winners_selected: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.prize_claimed`: a winner claimed the prize.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DrawPrizeClaimed {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub draw_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub order_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub claimed_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.prize_expired`: a winner did not claim in time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DrawPrizeExpired {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub draw_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub expired_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `auction.bid_placed`: a bid.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuctionBidPlaced {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub auction_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub bid_id: Option<String>,
    #[serde(alias = "amount")]
    pub bid_amount: Option<Money>,
    pub currency_code: Option<String>,
    #[serde(default, with = "de::Time")]
    pub bid_time: Option<DateTime<Utc>>,
    pub is_highest_bid: Option<bool>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `auction.outbid`: a consumer's bid was beaten.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuctionOutbid {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub auction_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub outbid_at: Option<DateTime<Utc>>,
    pub previous_bid_amount: Option<Money>,
    #[serde(alias = "newHighBid")]
    pub new_high_bid_amount: Option<Money>,
    pub currency_code: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `auction.won`: the winner; `paymentToken` pays for the lot.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuctionWon {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub auction_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub consumer_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub won_at: Option<DateTime<Utc>>,
    #[serde(alias = "winningBid")]
    pub winning_bid_amount: Option<Money>,
    pub currency_code: Option<String>,
    pub payment_token: Option<Token>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `auction.settled`: the auction ended.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuctionSettled {
    #[serde(default, with = "de::Id")]
    pub experience_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub sequence_id: Option<String>,
    #[serde(default, with = "de::Id")]
    pub auction_id: Option<String>,
    #[serde(default, with = "de::Time")]
    pub settled_at: Option<DateTime<Utc>>,
    #[serde(default, with = "de::Int")]
    pub total_bids: Option<i64>,
    #[serde(default, with = "de::Int")]
    pub unique_bidders: Option<i64>,
    #[serde(alias = "winningBid", alias = "finalBid")]
    pub winning_bid_amount: Option<Money>,
    pub currency_code: Option<String>,
    #[serde(default, with = "de::Id")]
    pub winner_id: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}
