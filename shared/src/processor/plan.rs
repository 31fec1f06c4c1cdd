//! The built-in handler logic for every kind: the state each event materialises, as conditional
//! writes (see `state`). Pure: no I/O, so every kind is unit-tested and the ordering property is
//! checked with proptest.
//!
//! Credentials (`admissionToken`, `claimToken`, `paymentToken`) are never stored. Contact details
//! (`email`, `phone`, `fullName`) are stored only when `store_personal_data` is set.

use serde_json::Value;

use crate::model::kind::EventKind;
use crate::model::{key_segment, Event, StateKey};
use crate::ports::state::{Attr, Gate, ItemWrite, Version};

/// The item every entity's own state lives in.
pub const STATE_SK: &str = "STATE";

/// What processing one event writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Whether the event moves its entity's state in lifecycle order. For ordered kinds the first
    /// write is the ordering gate: if it is stale, the event is recorded as skipped-as-stale and the
    /// user's handler does not run. Unordered kinds (bids, draw entries, alerts) always run.
    pub ordered: bool,
    pub writes: Vec<ItemWrite>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    pub store_personal_data: bool,
}

fn s(v: Option<String>) -> Option<Attr> {
    v.map(Attr::S)
}

fn n(v: Option<i64>) -> Option<Attr> {
    v.map(Attr::n)
}

fn time(event: &Event, field: &str) -> Option<Attr> {
    event.str_field(field).map(Attr::s)
}

fn money(event: &Event, names: &[&str]) -> Option<Attr> {
    match event.money_field(names) {
        Some(Ok(m)) => Some(Attr::money(m)),
        _ => None,
    }
}

fn json(event: &Event, field: &str) -> Option<Attr> {
    event.field(field).map(|v| Attr::S(v.to_string()))
}

