//! Fanfare gave up delivering an event to us: an alert record (and a metric, see `report`).

use super::{free_text, n, s, text, Ctx, Plan};
use crate::model::key_segment;
use crate::ports::state::{fields, Attr, Gate, ItemWrite};

pub(super) fn plan(ctx: &Ctx<'_>) -> Plan {
    let e = ctx.event;
    let failed = e.id_field("eventId").unwrap_or_else(|| e.id.clone());
    Plan::unordered(vec![ItemWrite::new(
        format!("alert/{}", e.entity().key()),
        format!("{}{}", fields::DELIVERY_FAILED_PREFIX, key_segment(&failed)),
        Gate::Unversioned,
    )
    .fact("failedEventId", Attr::s(failed))
    .fact("failedEventType", text(e, "eventType"))
    .fact("endpointId", s(e.id_field("endpointId")))
    .fact("retryCount", n(e.i64_field("retryCount")))
    .fact("lastError", free_text(e, "lastError"))
    .fact("willRetry", e.bool_field("willRetry").map(Attr::Bool))
    .fact("reportedAt", Some(ctx.at.clone()))
    .fact("alertEventId", Attr::s(e.id.clone()))])
}
