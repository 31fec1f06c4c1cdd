//! The extension point: one method per event kind, called after the event's state has been
//! materialised and only when it is not stale. Implement it for side effects (emails, analytics,
//! releasing reservations); every method defaults to doing nothing.
//!
//! Side effects run at least once: if finishing the record fails after a handler succeeded, a retry
//! runs it again. Pass `ctx.idempotency_key` (the Fanfare event id) to downstream APIs that accept one.

use async_trait::async_trait;

use crate::model::kind::EventKind;
use crate::model::Event;

/// What a handler method receives.
#[derive(Debug, Clone, Copy)]
pub struct HandlerContext<'a> {
    pub event: &'a Event,
    /// The Fanfare event id: pass it on as the idempotency key of downstream calls.
    pub idempotency_key: &'a str,
    /// 1 on the first claim of this event, more on retries.
    pub attempt: u32,
}

/// A handler failure: the claim is released and the message retried (then dead-lettered).
#[derive(Debug, thiserror::Error)]
#[error("handler failed: {code}")]
pub struct HandlerError {
    /// A stable code stored on the record and logged (no personal data).
    pub code: String,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HandlerError {
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            source: None,
        }
    }
}

macro_rules! handler_trait {
    ($d:tt; $( $variant:ident => $method:ident ),+ $(,)?) => {
        /// Calls `callback!(method, method, …)` with the name of every [`EventHandler`] method: for a
        /// handler that treats every kind alike (recording, forwarding to a bus) without listing them.
        #[macro_export]
        macro_rules! for_each_handler_method {
            ($d callback:ident) => { $d callback!( $( $method ),+ ); };
        }

        /// One method per kind of the contract's alias table.
        #[async_trait]
        pub trait EventHandler: Send + Sync {
            $(
                async fn $method(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
                    let _ = ctx;
                    Ok(())
                }
            )+
        }

        /// Calls the method for the event's kind. Unknown kinds call nothing.
        pub async fn dispatch<H: EventHandler + ?Sized>(
            handler: &H,
            ctx: &HandlerContext<'_>,
        ) -> Result<(), HandlerError> {
            match ctx.event.kind {
                $( EventKind::$variant => handler.$method(ctx).await, )+
                EventKind::Unknown => Ok(()),
            }
        }
    };
}

handler_trait! {
    $;
    QueueEntered => queue_entered,
    QueueAdmitted => queue_admitted,
    QueueCompleted => queue_completed,
    AdmissionExpired => admission_expired,
    QueueLeft => queue_left,
    QueueDenied => queue_denied,
    QueuePositionUpdated => queue_position_updated,
    QueueSoldOut => queue_sold_out,
    DrawEntered => draw_entered,
    DrawLeft => draw_left,
    DrawWon => draw_won,
    DrawWinnersSelected => draw_winners_selected,
    DrawLost => draw_lost,
    DrawCompleted => draw_completed,
    DrawPrizeClaimed => draw_prize_claimed,
    DrawPrizeExpired => draw_prize_expired,
    AuctionBidPlaced => auction_bid_placed,
    AuctionOutbid => auction_outbid,
    AuctionWon => auction_won,
    AuctionSettled => auction_settled,
    ExperienceCreated => experience_created,
    ExperienceStarted => experience_started,
    ExperiencePaused => experience_paused,
    ExperienceResumed => experience_resumed,
    ExperienceEnded => experience_ended,
    ExperienceCancelled => experience_cancelled,
    DistributionOpened => distribution_opened,
    DistributionUpdated => distribution_updated,
    DistributionClosed => distribution_closed,
    OrderCreated => order_created,
    OrderPaid => order_paid,
    OrderCompleted => order_completed,
    OrderFulfilled => order_fulfilled,
    OrderCancelled => order_cancelled,
    ConsumerCreated => consumer_created,
    ConsumerUpdated => consumer_updated,
    ConsumerDeleted => consumer_deleted,
    ConsumerAuthenticated => consumer_authenticated,
    ConsumerLinked => consumer_linked,
    WebhookDeliveryFailed => webhook_delivery_failed,
}

/// The built-in handler: state is materialised by the processor; no side effects.
#[derive(Debug, Default, Clone, Copy)]
pub struct StateOnly;

impl EventHandler for StateOnly {}