/// Builds the plan for one event.
pub fn plan(event: &Event, options: PlanOptions) -> Plan {
    use EventKind::*;
    // Never the message group's fallback: an event without its own entity id gets an item of its own.
    let pk = StateKey::of(event).key();
    let ms = event.occurred_at.timestamp_millis();
    let at = Attr::s(
        event
            .occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    );
    let versioned = |rank: u8| Gate::Versioned(Version::of(ms, rank, &event.id));
    let state = |rank: u8| ItemWrite::new(pk.clone(), STATE_SK, versioned(rank));
    let ordered = |write: ItemWrite| Plan {
        ordered: true,
        writes: vec![write],
    };
    let consumer = event.consumer_id();
    // A member item's sort key (`ENTRY#…`, `BIDDER#…`): bounded, and one per event when the
    // consumer is unknown.
    let member = |consumer: &Option<String>| match consumer {
        Some(id) => key_segment(id),
        None => format!("unknown-{}", key_segment(&event.id)),
    };
    let ids = |w: ItemWrite| {
        w.fact("experienceId", s(event.experience_id.clone()))
            .fact("consumerId", s(event.consumer_id()))
    };

    match event.kind {
        // Admissions: a consumer's place in an experience's queue.
        QueueEntered => ordered(
            ids(state(1))
                .moving("status", Attr::s("waiting"))
                .moving("position", n(event.i64_field("position")))
                .fact("queueId", s(event.id_field("queueId")))
                .fact("enteredAt", time(event, "enteredAt")),
        ),
        QueuePositionUpdated => ordered(
            ids(state(2))
                .moving("position", n(event.i64_field("position")))
                .fact("queueId", s(event.id_field("queueId"))),
        ),
        QueueAdmitted => ordered(
            ids(state(3))
                .moving("status", Attr::s("admitted"))
                .moving("position", n(event.i64_field("position")))
                .fact("queueId", s(event.id_field("queueId")))
                .fact("distributionId", s(event.id_field("distributionId")))
                .fact("enteredAt", time(event, "enteredAt"))
                .fact("admittedAt", time(event, "admittedAt").or(Some(at.clone())))
                .fact("tokenExpiresAt", time(event, "expiresAt"))
                .fact("waitTimeSeconds", n(event.i64_field("waitTimeSeconds"))),
        ),
        QueueDenied => ordered(
            ids(state(4))
                .moving("status", Attr::s("denied"))
                .fact("deniedAt", time(event, "deniedAt").or(Some(at.clone())))
                .fact("denyReason", event.str_field("reason").map(Attr::s)),
        ),
        QueueCompleted => ordered(
            ids(state(5))
                .moving("status", Attr::s("completed"))
                .fact(
                    "completedAt",
                    time(event, "completedAt").or(Some(at.clone())),
                )
                .fact("orderId", s(event.id_field("orderId"))),
        ),
        AdmissionExpired => ordered(
            ids(state(5))
                .moving("status", Attr::s("expired"))
                .fact("expiredAt", time(event, "expiredAt").or(Some(at.clone()))),
        ),
        QueueLeft => ordered(
            ids(state(5))
                .moving("status", Attr::s("left"))
                .fact("leftAt", time(event, "leftAt").or(Some(at.clone())))
                .fact("positionWhenLeft", n(event.i64_field("positionWhenLeft")))
                .fact("leaveReason", event.str_field("reason").map(Attr::s)),
        ),

        // Experiences.
        ExperienceCreated => ordered(
            state(1)
                .moving("status", Attr::s("created"))
                .fact("experienceType", event.str_field("type").map(Attr::s))
                .fact("createdAt", Some(at)),
        ),
        ExperienceStarted => ordered(
            state(2)
                .moving("status", Attr::s("live"))
                .fact("startedAt", Some(at)),
        ),
        ExperiencePaused => ordered(
            state(3)
                .moving("status", Attr::s("paused"))
                .moving("pauseReason", event.str_field("reason").map(Attr::s)),
        ),
        ExperienceResumed => ordered(state(4).moving("status", Attr::s("live"))),
        ExperienceEnded => ordered(
            state(5)
                .moving("status", Attr::s("ended"))
                .fact("endedAt", Some(at))
                .fact("totalParticipants", n(event.i64_field("totalParticipants"))),
        ),
        ExperienceCancelled => ordered(
            state(5)
                .moving("status", Attr::s("cancelled"))
                .fact("cancelledAt", Some(at)),
        ),
        QueueSoldOut => Plan {
            ordered: false,
            writes: vec![ItemWrite::new(pk, STATE_SK, Gate::Unversioned)
                .fact("soldOutAt", Some(at))
                .fact("soldOutQueueId", s(event.id_field("queueId")))],
        },

        // Distributions.
        DistributionOpened => ordered(
            state(1)
                .moving("status", Attr::s("open"))
                .fact(
                    "distributionType",
                    event.str_field("distributionType").map(Attr::s),
                )
                .fact("experienceId", s(event.experience_id.clone()))
                .fact("openedAt", time(event, "openedAt").or(Some(at))),
        ),
        DistributionUpdated => ordered(
            state(2)
                .moving("lastUpdatedAt", time(event, "updatedAt").or(Some(at)))
                .moving("lastChangedFields", json(event, "changedFields")),
        ),
        DistributionClosed => ordered(
            state(3)
                .moving("status", Attr::s("closed"))
                .fact("closedAt", time(event, "closedAt").or(Some(at)))
                .fact("totalParticipants", n(event.i64_field("totalParticipants"))),
        ),

        // Orders.
        OrderCreated => ordered(
            ids(state(1))
                .moving("status", Attr::s("created"))
                .fact("amount", money(event, &["amount", "totalAmount"]))
                .fact("currencyCode", event.str_field("currencyCode").map(Attr::s))
                .fact("items", json(event, "items"))
                .fact("createdAt", time(event, "createdAt").or(Some(at))),
        ),
        OrderPaid => ordered(
            ids(state(2))
                .moving("status", Attr::s("paid"))
                .fact("amount", money(event, &["amount", "totalAmount"]))
                .fact("paidAt", time(event, "paidAt").or(Some(at))),
        ),
        OrderCompleted => ordered(
            ids(state(3))
                .moving("status", Attr::s("completed"))
                .fact("amount", money(event, &["amount", "totalAmount"]))
                .fact("completedAt", time(event, "completedAt").or(Some(at))),
        ),
        OrderFulfilled => ordered(
            ids(state(4))
                .moving("status", Attr::s("fulfilled"))
                .fact("fulfilledAt", time(event, "fulfilledAt").or(Some(at))),
        ),
        OrderCancelled => ordered(
            ids(state(5))
                .moving("status", Attr::s("cancelled"))
                .fact("cancelledAt", time(event, "cancelledAt").or(Some(at)))
                .fact("cancelReason", event.str_field("reason").map(Attr::s)),
        ),

        // Consumers: ids and timestamps; contact details only when configured.
        ConsumerCreated | ConsumerUpdated => {
            let rank = if event.kind == ConsumerCreated { 1 } else { 2 };
            let mut w = state(rank)
                .moving("status", Attr::s("active"))
                .moving("updatedAt", Some(at.clone()))
                .fact("createdAt", time(event, "createdAt"))
                .fact("source", event.str_field("source").map(Attr::s));
            if options.store_personal_data {
                for field in ["email", "phone", "fullName"] {
                    w = w.moving(field, event.str_field(field).map(Attr::s));
                }
            }
            ordered(w)
        }
        ConsumerDeleted => {
            let mut w = state(3)
                .moving("status", Attr::s("deleted"))
                .fact("deletedAt", Some(at));
            w.remove = vec!["email", "phone", "fullName"];
            ordered(w)
        }
        ConsumerAuthenticated | ConsumerLinked => {
            let sk = format!("ACTIVITY#{}", event.kind.as_str());
            Plan {
                ordered: false,
                writes: vec![ItemWrite::new(pk, sk, versioned(1)).moving("lastAt", Some(at))],
            }
        }

        // Draws: each entrant's status is its own item, so entries accumulate in any order.
        DrawEntered | DrawLeft | DrawWon | DrawLost | DrawPrizeClaimed | DrawPrizeExpired => {
            let (rank, status, time_field) = match event.kind {
                DrawEntered => (1, "entered", "enteredAt"),
                DrawLeft => (2, "left", "leftAt"),
                DrawWon => (3, "won", "wonAt"),
                DrawLost => (3, "lost", "lostAt"),
                DrawPrizeClaimed => (4, "claimed", "claimedAt"),
                _ => (4, "claim_expired", "expiredAt"),
            };
            let w = ItemWrite::new(pk, format!("ENTRY#{}", member(&consumer)), versioned(rank))
                .moving("status", Attr::s(status))
                .fact("consumerId", s(consumer))
                .fact("experienceId", s(event.experience_id.clone()))
                .fact(
                    "entrantNumber",
                    n(event
                        .i64_field("entrantNumber")
                        .or(event.i64_field("entryNumber"))),
                )
                .fact("orderId", s(event.id_field("orderId")));
            // `draw.winners_selected` reports the same win with its own time and position: as moving
            // fields the latest report wins whatever the order of arrival (as facts, the first to
            // arrive would).
            let w = if event.kind == DrawWon {
                w.moving("wonAt", time(event, "wonAt").or(Some(at)))
                    .moving("winnerPosition", n(event.i64_field("winnerPosition")))
            } else {
                w.fact(time_field, time(event, time_field).or(Some(at)))
                    .fact("winnerPosition", n(event.i64_field("winnerPosition")))
            };
            Plan {
                ordered: false,
                writes: vec![w],
            }
        }
        DrawWinnersSelected => {
            let mut writes = vec![ItemWrite::new(pk.clone(), STATE_SK, Gate::Unversioned)
                .fact("winnersSelectedAt", Some(at.clone()))
                .fact(
                    "selectionMethod",
                    event.str_field("selectionMethod").map(Attr::s),
                )
                .fact("totalEntries", n(event.i64_field("totalEntries")))];
            if let Some(Value::Array(winners)) = event.field("winners") {
                for winner in winners {
                    let Some(id) = winner.get("consumerId").and_then(crate::model::id_string)
                    else {
                        continue;
                    };
                    writes.push(
                        ItemWrite::new(
                            pk.clone(),
                            format!("ENTRY#{}", key_segment(&id)),
                            versioned(3),
                        )
                        .moving("status", Attr::s("won"))
                        .fact("consumerId", Attr::s(id))
                        .moving("wonAt", Some(at.clone()))
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
            Plan {
                ordered: false,
                writes,
            }
        }
        DrawCompleted => ordered(
            state(5)
                .moving("status", Attr::s("completed"))
                .fact("completedAt", time(event, "completedAt").or(Some(at)))
                .fact("totalEntrants", n(event.i64_field("totalEntrants")))
                .fact("winnersSelected", n(event.i64_field("winnersSelected"))),
        ),

        // Auctions: bids accumulate; the high bid moves only up.
        AuctionBidPlaced => {
            let bid_id = event.id_field("bidId").unwrap_or_else(|| event.id.clone());
            let amount = event
                .money_field(&["bidAmount", "amount"])
                .and_then(Result::ok);
            let gate = match amount {
                Some(a) => Gate::Versioned(Version::by_amount(a, ms, &event.id)),
                None => Gate::Unversioned,
            };
            let mut w = ItemWrite::new(pk, STATE_SK, gate)
                .fact("experienceId", s(event.experience_id.clone()))
                .fact("currencyCode", event.str_field("currencyCode").map(Attr::s));
            if let Some(a) = amount {
                w = w
                    .moving("highBid", Attr::money(a))
                    .moving("highBidderId", s(consumer))
                    .moving("highBidId", Attr::s(bid_id.clone()))
                    .moving("highBidAt", time(event, "bidTime").or(Some(at)));
            }
            w.add_to_set.push(("bidIds", bid_id));
            Plan {
                ordered: false,
                writes: vec![w],
            }
        }
        AuctionOutbid => Plan {
            ordered: false,
            writes: vec![
                ItemWrite::new(pk, format!("BIDDER#{}", member(&consumer)), versioned(2))
                    .moving("status", Attr::s("outbid"))
                    .moving("outbidAt", time(event, "outbidAt").or(Some(at)))
                    .moving(
                        "newHighBidAmount",
                        money(event, &["newHighBidAmount", "newHighBid"]),
                    ),
            ],
        },
        AuctionWon | AuctionSettled => {
            let (rank, status) = if event.kind == AuctionWon {
                (1, "won")
            } else {
                (2, "settled")
            };
            ordered(
                ItemWrite::new(pk, "OUTCOME", versioned(rank))
                    .moving("status", Attr::s(status))
                    .fact("winnerId", s(event.id_field("winnerId").or(consumer)))
                    .fact(
                        "winningBid",
                        money(event, &["winningBidAmount", "winningBid", "finalBid"]),
                    )
                    .fact("currencyCode", event.str_field("currencyCode").map(Attr::s))
                    .fact("totalBids", n(event.i64_field("totalBids")))
                    .fact("uniqueBidders", n(event.i64_field("uniqueBidders")))
                    .fact(
                        if event.kind == AuctionWon {
                            "wonAt"
                        } else {
                            "settledAt"
                        },
                        Some(at),
                    ),
            )
        }

        // Fanfare gave up delivering an event to us: an alert record (and a metric, see metrics).
        WebhookDeliveryFailed => {
            let failed = event
                .id_field("eventId")
                .unwrap_or_else(|| event.id.clone());
            Plan {
                ordered: false,
                writes: vec![ItemWrite::new(
                    format!("alert/{}", event.entity().key()),
                    format!("DELIVERY_FAILED#{}", key_segment(&failed)),
                    Gate::Unversioned,
                )
                .fact("failedEventId", Attr::s(failed))
                .fact("failedEventType", event.str_field("eventType").map(Attr::s))
                .fact("endpointId", s(event.id_field("endpointId")))
                .fact("retryCount", n(event.i64_field("retryCount")))
                .fact("lastError", event.str_field("lastError").map(Attr::s))
                .fact("willRetry", event.bool_field("willRetry").map(Attr::Bool))
                .fact("reportedAt", Some(at))
                .fact("alertEventId", Attr::s(event.id.clone()))],
            }
        }
        Unknown => Plan {
            ordered: false,
            writes: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::envelope::parse_event;

    fn event(kind_type: &str, data: &str) -> Event {
        let body =
            format!(r#"{{"id":"e1","type":"{kind_type}","created":1767225600,"data":{data}}}"#);
        parse_event(body.as_bytes()).unwrap()
    }

    #[test]
    fn every_known_kind_writes_state_and_unknown_writes_nothing() {
        for &kind in EventKind::ALL {
            let e = event(
                kind.aliases()[0],
                r#"{"experienceId":"x","consumerId":"c","drawId":"d","auctionId":"a","orderId":"o","distributionId":"s","bidAmount":"1.50","winners":[{"consumerId":"c"}]}"#,
            );
            assert!(
                !plan(&e, PlanOptions::default()).writes.is_empty(),
                "{kind}"
            );
        }
        assert!(plan(&event("test", "{}"), PlanOptions::default())
            .writes
            .is_empty());
    }

    #[test]
    fn credentials_are_never_stored_and_contact_details_only_when_configured() {
        let all = |p: &Plan| format!("{:?}", p.writes);
        let admitted = event(
            "queue.consumer_admitted",
            r#"{"experienceId":"x","consumerId":"c","admissionToken":"tok_SECRET"}"#,
        );
        assert!(!all(&plan(&admitted, PlanOptions::default())).contains("tok_SECRET"));
        let created = event(
            "consumer.created",
            r#"{"consumerId":"c","email":"ada@example.com"}"#,
        );
        assert!(!all(&plan(&created, PlanOptions::default())).contains("ada@example.com"));
        let opted_in = PlanOptions {
            store_personal_data: true,
        };
        assert!(all(&plan(&created, opted_in)).contains("ada@example.com"));
    }

    #[test]
    fn money_is_stored_as_exact_decimal_text() {
        let bid = event(
            "auction.bid_placed",
            r#"{"auctionId":"a","consumerId":"c","bidAmount":149.99}"#,
        );
        let p = plan(&bid, PlanOptions::default());
        assert!(p.writes[0]
            .moving
            .contains(&("highBid", Attr::N("149.99".into()))));
    }
}
