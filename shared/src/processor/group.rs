//! One message group's messages of a batch, at batch speed.
//!
//! One by one, each event of a hot entity costs three round trips in a row (claim, state, finish),
//! so ten events of one auction take ten times one event's time. Here a *run* of the group (its
//! messages up to a repeated event id) goes in four steps, and only the handler calls are in order:
//! 1. every event is claimed at once (the claims are independent items);
//! 2. every item's writes go at once, the writes one item receives from several events merged into
//!    one conditional write (`merge`), which also tells what each event's ordering gate found, as if
//!    the writes had gone one by one;
//! 3. the handlers run in order, each told `Current` or `Superseded` exactly as one by one;
//! 4. each record is finished as soon as its handler returns, while the next handler runs.
//!
//! What stays as before: the first event that fails fails the rest of its group; a repeated event
//! id starts a new run, so it finds its first copy's record finished (a duplicate or a conflict).
//! What differs on failure only: the later events' state is already written when an earlier handler
//! fails (state commutes, so it still equals in-order processing). Their claims are released with
//! [`NOT_REACHED`] and the relation in-order processing gives them, kept on the record, so that on
//! retry each is told what it would have been told had the run not stopped (the failed event too).
//! A run also stops, the same way, before a handler would start within the deadline's margin.

use std::future::Future;
use std::pin::pin;
use std::time::Instant;

use futures_util::future::{join_all, select, Either};
use futures_util::stream::{FuturesUnordered, StreamExt};
use tracing::Instrument;

use super::handler::{EventHandler, Relation};
use super::invoke::{Call, Order};
use super::pace::deadline_margin_ms;
use super::plan::{plan, Plan};
use super::{
    is_ignored, primary, relation, replay_of, report, IncomingMessage, Outcome, Processor,
};
use crate::contract::message::decode_body;
use crate::ports::idempotency::{Budget, Claim, Claimed, IdempotencyStore, Release, Status};
use crate::ports::state::{Applied, StateStore};
use crate::ports::Clock;

/// The `lastError` of a claim released because an earlier event of its group failed first.
pub const NOT_REACHED: &str = "earlier_in_group_failed";
/// The `lastError` of a claim released because the invocation's deadline was near.
pub const DEADLINE_REACHED: &str = "deadline_reached";

/// Items of a run written at the same time: one per event of a full batch.
pub(super) const RUN_WRITES_AT_ONCE: usize = 10;

/// One event of a run, ready to claim.
pub(super) struct RunEvent<'m> {
    message: IncomingMessage<'m>,
    pub(super) event: crate::Event,
    claim: Claim,
    pub(super) plan: Plan,
    pub(super) span: tracing::Span,
}

/// Each write's result, by event and by the write's place in the event's plan.
pub(super) type WriteResults = Vec<Vec<Option<Result<Applied, ()>>>>;
/// Each claim's result: the record's earlier attempts, or what happened instead.
type Claims = Vec<Result<Claimed, (Outcome, u32)>>;

impl<I: IdempotencyStore, S: StateStore, H: EventHandler, C: Clock> Processor<I, S, H, C> {
    /// Processes one group's messages in order: the outcomes from the first message up to and
    /// including the first one not acknowledged.
    pub(super) async fn process_group(
        &self,
        messages: &[IncomingMessage<'_>],
        deadline_ms: i64,
    ) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        while outcomes.len() < messages.len() {
            let rest = &messages[outcomes.len()..];
            // A lone message (the common case) goes straight to the one-by-one path: preparing a
            // run would parse, redact and plan it twice.
            let run = if rest.len() > 1 {
                self.prepare_run(rest, deadline_ms)
            } else {
                Vec::new()
            };
            let done = if run.len() > 1 {
                self.process_run(&run, deadline_ms).await
            } else {
                // A lone event, or a message that is not one: the one-by-one path says why.
                vec![self.process(rest[0], deadline_ms).await]
            };
            let stop = done.iter().any(|o| !o.acknowledged());
            outcomes.extend(done);
            if stop {
                break;
            }
        }
        outcomes
    }

