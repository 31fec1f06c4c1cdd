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
    /// When it comes back (Unix ms), where a delay was set: for a deferral, shortly before its
    /// slot.
    pub back_at_ms: Option<i64>,
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
        let mut back = self.unacknowledged(&members, &outcomes);
        self.set_return(messages, &mut back).await;
        back
    }

    /// The group's messages from its first one not acknowledged on.
    fn unacknowledged(
        &self,
        members: &[usize],
        outcomes: &[super::Outcome],
    ) -> Vec<Unacknowledged> {
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
                        back_at_ms: head.back_at_ms(),
                    })
                    .collect()
            }
            None => Vec::new(),
        }
    }

    /// Sets when the group's messages come back, as soon as the group is done rather than when the
    /// batch is (its other groups may wait for their downstream slots until the deadline): a
    /// deferral's delay counts to its slot from now. Without a visibility port, or if the change
    /// fails, a message comes back after the queue's visibility timeout as any failure does.
    async fn set_return(&self, messages: &[GroupedMessage<'_>], back: &mut [Unacknowledged]) {
        let now_ms = self.clock.now().timestamp_millis();
        for u in back.iter_mut() {
            if let Some(at) = u.back_at_ms {
                // Back at once when the slot is close: the next attempt waits for it (no busy
                // loop, unlike a retry asked for with no delay).
                let wait = u64::try_from(at - now_ms).unwrap_or(0);
                u.retry_after = Some(Duration::from_millis(wait).min(super::retry::MAX_WAIT));
            }
            let Some(delay) = u.retry_after else {
                continue;
            };
            u.back_at_ms = Some(now_ms + delay.as_millis() as i64);
            let message = messages[u.index].message;
            let (Some(visibility), Some(receipt), false) =
                (&self.visibility, message.receipt_handle, u.dead_letter)
            else {
                continue;
            };
            if let Err(e) = visibility.delay(receipt, delay).await {
                tracing::warn!(
                    message_id = message.message_id.unwrap_or_default(),
                    error = %crate::telemetry::Causes(&e),
                    "could not delay the message; it returns after the visibility timeout"
                );
            }
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
