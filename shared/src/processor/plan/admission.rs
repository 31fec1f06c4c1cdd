//! Admissions: a consumer's place in an experience's queue.

use super::{lifecycle, n, s, text, time, Ctx, Plan};
use crate::model::EventKind::*;

pub(super) fn plan(ctx: &Ctx<'_>) -> Plan {
    let e = ctx.event;
    let position = n(e.i64_field("position"));
    let queue_id = s(e.id_field("queueId"));
    let Some(step) = lifecycle::step(ctx) else {
        // Only the position moves; the status stays what the lifecycle made it.
        return Plan::ordered(
            ctx.ids(ctx.state(2))
                .moving("position", position)
                .fact("queueId", queue_id),
        );
    };
    let w = ctx.ids(step);
    Plan::ordered(match e.kind {
        QueueEntered => w.moving("position", position).fact("queueId", queue_id),
        QueueAdmitted => w
            .moving("position", position)
            .fact("queueId", queue_id)
            .fact("distributionId", s(e.id_field("distributionId")))
            .fact("enteredAt", time(e, "enteredAt"))
            .fact("tokenExpiresAt", time(e, "expiresAt"))
            .fact("waitTimeSeconds", n(e.i64_field("waitTimeSeconds"))),
        QueueDenied => w.fact("denyReason", text(e, "reason")),
        QueueCompleted => w.fact("orderId", s(e.id_field("orderId"))),
        QueueLeft => w
            .fact("positionWhenLeft", n(e.i64_field("positionWhenLeft")))
            .fact("leaveReason", text(e, "reason")),
        _ => w,
    })
}
