//! Consumers: ids and timestamps; contact details only when configured.

use super::{lifecycle, text, Ctx, Plan, PlanOptions};
use crate::model::EventKind::*;
use crate::ports::state::{Attr, ItemWrite};
use crate::privacy::CONTACT_FIELDS;

pub(super) fn plan(ctx: &Ctx<'_>, options: PlanOptions) -> Plan {
    let e = ctx.event;
    match e.kind {
        ConsumerCreated | ConsumerUpdated => {
            let rank = if e.kind == ConsumerCreated { 1 } else { 2 };
            let mut w = ctx
                .state(rank)
                .moving("status", Attr::s("active"))
                .moving("updatedAt", Some(ctx.at.clone()))
                .fact("createdAt", text(e, "createdAt"))
                .fact("source", text(e, "source"));
            if options.retention.store_personal_data {
                for field in CONTACT_FIELDS {
                    w = w.moving(field, text(e, field));
                }
            }
            Plan::ordered(w)
        }
        // Authentications and links: when they last happened, in any order.
        ConsumerAuthenticated | ConsumerLinked => Plan::unordered(vec![ItemWrite::new(
            ctx.pk.clone(),
            format!("ACTIVITY#{}", e.kind.as_str()),
            ctx.versioned(1),
        )
        .moving("lastAt", Some(ctx.at.clone()))]),
        _ => match lifecycle::step(ctx) {
            // `consumer.deleted`: the contact details go.
            Some(mut w) => {
                w.remove = CONTACT_FIELDS.to_vec();
                Plan::ordered(w)
            }
            None => Plan::unordered(Vec::new()),
        },
    }
}
