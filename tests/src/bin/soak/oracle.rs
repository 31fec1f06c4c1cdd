//! The oracle: one final record per event, state equal to the in-order reference, a handler run for
//! every known event and a second only where a kill explains it, nothing left on the queues, no
//! secret in any log line.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::Ordering;

use fanfare_integration_tests::soak::check::{
    differences, dynamo_state, record_statuses, reference_state,
};
use fanfare_shared::processor::Outcome;

use crate::drive::Run;
use crate::send::queue_depth;
use crate::stack::Stack;
use crate::{Error, RunArgs, SECRET};

/// What the checks found: the failures, and the figures the report prints.
#[derive(Default)]
pub(crate) struct Found {
    pub(crate) failures: Vec<String>,
    pub(crate) status_counts: BTreeMap<String, usize>,
    pub(crate) lost: usize,
    pub(crate) reference_superseded: usize,
    pub(crate) state_items: (usize, usize),
    pub(crate) state_equal: bool,
    /// Handler runs by event id: (worker pid, unix ms).
    pub(crate) runs: HashMap<String, Vec<(u32, i64)>>,
    pub(crate) rerun_after_kill: Vec<String>,
    pub(crate) applied_twice: usize,
    pub(crate) never_ran: usize,
    /// Events queue, DLQ, quarantine.
    pub(crate) depths: (u64, u64, u64),
    pub(crate) leaking: usize,
}

/// At most five of `items`, for a failure line.
fn some<T: std::fmt::Debug>(items: &[T]) -> &[T] {
    &items[..items.len().min(5)]
}

pub(crate) async fn check(args: &RunArgs, stack: &Stack, run: &Run) -> Result<Found, Error> {
    let mut found = Found::default();
    if !run.converged {
        found
            .failures
            .push(format!("did not converge within {} s", args.max_secs));
    }
    let gave_up = run.stats.gave_up.load(Ordering::Relaxed);
    if gave_up > 0 {
        found
            .failures
            .push(format!("{gave_up} deliveries never got a 2xx"));
    }
    let statuses = record_statuses(&stack.ddb, &stack.idempotency_table).await?;
    records(&mut found, run, &statuses);
    let (expected, reference_outcomes) = reference_state(&run.events).await;
    let actual = dynamo_state(&stack.ddb, &stack.state_table).await?;
    let diff = differences(&expected, &actual, 10);
    if !diff.is_empty() {
        found.failures.push(format!(
            "state differs from the reference:\n    {}",
            diff.join("\n    ")
        ));
    }
    found.state_items = (actual.len(), expected.len());
    found.state_equal = diff.is_empty();
    found.reference_superseded = reference_outcomes
        .iter()
        .filter(|o| **o == Outcome::Superseded)
        .count();
    handler_runs(&mut found, stack, run, &statuses);
    queues(&mut found, stack).await?;
    logs(&mut found, args)?;
    Ok(found)
}

/// Exactly one final record per event, none for ids never sent.
fn records(found: &mut Found, run: &Run, statuses: &BTreeMap<String, String>) {
    let mut lost = Vec::new();
    for event in run.events.iter() {
        match statuses.get(&event.id) {
            Some(s) if ["completed", "superseded", "ignored"].contains(&s.as_str()) => {
                *found.status_counts.entry(s.clone()).or_default() += 1
            }
            Some(s) => lost.push(format!("{} is {s}", event.id)),
            None => lost.push(format!("{} has no record", event.id)),
        }
    }
    let ids: HashSet<&str> = run.events.iter().map(|e| e.id.as_str()).collect();
    let extra = statuses
        .keys()
        .filter(|k| !ids.contains(k.as_str()))
        .count();
    if !lost.is_empty() {
        let count = lost.len();
        found.failures.push(format!(
            "{count} events without a final record, e.g. {:?}",
            some(&lost)
        ));
    }
    if extra > 0 {
        found
            .failures
            .push(format!("{extra} records for ids that were never sent"));
    }
    found.lost = lost.len();
}

/// Every known event ran its handler (superseded or not); a second run only where a killed worker
/// ran it between its handler and its finish.
fn handler_runs(found: &mut Found, stack: &Stack, run: &Run, statuses: &BTreeMap<String, String>) {
    let log = std::fs::read_to_string(&stack.handler_log).unwrap_or_default();
    for line in log.lines() {
        let mut fields = line.split(' ');
        if let (Some(pid), Some(id), Some(ms)) = (fields.next(), fields.next(), fields.next()) {
            if let (Ok(pid), Ok(ms)) = (pid.parse(), ms.parse()) {
                found
                    .runs
                    .entry(id.to_string())
                    .or_default()
                    .push((pid, ms));
            }
        }
    }
    let (mut applied_twice, mut never_ran) = (Vec::new(), Vec::new());
    for event in run.events.iter() {
        let these = found
            .runs
            .get(&event.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let killed = &stack.workers.killed_pids;
        let by_killed = these.iter().filter(|(pid, _)| killed.contains(pid)).count();
        let handled = statuses
            .get(&event.id)
            .is_some_and(|s| s == "completed" || s == "superseded");
        if these.len() > 1 {
            if by_killed >= these.len() - 1 {
                found.rerun_after_kill.push(event.id.clone());
            } else {
                applied_twice.push(event.id.clone());
            }
        }
        if event.known && these.is_empty() {
            never_ran.push(event.id.clone());
        }
        if !handled && these.len() > by_killed {
            applied_twice.push(format!("{} ran but is not completed", event.id));
        }
    }
    if !applied_twice.is_empty() {
        let count = applied_twice.len();
        found.failures.push(format!(
            "{count} events ran the handler twice without a kill to explain it, e.g. {:?}",
            some(&applied_twice)
        ));
    }
    if !never_ran.is_empty() {
        let count = never_ran.len();
        found.failures.push(format!(
            "{count} events never ran the handler, e.g. {:?}",
            some(&never_ran)
        ));
    }
    (found.applied_twice, found.never_ran) = (applied_twice.len(), never_ran.len());
}

/// Nothing in flight, nothing left on the DLQ after redrive, nothing quarantined.
async fn queues(found: &mut Found, stack: &Stack) -> Result<(), Error> {
    let (sqs, q) = (&stack.sqs, &stack.queues);
    let in_flight = queue_depth(sqs, &q.events).await?;
    let dead_lettered = queue_depth(sqs, &q.dead_letter).await?;
    let quarantined = queue_depth(sqs, &q.quarantine).await?;
    if in_flight > 0 {
        found
            .failures
            .push(format!("{in_flight} messages still on the events queue"));
    }
    if dead_lettered > 0 {
        found.failures.push(format!(
            "{dead_lettered} messages left on the DLQ after redrive"
        ));
    }
    if quarantined > 0 {
        found.failures.push(format!(
            "{quarantined} deliveries quarantined (none should be)"
        ));
    }
    found.depths = (in_flight, dead_lettered, quarantined);
    Ok(())
}

/// No secret or token in any log line.
fn logs(found: &mut Found, args: &RunArgs) -> Result<(), Error> {
    let mut leaking = Vec::new();
    for entry in std::fs::read_dir(&args.out_dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "log") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let lines = text
                .lines()
                .filter(|l| l.contains(SECRET) || l.contains("_tok_"))
                .count();
            if lines > 0 {
                leaking.push(format!("{}: {lines} lines", path.display()));
            }
        }
    }
    if !leaking.is_empty() {
        found
            .failures
            .push(format!("secrets or tokens in logs: {leaking:?}"));
    }
    found.leaking = leaking.len();
    Ok(())
}
