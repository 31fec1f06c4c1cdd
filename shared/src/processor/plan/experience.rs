//! Experiences and their distributions: one status each, moving through its lifecycle.

use super::{json, lifecycle, n, s, text, Ctx, Plan, STATE_SK};
use crate::model::EventKind::*;
use crate::ports::state::{Gate, ItemWrite};

pub(super) fn plan(ctx: &Ctx<'_>) -> Plan {
    let e = ctx.event;
    let Some(w) = lifecycle::step(ctx) else {
        // `queue.sold_out`: a fact about the experience, whatever its status.
        return Plan::unordered(vec![ItemWrite::new(
            ctx.pk.clone(),
            STATE_SK,
            Gate::Unversioned,
        )
        .fact("soldOutAt", Some(ctx.at.clone()))
        .fact("soldOutQueueId", s(e.id_field("queueId")))]);
    };
    Plan::ordered(match e.kind {
        ExperienceCreated => w.fact("experienceType", text(e, "type")),
        ExperiencePaused => w.moving("pauseReason", text(e, "reason")),
        ExperienceEnded => w.fact("totalParticipants", n(e.i64_field("totalParticipants"))),
        _ => w,
    })
}

pub(super) fn distribution(ctx: &Ctx<'_>) -> Plan {
    let e = ctx.event;
    let Some(w) = lifecycle::step(ctx) else {
        // `distribution.updated`: what changed, without a status of its own.
        return Plan::ordered(
            ctx.state(2)
                .moving("lastUpdatedAt", ctx.reported_or_now("updatedAt"))
                .moving("lastChangedFields", json(e, "changedFields")),
        );
    };
    Plan::ordered(match e.kind {
        DistributionOpened => w
            .fact("distributionType", text(e, "distributionType"))
            .fact("experienceId", s(e.experience_id.clone())),
        DistributionClosed => w.fact("totalParticipants", n(e.i64_field("totalParticipants"))),
        _ => w,
    })
}
