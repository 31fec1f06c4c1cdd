//! Downstream tickets and the retry bookkeeping in the idempotency table, through the SDK on moto.

use fanfare_shared::ports::idempotency::{Budget, IdempotencyStore, Release, Status};
use fanfare_shared::ports::pace::{PaceStore, Reservation};
use fanfare_shared::processor::handler::Relation;

use super::*;

#[tokio::test]
async fn tickets_count_per_downstream_and_second_across_instances() {
    let env = env().await;
    let one = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    let other = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    assert_eq!(one.take("erp", 1_767_225_600).await.unwrap(), 1);
    assert_eq!(other.take("erp", 1_767_225_600).await.unwrap(), 2, "shared");
    assert_eq!(
        one.take("erp", 1_767_225_601).await.unwrap(),
        1,
        "a new second"
    );
    assert_eq!(
        one.take("email", 1_767_225_600).await.unwrap(),
        1,
        "a new downstream"
    );
    let item = env.record("pace#erp#1767225600").await.unwrap();
    assert_eq!(
        item["expiresAt"].as_n().unwrap(),
        "1767229200",
        "expires an hour on"
    );
    assert_eq!(s(&item, "kind"), "pace_tickets");
}

#[tokio::test]
async fn a_release_keeps_the_budget_the_relation_and_the_status_the_next_claim_reads() {
    let env = env().await;
    let ids = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    let b = body("evt_rel", "order.paid", T0, DATA);
    let p = env.processor(Runs::default(), T0);
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Completed);
    // Claim it as a forced replay, then release it three ways.
    let event = fanfare_shared::contract::envelope::parse_event(b.as_bytes()).unwrap();
    let claim = |owner: &str, replay: &str| fanfare_shared::ports::idempotency::Claim {
        event_id: event.id.clone(),
        owner: owner.into(),
        payload_hash: event.payload_hash(),
        now_ms: T0,
        lease_until_ms: T0 + 1_000,
        expires_at_s: T0 / 1000 + 3_600,
        kind: "order.paid".into(),
        event_type: "order.paid".into(),
        ordering_key: "order/o1".into(),
        occurred_at_ms: T0,
        raw_event: b.clone(),
        replay_id: Some(replay.into()),
    };
    let claimed = |outcome| match outcome {
        fanfare_shared::ports::idempotency::ClaimOutcome::Claimed(c) => c,
        held => panic!("{held:?}"),
    };
    let first = claimed(ids.claim(&claim("a", "r1")).await.unwrap());
    assert_eq!((first.failures, first.relation), (0, None));
    let kept = Relation::Superseded {
        by_event_id: Some("evt_newer".into()),
    };
    let spend = Release {
        status: Status::Failed,
        code: "erp_down".into(),
        budget: Budget::Spend,
        relation: Some(kept.clone()),
        reservation: None,
    };
    ids.release(&event.id, "a", &spend, T0).await.unwrap();
    let record = env.record(&event.id).await.unwrap();
    assert!(record.contains_key("failedFlag"), "a failure is listed");
    let mut retry = claim("b", "r1");
    retry.replay_id = None;
    let second = claimed(ids.claim(&retry).await.unwrap());
    assert_eq!((second.failures, second.relation), (1, Some(kept)));
    let slot = Reservation {
        downstream: "erp".into(),
        at_ms: T0 + 90_000,
    };
    let defer = Release {
        status: Status::Deferred,
        code: "deferred:erp".into(),
        budget: Budget::Keep,
        relation: None,
        reservation: Some(slot.clone()),
    };
    ids.release(&event.id, "b", &defer, T0).await.unwrap();
    let record = env.record(&event.id).await.unwrap();
    assert_eq!(s(&record, "status"), "deferred");
    assert!(
        !record.contains_key("failedFlag"),
        "a deferral is not a failure"
    );
    retry.owner = "c".into();
    let third = claimed(ids.claim(&retry).await.unwrap());
    assert_eq!(third.failures, 1, "a deferral spends nothing");
    assert_eq!(third.reservation, Some(slot), "the slot it drew");
    ids.release(
        &event.id,
        "c",
        &Release {
            status: Status::Rejected,
            code: "order_unknown".into(),
            budget: Budget::Keep,
            relation: None,
            reservation: None,
        },
        T0,
    )
    .await
    .unwrap();
    retry.owner = "d".into();
    assert!(
        matches!(
            ids.claim(&retry).await.unwrap(),
            fanfare_shared::ports::idempotency::ClaimOutcome::Held(_)
        ),
        "rejected is final"
    );
}
