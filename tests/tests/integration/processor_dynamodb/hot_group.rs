//! What a hot entity's batch costs on DynamoDB: requests and write units per event must
//! not grow when a group's events are claimed, written and finished together.

use super::*;
use fanfare_integration_tests::{item_size, write_units};
use fanfare_shared::processor::GroupedMessage;

/// One consumer's ten position updates, one per millisecond (the bench's hot shape).
fn positions() -> Vec<String> {
    (0..10)
        .map(|i| {
            let data = format!(
                r#"{{"experienceId":"x","consumerId":"c","position":{}}}"#,
                100 - i
            );
            body(
                &format!("evt_pos_{i}"),
                "queue.position_updated",
                T0 + i,
                &data,
            )
        })
        .collect()
}

/// Requests by operation, and the state item's write units (each state write is billed by the
/// item's size after it).
async fn cost(env: &Env) -> (std::collections::BTreeMap<String, usize>, usize) {
    let counts = env.meter.snapshot();
    let state_item = item_size(&env.state("admission/x/c", "STATE").await);
    (counts, write_units(state_item))
}

#[tokio::test]
async fn a_hot_batch_costs_no_more_requests_or_write_units_than_one_by_one() {
    let bodies = positions();
    let (batched, reference) = (env().await, env().await);
    let p = batched.processor(Runs::default(), T0);
    let messages: Vec<GroupedMessage<'_>> = bodies
        .iter()
        .map(|b| GroupedMessage {
            group: Some("admission/x/c"),
            message: msg(b),
        })
        .collect();
    assert!(p.process_messages(&messages, 0).await.is_empty());
    let r = reference.processor(Runs::default(), T0);
    for b in &bodies {
        assert_eq!(r.process(msg(b), 0).await, Outcome::Completed);
    }
    let ((batch_requests, unit), (one_requests, _)) =
        (cost(&batched).await, cost(&reference).await);
    let writes = |counts: &std::collections::BTreeMap<String, usize>| {
        ["PutItem", "UpdateItem"]
            .iter()
            .filter_map(|op| counts.get(*op))
            .sum::<usize>()
    };
    let total = |counts: &std::collections::BTreeMap<String, usize>| counts.values().sum::<usize>();
    println!(
        "10 events of one group: requests {batch_requests:?} together, {one_requests:?} one by one; \
         state write units {unit} together, {} one by one",
        10 * unit
    );
    // Claims and finishes: one each per event either way; the ten state writes become one.
    assert_eq!(writes(&batch_requests) + 9, writes(&one_requests));
    assert_eq!(total(&batch_requests) + 9, total(&one_requests));
    assert_eq!(
        batched
            .state("admission/x/c", "STATE")
            .await
            .get("position"),
        reference
            .state("admission/x/c", "STATE")
            .await
            .get("position")
    );
}
