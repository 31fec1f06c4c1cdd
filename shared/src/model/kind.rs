//! Event types and their aliases. Fanfare's pages spell the same fact up to five ways; each row of the
//! contract's alias table becomes exactly one [`EventKind`].

use std::fmt;

macro_rules! kinds {
    ($( $variant:ident => $name:literal : [$($alias:literal),+ $(,)?] ),+ $(,)?) => {
        /// The normalised kind of an event. `Unknown` is a valid kind: it is acknowledged and ignored.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $( $variant, )+
            Unknown,
        }

        impl EventKind {
            /// Every kind except `Unknown`, in table order.
            pub const ALL: &'static [EventKind] = &[$( EventKind::$variant, )+];

            /// The canonical name used in logs, metrics, records and the CLI.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( EventKind::$variant => $name, )+
                    EventKind::Unknown => "unknown",
                }
            }

            /// Every spelling Fanfare's docs use for this kind.
            pub fn aliases(self) -> &'static [&'static str] {
                match self {
                    $( EventKind::$variant => &[$($alias),+], )+
                    EventKind::Unknown => &[],
                }
            }

            /// Normalises a `type` value as sent (case and surrounding spaces are ignored).
            pub fn from_type(event_type: &str) -> EventKind {
                let t = event_type.trim().to_ascii_lowercase();
                match t.as_str() {
                    $( $($alias)|+ => EventKind::$variant, )+
                    _ => EventKind::Unknown,
                }
            }

            /// Parses a canonical name (as printed by `as_str`), e.g. for CLI filters.
            pub fn from_canonical(name: &str) -> Option<EventKind> {
                match name {
                    $( $name => Some(EventKind::$variant), )+
                    "unknown" => Some(EventKind::Unknown),
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    QueueEntered => "queue.entered": ["queue.consumer.entered", "queue.consumer_entered", "distribution.joined", "admission.created"],
    QueueAdmitted => "queue.admitted": ["queue.consumer.admitted", "queue.consumer_admitted", "queue.access_granted", "distribution.admitted", "admission.admitted"],
    QueueCompleted => "queue.completed": ["queue.consumer.completed", "queue.admission_completed", "distribution.completed", "admission.completed"],
    AdmissionExpired => "queue.admission_expired": ["queue.admission_expired", "queue.access_expired", "admission.expired"],
    QueueLeft => "queue.left": ["queue.consumer.left", "queue.consumer_left"],
    QueueDenied => "queue.denied": ["queue.consumer.denied"],
    QueuePositionUpdated => "queue.position_updated": ["queue.position_updated"],
    QueueSoldOut => "queue.sold_out": ["queue.sold_out"],
    DrawEntered => "draw.entered": ["draw.consumer.entered", "draw.entry_created", "draw.consumer_entered"],
    DrawLeft => "draw.left": ["draw.consumer_left"],
    DrawWon => "draw.won": ["draw.consumer.won", "draw.winner_selected", "distribution.winner_selected"],
    DrawWinnersSelected => "draw.winners_selected": ["draw.winners_selected"],
    DrawLost => "draw.lost": ["draw.consumer.lost"],
    DrawCompleted => "draw.completed": ["draw.completed"],
    DrawPrizeClaimed => "draw.prize_claimed": ["draw.prize_claimed"],
    DrawPrizeExpired => "draw.prize_expired": ["draw.prize_expired"],
    AuctionBidPlaced => "auction.bid_placed": ["auction.bid.placed", "auction.bid_placed", "distribution.bid_placed"],
    AuctionOutbid => "auction.outbid": ["auction.bid.outbid", "auction.outbid"],
    AuctionWon => "auction.won": ["auction.consumer.won", "auction.winner_notified"],
    AuctionSettled => "auction.settled": ["auction.settled", "auction.auction_ended"],
    ExperienceCreated => "experience.created": ["experience.created"],
    ExperienceStarted => "experience.started": ["experience.started", "experience.activated"],
    ExperiencePaused => "experience.paused": ["experience.paused"],
    ExperienceResumed => "experience.resumed": ["experience.resumed"],
    ExperienceEnded => "experience.ended": ["experience.ended", "experience.completed"],
    ExperienceCancelled => "experience.cancelled": ["experience.cancelled"],
    DistributionOpened => "distribution.opened": ["distribution.opened"],
    DistributionUpdated => "distribution.updated": ["distribution.updated"],
    DistributionClosed => "distribution.closed": ["distribution.closed"],
    OrderCreated => "order.created": ["order.created"],
    OrderPaid => "order.paid": ["order.paid"],
    OrderCompleted => "order.completed": ["order.completed"],
    OrderFulfilled => "order.fulfilled": ["order.fulfilled"],
    OrderCancelled => "order.cancelled": ["order.cancelled"],
    ConsumerCreated => "consumer.created": ["consumer.created"],
    ConsumerUpdated => "consumer.updated": ["consumer.updated"],
    ConsumerDeleted => "consumer.deleted": ["consumer.deleted"],
    ConsumerAuthenticated => "consumer.authenticated": ["consumer.authenticated"],
    ConsumerLinked => "consumer.linked": ["consumer.linked"],
    WebhookDeliveryFailed => "webhook.delivery_failed": ["webhook.delivery.failed"],
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The entity family an event changes, which decides its ordering key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A consumer's place in an experience's queue.
    Admission,
    Draw,
    Auction,
    Experience,
    Distribution,
    Order,
    Consumer,
    /// Alerts about the webhook endpoint itself.
    Webhook,
    Unknown,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Admission => "admission",
            Family::Draw => "draw",
            Family::Auction => "auction",
            Family::Experience => "experience",
            Family::Distribution => "distribution",
            Family::Order => "order",
            Family::Consumer => "consumer",
            Family::Webhook => "webhook",
            Family::Unknown => "unknown",
        }
    }
}

