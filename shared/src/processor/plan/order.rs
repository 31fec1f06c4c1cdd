//! Orders: created, paid, completed, fulfilled or cancelled.

use super::{json, lifecycle, money, text, Ctx, Plan};
use crate::model::EventKind::*;

pub(super) fn plan(ctx: &Ctx<'_>) -> Plan {
    let e = ctx.event;
    let Some(step) = lifecycle::step(ctx) else {
        return Plan::unordered(Vec::new());
    };
    let w = ctx.ids(step);
    let amount = || money(e, &["amount", "totalAmount"]);
    Plan::ordered(match e.kind {
        OrderCreated => w
            .fact("amount", amount())
            .fact("currencyCode", text(e, "currencyCode"))
            .fact("items", json(e, "items")),
        OrderPaid | OrderCompleted => w.fact("amount", amount()),
        OrderCancelled => w.fact("cancelReason", text(e, "reason")),
        _ => w,
    })
}
