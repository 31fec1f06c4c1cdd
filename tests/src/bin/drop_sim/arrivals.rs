//! The drop's deliveries: every event of the profile with the time it happens, as Fanfare would
//! deliver it (with its duplicates and late copies), each with its message group as ingest sets it.

use std::sync::Arc;

use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::testing::{body_at, T0_MS};
use rand::rngs::StdRng;
use rand::Rng;

use crate::profile::Profile;

/// The families the figures are given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Admission,
    Order,
    Draw,
    Auction,
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::Admission,
        Family::Order,
        Family::Draw,
        Family::Auction,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::Admission => "admissions",
            Family::Order => "orders",
            Family::Draw => "draw",
            Family::Auction => "auction",
        }
    }

    /// The family of one of the simulation's event ids (`evt_<prefix>_...`).
    pub fn of_event_id(id: &str) -> Family {
        let prefix = id.split('_').nth(1).unwrap_or_default();
        match prefix {
            "entry" | "draw" => Family::Draw,
            "bid" | "auction" => Family::Auction,
            "order" => Family::Order,
            _ => Family::Admission,
        }
    }

    /// The family whose handler calls a downstream of the default profile.
    pub fn of_downstream(name: &str) -> Family {
        match name {
            "erp" => Family::Order,
            _ => Family::Admission,
        }
    }

    /// The family of a state item, from its partition key.
    pub fn of_item(pk: &str) -> Family {
        match pk.split('/').next() {
            Some("draw") => Family::Draw,
            Some("auction") => Family::Auction,
            Some("order") => Family::Order,
            _ => Family::Admission,
        }
    }
}

/// One event of the drop.
pub struct SimEvent {
    pub id: Arc<str>,
    pub body: Arc<str>,
    pub group: Arc<str>,
    pub family: Family,
    /// The canonical kind (for `AcknowledgeOnlyKinds`).
    pub kind: &'static str,
    /// Its handler fails the first attempt (`handler_failure_rate`).
    pub fails_once: bool,
}

/// One delivery of an event: when it reaches ingest (ms from the drop's start).
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub at_ms: f64,
    pub event: usize,
}

pub struct Drop {
    pub events: Vec<SimEvent>,
    /// Sorted by time.
    pub deliveries: Vec<Delivery>,
}

struct Builder<'r> {
    rng: &'r mut StdRng,
    events: Vec<SimEvent>,
    deliveries: Vec<Delivery>,
    duplicates: f64,
    disorder: f64,
    failure_rate: f64,
    entity_groups: bool,
}

impl Builder<'_> {
    fn event(&mut self, family: Family, id: String, ty: &str, at_s: f64, data: String) {
        let at_ms = at_s * 1000.0;
        let body = body_at(&id, ty, T0_MS + at_ms as i64, &data);
        let event = parse_event(body.as_bytes()).expect("the simulation's events are valid");
        let index = self.events.len();
        self.events.push(SimEvent {
            id: event.id.as_str().into(),
            body: body.into(),
            group: if self.entity_groups {
                event.entity().key().into()
            } else {
                event.ordering_key().into()
            },
            family,
            kind: event.kind.as_str(),
            fails_once: self.rng.random_bool(self.failure_rate.clamp(0.0, 1.0)),
        });
        let late = if self.rng.random_bool(self.disorder) {
            self.rng.random_range(200.0..5_000.0)
        } else {
            0.0
        };
        self.deliveries.push(Delivery {
            at_ms: at_ms + late,
            event: index,
        });
        if self.rng.random_bool(self.duplicates) {
            let again = at_ms + late + self.rng.random_range(1_000.0..60_000.0);
            self.deliveries.push(Delivery {
                at_ms: again,
                event: index,
            });
        }
    }
}

pub fn generate(profile: &Profile, rng: &mut StdRng) -> Drop {
    let mut b = Builder {
        rng,
        events: Vec::new(),
        deliveries: Vec::new(),
        duplicates: profile.duplicates,
        disorder: profile.disorder,
        failure_rate: profile.handler_failure_rate,
        entity_groups: profile.receiver.groups == "entity",
    };
    queue(&mut b, profile);
    draw(&mut b, profile);
    auction(&mut b, profile);
    let Builder {
        events,
        mut deliveries,
        ..
    } = b;
    deliveries.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    Drop { events, deliveries }
}