impl EventKind {
    pub fn family(self) -> Family {
        use EventKind::*;
        match self {
            QueueEntered | QueueAdmitted | QueueCompleted | AdmissionExpired | QueueLeft
            | QueueDenied | QueuePositionUpdated => Family::Admission,
            QueueSoldOut | ExperienceCreated | ExperienceStarted | ExperiencePaused
            | ExperienceResumed | ExperienceEnded | ExperienceCancelled => Family::Experience,
            DrawEntered | DrawLeft | DrawWon | DrawWinnersSelected | DrawLost | DrawCompleted
            | DrawPrizeClaimed | DrawPrizeExpired => Family::Draw,
            AuctionBidPlaced | AuctionOutbid | AuctionWon | AuctionSettled => Family::Auction,
            DistributionOpened | DistributionUpdated | DistributionClosed => Family::Distribution,
            OrderCreated | OrderPaid | OrderCompleted | OrderFulfilled | OrderCancelled => {
                Family::Order
            }
            ConsumerCreated
            | ConsumerUpdated
            | ConsumerDeleted
            | ConsumerAuthenticated
            | ConsumerLinked => Family::Consumer,
            WebhookDeliveryFailed => Family::Webhook,
            Unknown => Family::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_alias_maps_to_its_own_kind_and_no_alias_is_shared() {
        let mut seen = HashSet::new();
        for &kind in EventKind::ALL {
            for alias in kind.aliases() {
                assert!(seen.insert(*alias), "alias {alias} listed twice");
                assert_eq!(EventKind::from_type(alias), kind, "{alias}");
            }
        }
        assert_eq!(
            EventKind::ALL.len(),
            40,
            "one kind per row of the alias table"
        );
        assert_eq!(seen.len(), 64, "every spelling in the contract");
    }

    #[test]
    fn type_matching_ignores_case_and_padding() {
        assert_eq!(
            EventKind::from_type(" Queue.Consumer_Admitted "),
            EventKind::QueueAdmitted
        );
    }

    #[test]
    fn unknown_types_are_the_unknown_kind() {
        assert_eq!(EventKind::from_type("test"), EventKind::Unknown);
        assert_eq!(EventKind::from_type(""), EventKind::Unknown);
        assert_eq!(EventKind::from_type("queue"), EventKind::Unknown);
    }

    #[test]
    fn canonical_names_round_trip() {
        for &kind in EventKind::ALL {
            assert_eq!(EventKind::from_canonical(kind.as_str()), Some(kind));
        }
    }
}
