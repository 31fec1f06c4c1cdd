//! The kinds whose write starts as "this status, at this lifecycle rank, at this time": one row
//! each. Families add their other fields to the row's write.

use super::{time, Ctx};
use crate::model::EventKind;
use crate::ports::state::ItemWrite;

/// Where a row's time comes from.
#[derive(Clone, Copy)]
enum When {
    /// The field the event reports, if any.
    Reported,
    /// The field the event reports, else the event's own time.
    ReportedOrEvent,
    /// The event's own time.
    Event,
}

/// A row: the lifecycle rank, the status, and the time field with its source.
type Row = (u8, &'static str, Option<(&'static str, When)>);

/// The kind's row; `None` for a kind not in the table.
fn row(kind: EventKind) -> Option<Row> {
    use EventKind::*;
    use When::*;
    Some(match kind {
        // A consumer's place in an experience's queue.
        QueueEntered => (1, "waiting", Some(("enteredAt", Reported))),
        QueueAdmitted => (3, "admitted", Some(("admittedAt", ReportedOrEvent))),
        QueueDenied => (4, "denied", Some(("deniedAt", ReportedOrEvent))),
        QueueCompleted => (5, "completed", Some(("completedAt", ReportedOrEvent))),
        AdmissionExpired => (5, "expired", Some(("expiredAt", ReportedOrEvent))),
        QueueLeft => (5, "left", Some(("leftAt", ReportedOrEvent))),
        // Experiences.
        ExperienceCreated => (1, "created", Some(("createdAt", Event))),
        ExperienceStarted => (2, "live", Some(("startedAt", Event))),
        ExperiencePaused => (3, "paused", None),
        ExperienceResumed => (4, "live", None),
        ExperienceEnded => (5, "ended", Some(("endedAt", Event))),
        ExperienceCancelled => (5, "cancelled", Some(("cancelledAt", Event))),
        // Distributions.
        DistributionOpened => (1, "open", Some(("openedAt", ReportedOrEvent))),
        DistributionClosed => (3, "closed", Some(("closedAt", ReportedOrEvent))),
        // Orders.
        OrderCreated => (1, "created", Some(("createdAt", ReportedOrEvent))),
        OrderPaid => (2, "paid", Some(("paidAt", ReportedOrEvent))),
        OrderCompleted => (3, "completed", Some(("completedAt", ReportedOrEvent))),
        OrderFulfilled => (4, "fulfilled", Some(("fulfilledAt", ReportedOrEvent))),
        OrderCancelled => (5, "cancelled", Some(("cancelledAt", ReportedOrEvent))),
        // Draws and consumers.
        DrawCompleted => (5, "completed", Some(("completedAt", ReportedOrEvent))),
        ConsumerDeleted => (3, "deleted", Some(("deletedAt", Event))),
        _ => return None,
    })
}

/// The row's write on the entity's own item, or `None` for a kind not in the table.
pub(super) fn step(ctx: &Ctx<'_>) -> Option<ItemWrite> {
    let (rank, status, at) = row(ctx.event.kind)?;
    let w = ctx
        .state(rank)
        .moving("status", crate::ports::state::Attr::s(status));
    Some(match at {
        None => w,
        Some((field, When::Reported)) => w.fact(field, time(ctx.event, field)),
        Some((field, When::ReportedOrEvent)) => w.fact(field, ctx.reported_or_now(field)),
        Some((field, When::Event)) => w.fact(field, Some(ctx.at.clone())),
    })
}
