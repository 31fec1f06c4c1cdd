//! The soak's load: a drop's worth of Fanfare events with realistic lifecycles, and the order
//! they are delivered in (shuffled, with duplicates early, concurrent and late).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

mod families;

/// One event as Fanfare would send it: its id and the exact bytes that get signed.
#[derive(Debug, Clone)]
pub struct GeneratedEvent {
    pub id: String,
    pub body: String,
    /// Known kinds run the user handler; unknown types are only acknowledged.
    pub known: bool,
    /// Secrets the body carries (tokens): none may appear in any log line.
    pub secrets: Vec<String>,
}

/// When a delivery goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The shuffled main stream (originals, duplicates anywhere in it or right after the original).
    Main,
    /// After the main stream has been processed: duplicates of completed events.
    Late,
}

#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub event: usize,
    pub phase: Phase,
}

pub struct Load {
    /// In the order Fanfare created them: the order the reference processes them in.
    pub events: Vec<GeneratedEvent>,
    pub deliveries: Vec<Delivery>,
    /// Events delivered more than once.
    pub duplicated: usize,
}

/// Builds `count` events (at least one lifecycle of each family) and their deliveries: a share
/// `duplicate_rate` of events is delivered two to four times.
pub fn load(count: usize, duplicate_rate: f64, seed: u64) -> Load {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut builder = Builder {
        events: Vec::with_capacity(count + 64),
        created: chrono::Utc::now().timestamp() - 4 * 3600,
        rng: StdRng::seed_from_u64(seed ^ 0x5eed),
    };
    let mut drop_number = 0;
    while builder.events.len() < count {
        builder.drop(drop_number);
        drop_number += 1;
    }
    builder.events.truncate(count.max(1));
    let events = builder.events;

    let mut main = Vec::new();
    let mut late = Vec::new();
    let mut duplicated = 0;
    for i in 0..events.len() {
        main.push(Delivery {
            event: i,
            phase: Phase::Main,
        });
        if rng.random_bool(duplicate_rate) {
            duplicated += 1;
            for _ in 0..rng.random_range(1..=3) {
                match rng.random_range(0..10) {
                    // Right behind the original: both in flight at once.
                    0..=3 => main.push(Delivery {
                        event: i,
                        phase: Phase::Main,
                    }),
                    4..=6 => late.push(Delivery {
                        event: i,
                        phase: Phase::Late,
                    }),
                    _ => main.push(Delivery {
                        event: i,
                        phase: Phase::Main,
                    }),
                }
            }
        }
    }
    // Shuffle in windows, so "right behind" copies stay close while the stream as a whole is in
    // any order; then a full shuffle of a third of the positions mixes far-apart events too.
    for window in main.chunks_mut(8) {
        window.shuffle(&mut rng);
    }
    let len = main.len();
    for _ in 0..len / 3 {
        let (a, b) = (rng.random_range(0..len), rng.random_range(0..len));
        main.swap(a, b);
    }
    late.shuffle(&mut rng);
    main.extend(late);
    Load {
        events,
        deliveries: main,
        duplicated,
    }
}

struct Builder {
    events: Vec<GeneratedEvent>,
    /// Strictly increasing `created` (Unix seconds): Fanfare's own order of the events.
    created: i64,
    rng: StdRng,
}

impl Builder {
    fn push(&mut self, event_type: &str, data: Value, secrets: Vec<String>) {
        self.created += 1;
        let id = format!("evt_soak_{:06}", self.events.len());
        let body = json!({
            "id": id,
            "type": event_type,
            "created": self.created,
            "organizationId": "org_soak",
            "data": data,
        })
        .to_string();
        self.events.push(GeneratedEvent {
            id,
            body,
            known: !event_type.starts_with("loyalty."),
            secrets,
        });
    }

