//! Event types and their aliases. Fanfare's pages spell the same fact up to five ways; each row of the
//! contract's alias table becomes exactly one [`EventKind`].

use std::fmt;

/// The one table of kinds: for each row of the contract's alias table, its variant, canonical name,
/// handler method, family and every spelling Fanfare's docs use. `EventKind` and its family, the
/// `EventHandler` trait and its dispatch, the typed `Payload` enum, and any handler that treats every
/// kind alike (recording, forwarding to a bus) are generated from it: `callback!` receives every row
/// as `Variant => "name", method, Family: ["spelling", ...];`. A new kind is one row here, its plan
/// and its payload struct.
#[macro_export]
macro_rules! for_each_kind {
    ($callback:ident) => {
        $callback! {
            QueueEntered => "queue.entered", queue_entered, Admission: ["queue.consumer.entered", "queue.consumer_entered", "distribution.joined", "admission.created"];
            QueueAdmitted => "queue.admitted", queue_admitted, Admission: ["queue.consumer.admitted", "queue.consumer_admitted", "queue.access_granted", "distribution.admitted", "admission.admitted"];
            QueueCompleted => "queue.completed", queue_completed, Admission: ["queue.consumer.completed", "queue.admission_completed", "distribution.completed", "admission.completed"];
            AdmissionExpired => "queue.admission_expired", admission_expired, Admission: ["queue.admission_expired", "queue.access_expired", "admission.expired"];
            QueueLeft => "queue.left", queue_left, Admission: ["queue.consumer.left", "queue.consumer_left"];
            QueueDenied => "queue.denied", queue_denied, Admission: ["queue.consumer.denied"];
            QueuePositionUpdated => "queue.position_updated", queue_position_updated, Admission: ["queue.position_updated"];
            QueueSoldOut => "queue.sold_out", queue_sold_out, Experience: ["queue.sold_out"];
            DrawEntered => "draw.entered", draw_entered, Draw: ["draw.consumer.entered", "draw.entry_created", "draw.consumer_entered"];
            DrawLeft => "draw.left", draw_left, Draw: ["draw.consumer_left"];
            DrawWon => "draw.won", draw_won, Draw: ["draw.consumer.won", "draw.winner_selected", "distribution.winner_selected"];
            DrawWinnersSelected => "draw.winners_selected", draw_winners_selected, Draw: ["draw.winners_selected"];
            DrawLost => "draw.lost", draw_lost, Draw: ["draw.consumer.lost"];
            DrawCompleted => "draw.completed", draw_completed, Draw: ["draw.completed"];
            DrawPrizeClaimed => "draw.prize_claimed", draw_prize_claimed, Draw: ["draw.prize_claimed"];
            DrawPrizeExpired => "draw.prize_expired", draw_prize_expired, Draw: ["draw.prize_expired"];
            AuctionBidPlaced => "auction.bid_placed", auction_bid_placed, Auction: ["auction.bid.placed", "auction.bid_placed", "distribution.bid_placed"];
            AuctionOutbid => "auction.outbid", auction_outbid, Auction: ["auction.bid.outbid", "auction.outbid"];
            AuctionWon => "auction.won", auction_won, Auction: ["auction.consumer.won", "auction.winner_notified"];
            AuctionSettled => "auction.settled", auction_settled, Auction: ["auction.settled", "auction.auction_ended"];
            ExperienceCreated => "experience.created", experience_created, Experience: ["experience.created"];
            ExperienceStarted => "experience.started", experience_started, Experience: ["experience.started", "experience.activated"];
            ExperiencePaused => "experience.paused", experience_paused, Experience: ["experience.paused"];
            ExperienceResumed => "experience.resumed", experience_resumed, Experience: ["experience.resumed"];
            ExperienceEnded => "experience.ended", experience_ended, Experience: ["experience.ended", "experience.completed"];
            ExperienceCancelled => "experience.cancelled", experience_cancelled, Experience: ["experience.cancelled"];
            DistributionOpened => "distribution.opened", distribution_opened, Distribution: ["distribution.opened"];
            DistributionUpdated => "distribution.updated", distribution_updated, Distribution: ["distribution.updated"];
            DistributionClosed => "distribution.closed", distribution_closed, Distribution: ["distribution.closed"];
            OrderCreated => "order.created", order_created, Order: ["order.created"];
            OrderPaid => "order.paid", order_paid, Order: ["order.paid"];
            OrderCompleted => "order.completed", order_completed, Order: ["order.completed"];
            OrderFulfilled => "order.fulfilled", order_fulfilled, Order: ["order.fulfilled"];
            OrderCancelled => "order.cancelled", order_cancelled, Order: ["order.cancelled"];
            ConsumerCreated => "consumer.created", consumer_created, Consumer: ["consumer.created"];
            ConsumerUpdated => "consumer.updated", consumer_updated, Consumer: ["consumer.updated"];
            ConsumerDeleted => "consumer.deleted", consumer_deleted, Consumer: ["consumer.deleted"];
            ConsumerAuthenticated => "consumer.authenticated", consumer_authenticated, Consumer: ["consumer.authenticated"];
            ConsumerLinked => "consumer.linked", consumer_linked, Consumer: ["consumer.linked"];
            WebhookDeliveryFailed => "webhook.delivery_failed", webhook_delivery_failed, Webhook: ["webhook.delivery.failed"];
        }
    };
}

macro_rules! kinds {
    ($( $variant:ident => $name:literal, $method:ident, $family:ident: [$($alias:literal),+] );+ $(;)?) => {
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

            /// Normalises a `type` value as sent (case and surrounding spaces are ignored): any of
            /// the docs' spellings, or the kind's canonical name (what our README, CLI and
            /// `AcknowledgeOnlyKinds` use; no canonical name is another kind's spelling).
            pub fn from_type(event_type: &str) -> EventKind {
                let t = event_type.trim().to_ascii_lowercase();
                match t.as_str() {
                    $( $($alias)|+ => EventKind::$variant, )+
                    canonical => EventKind::from_canonical(canonical).unwrap_or(EventKind::Unknown),
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

            /// The entity family an event of this kind changes, which decides its ordering key.
            pub fn family(self) -> Family {
                match self {
                    $( EventKind::$variant => Family::$family, )+
                    EventKind::Unknown => Family::Unknown,
                }
            }
        }
    };
}

for_each_kind!(kinds);

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

    /// A body typed with a kind's canonical name (`queue.admitted`, as our README and CLI name it)
    /// is that kind, not silently ignored; no canonical name is another kind's spelling.
    #[test]
    fn canonical_names_are_accepted_on_the_wire() {
        for &kind in EventKind::ALL {
            assert_eq!(EventKind::from_type(kind.as_str()), kind, "{kind}");
            for &other in EventKind::ALL.iter().filter(|&&o| o != kind) {
                assert!(
                    !other.aliases().contains(&kind.as_str()),
                    "{kind} is {other}'s"
                );
            }
        }
        assert_eq!(
            EventKind::from_type("Queue.Admitted"),
            EventKind::QueueAdmitted
        );
    }

    #[test]
    fn canonical_names_round_trip() {
        for &kind in EventKind::ALL {
            assert_eq!(EventKind::from_canonical(kind.as_str()), Some(kind));
        }
    }
}
