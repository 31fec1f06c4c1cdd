//! Draws: each entrant's status is its own item (`ENTRY#<consumer>`), so entries accumulate in any
//! order; the draw's own item records the selection and the completion.

use serde_json::Value;

use super::{lifecycle, n, s, text, time, Ctx, Plan, STATE_SK};
use crate::model::{id_string, key_segment, EventKind::*};
use crate::ports::state::{Attr, Gate, ItemWrite};

pub(super) fn plan(ctx: &Ctx<'_>) -> Plan {
    let e = ctx.event;
    match e.kind {
        DrawWinnersSelected => winners_selected(ctx),
        DrawEntered | DrawLeft | DrawWon | DrawLost | DrawPrizeClaimed | DrawPrizeExpired => {
            Plan::unordered(vec![entry(ctx)])
        }
        _ => match lifecycle::step(ctx) {
            // `draw.completed`
            Some(w) => Plan::ordered(
                w.fact("totalEntrants", n(e.i64_field("totalEntrants")))
                    .fact("winnersSelected", n(e.i64_field("winnersSelected"))),
            ),
            None => Plan::unordered(Vec::new()),
        },
    }
}

/// One entrant's item, moved along its own lifecycle.
fn entry(ctx: &Ctx<'_>) -> ItemWrite {
    let e = ctx.event;
    let (rank, status, time_field) = match e.kind {
        DrawEntered => (1, "entered", "enteredAt"),
        DrawLeft => (2, "left", "leftAt"),
        DrawWon => (3, "won", "wonAt"),
        DrawLost => (3, "lost", "lostAt"),
        DrawPrizeClaimed => (4, "claimed", "claimedAt"),
        _ => (4, "claim_expired", "expiredAt"),
    };
    let w = ItemWrite::new(
        ctx.pk.clone(),
        format!("ENTRY#{}", ctx.member()),
        ctx.versioned(rank),
    )
    .moving("status", Attr::s(status))
    .fact("consumerId", s(ctx.consumer.clone()))
    .fact("experienceId", s(e.experience_id.clone()))
    .fact(
        "entrantNumber",
        n(e.i64_field("entrantNumber").or(e.i64_field("entryNumber"))),
    )
    .fact("orderId", s(e.id_field("orderId")));
    // `draw.winners_selected` reports the same win with its own time and position: as moving
    // fields the latest report wins whatever the order of arrival (as facts, the first to arrive
    // would).
    if e.kind == DrawWon {
        w.moving("wonAt", time(e, "wonAt").or(Some(ctx.at.clone())))
            .moving("winnerPosition", n(e.i64_field("winnerPosition")))
    } else {
        w.fact(time_field, ctx.reported_or_now(time_field))
            .fact("winnerPosition", n(e.i64_field("winnerPosition")))
    }
}

/// The draw's selection, and one write per winner's entry (independent items, sent together).
fn winners_selected(ctx: &Ctx<'_>) -> Plan {
    let e = ctx.event;
    let mut writes = vec![ItemWrite::new(ctx.pk.clone(), STATE_SK, Gate::Unversioned)
        .fact("winnersSelectedAt", Some(ctx.at.clone()))
        .fact("selectionMethod", text(e, "selectionMethod"))
        .fact("totalEntries", n(e.i64_field("totalEntries")))];
    if let Some(Value::Array(winners)) = e.field("winners") {
        for winner in winners {
            let Some(id) = winner.get("consumerId").and_then(id_string) else {
                continue;
            };
            writes.push(
                ItemWrite::new(
                    ctx.pk.clone(),
                    format!("ENTRY#{}", key_segment(&id)),
                    ctx.versioned(3),
                )
                .moving("status", Attr::s("won"))
                .fact("consumerId", Attr::s(id))
                .moving("wonAt", Some(ctx.at.clone()))
                .moving(
                    "winnerPosition",
                    winner.get("position").and_then(Value::as_i64).map(Attr::n),
                )
                .fact(
                    "claimDeadline",
                    winner
                        .get("claimDeadline")
                        .and_then(Value::as_str)
                        .map(Attr::s),
                ),
            );
        }
    }
    Plan::unordered(writes)
}