    fn iso(&self) -> String {
        chrono::DateTime::from_timestamp(self.created, 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }

    /// The queue: every consumer enters, moves up, and is admitted, leaves or is denied.
    fn queue(&mut self, exp: &str, dst: &str, consumers: &[String]) {
        for (c, consumer) in consumers.iter().enumerate() {
            self.push(
            "queue.consumer_entered",
            json!({"experienceId": exp, "consumerId": consumer, "position": 100 + c, "enteredAt": self.iso()}),
            vec![],
        );
        }
        for (c, consumer) in consumers.iter().enumerate() {
            let moves = self.rng.random_range(1..=3);
            for m in 0..moves {
                self.push(
                "queue.position_updated",
                json!({"experienceId": exp, "consumerId": consumer, "position": 50 - c - m * 10}),
                vec![],
            );
            }
            match c % 5 {
            0..=2 => {
                let token = format!("adm_tok_{consumer}");
                self.push(
                    "queue.consumer.admitted",
                    json!({"experienceId": exp, "consumerId": consumer, "distributionId": dst,
                           "admittedAt": self.iso(), "admissionToken": token,
                           "expiresAt": "2026-12-31T00:00:00Z", "waitTimeSeconds": 60 + c}),
                    vec![token],
                );
                let order = format!("ord_{consumer}");
                self.order(exp, consumer, &order);
                self.push(
                    "queue.admission_completed",
                    json!({"experienceId": exp, "consumerId": consumer, "completedAt": self.iso(), "orderId": order}),
                    vec![],
                );
            }
            3 => self.push(
                "queue.consumer.left",
                json!({"experienceId": exp, "consumerId": consumer, "leftAt": self.iso(), "reason": "user_left"}),
                vec![],
            ),
            _ => self.push(
                "queue.consumer.denied",
                json!({"experienceId": exp, "consumerId": consumer, "deniedAt": self.iso(), "reason": "bot_detected"}),
                vec![],
            ),
        }
        }
    }

    /// One drop: an experience with a queue, a draw and an auction, their consumers and orders.
    fn drop(&mut self, n: usize) {
        let exp = format!("exp_{n:04}");
        let dst = format!("dst_{n:04}");
        let consumers: Vec<String> = (0..40).map(|c| format!("con_{n:04}_{c:03}")).collect();
        self.push(
            "experience.created",
            json!({"experienceId": exp, "type": "queue"}),
            vec![],
        );
        for consumer in &consumers[..10] {
            let token = format!("sess_tok_{consumer}");
            self.push(
                "consumer.created",
                json!({"consumerId": consumer, "email": format!("{consumer}@example.com"),
                       "fullName": "Soak Tester", "accessToken": token, "createdAt": self.iso()}),
                vec![token],
            );
        }
        self.push(
            "experience.activated",
            json!({"experienceId": exp, "status": "live"}),
            vec![],
        );
        self.push(
            "distribution.opened",
            json!({"experienceId": exp, "distributionId": dst, "distributionType": "queue", "openedAt": self.iso()}),
            vec![],
        );
        self.queue(&exp, &dst, &consumers[..20]);
        self.draw(&exp, &format!("drw_{n:04}"), &consumers[20..30]);
        self.auction(&exp, &format!("auc_{n:04}"), &consumers[30..40]);
        self.push(
            "loyalty.points_awarded",
            json!({"consumerId": consumers[0], "points": 10}),
            vec![],
        );
        self.rest_of_the_drop(n, &exp, &dst, &consumers);
        self.push(
            "distribution.closed",
            json!({"experienceId": exp, "distributionId": dst, "closedAt": self.iso(), "totalParticipants": 40}),
            vec![],
        );
        self.push(
            "experience.completed",
            json!({"experienceId": exp, "totalParticipants": 40}),
            vec![],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_is_repeatable_covers_every_family_and_duplicates_about_the_asked_share() {
        let a = load(2_000, 0.2, 7);
        let b = load(2_000, 0.2, 7);
        assert_eq!(a.events.len(), 2_000);
        assert_eq!(
            a.deliveries.iter().map(|d| d.event).collect::<Vec<_>>(),
            b.deliveries.iter().map(|d| d.event).collect::<Vec<_>>()
        );
        for family in [
            "\"queue.",
            "\"draw.",
            "\"auction.",
            "\"order.",
            "\"experience.",
            "\"consumer.",
            "\"distribution.",
            "\"loyalty.",
        ] {
            assert!(
                a.events
                    .iter()
                    .any(|e| e.body.contains(&format!("\"type\":{family}"))),
                "no {family} event"
            );
        }
        let share = a.duplicated as f64 / a.events.len() as f64;
        assert!((0.15..0.25).contains(&share), "{share}");
        assert!(a.deliveries.iter().any(|d| d.phase == Phase::Late));
        let in_order = a
            .deliveries
            .windows(2)
            .filter(|w| w[0].event < w[1].event)
            .count();
        assert!(in_order < a.deliveries.len() * 9 / 10, "not shuffled");
    }
}
