//! Downstream tickets and the retry bookkeeping in the idempotency table, through the SDK on moto.

use fanfare_shared::ports::idempotency::{
    Budget, Claim, ClaimOutcome, Claimed, IdempotencyStore, Release, Status,
};
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

/// A completed record and what claims it again: a forced replay (`replay`), else a retry.
async fn completed_record(
    env: &Env,
) -> (DynamoIdempotencyStore, impl Fn(&str, Option<&str>) -> Claim) {
    let ids = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    let b = body("evt_rel", "order.paid", T0, DATA);
    let p = env.processor(Runs::default(), T0);
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Completed);
    let event = fanfare_shared::contract::envelope::parse_event(b.as_bytes()).unwrap();
    let claim = move |owner: &str, replay: Option<&str>| Claim {
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
        replay_id: replay.map(str::to_string),
    };
    (ids, claim)
}

fn claimed(outcome: ClaimOutcome) -> Claimed {
    match outcome {
        ClaimOutcome::Claimed(c) => c,
        held => panic!("{held:?}"),
    }
}

fn release(status: Status, code: &str, budget: Budget) -> Release {
    Release {
        status,
        code: code.into(),
        budget,
        relation: None,
        reservation: None,
    }
}

#[tokio::test]
async fn a_failure_spends_the_budget_and_keeps_the_relation_for_the_next_claim() {
    let env = env().await;
    let (ids, claim) = completed_record(&env).await;
    let first = claimed(ids.claim(&claim("a", Some("r1"))).await.unwrap());
    assert_eq!((first.failures, first.relation), (0, None));
    let kept = Relation::Superseded {
        by_event_id: Some("evt_newer".into()),
    };
    let spend = Release {
        relation: Some(kept.clone()),
        ..release(Status::Failed, "erp_down", Budget::Spend)
    };
    ids.release("evt_rel", "a", &spend, T0).await.unwrap();
    let record = env.record("evt_rel").await.unwrap();
    assert!(record.contains_key("failedFlag"), "a failure is listed");
    let second = claimed(ids.claim(&claim("b", None)).await.unwrap());
    assert_eq!((second.failures, second.relation), (1, Some(kept)));
}

#[tokio::test]
async fn a_deferral_keeps_its_slot_and_spends_nothing_and_a_rejection_is_final() {
    let env = env().await;
    let (ids, claim) = completed_record(&env).await;
    claimed(ids.claim(&claim("a", Some("r1"))).await.unwrap());
    let slot = Reservation {
        downstream: "erp".into(),
        at_ms: T0 + 90_000,
    };
    let defer = Release {
        reservation: Some(slot.clone()),
        ..release(Status::Deferred, "deferred:erp", Budget::Keep)
    };
    ids.release("evt_rel", "a", &defer, T0).await.unwrap();
    let record = env.record("evt_rel").await.unwrap();
    assert_eq!(s(&record, "status"), "deferred");
    assert!(
        !record.contains_key("failedFlag"),
        "a deferral is not a failure"
    );
    let again = claimed(ids.claim(&claim("b", None)).await.unwrap());
    assert_eq!(again.failures, 0, "a deferral spends nothing");
    assert_eq!(again.reservation, Some(slot), "the slot it drew");
    let reject = release(Status::Rejected, "order_unknown", Budget::Keep);
    ids.release("evt_rel", "b", &reject, T0).await.unwrap();
    let held = ids.claim(&claim("c", None)).await.unwrap();
    assert!(matches!(held, ClaimOutcome::Held(_)), "rejected is final");
    let forced = ids.claim(&claim("d", Some("r2"))).await.unwrap();
    assert!(
        matches!(forced, ClaimOutcome::Claimed(_)),
        "until a forced replay"
    );
}
