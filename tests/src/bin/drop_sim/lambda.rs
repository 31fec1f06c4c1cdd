//! Lambda's side: workers polling the queue and invoking the real processor with each batch.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use fanfare_shared::ports::idempotency::IdempotencyStore;
use fanfare_shared::ports::state::StateStore;
use fanfare_shared::processor::{IncomingMessage, Processor};
use fanfare_shared::testing::T0_MS;
use futures_util::future::join_all;
use tokio::time::Instant;

use crate::arrivals::{Drop, Family};
use crate::handler::{SimClock, SimHandler};
use crate::queue::{Batch, Queue, SimDeadLetters};
use crate::run::Backlog;

pub type SimProcessor<I, S> = Processor<I, S, SimHandler, SimClock>;

/// What the workers count: invocations (and those in which every record failed), their seconds,
/// dead-lettered events.
pub struct Tally {
    pub invocations: u64,
    pub failed_invocations: u64,
    pub seconds: f64,
    pub dead: Vec<bool>,
    /// Most pollers at once.
    pub peak_pollers: usize,
}

impl Tally {
    pub fn new(events: usize) -> Tally {
        Tally {
            invocations: 0,
            failed_invocations: 0,
            seconds: 0.0,
            dead: vec![false; events],
            peak_pollers: 0,
        }
    }
}

/// One processor instance: takes a batch, invokes, hands the outcome back to the queue.
pub struct Worker<I, S> {
    pub processor: Arc<SimProcessor<I, S>>,
    pub queue: Arc<Queue>,
    pub drop: Arc<Drop>,
    pub backlog: Arc<Mutex<Backlog>>,
    pub tally: Arc<Mutex<Tally>>,
    pub overhead: Duration,
    pub one_by_one: bool,
    pub start: Instant,
    pub dead_letters: Arc<SimDeadLetters>,
}

impl<I: IdempotencyStore, S: StateStore> Worker<I, S> {
    pub async fn run(self) {
        while let Some(batch) = next_batch(&self.queue).await {
            let began = Instant::now();
            tokio::time::sleep(self.overhead).await;
            let deadline = T0_MS + self.start.elapsed().as_millis() as i64 + 30_000;
            let failed = invoke(
                &self.processor,
                &self.drop,
                &batch,
                self.one_by_one,
                deadline,
            )
            .await;
            let sent_to_dlq: Vec<usize> = {
                let mut sent = self.dead_letters.0.lock().unwrap();
                batch
                    .iter()
                    .filter(|(_, m)| sent.remove(&format!("m{}", m.seq)))
                    .map(|(_, m)| m.event)
                    .collect()
            };
            let families: Vec<(Family, bool)> = batch
                .iter()
                .zip(&failed)
                .map(|((_, m), f)| (self.drop.events[m.event].family, *f))
                .collect();
            let gone = self.queue.complete(batch, &failed);
            let mut backlog = self.backlog.lock().unwrap();
            for (family, _) in families.iter().filter(|(_, failed)| !failed) {
                backlog.remove(*family);
            }
            let mut tally = self.tally.lock().unwrap();
            for event in sent_to_dlq {
                tally.dead[event] = true;
            }
            for event in gone {
                backlog.remove(self.drop.events[event].family);
                tally.dead[event] = true;
            }
            tally.invocations += 1;
            if failed.iter().all(|f| *f) {
                tally.failed_invocations += 1;
            }
            tally.seconds += began.elapsed().as_secs_f64();
        }
    }
}

impl<I, S> Clone for Worker<I, S> {
    fn clone(&self) -> Self {
        Worker {
            processor: self.processor.clone(),
            queue: self.queue.clone(),
            drop: self.drop.clone(),
            backlog: self.backlog.clone(),
            tally: self.tally.clone(),
            overhead: self.overhead,
            one_by_one: self.one_by_one,
            start: self.start,
            dead_letters: self.dead_letters.clone(),
        }
    }
}

