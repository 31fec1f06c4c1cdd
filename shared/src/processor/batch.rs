//! A batch of messages, run group by group: in order within a message group, groups at the same
//! time.

use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use super::handler::EventHandler;
use super::{IncomingMessage, Processor};
use crate::ports::idempotency::IdempotencyStore;
use crate::ports::state::StateStore;
use crate::ports::Clock;

/// Message groups of one batch processed at the same time.
pub const MAX_CONCURRENT_GROUPS: usize = 10;

/// A message of a batch that was not acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unacknowledged {
    /// Its index in the batch.
    pub index: usize,
    /// Come back after this delay (the failure's backoff, a handler's `retry_after`, a deferral),
    /// for the rest of the group too; `None`: the queue's visibility timeout.
    pub retry_after: Option<Duration>,
    /// Its event spent its retry budget: send it to the dead-letter queue (and so acknowledge it).
    pub dead_letter: bool,
}

/// One message of a batch and its message group (`None`: independent of every other message).
#[derive(Debug, Clone, Copy)]
pub struct GroupedMessage<'a> {
    pub group: Option<&'a str>,
    pub message: IncomingMessage<'a>,
}

impl<I: IdempotencyStore, S: StateStore, H: EventHandler, C: Clock> Processor<I, S, H, C> {
    /// Processes a batch and returns the messages not acknowledged, in order.
    /// Messages of one group run strictly in order, and the first failure in a group fails the rest
    /// of **that group** only (Powertools' `skipGroupOnError`), so a later event of a group never
    /// overtakes an earlier one while other entities go on. Groups run at the same time, at most
    /// [`MAX_CONCURRENT_GROUPS`]. A handler's `retry_after` applies to the rest of its group.
    pub async fn process_messages(
        &self,
        messages: &[GroupedMessage<'_>],
        deadline_ms: i64,
    ) -> Vec<Unacknowledged> {
        let mut failed: Vec<Unacknowledged> = stream::iter(groups(messages))
            .map(move |members| self.process_members(messages, members, deadline_ms))
            .buffer_unordered(MAX_CONCURRENT_GROUPS)
            .concat()
            .await;
        failed.sort_unstable_by_key(|u| u.index);
        failed
    }
}

impl<I: IdempotencyStore, S: StateStore, H: EventHandler, C: Clock> Processor<I, S, H, C> {
    /// One group's messages: those not acknowledged, from the first failure on.
    async fn process_members(
        &self,
        messages: &[GroupedMessage<'_>],
        members: Vec<usize>,
        deadline_ms: i64,
    ) -> Vec<Unacknowledged> {
        let group: Vec<IncomingMessage<'_>> =
            members.iter().map(|&i| messages[i].message).collect();
        let outcomes = self.process_group(&group, deadline_ms).await;
        match outcomes.iter().position(|o| !o.acknowledged()) {
            Some(n) => {
                let head = outcomes[n];
                // Behind an event that leaves for the dead-letter queue, the group goes on at once.
                let rest_after = match head.dead_letter() {
                    true => Some(super::retry::MIN_WAIT),
                    false => head.retry_after(),
                };
                members[n..]
                    .iter()
                    .enumerate()
                    .map(|(k, &index)| Unacknowledged {
                        index,
                        retry_after: if k == 0 {
                            head.retry_after()
                        } else {
                            rest_after
                        },
                        dead_letter: k == 0 && head.dead_letter(),
                    })
                    .collect()
            }
            None => Vec::new(),
        }
    }
}

/// The messages' indices by group, each group in arrival order.
fn groups(messages: &[GroupedMessage<'_>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(k, _)| m.group.is_some() && *k == m.group)
        {
            Some((_, members)) => members.push(i),
            None => groups.push((m.group, vec![i])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}
