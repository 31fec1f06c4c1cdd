//! Steps that run once, through the harness in virtual time: a draw's 1,000 winners emailed and
//! marked in a CRM, the event interrupted by its deadline and by a killed invocation, every
//! winner's step run exactly once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use fanfare_shared::model::payload::DrawWinnersSelected;
use fanfare_shared::ports::idempotency::Status;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::Outcome;
use fanfare_shared::testing::{body_at, Harness, T0_MS};

/// Emails every winner (20 ms an email, 10 at once), then marks the draw done in the CRM, which
/// fails on its first call.
#[derive(Default)]
struct EmailWinners {
    emails: Mutex<HashMap<String, u32>>,
    crm_calls: Mutex<u32>,
    crm_fails_first: bool,
}

#[async_trait]
impl EventHandler for EmailWinners {
    async fn draw_winners_selected(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let selected: DrawWinnersSelected = ctx.data()?;
        let winners = selected.winners.unwrap_or_default();
        let items = winners
            .into_iter()
            .filter_map(|w| w.consumer_id)
            .map(|id| (format!("email:{id}"), id));
        ctx.fan_out(items, 10, |id| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            // Counted once the email is accepted: what a recipient would receive.
            *self.emails.lock().unwrap().entry(id).or_default() += 1;
            Ok(())
        })
        .await?;
        ctx.step("crm:draw_done", async {
            let mut calls = self.crm_calls.lock().unwrap();
            *calls += 1;
            if self.crm_fails_first && *calls == 1 {
                return Err(HandlerError::new("crm_unavailable"));
            }
            Ok(())
        })
        .await
    }
}

fn winners_selected(n: usize) -> String {
    let winners: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"consumerId":"c{i}","position":{}}}"#, i + 1))
        .collect();
    let data = format!(
        r#"{{"drawId":"d1","experienceId":"x","winners":[{}]}}"#,
        winners.join(",")
    );
    body_at("evt_winners", "draw.winners_selected", T0_MS, &data)
}

#[tokio::test(start_paused = true)]
async fn a_thousand_winners_interrupted_twice_are_each_emailed_once() {
    let harness = Harness::new(EmailWinners::default()).with_deadline(Duration::from_secs(1));
    let body = winners_selected(1_000);

    // 1. The deadline: the fan-out stops starting emails and the event comes back to continue.
    let first = harness.deliver(&body).await;
    assert!(
        matches!(first.outcome, Outcome::Deferred { .. }),
        "{:?}",
        first.outcome
    );
    let record = harness.record("evt_winners").unwrap();
    assert_eq!(record.existing.status, Status::Deferred);
    assert_eq!(record.last_error.as_deref(), Some("steps_continue"));
    assert_eq!(record.failures, 0, "continuing spends no retry budget");
    let after_first = harness.handler().emails.lock().unwrap().len();
    assert!(after_first > 0 && after_first < 1_000, "{after_first}");

    // 2. A killed invocation (its timeout): dropped in the middle of the fan-out.
    let killed = tokio::time::timeout(Duration::from_millis(300), harness.deliver(&body)).await;
    assert!(killed.is_err(), "the invocation was cut short");
    let after_kill = harness.handler().emails.lock().unwrap().len();
    assert!(after_kill > after_first, "{after_kill}");
    // Its lease lapses at its deadline.
    harness.advance(Duration::from_secs(2));

    // Then it goes on until done.
    let mut deliveries = 0;
    loop {
        deliveries += 1;
        assert!(deliveries < 20, "the fan-out never finished");
        if harness.deliver(&body).await.outcome == Outcome::Completed {
            break;
        }
    }
    let emails = harness.handler().emails.lock().unwrap().clone();
    assert_eq!(emails.len(), 1_000, "every winner emailed");
    assert!(emails.values().all(|&n| n == 1), "each exactly once");
    let steps = harness.steps();
    let ran = steps.iter().filter(|s| s.ran).count();
    assert_eq!(
        ran,
        1_000 + 1,
        "each winner's step and the CRM step ran once"
    );
    assert!(
        steps.iter().any(|s| !s.ran),
        "later attempts skipped done steps"
    );
    assert_eq!(harness.record("evt_winners").unwrap().failures, 0);
}

#[tokio::test(start_paused = true)]
async fn a_failed_step_runs_again_and_the_completed_ones_do_not() {
    let handler = EmailWinners {
        crm_fails_first: true,
        ..EmailWinners::default()
    };
    let harness = Harness::new(handler);
    let body = winners_selected(30);
    let failed = harness.deliver(&body).await;
    assert!(matches!(failed.outcome, Outcome::Failed(_)));
    assert_eq!(harness.record("evt_winners").unwrap().failures, 1);
    harness.advance(Duration::from_secs(3_600));
    assert_eq!(harness.deliver(&body).await.outcome, Outcome::Completed);
    let emails = harness.handler().emails.lock().unwrap().clone();
    assert!(emails.values().all(|&n| n == 1), "emails not sent again");
    assert_eq!(*harness.handler().crm_calls.lock().unwrap(), 2);
    let skipped = harness.steps().iter().filter(|s| !s.ran).count();
    assert_eq!(skipped, 30);
}