fn queue(b: &mut Builder<'_>, profile: &Profile) {
    let q = &profile.queue;
    for i in 0..q.consumers {
        let data = |extra: &str| {
            format!(
                r#"{{"experienceId":"exp_drop","queueId":"que_1","consumerId":"con_{i}"{extra}}}"#
            )
        };
        let entered = q
            .rush
            .at(i as f64 / q.consumers.max(1) as f64, q.enter_within_s);
        let admitted = (q.admit_after_s + i as f64 / q.admit_per_s).max(entered + 1.0);
        b.event(
            Family::Admission,
            format!("evt_in_{i}"),
            "queue.consumer_entered",
            entered,
            data(&format!(r#","position":{}"#, i + 1)),
        );
        for k in 1..=q.position_updates {
            let share = k as f64 / (q.position_updates + 1) as f64;
            let at = entered + (admitted - entered) * share;
            let position = ((i + 1) as f64 * (1.0 - share)).ceil() as u64;
            b.event(
                Family::Admission,
                format!("evt_pos_{i}_{k}"),
                "queue.position_updated",
                at,
                data(&format!(r#","position":{position}"#)),
            );
        }
        b.event(
            Family::Admission,
            format!("evt_adm_{i}"),
            "queue.consumer_admitted",
            admitted,
            data(r#","admissionToken":"adm_tok","expiresAt":"2026-01-01T01:00:00Z""#),
        );
        if b.rng.random_bool(q.completed_share) {
            let at = admitted + b.rng.random_range(10.0..q.complete_within_s.max(10.1));
            b.event(
                Family::Admission,
                format!("evt_done_{i}"),
                "queue.admission_completed",
                at,
                data(&format!(r#","orderId":"ord_{i}""#)),
            );
            if b.rng.random_bool(profile.orders.share.clamp(0.0, 1.0)) {
                order(b, profile, i, at);
            }
        } else {
            b.event(
                Family::Admission,
                format!("evt_exp_{i}"),
                "queue.admission_expired",
                admitted + q.expire_after_s,
                data(""),
            );
        }
    }
}

/// A completed admission's order: created, paid, fulfilled.
fn order(b: &mut Builder<'_>, profile: &Profile, i: u64, at: f64) {
    let o = &profile.orders;
    let data = format!(
        r#"{{"experienceId":"exp_drop","orderId":"ord_{i}","consumerId":"con_{i}","totalAmount":"49.00","currencyCode":"USD"}}"#
    );
    let steps = [
        ("created", "order.created", 0.0),
        ("paid", "order.paid", o.paid_after_s),
        ("fulfilled", "order.fulfilled", o.fulfilled_after_s),
    ];
    for (step, ty, after) in steps {
        let id = format!("evt_order_{step}_{i}");
        b.event(Family::Order, id, ty, at + after, data.clone());
    }
}

fn draw(b: &mut Builder<'_>, profile: &Profile) {
    let d = &profile.draw;
    if d.entries == 0 {
        return;
    }
    for j in 0..d.entries {
        let at = d.rush.at(j as f64 / d.entries as f64, d.over_s);
        let data = format!(
            r#"{{"experienceId":"exp_drop","drawId":"drw_1","consumerId":"con_d{j}","entrantNumber":{}}}"#,
            j + 1
        );
        b.event(
            Family::Draw,
            format!("evt_entry_{j}"),
            "draw.entry_created",
            at,
            data,
        );
    }
    let winners: Vec<String> = (0..d.winners.min(d.entries))
        .map(|w| {
            format!(
                r#"{{"consumerId":"con_d{}","position":{}}}"#,
                w * (d.entries / d.winners.max(1)).max(1),
                w + 1
            )
        })
        .collect();
    let data = format!(
        r#"{{"experienceId":"exp_drop","drawId":"drw_1","totalEntries":{},"winners":[{}]}}"#,
        d.entries,
        winners.join(",")
    );
    b.event(
        Family::Draw,
        "evt_draw_results".into(),
        "draw.winners_selected",
        d.over_s + 5.0,
        data,
    );
    let data = format!(
        r#"{{"experienceId":"exp_drop","drawId":"drw_1","totalEntrants":{},"winnersSelected":{}}}"#,
        d.entries, d.winners
    );
    b.event(
        Family::Draw,
        "evt_draw_done".into(),
        "draw.completed",
        d.over_s + 10.0,
        data,
    );
}

fn auction(b: &mut Builder<'_>, profile: &Profile) {
    let a = &profile.auction;
    if a.bids == 0 {
        return;
    }
    let start = a.ends_at_s - a.last_s;
    for n in 0..a.bids {
        // The rush is at the end: counted back from it.
        let at = start + a.last_s - a.rush.at(1.0 - n as f64 / a.bids as f64, a.last_s);
        let bidder = b.rng.random_range(0..a.bidders.max(1));
        let amount = 100 + n * 5 + b.rng.random_range(0..5);
        let data = format!(
            r#"{{"experienceId":"exp_drop","auctionId":"auc_1","consumerId":"con_b{bidder}","bidId":"bid_{n}","bidAmount":"{amount}.00","currencyCode":"USD"}}"#
        );
        b.event(
            Family::Auction,
            format!("evt_bid_{n}"),
            "auction.bid_placed",
            at,
            data,
        );
    }
    let data =
        r#"{"experienceId":"exp_drop","auctionId":"auc_1","winnerId":"con_b1","totalBids":2000}"#;
    b.event(
        Family::Auction,
        "evt_auction_won".into(),
        "auction.winner_notified",
        a.ends_at_s + 1.0,
        data.into(),
    );
    b.event(
        Family::Auction,
        "evt_auction_settled".into(),
        "auction.settled",
        a.ends_at_s + 30.0,
        data.into(),
    );
}
