//! The archive: replays by time and on purpose, and what is kept of a body (no tokens).

use super::*;

#[tokio::test]
async fn a_replay_reruns_a_finished_event_once_while_ordinary_duplicates_stay_out() {
    let env = env().await;
    let p = env.processor(Runs::default(), T0);
    let b = body("evt_replay", "order.paid", T0, DATA);
    let replay = |id| IncomingMessage {
        replay_id: Some(id),
        replay_force: true,
        ..IncomingMessage::raw(&b)
    };
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Completed);
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Duplicate);
    let unforced = IncomingMessage {
        replay_id: Some("r0"),
        ..IncomingMessage::raw(&b)
    };
    assert_eq!(
        p.process(unforced, 0).await,
        Outcome::Duplicate,
        "only --force re-runs a finished record"
    );
    assert_eq!(p.process(replay("r1"), 0).await, Outcome::Completed);
    assert_eq!(
        p.process(replay("r1"), 0).await,
        Outcome::Duplicate,
        "a replay runs once"
    );
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Duplicate);
    assert_eq!(p.process(replay("r2"), 0).await, Outcome::Completed);
    assert_eq!(p.handler().count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_archive_lists_processed_events_by_time_for_replay() {
    let env = env().await;
    let p = env.processor(Runs::default(), T0);
    for (id, at) in [("a1", T0), ("a2", T0 + 5_000)] {
        assert_eq!(
            p.process(msg(&body(id, "order.paid", at, DATA)), 0).await,
            Outcome::Completed
        );
    }
    let store = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    let all = store.archived(0, i64::MAX).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(),
        ["a1", "a2"]
    );
    assert_eq!(all[0].kind, "order.paid");
    let later = store.archived(T0 + 1, i64::MAX).await.unwrap();
    assert_eq!(later.len(), 1);
}

/// `replay --event-id` reads the named records by key: no scan of a table that holds a drop.
#[tokio::test]
async fn archived_events_named_by_id_are_read_by_key_without_a_scan() {
    let env = env().await;
    let p = env.processor(Runs::default(), T0);
    for id in ["k1", "k2", "k3"] {
        p.process(msg(&body(id, "order.paid", T0, DATA)), 0).await;
    }
    env.meter.reset();
    let store = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    let ids = ["k3".to_string(), "missing".to_string(), "k1".to_string()];
    let found = store.archived_by_id(&ids).await.unwrap();
    let names: Vec<&str> = found.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(names, ["k3", "k1"]);
    assert!(found[0].raw_event.contains("k3"));
    let counts = env.meter.snapshot();
    assert_eq!(counts.get("Scan"), None, "{counts:?}");
    assert_eq!(counts.get("GetItem"), Some(&3), "{counts:?}");
}

#[tokio::test]
async fn archives_and_conflict_copies_keep_no_tokens_and_a_replay_of_the_redacted_copy_still_runs()
{
    let env = env().await;
    let p = env.processor(Runs::default(), T0);
    let secret_data = r#"{"orderId":"o9","consumerId":"c","paymentToken":"tok_PAY","consumer":{"email":"ada@example.com"}}"#;
    let b = body("evt_tok", "order.paid", T0, secret_data);
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Completed);

    let record = env.record("evt_tok").await.unwrap();
    let raw = archived_body(&record).unwrap();
    assert!(
        !raw.contains("tok_PAY") && !raw.contains("ada@example.com"),
        "{raw}"
    );
    assert!(raw.contains("o9"), "{raw}");
    let original = fanfare_shared::contract::envelope::parse_event(b.as_bytes()).unwrap();
    assert_eq!(s(&record, "payloadHash"), original.payload_hash());

    // A conflicting payload under the same id: its kept copy is redacted too.
    let changed = body(
        "evt_tok",
        "order.paid",
        T0,
        r#"{"orderId":"o9","claimToken":"tok_CLAIM"}"#,
    );
    assert_eq!(p.process(msg(&changed), 0).await, Outcome::Conflict);
    let conflicts = env
        .ddb
        .scan()
        .table_name(&env.idempotency_table)
        .send()
        .await
        .unwrap();
    let copy = conflicts
        .items()
        .iter()
        .find(|i| i.contains_key("conflictOf"))
        .expect("conflict copy");
    assert!(!archived_body(copy).unwrap().contains("tok_CLAIM"));

    // The archive is redacted, so only the original hash lets a replay claim the record.
    let store = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    let archived = store.archived(0, i64::MAX).await.unwrap();
    let kept = archived.iter().find(|e| e.event_id == "evt_tok").unwrap();
    let without_hash = IncomingMessage {
        replay_id: Some("r1"),
        ..IncomingMessage::raw(&kept.raw_event)
    };
    assert_eq!(p.process(without_hash, 0).await, Outcome::Conflict);
    let replay = IncomingMessage {
        replay_id: Some("r2"),
        replay_payload_hash: Some(&kept.payload_hash),
        replay_force: true,
        ..IncomingMessage::raw(&kept.raw_event)
    };
    assert_eq!(p.process(replay, 0).await, Outcome::Completed);
    assert_eq!(p.handler().count.load(Ordering::SeqCst), 2);
}