/// A step's result comes back when it is skipped: the CRM's id of a record made once.
struct CreatesOnce {
    created: Mutex<u32>,
    seen: Mutex<Vec<String>>,
}

#[async_trait]
impl EventHandler for CreatesOnce {
    async fn order_paid(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let id: String = ctx
            .step_with_result("crm:create", async {
                let mut created = self.created.lock().unwrap();
                *created += 1;
                Ok(format!("crm_{created}"))
            })
            .await?;
        self.seen.lock().unwrap().push(id);
        if ctx.attempt == 1 {
            return Err(HandlerError::new("later_step_failed"));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_skipped_step_gives_back_its_result() {
    let harness = Harness::new(CreatesOnce {
        created: Mutex::new(0),
        seen: Mutex::default(),
    });
    let body = body_at("evt_o", "order.paid", T0_MS, r#"{"orderId":"o1"}"#);
    harness.deliver(&body).await;
    harness.advance(Duration::from_secs(3_600));
    assert_eq!(harness.deliver(&body).await.outcome, Outcome::Completed);
    assert_eq!(*harness.handler().created.lock().unwrap(), 1);
    assert_eq!(*harness.handler().seen.lock().unwrap(), ["crm_1", "crm_1"]);
}

/// A step's result as stored is redacted: a token never rests in the idempotency table.
struct KeepsToken;

#[async_trait]
impl EventHandler for KeepsToken {
    async fn order_paid(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let kept: serde_json::Value = ctx
            .step_with_result("pay", async {
                Ok(serde_json::json!({"paymentToken": "tok_secret", "ref": "r1"}))
            })
            .await?;
        assert_eq!(kept["ref"], "r1");
        if ctx.attempt == 1 {
            return Err(HandlerError::new("again"));
        }
        assert_eq!(kept["paymentToken"], "[redacted]", "the stored copy");
        Ok(())
    }
}

#[tokio::test]
async fn a_step_result_is_stored_redacted() {
    let harness = Harness::new(KeepsToken);
    let body = body_at("evt_p", "order.paid", T0_MS, r#"{"orderId":"o1"}"#);
    harness.deliver(&body).await;
    harness.advance(Duration::from_secs(3_600));
    assert_eq!(harness.deliver(&body).await.outcome, Outcome::Completed);
}

/// Marks each winner in the CRM unless the winner's own item already moved on.
#[derive(Default)]
struct MarkWinners {
    marked: Mutex<Vec<String>>,
    versions: Mutex<Vec<String>>,
}

#[async_trait]
impl EventHandler for MarkWinners {
    async fn draw_winners_selected(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let selected: DrawWinnersSelected = ctx.data()?;
        for id in selected
            .winners
            .unwrap_or_default()
            .into_iter()
            .filter_map(|w| w.consumer_id)
        {
            if ctx.member_is_current(&id) {
                self.marked.lock().unwrap().push(id);
            }
        }
        let version = ctx.version.map(|v| v.as_str().to_string());
        self.versions.lock().unwrap().extend(version);
        Ok(())
    }
}

fn prize_claimed(consumer: &str, at_ms: i64) -> String {
    let data = format!(r#"{{"drawId":"d1","experienceId":"x","consumerId":"{consumer}"}}"#);
    body_at(
        &format!("evt_claim_{consumer}"),
        "draw.prize_claimed",
        at_ms,
        &data,
    )
}

#[tokio::test]
async fn winners_selected_after_a_winners_claim_says_which_members_moved_on() {
    let harness = Harness::new(MarkWinners::default());
    harness.deliver(&prize_claimed("c1", T0_MS + 10_000)).await;
    let late = harness.deliver(&winners_selected(3)).await;
    assert_eq!(late.calls[0].superseded_members, ["c1"]);
    assert_eq!(
        late.calls[0].relation,
        fanfare_shared::model::Relation::Current
    );
    assert_eq!(*harness.handler().marked.lock().unwrap(), ["c0", "c2"]);
    let versions = harness.handler().versions.lock().unwrap().clone();
    assert_eq!(versions.len(), 1);
    assert!(versions[0].ends_with("#003#evt_winners"), "{versions:?}");

    // The same in one batch, the claim first in its group: the run path tells it the same.
    let harness = Harness::new(MarkWinners::default());
    let claim = prize_claimed("c2", T0_MS + 10_000);
    let winners = winners_selected(3);
    let batch = harness
        .deliver_batch(&[("d1", &claim), ("d1", &winners)])
        .await;
    assert_eq!(batch.calls.len(), 2, "{:?}", batch);
    assert_eq!(batch.calls[1].superseded_members, ["c2"]);
    assert_eq!(*harness.handler().marked.lock().unwrap(), ["c0", "c1"]);
}

/// A forced replay skips the completed steps unless the operator asks for them again; the steps a
/// rerun runs are its own, so its retry skips them.
#[tokio::test]
async fn a_forced_replay_reruns_steps_only_when_asked() {
    use fanfare_shared::contract::message::{OutgoingEvent, REPLAY_RERUN_STEPS};
    use fanfare_shared::processor::sqs_batch::queued_message;
    use fanfare_shared::processor::IncomingMessage;

    let harness = Harness::new(EmailWinners::default());
    let body = winners_selected(5);
    assert_eq!(harness.deliver(&body).await.outcome, Outcome::Completed);
    let sent = |h: &Harness<EmailWinners>| h.handler().emails.lock().unwrap().values().sum::<u32>();
    assert_eq!(sent(&harness), 5);

    // What `replay --force [--rerun-steps]` queues, as the processor reads it off SQS.
    let as_received = |replay_id: &str, rerun: bool| {
        let message = OutgoingEvent::replay(&body, replay_id, None, true, T0_MS).unwrap();
        let message = if rerun {
            message.rerunning_steps()
        } else {
            message
        };
        let mut record = fanfare_shared::testing::sqs_record("m", &message.body, Some("d1"));
        for (name, data_type, value) in message.attributes() {
            let mut attribute = aws_lambda_events::event::sqs::SqsMessageAttribute::default();
            attribute.string_value = Some(value);
            attribute.data_type = Some(data_type.to_string());
            record
                .message_attributes
                .insert(name.to_string(), attribute);
        }
        record
    };
    let forced = as_received("rpl_1", false);
    let delivered = harness.deliver_message(queued_message(&forced)).await;
    assert_eq!(delivered.outcome, Outcome::Completed);
    assert_eq!(sent(&harness), 5, "a forced replay skips the emails sent");

    let rerun = as_received("rpl_2", true);
    let value = &rerun.message_attributes["replay-force"].string_value;
    assert_eq!(value.as_deref(), Some(REPLAY_RERUN_STEPS));
    let message: IncomingMessage<'_> = queued_message(&rerun);
    assert!(message.replay_force && message.replay_rerun_steps);
    assert_eq!(
        harness.deliver_message(message).await.outcome,
        Outcome::Completed
    );
    assert_eq!(sent(&harness), 10, "asked for: every email again");
}

/// Emails every winner through a paced mailer.
struct PacedEmails;

#[async_trait]
impl EventHandler for PacedEmails {
    fn downstreams(&self) -> Vec<fanfare_shared::processor::Downstream> {
        vec![fanfare_shared::processor::Downstream::new("email", 14)]
    }
    async fn draw_winners_selected(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let selected: DrawWinnersSelected = ctx.data()?;
        let ids = selected
            .winners
            .unwrap_or_default()
            .into_iter()
            .filter_map(|w| w.consumer_id);
        ctx.fan_out(ids.map(|id| (format!("email:{id}"), id)), 10, |_| async {
            ctx.downstream("email").call(async {}).await
        })
        .await?;
        Ok(())
    }
}

/// A fan-out's calls wait for their slots at the downstream's pace inside the invocation, rather
/// than deferring the event every 250 ms (a re-claim, a re-read of its steps, and tickets drawn by
/// its other calls left unused each time).
#[tokio::test(start_paused = true)]
async fn a_paced_fan_out_goes_at_the_downstreams_rate_within_one_invocation() {
    let harness = Harness::new(PacedEmails).with_deadline(Duration::from_secs(30));
    let delivered = harness.deliver(&winners_selected(200)).await;
    assert_eq!(delivered.outcome, Outcome::Completed, "no deferral");
    let calls = harness.downstream_calls();
    assert_eq!(calls.len(), 200);
    let mut per_second: HashMap<i64, usize> = HashMap::new();
    for (_, at) in &calls {
        *per_second.entry(at.timestamp()).or_default() += 1;
    }
    assert!(per_second.values().all(|&n| n <= 14), "{per_second:?}");

    // Near its deadline the rest continue in the next attempt, none twice.
    let harness = Harness::new(PacedEmails).with_deadline(Duration::from_secs(8));
    let body = winners_selected(200);
    let mut attempts = 1;
    while harness.deliver(&body).await.outcome != Outcome::Completed {
        attempts += 1;
        assert!(attempts < 40, "never finished");
    }
    assert!(attempts > 1);
    assert_eq!(
        harness.downstream_calls().len(),
        200,
        "each winner called once"
    );
}

/// Notes the time left when it runs.
#[derive(Default)]
struct SeesDeadline(Mutex<Vec<(Option<Duration>, bool)>>);

#[async_trait]
impl EventHandler for SeesDeadline {
    async fn order_paid(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let seen = (ctx.remaining(), ctx.deadline().is_some());
        self.0.lock().unwrap().push(seen);
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn the_handler_sees_its_deadline() {
    let body = body_at("evt_d", "order.paid", T0_MS, r#"{"orderId":"o1"}"#);
    let harness = Harness::new(SeesDeadline::default()).with_deadline(Duration::from_secs(12));
    harness.deliver(&body).await;
    let seen = harness.handler().0.lock().unwrap()[0];
    assert_eq!(seen, (Some(Duration::from_secs(12)), true));
    let harness = Harness::new(SeesDeadline::default());
    harness.deliver(&body).await;
    assert_eq!(
        harness.handler().0.lock().unwrap()[0],
        (None, false),
        "no deadline locally"
    );
}
