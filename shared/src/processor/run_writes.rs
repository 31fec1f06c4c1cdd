//! A run's state writes: every item's writes at once, the writes one item receives from several
//! events merged into one conditional write where that is faithful (`merge`), else one by one.

use futures_util::stream::{self, StreamExt};
use tracing::Instrument;

use super::group::{RunEvent, WriteResults, RUN_WRITES_AT_ONCE};
use super::handler::EventHandler;
use super::merge::{applied_in_order, merge, RunWrite};
use super::Processor;
use crate::ports::idempotency::IdempotencyStore;
use crate::ports::state::{Applied, MergedApplied, StateStore};
use crate::ports::Clock;
use crate::telemetry::Causes;

impl<I: IdempotencyStore, S: StateStore, H: EventHandler, C: Clock> Processor<I, S, H, C> {
    /// Every item's writes of the run at once (merged where faithful), by event and plan place.
    pub(super) async fn write_run(&self, run: &[RunEvent<'_>], claimed: &[bool]) -> WriteResults {
        let mut items: Vec<Vec<(usize, usize)>> = Vec::new();
        for (i, r) in run.iter().enumerate().filter(|(i, _)| claimed[*i]) {
            for (w, write) in r.plan.writes.iter().enumerate() {
                let same_item = |members: &&mut Vec<(usize, usize)>| {
                    let (ei, wi) = members[0];
                    let other = &run[ei].plan.writes[wi];
                    other.pk == write.pk && other.sk == write.sk
                };
                match items.iter_mut().find(same_item) {
                    Some(members) => members.push((i, w)),
                    None => items.push(vec![(i, w)]),
                }
            }
        }
        let mut results: WriteResults = run
            .iter()
            .map(|r| vec![None; r.plan.writes.len()])
            .collect();
        let item_writes: Vec<_> = items
            .into_iter()
            .map(|members| self.write_members(run, members))
            .collect();
        let applied: Vec<_> = stream::iter(item_writes)
            .buffer_unordered(RUN_WRITES_AT_ONCE)
            .collect()
            .await;
        for (members, found) in applied {
            for ((i, w), result) in members.into_iter().zip(found) {
                results[i][w] = Some(result);
            }
        }
        results
    }

    /// One item's writes, named by (event, plan place), and what each found.
    async fn write_members(
        &self,
        run: &[RunEvent<'_>],
        members: Vec<(usize, usize)>,
    ) -> (Vec<(usize, usize)>, Vec<Result<Applied, ()>>) {
        let writes: Vec<RunWrite<'_>> = members
            .iter()
            .map(|&(i, w)| (&run[i].plan.writes[w], run[i].event.id.as_str()))
            .collect();
        let span = run[members[0].0].span.clone();
        let found = self.write_item(&writes).instrument(span).await;
        (members, found)
    }

    /// One item's writes: merged, or one by one (stopping at the first failure) where merging is
    /// not faithful or the item is newer than the oldest write.
    async fn write_item(&self, writes: &[RunWrite<'_>]) -> Vec<Result<Applied, ()>> {
        if let Some(merged) = merge(writes) {
            if merged.is_empty() {
                return vec![Ok(Applied::Fresh); writes.len()];
            }
            match self.state.apply_merged(&merged).await {
                Ok(MergedApplied::Applied(previous)) => {
                    return applied_in_order(writes, previous)
                        .into_iter()
                        .map(Ok)
                        .collect()
                }
                Ok(MergedApplied::Newer) => {}
                Err(e) => {
                    tracing::warn!(error = %Causes(&e), "state write failed");
                    return vec![Err(()); writes.len()];
                }
            }
        }
        let mut found = Vec::with_capacity(writes.len());
        for (write, event_id) in writes {
            match self.state.apply(write, event_id).await {
                Ok(applied) => found.push(Ok(applied)),
                Err(e) => {
                    tracing::warn!(error = %Causes(&e), "state write failed");
                    break;
                }
            }
        }
        found.resize(writes.len(), Err(()));
        found
    }
}