    /// The group's next run: its messages while they are events with ids not seen in the run.
    fn prepare_run<'m>(
        &self,
        messages: &[IncomingMessage<'m>],
        deadline_ms: i64,
    ) -> Vec<RunEvent<'m>> {
        let mut run: Vec<RunEvent<'m>> = Vec::new();
        for &message in messages {
            let Ok(bytes) = decode_body(message.body, message.body_encoding) else {
                break;
            };
            let Ok(event) = message.event(&bytes) else {
                break;
            };
            if run.iter().any(|r| r.event.id == event.id) {
                break;
            }
            let span = super::event_span(&event, message);
            let claim = self.claim_for(&event, &bytes, message, deadline_ms);
            let plan = plan(&event, self.options.plan);
            run.push(RunEvent {
                message,
                event,
                claim,
                plan,
                span,
            });
        }
        run
    }

    /// A run of two or more events; see the module's notes.
    async fn process_run(&self, run: &[RunEvent<'_>], deadline_ms: i64) -> Vec<Outcome> {
        let started = Instant::now();
        let claims = join_all(
            run.iter()
                .map(move |r| self.claim(&r.event, &r.claim).instrument(r.span.clone())),
        )
        .await;
        // Events after a claim that could not be settled are not reached, so not written.
        let reach = claims
            .iter()
            .position(|c| matches!(c, Err((o, _)) if !o.acknowledged()))
            .unwrap_or(run.len());
        let claimed: Vec<bool> = (0..run.len())
            .map(|i| i < reach && claims[i].is_ok())
            .collect();
        let written = self.write_run(run, &claimed).await;
        let mut decided = Decided {
            started,
            outcomes: vec![None; run.len()],
        };
        let relations: Vec<Option<Relation>> = (0..run.len())
            .map(|i| kept_relation(&run[i], &claims[i], &written[i]))
            .collect();
        let facts = RunFacts {
            claims: &claims,
            written: &written,
            relations: &relations,
            deadline_ms,
            began_ms: self.clock.now().timestamp_millis(),
        };
        self.handle_run(run, &facts, &mut decided).await;
        self.release_not_reached(run, &decided.outcomes, &claims, &relations)
            .await;
        let attempts: Vec<u32> = claims
            .iter()
            .map(|c| match c {
                Ok(claimed) => claimed.attempt,
                Err((_, attempt)) => *attempt,
            })
            .collect();
        report_run(run, &decided.outcomes, &attempts)
    }

    /// The handlers in order, each record finished while the next handler runs, until the first
    /// failure.
    async fn handle_run(&self, run: &[RunEvent<'_>], facts: &RunFacts<'_>, decided: &mut Decided) {
        let mut finishing = FuturesUnordered::new();
        for (i, r) in run.iter().enumerate() {
            // A record that could not be finished stops the group before its next handler.
            if decided.any_failed() {
                break;
            }
            let claimed = match &facts.claims[i] {
                Ok(claimed) => claimed,
                Err((settled, _)) if settled.acknowledged() => {
                    decided.set(i, *settled);
                    continue;
                }
                Err((settled, _)) => {
                    decided.set(i, *settled);
                    break;
                }
            };
            r.span.record("attempt", claimed.attempt);
            if is_ignored(&r.event, &r.plan) {
                finishing.push(self.finish_at(run, i, Status::Ignored, Outcome::Ignored));
                continue;
            }
            let (Some(relation), Some(applied)) =
                (&facts.relations[i], all_written(&facts.written[i]))
            else {
                let failed = self.state_failed(&r.event, &r.claim.owner);
                decided.set(i, failed.instrument(r.span.clone()).await);
                break;
            };
            if self.deadline_near(facts) {
                let stopped = self.stop_at_deadline(r, claimed, relation.clone());
                decided.set(i, stopped.instrument(r.span.clone()).await);
                break;
            }
            let call = Call {
                event: &r.event,
                owner: &r.claim.owner,
                claimed,
                relation: relation.clone(),
                order: Order::of(&r.plan, &applied),
                replay: replay_of(&r.event, &r.claim, r.message),
                deadline_ms: facts.deadline_ms,
                expires_at_s: r.claim.expires_at_s,
                keep_relation: true,
            };
            let handled = self.handle(call);
            let handled = drive(
                handled.instrument(r.span.clone()),
                &mut finishing,
                |(j, o)| decided.set(j, o),
            )
            .await;
            match handled {
                Ok((status, outcome)) => finishing.push(self.finish_at(run, i, status, outcome)),
                Err(failed) => {
                    decided.set(i, failed);
                    break;
                }
            }
        }
        while let Some((j, o)) = finishing.next().await {
            decided.set(j, o);
        }
    }

    /// Finishes the `i`th event's record: its index and outcome.
    async fn finish_at(
        &self,
        run: &[RunEvent<'_>],
        i: usize,
        status: Status,
        outcome: Outcome,
    ) -> (usize, Outcome) {
        let r = &run[i];
        let finished = self.finish(&r.event, &r.claim.owner, status, outcome);
        (i, finished.instrument(r.span.clone()).await)
    }

    /// Whether a handler started now could run into the invocation's deadline.
    /// The margin is 5 s, or a quarter of the time the run had when it began if that is less, so a
    /// short invocation (a low timeout) still runs its first handlers: a run always makes progress.
    /// A deadline already past when the run began is no deadline (a local emulator's, as for the
    /// claim's lease).
    fn deadline_near(&self, facts: &RunFacts<'_>) -> bool {
        if facts.deadline_ms <= facts.began_ms {
            return false;
        }
        let margin = deadline_margin_ms(facts.deadline_ms, facts.began_ms);
        self.clock.now().timestamp_millis() > facts.deadline_ms - margin
    }

    /// Gives an event back unhandled at the deadline: no failure, back at once.
    async fn stop_at_deadline(
        &self,
        r: &RunEvent<'_>,
        claimed: &Claimed,
        relation: Relation,
    ) -> Outcome {
        let release = Release {
            status: Status::Deferred,
            code: DEADLINE_REACHED.to_string(),
            budget: Budget::Keep,
            relation: Some(relation),
            reservation: claimed.reservation.clone(),
        };
        self.release(&r.event, &r.claim.owner, &release).await;
        Outcome::Deferred {
            retry_after: super::retry::MIN_WAIT,
            back_at_ms: None,
        }
    }

    /// Releases the claims of the events after the first failure, which were never reached, each
    /// with the relation it keeps for its retry.
    async fn release_not_reached(
        &self,
        run: &[RunEvent<'_>],
        outcomes: &[Option<(Outcome, f64)>],
        claims: &Claims,
        relations: &[Option<Relation>],
    ) {
        let Some(first_failed) = outcomes
            .iter()
            .position(|o| o.is_some_and(|(o, _)| !o.acknowledged()))
        else {
            return;
        };
        join_all(
            (first_failed + 1..run.len())
                .filter(|&i| claims[i].is_ok() && outcomes[i].is_none())
                .map(move |i| {
                    let r = &run[i];
                    // Not a failure of its own: `deferred`, so it stays out of the failed
                    // index (`events --status failed`, the runbook's list) and any claim takes it.
                    let release = Release {
                        status: Status::Deferred,
                        code: NOT_REACHED.to_string(),
                        budget: Budget::Keep,
                        relation: relations[i].clone(),
                        // Its slot, if a deferral drew one, stays its own.
                        reservation: claims[i].as_ref().ok().and_then(|c| c.reservation.clone()),
                    };
                    async move {
                        self.release(&r.event, &r.claim.owner, &release)
                            .instrument(r.span.clone())
                            .await
                    }
                }),
        )
        .await;
    }
}

/// Each event's outcome once decided, with the milliseconds from the run's start.
struct Decided {
    started: Instant,
    outcomes: Vec<Option<(Outcome, f64)>>,
}

impl Decided {
    fn set(&mut self, i: usize, outcome: Outcome) {
        self.outcomes[i] = Some((outcome, self.started.elapsed().as_secs_f64() * 1000.0));
    }

    fn any_failed(&self) -> bool {
        self.outcomes
            .iter()
            .flatten()
            .any(|(o, _)| !o.acknowledged())
    }
}

/// What a run knows of each event before its handlers run.
struct RunFacts<'a> {
    claims: &'a Claims,
    written: &'a WriteResults,
    /// The relation each event is told: kept by an earlier attempt, else from its writes.
    relations: &'a [Option<Relation>],
    deadline_ms: i64,
    /// When the run's handlers began (Unix ms).
    began_ms: i64,
}

/// The relation an event is told: the one an earlier attempt kept, else what its writes found
/// (`None` while its writes failed).
fn kept_relation(
    r: &RunEvent<'_>,
    claim: &Result<Claimed, (Outcome, u32)>,
    written: &[Option<Result<Applied, ()>>],
) -> Option<Relation> {
    let kept = claim.as_ref().ok().and_then(|c| c.relation.clone());
    kept.or_else(|| all_written(written).map(|applied| relation(&r.plan, primary(&applied))))
}

/// What each of the event's writes found, when every one succeeded.
fn all_written(written: &[Option<Result<Applied, ()>>]) -> Option<Vec<Applied>> {
    written.iter().map(|w| w.clone()?.ok()).collect()
}

/// Runs `work` while finishing what `finishing` holds, handing each finished record to `finished`.
async fn drive<T, F: Future<Output = (usize, Outcome)>>(
    work: impl Future<Output = T>,
    finishing: &mut FuturesUnordered<F>,
    mut finished: impl FnMut((usize, Outcome)),
) -> T {
    let mut work = pin!(work);
    loop {
        if finishing.is_empty() {
            return work.await;
        }
        match select(work.as_mut(), finishing.next()).await {
            Either::Left((out, _)) => return out,
            Either::Right((Some(record), _)) => finished(record),
            Either::Right((None, _)) => return work.await,
        }
    }
}

/// The log line and metrics of each event reached, and the outcomes up to the first failure.
fn report_run(
    run: &[RunEvent<'_>],
    outcomes: &[Option<(Outcome, f64)>],
    attempts: &[u32],
) -> Vec<Outcome> {
    let mut reported = Vec::new();
    for ((r, decided), &attempt) in run.iter().zip(outcomes).zip(attempts) {
        // A later event was finished while an earlier one failed: the group stops at the earlier.
        let Some((outcome, latency_ms)) = *decided else {
            break;
        };
        r.span
            .in_scope(|| report::log(&r.event, outcome, attempt, latency_ms));
        report::count(&r.event, outcome, latency_ms);
        reported.push(outcome);
        if !outcome.acknowledged() {
            break;
        }
    }
    reported
}
