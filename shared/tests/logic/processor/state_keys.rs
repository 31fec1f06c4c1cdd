//! State: any order converges, and events never write into entities that are not theirs.

use super::*;
use fanfare_shared::processor::GroupedMessage;
use proptest::prelude::*;

fn lifecycle() -> Vec<String> {
    let d =
        |extra: &str| format!(r#"{{"experienceId":"x","consumerId":"c","queueId":"q"{extra}}}"#);
    vec![
        body(
            "l1",
            "queue.consumer_entered",
            T0,
            &d(r#","position":40,"enteredAt":"2026-01-01T00:00:00Z""#),
        ),
        body(
            "l2",
            "queue.position_updated",
            T0 + 1_000,
            &d(r#","position":12"#),
        ),
        body(
            "l3",
            "queue.position_updated",
            T0 + 2_000,
            &d(r#","position":3"#),
        ),
        // The same instant as the last position update: the lifecycle rank orders them.
        body(
            "l4",
            "queue.consumer_admitted",
            T0 + 2_000,
            &d(
                r#","admittedAt":"2026-01-01T00:00:02Z","waitTimeSeconds":2,"expiresAt":"2026-01-01T00:15:00Z""#,
            ),
        ),
        // A position update after admission: the admitted status must still win over "waiting".
        body(
            "l6",
            "queue.position_updated",
            T0 + 3_000,
            &d(r#","position":1"#),
        ),
        body(
            "l5",
            "queue.admission_completed",
            T0 + 5_000,
            &d(r#","completedAt":"2026-01-01T00:00:05Z","orderId":"o1""#),
        ),
    ]
}

/// The consumer's state item.
fn admission_state(state: &State) -> BTreeMap<String, Attr> {
    let items = state.items.lock().unwrap();
    items[&("admission/x/c".to_string(), "STATE".to_string())].clone()
}

/// `order` with a copy of event `e` inserted at `at` for each `(e, at)`.
fn with_copies(mut order: Vec<usize>, copies: Vec<(usize, usize)>) -> Vec<usize> {
    for (event, at) in copies {
        order.insert(at.min(order.len()), event);
    }
    order
}

async fn final_state(order: &[usize]) -> BTreeMap<String, Attr> {
    let events = lifecycle();
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    for &i in order {
        let outcome = p.process(msg(&events[i]), 0).await;
        assert!(outcome.acknowledged(), "{outcome:?}");
    }
    admission_state(&state)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn any_permutation_with_duplicates_converges_to_in_order_state(
        order in Just((0..6usize).collect::<Vec<_>>()).prop_shuffle(),
        duplicates in proptest::collection::vec((0..6usize, 0..12usize), 0..6),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let delivered = with_copies(order, duplicates);
        let expected = runtime.block_on(final_state(&[0, 1, 2, 3, 4, 5]));
        let got = runtime.block_on(final_state(&delivered));
        prop_assert_eq!(&got["status"], &Attr::s("completed"));
        prop_assert_eq!(&got["position"], &Attr::n(1));
        prop_assert_eq!(got, expected);
    }
}

/// The same events delivered as one message group's batches of `sizes` (the hot-group path).
async fn final_state_in_batches(order: &[usize], sizes: &[usize]) -> BTreeMap<String, Attr> {
    let events = lifecycle();
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    let mut rest: Vec<usize> = order.to_vec();
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let batch: Vec<usize> = rest.drain(..size.min(rest.len())).collect();
        let messages: Vec<GroupedMessage<'_>> = batch
            .iter()
            .map(|&i| GroupedMessage {
                group: Some("admission/x/c"),
                message: msg(&events[i]),
            })
            .collect();
        let failed = p.process_messages(&messages, 0).await;
        assert!(failed.is_empty(), "{failed:?}");
    }
    admission_state(&state)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn any_permutation_with_duplicates_in_batches_converges_to_in_order_state(
        order in Just((0..6usize).collect::<Vec<_>>()).prop_shuffle(),
        duplicates in proptest::collection::vec((0..6usize, 0..12usize), 0..6),
        sizes in proptest::collection::vec(1..=10usize, 1..4),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let delivered = with_copies(order, duplicates);
        let expected = runtime.block_on(final_state(&[0, 1, 2, 3, 4, 5]));
        let got = runtime.block_on(final_state_in_batches(&delivered, &sizes));
        prop_assert_eq!(got, expected);
    }
}

/// Every state item, by (pk, sk), after processing `bodies` in the given order.
async fn all_state(bodies: &[String]) -> BTreeMap<(String, String), BTreeMap<String, Attr>> {
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    for b in bodies {
        let outcome = p.process(msg(b), 0).await;
        assert!(outcome.acknowledged(), "{outcome:?}");
    }
    let items = state.items.lock().unwrap().clone();
    items
}

/// The genuine events' items after processing genuine and intruding events in every order listed
/// equal those after processing the genuine events alone, in order.
async fn assert_intruders_change_nothing(genuine: &[String], intruders: &[String]) {
    let reference = all_state(genuine).await;
    let mut mixed: Vec<String> = genuine.to_vec();
    mixed.extend_from_slice(intruders);
    let mut orders = vec![mixed.clone()];
    // Intruders first, interleaved, and last.
    let mut first: Vec<String> = intruders.to_vec();
    first.extend_from_slice(genuine);
    orders.push(first);
    let mut interleaved = genuine.to_vec();
    for (i, intruder) in intruders.iter().enumerate() {
        interleaved.insert((i + 1).min(interleaved.len()), intruder.clone());
    }
    orders.push(interleaved);
    for order in orders {
        let got = all_state(&order).await;
        for (key, item) in &reference {
            assert_eq!(got.get(key), Some(item), "{key:?} changed by an intruder");
        }
        // Whatever the intruders wrote lives in items of their own.
        for key in got.keys().filter(|k| !reference.contains_key(*k)) {
            assert!(key.0.starts_with("unidentified/"), "intruder wrote {key:?}");
        }
    }
}

#[tokio::test]
async fn an_admission_without_consumer_never_moves_its_experiences_status() {
    let genuine = [
        body("x1", "experience.started", T0, r#"{"experienceId":"x"}"#),
        body(
            "x2",
            "experience.paused",
            T0 + 2_000,
            r#"{"experienceId":"x","reason":"m"}"#,
        ),
    ];
    // Later than the pause: today it set experience/x's status and made the pause stale.
    let intruders = [body(
        "a1",
        "queue.consumer_admitted",
        T0 + 5_000,
        r#"{"experienceId":"x"}"#,
    )];
    assert_intruders_change_nothing(&genuine, &intruders).await;
    let state = all_state(&[genuine[0].clone(), intruders[0].clone(), genuine[1].clone()]).await;
    let experience = &state[&("experience/x".to_string(), "STATE".to_string())];
    assert_eq!(experience["status"], Attr::s("paused"));
}

#[tokio::test]
async fn orders_draws_auctions_and_distributions_without_their_id_stay_out_of_other_entities() {
    let genuine = [
        body("c1", "consumer.created", T0, r#"{"consumerId":"c"}"#),
        body(
            "c2",
            "consumer.updated",
            T0 + 1_000,
            r#"{"consumerId":"c"}"#,
        ),
        body("x1", "experience.started", T0, r#"{"experienceId":"x"}"#),
        body(
            "x2",
            "experience.ended",
            T0 + 1_000,
            r#"{"experienceId":"x"}"#,
        ),
    ];
    let intruders = [
        body("o1", "order.cancelled", T0 + 9_000, r#"{"consumerId":"c"}"#),
        body(
            "d1",
            "draw.completed",
            T0 + 9_000,
            r#"{"experienceId":"x"}"#,
        ),
        body(
            "b1",
            "auction.bid_placed",
            T0 + 9_000,
            r#"{"experienceId":"x","consumerId":"c","bidAmount":"5"}"#,
        ),
        body(
            "s1",
            "distribution.closed",
            T0 + 9_000,
            r#"{"experienceId":"x"}"#,
        ),
    ];
    assert_intruders_change_nothing(&genuine, &intruders).await;
}

#[tokio::test]
async fn id_less_events_never_share_an_item() {
    let a = body("u1", "consumer.updated", T0 + 2_000, "{}");
    let b = body("u2", "consumer.updated", T0 + 1_000, "{}");
    let state = all_state(&[a, b]).await;
    let keys: Vec<_> = state.keys().map(|(pk, _)| pk.clone()).collect();
    assert_eq!(
        keys,
        ["unidentified/consumer/u1", "unidentified/consumer/u2"]
    );
    for item in state.values() {
        assert_eq!(item["status"], Attr::s("active"), "neither was stale");
    }
}

#[tokio::test]
async fn sort_keys_built_from_event_data_are_bounded() {
    let long = "c".repeat(5_000);
    let data = format!(r#"{{"drawId":"d","consumerId":"{long}"}}"#);
    let alert = format!(r#"{{"eventId":"{long}","eventType":"order.paid"}}"#);
    let state = all_state(&[
        body("e1", "draw.entry_created", T0, &data),
        body("e2", "webhook.delivery.failed", T0, &alert),
    ])
    .await;
    for (pk, sk) in state.keys() {
        assert!(pk.len() <= 256 && sk.len() <= 256, "{pk} / {sk}");
    }
}

/// Found by the soak: two kinds report the same win with different times; the state must
/// not depend on which arrives first.
#[tokio::test]
async fn a_win_reported_by_two_kinds_gives_the_same_state_in_either_order() {
    let selected = body(
        "w1",
        "draw.winners_selected",
        T0 + 1_000,
        r#"{"experienceId":"x","drawId":"d","winners":[{"consumerId":"c","position":2}]}"#,
    );
    let won = body(
        "w2",
        "draw.consumer.won",
        T0 + 4_000,
        r#"{"experienceId":"x","drawId":"d","consumerId":"c","wonAt":"2026-01-01T00:00:04Z","winnerPosition":2}"#,
    );
    let forward = all_state(&[selected.clone(), won.clone()]).await;
    let backward = all_state(&[won, selected]).await;
    let entry = |state: &BTreeMap<(String, String), BTreeMap<String, Attr>>| {
        state
            .iter()
            .find(|(k, _)| k.1.starts_with("ENTRY#"))
            .map(|(_, v)| v.clone())
    };
    let got = entry(&forward).expect("an entry item");
    assert_eq!(got["wonAt"], Attr::s("2026-01-01T00:00:04Z"));
    assert_eq!(Some(got), entry(&backward));
}
