//! Auctions: each bid is an item of its own (`BID#<bid id>`) and the high bid on the auction's item
//! moves only up; each bidder's outbid status is its own item; the outcome (won, then settled) is
//! one item. Nothing accumulates on the auction's item, so a bid costs the same write units at the
//! 10,000th bid as at the first.

use super::{money, n, s, text, time, Ctx, Plan, STATE_SK};
use crate::model::{key_segment, EventKind::*};
use crate::ports::state::{Attr, Gate, ItemWrite, Version};

pub(super) fn plan(ctx: &Ctx<'_>) -> Plan {
    match ctx.event.kind {
        AuctionBidPlaced => Plan::unordered(bid(ctx)),
        AuctionOutbid => Plan::unordered(vec![ItemWrite::new(
            ctx.pk.clone(),
            format!("BIDDER#{}", ctx.member()),
            ctx.versioned(2),
        )
        .moving("status", Attr::s("outbid"))
        .moving("outbidAt", ctx.reported_or_now("outbidAt"))
        .moving(
            "newHighBidAmount",
            money(ctx.event, &["newHighBidAmount", "newHighBid"]),
        )]),
        _ => Plan::ordered(outcome(ctx)),
    }
}

/// A bid: an item of its own, and the auction's high bid if its amount is the highest yet.
fn bid(ctx: &Ctx<'_>) -> Vec<ItemWrite> {
    let e = ctx.event;
    let bid_id = e.id_field("bidId").unwrap_or_else(|| e.id.clone());
    let amount = e.money_field(&["bidAmount", "amount"]).and_then(Result::ok);
    let bid_time = time(e, "bidTime").or(Some(ctx.at.clone()));
    let gate = match amount {
        Some(a) => Gate::Versioned(Version::by_amount(
            a,
            e.occurred_at.timestamp_millis(),
            &e.id,
        )),
        None => Gate::Unversioned,
    };
    let mut high = ItemWrite::new(ctx.pk.clone(), STATE_SK, gate)
        .fact("experienceId", s(e.experience_id.clone()))
        .fact("currencyCode", text(e, "currencyCode"));
    if let Some(a) = amount {
        high = high
            .moving("highBid", Attr::money(a))
            .moving("highBidderId", s(ctx.consumer.clone()))
            .moving("highBidId", Attr::s(bid_id.clone()))
            .moving("highBidAt", bid_time.clone());
    }
    let own = ItemWrite::new(
        ctx.pk.clone(),
        format!("BID#{}", key_segment(&bid_id)),
        Gate::Unversioned,
    )
    .fact("bidId", Attr::s(bid_id))
    .fact("bidderId", s(ctx.consumer.clone()))
    .fact("amount", amount.map(Attr::money))
    .fact("bidAt", bid_time)
    .fact("eventId", Attr::s(e.id.clone()));
    vec![high, own]
}

/// `auction.won`, then `auction.settled`.
fn outcome(ctx: &Ctx<'_>) -> ItemWrite {
    let e = ctx.event;
    let (rank, status, at_field) = if e.kind == AuctionWon {
        (1, "won", "wonAt")
    } else {
        (2, "settled", "settledAt")
    };
    ItemWrite::new(ctx.pk.clone(), "OUTCOME", ctx.versioned(rank))
        .moving("status", Attr::s(status))
        .fact(
            "winnerId",
            s(e.id_field("winnerId").or(ctx.consumer.clone())),
        )
        .fact(
            "winningBid",
            money(e, &["winningBidAmount", "winningBid", "finalBid"]),
        )
        .fact("currencyCode", text(e, "currencyCode"))
        .fact("totalBids", n(e.i64_field("totalBids")))
        .fact("uniqueBidders", n(e.i64_field("uniqueBidders")))
        .fact(at_field, Some(ctx.at.clone()))
}