/// Lambda's SQS event source: `initial` concurrent batches, then, each second messages wait, up to
/// `per_minute / 60` more (in proportion to the invocations that did not fail), up to `max`.
/// (Pollers are never taken away: AWS scales down in quiet minutes, so a second burst ramps again
/// there; the model keeps its pollers and is optimistic only in that.)
pub async fn event_source<I, S>(
    worker: Worker<I, S>,
    initial: usize,
    per_minute: f64,
    max: usize,
) -> Vec<tokio::task::JoinHandle<()>>
where
    I: IdempotencyStore + 'static,
    S: StateStore + 'static,
{
    let mut pollers: Vec<_> = (0..initial.min(max).max(1))
        .map(|_| tokio::task::spawn_local(worker.clone().run()))
        .collect();
    let (mut credit, mut seen, mut seen_failed) = (0.0, 0, 0);
    while !worker.queue.finished() {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (invocations, failed) = {
            let mut t = worker.tally.lock().unwrap();
            t.peak_pollers = t.peak_pollers.max(pollers.len());
            (t.invocations, t.failed_invocations)
        };
        let share_ok = match invocations - seen {
            0 => 1.0,
            n => 1.0 - (failed - seen_failed) as f64 / n as f64,
        };
        (seen, seen_failed) = (invocations, failed);
        if !worker.queue.waiting() || pollers.len() >= max {
            credit = 0.0;
            continue;
        }
        credit += per_minute / 60.0 * share_ok;
        while credit >= 1.0 && pollers.len() < max {
            pollers.push(tokio::task::spawn_local(worker.clone().run()));
            credit -= 1.0;
        }
    }
    pollers
}

/// The next batch, waiting for messages; `None` once the queue is closed and empty.
async fn next_batch(q: &Queue) -> Option<Batch> {
    loop {
        let notified = q.wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(batch) = q.receive() {
            return Some(batch);
        }
        if q.finished() {
            return None;
        }
        match q.next_visible() {
            Some(at) => {
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep_until(at) => {}
                }
            }
            None => notified.await,
        }
    }
}

/// One invocation: the batch as Lambda hands it over, through the real processor. Which failed.
async fn invoke<I: IdempotencyStore, S: StateStore>(
    p: &SimProcessor<I, S>,
    drop: &Drop,
    batch: &Batch,
    one_by_one: bool,
    deadline: i64,
) -> Vec<bool> {
    if one_by_one {
        return before_hot_groups(p, drop, batch, deadline).await;
    }
    let mut event = SqsEvent::default();
    event.records = batch
        .iter()
        .map(|(group, m)| {
            let mut record = SqsMessage::default();
            record.message_id = Some(format!("m{}", m.seq));
            record.receipt_handle = Some(format!("m{}", m.seq));
            record.body = Some(drop.events[m.event].body.to_string());
            record
                .attributes
                .insert("MessageGroupId".into(), group.to_string());
            record
        })
        .collect();
    let response = p
        .process_batch(&event, deadline)
        .await
        .expect("every record has an id");
    let failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    event
        .records
        .iter()
        .map(|r| failed.iter().any(|f| Some(f) == r.message_id.as_ref()))
        .collect()
}

/// The processor's earlier batch rule (before runs of a group were claimed together): each group one message at a time, groups at once.
async fn before_hot_groups<I: IdempotencyStore, S: StateStore>(
    p: &SimProcessor<I, S>,
    drop: &Drop,
    batch: &Batch,
    deadline: i64,
) -> Vec<bool> {
    let mut groups: Vec<(Arc<str>, Vec<usize>)> = Vec::new();
    for (i, (group, _)) in batch.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| g == group) {
            Some((_, members)) => members.push(i),
            None => groups.push((group.clone(), vec![i])),
        }
    }
    let results = join_all(groups.into_iter().map(|(_, members)| async move {
        let mut failed_from = None;
        for (n, &i) in members.iter().enumerate() {
            let body = &drop.events[batch[i].1.event].body;
            if !p
                .process(IncomingMessage::raw(body), deadline)
                .await
                .acknowledged()
            {
                failed_from = Some(n);
                break;
            }
        }
        (members.clone(), failed_from)
    }))
    .await;
    let mut failed = vec![false; batch.len()];
    for (members, from) in results {
        if let Some(n) = from {
            for &i in &members[n..] {
                failed[i] = true;
            }
        }
    }
    failed
}
