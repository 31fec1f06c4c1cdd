//! Handlers' steps in the idempotency table, through the SDK on moto: recorded once per step in an
//! item of one write unit, read back 100 keys a call by a later attempt, never naming a person.

use std::sync::Mutex;
use std::time::Duration;

use fanfare_shared::ports::steps::{step_key, StepDone, StepStore, MAX_STEP_RESULT_BYTES};

use super::*;

#[tokio::test]
async fn steps_are_recorded_and_read_back_across_instances() {
    let env = env().await;
    let one = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    let other = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    let now_s = T0 / 1000;
    let names: Vec<String> = (0..150).map(|i| format!("email:c{i}")).collect();
    for (i, name) in names.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let done = StepDone {
            key: step_key(name),
            name: Some(name.clone()),
            result: (i == 0).then(|| r#"{"ref":"r0"}"#.to_string()),
            at_ms: T0,
            // One already past its expiry: TTL deletion lags, the read leaves it out.
            expires_at_s: if i == 148 { now_s - 1 } else { now_s + 3_600 },
        };
        one.record("evt_steps", &done).await.unwrap();
    }
    let keys: Vec<String> = names.iter().map(|n| step_key(n)).collect();
    let found = other.completed("evt_steps", &keys, T0).await.unwrap();
    assert_eq!(
        found.len(),
        74,
        "75 recorded, one expired, across two reads"
    );
    assert_eq!(found[&keys[0]].as_deref(), Some(r#"{"ref":"r0"}"#));
    assert_eq!(found[&keys[2]], None);
    assert!(!found.contains_key(&keys[1]));
    let other_event = other.completed("evt_other", &keys, T0).await.unwrap();
    assert!(other_event.is_empty(), "steps are per event");

    let item = env
        .record(&format!("step#evt_steps#{}", keys[0]))
        .await
        .unwrap();
    assert_eq!(s(&item, "kind"), "step");
    assert_eq!(s(&item, "stepName"), "email:c0");
    assert_eq!(
        *item["expiresAt"].as_n().unwrap(),
        (now_s + 3_600).to_string()
    );
    // The largest a step item gets (a full result): still one write unit.
    let mut largest = item.clone();
    largest.insert(
        "stepResult".into(),
        AttributeValue::S("x".repeat(MAX_STEP_RESULT_BYTES)),
    );
    assert_eq!(write_units(item_size(&largest)), 1);
}

/// Emails each winner in a fan-out, then fails once after it.
#[derive(Default)]
struct Winners {
    emailed: Mutex<Vec<String>>,
    calls: AtomicUsize,
}

#[async_trait]
impl EventHandler for Winners {
    async fn draw_winners_selected(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let items = (0..120).map(|i| (format!("email:alice{i}@example.com"), i));
        ctx.fan_out(items, 8, |i| async move {
            self.emailed.lock().unwrap().push(format!("c{i}"));
            Ok(())
        })
        .await?;
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(HandlerError::new("after_the_emails"));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_retried_fan_out_on_dynamodb_skips_every_completed_item() {
    let env = env().await;
    let b = body(
        "evt_fan",
        "draw.winners_selected",
        T0,
        r#"{"drawId":"d1","winners":[]}"#,
    );
    let records = DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table);
    let p = env
        .processor(Winners::default(), T0)
        .with_step_store(Arc::new(records));
    assert!(matches!(p.process(msg(&b), 0).await, Outcome::Failed(_)));
    assert_eq!(p.handler().emailed.lock().unwrap().len(), 120);
    let (handler, options) = p.into_parts();
    let later = T0 + Duration::from_secs(3_600).as_millis() as i64;
    let p = Processor::new(
        DynamoIdempotencyStore::new(env.ddb.clone(), &env.idempotency_table),
        DynamoStateStore::new(env.ddb.clone(), &env.state_table),
        handler,
        FixedClock(Utc.timestamp_millis_opt(later).unwrap()),
        options,
    )
    .with_step_store(Arc::new(DynamoIdempotencyStore::new(
        env.ddb.clone(),
        &env.idempotency_table,
    )));
    env.meter.reset();
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Completed);
    assert_eq!(p.handler().emailed.lock().unwrap().len(), 120, "none again");
    let counts = env.meter.counts.lock().unwrap().clone();
    assert_eq!(counts.get("BatchGetItem"), Some(&2), "{counts:?}");
    let writes = counts.get("UpdateItem").copied().unwrap_or(0);
    assert_eq!(
        writes, 3,
        "claim, state, finish: no step written again ({counts:?})"
    );
    // A name with an e-mail address is keyed by its digest, never stored.
    let key = step_key("email:alice7@example.com");
    let item = env.record(&format!("step#evt_fan#{key}")).await.unwrap();
    assert!(!item.contains_key("stepName"));
}
