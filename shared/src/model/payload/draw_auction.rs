//! Draw and auction kinds.

use super::Extra;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::de;
use super::Token;
use crate::model::Money;

/// `draw.entered`: a consumer entered a draw.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawEntered {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub draw_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub entered_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::int", alias = "entryNumber")]
    pub entrant_number: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.left`: a consumer withdrew from a draw.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawLeft {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub draw_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub left_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.won`: one consumer won.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawWon {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub draw_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub won_at: Option<DateTime<Utc>>,
    pub admission_token: Option<Token>,
    #[serde(default, deserialize_with = "de::int")]
    pub winner_position: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.winners_selected`: the winners of a draw, in one event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawWinnersSelected {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub draw_id: Option<String>,
    pub winners: Option<Vec<DrawWinner>>,
    #[serde(default, deserialize_with = "de::int")]
    pub total_entries: Option<i64>,
    pub selection_method: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub selected_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// One winner of `draw.winners_selected`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawWinner {
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::int")]
    pub position: Option<i64>,
    pub claim_token: Option<Token>,
    #[serde(default, deserialize_with = "de::time")]
    pub claim_deadline: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.lost`: a consumer did not win.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawLost {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub draw_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub lost_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.completed`: the draw was executed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawCompleted {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub draw_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::int")]
    pub total_entrants: Option<i64>,
    #[serde(default, deserialize_with = "de::int")]
    pub winners_selected: Option<i64>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.prize_claimed`: a winner claimed the prize.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawPrizeClaimed {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub draw_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub order_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub claimed_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `draw.prize_expired`: a winner did not claim in time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawPrizeExpired {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub draw_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub expired_at: Option<DateTime<Utc>>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `auction.bid_placed`: a bid.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuctionBidPlaced {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub auction_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub bid_id: Option<String>,
    #[serde(alias = "amount")]
    pub bid_amount: Option<Money>,
    pub currency_code: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub bid_time: Option<DateTime<Utc>>,
    pub is_highest_bid: Option<bool>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}

/// `auction.outbid`: a consumer's bid was beaten.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuctionOutbid {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub auction_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
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
#[serde(rename_all = "camelCase")]
pub struct AuctionWon {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub auction_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub consumer_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
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
#[serde(rename_all = "camelCase")]
pub struct AuctionSettled {
    #[serde(default, deserialize_with = "de::id")]
    pub experience_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub sequence_id: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub auction_id: Option<String>,
    #[serde(default, deserialize_with = "de::time")]
    pub settled_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::int")]
    pub total_bids: Option<i64>,
    #[serde(default, deserialize_with = "de::int")]
    pub unique_bidders: Option<i64>,
    #[serde(alias = "winningBid", alias = "finalBid")]
    pub winning_bid_amount: Option<Money>,
    pub currency_code: Option<String>,
    #[serde(default, deserialize_with = "de::id")]
    pub winner_id: Option<String>,
    /// Fields no documented name matched.
    #[serde(flatten)]
    pub other: Extra,
}
