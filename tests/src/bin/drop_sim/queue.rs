//! The events queue as Lambda's FIFO event source serves it: a group's messages in order, no further
//! message of a group while one is in flight or waiting out its visibility timeout, batches of up to
//! ten filled from as few groups as possible, a failed message back at its group's head after the
//! visibility timeout (or the delay the processor set: a backoff, a deferral), and to the
//! dead-letter queue after `max_receive_count` receives.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fanfare_shared::ports::{DeadLetter, DeadLetterSink, MessageVisibility, QueueError};
use tokio::sync::Notify;
use tokio::time::Instant;

pub const BATCH_SIZE: usize = 10;

/// A message on the queue: which event it carries, how often it was received.
#[derive(Debug, Clone)]
pub struct Message {
    pub event: usize,
    pub receives: u32,
    pub seq: u64,
}

#[derive(Default)]
struct Group {
    messages: VecDeque<Message>,
    busy: bool,
    hidden: bool,
}

#[derive(Default)]
struct State {
    groups: HashMap<Arc<str>, Group>,
    /// Groups with a message to hand out, in the order they became ready.
    ready: VecDeque<Arc<str>>,
    /// Groups whose head waits out a visibility timeout, by when it ends.
    hidden: BinaryHeap<Reverse<(Instant, u64, Arc<str>)>>,
    /// Messages on the queue, in flight included.
    depth: usize,
    next_seq: u64,
    dead_lettered: usize,
    closed: bool,
    /// When a received message shows again, where the processor changed its visibility, by
    /// message sequence number.
    visible_at: HashMap<u64, Instant>,
}

pub struct Queue {
    state: Mutex<State>,
    pub wake: Notify,
    visibility: Duration,
    max_receives: u32,
}

/// A batch as received: each message with its group.
pub type Batch = Vec<(Arc<str>, Message)>;

impl Queue {
    pub fn new(visibility: Duration, max_receives: u32) -> Queue {
        Queue {
            state: Mutex::default(),
            wake: Notify::new(),
            visibility,
            max_receives,
        }
    }

    pub fn send(&self, group: &Arc<str>, event: usize) {
        let mut s = self.state.lock().unwrap();
        let seq = s.next_seq;
        s.next_seq += 1;
        s.depth += 1;
        let g = s.groups.entry(group.clone()).or_default();
        g.messages.push_back(Message {
            event,
            receives: 0,
            seq,
        });
        if g.messages.len() == 1 && !g.busy && !g.hidden {
            s.ready.push_back(group.clone());
        }
        drop(s);
        self.wake.notify_one();
    }

    /// Up to ten messages, as many as possible from the group first in line; `None` when nothing
    /// can be handed out now.
    pub fn receive(&self) -> Option<Batch> {
        let mut s = self.state.lock().unwrap();
        let now = Instant::now();
        while let Some(Reverse((until, _, _))) = s.hidden.peek() {
            if *until > now {
                break;
            }
            let Some(Reverse((_, _, group))) = s.hidden.pop() else {
                break;
            };
            let g = s.groups.get_mut(&group).expect("a hidden group exists");
            g.hidden = false;
            if !g.messages.is_empty() && !g.busy {
                s.ready.push_back(group);
            }
        }
        let mut batch = Batch::new();
        while batch.len() < BATCH_SIZE {
            let Some(group) = s.ready.pop_front() else {
                break;
            };
            let g = s.groups.get_mut(&group).expect("a ready group exists");
            g.busy = true;
            while batch.len() < BATCH_SIZE {
                let Some(mut m) = g.messages.pop_front() else {
                    break;
                };
                m.receives += 1;
                batch.push((group.clone(), m));
            }
        }
        (!batch.is_empty()).then_some(batch)
    }

    /// When the next hidden group shows again.
    pub fn next_visible(&self) -> Option<Instant> {
        let s = self.state.lock().unwrap();
        s.hidden.peek().map(|Reverse((until, _, _))| *until)
    }

    /// The batch's outcome: acknowledged messages leave; failed ones go back to their group's head
    /// (hidden for the visibility timeout) or, received too often, to the dead-letter queue.
    /// Returns the dead-lettered events.
    pub fn complete(&self, batch: Batch, failed: &[bool]) -> Vec<usize> {
        let mut s = self.state.lock().unwrap();
        let mut groups: Vec<Arc<str>> = Vec::new();
        let mut dead = Vec::new();
        let mut back: Vec<(Arc<str>, Message)> = Vec::new();
        for ((group, m), failed) in batch.into_iter().zip(failed) {
            if !groups.contains(&group) {
                groups.push(group.clone());
            }
            if !failed {
                s.visible_at.remove(&m.seq);
                s.depth -= 1;
            } else if m.receives >= self.max_receives {
                s.depth -= 1;
                s.dead_lettered += 1;
                dead.push(m.event);
            } else {
                back.push((group, m));
            }
        }
        let now = Instant::now();
        // Failed messages go back to their group's head in their order; the group waits for its
        // head's visibility: the delay the processor set, else the queue's timeout.
        let mut heads: Vec<(Arc<str>, Instant)> = Vec::new();
        for (group, m) in back.into_iter().rev() {
            let until = s.visible_at.remove(&m.seq).unwrap_or(now + self.visibility);
            // Iterating backwards, the last one seen of a group is its head.
            heads.retain(|(g, _)| *g != group);
            heads.push((group.clone(), until));
            let g = s.groups.get_mut(&group).expect("a received group exists");
            g.messages.push_front(m);
        }
        for (group, until) in heads {
            let seq = s.next_seq;
            s.next_seq += 1;
            let g = s.groups.get_mut(&group).expect("a received group exists");
            if !g.hidden {
                g.hidden = true;
                s.hidden.push(Reverse((until, seq, group)));
            }
        }
        for group in groups {
            let g = s.groups.get_mut(&group).expect("a received group exists");
            g.busy = false;
            if !g.messages.is_empty() && !g.hidden {
                s.ready.push_back(group);
            }
        }
        drop(s);
        self.wake.notify_waiters();
        dead
    }

    /// The processor's ChangeMessageVisibility on a received message: it shows `delay` from now.
    pub fn delay(&self, seq: u64, delay: Duration) {
        let until = Instant::now() + delay;
        self.state.lock().unwrap().visible_at.insert(seq, until);
    }

    /// A message could be handed out now: what makes Lambda's event source add pollers.
    pub fn waiting(&self) -> bool {
        let s = self.state.lock().unwrap();
        let now = Instant::now();
        !s.ready.is_empty()
            || s.hidden
                .peek()
                .is_some_and(|Reverse((until, _, _))| *until <= now)
    }

    pub fn depth(&self) -> usize {
        self.state.lock().unwrap().depth
    }

    pub fn close(&self) {
        self.state.lock().unwrap().closed = true;
        self.wake.notify_waiters();
    }

    /// Closed and empty: the workers can stop.
    pub fn finished(&self) -> bool {
        let s = self.state.lock().unwrap();
        s.closed && s.depth == 0
    }
}

/// The processor's visibility changes, on the simulated queue (receipt handles are `m<seq>`).
pub struct SimVisibility(pub Arc<Queue>);

#[async_trait::async_trait]
impl MessageVisibility for SimVisibility {
    async fn delay(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError> {
        if let Some(seq) = receipt_handle
            .strip_prefix('m')
            .and_then(|s| s.parse().ok())
        {
            self.0.delay(seq, delay);
        }
        Ok(())
    }
}

/// The dead-letter queue the processor sends to when an event's retry budget is spent: the
/// message ids it received, taken by the worker that invoked.
#[derive(Default)]
pub struct SimDeadLetters(pub Mutex<HashSet<String>>);

#[async_trait::async_trait]
impl DeadLetterSink for SimDeadLetters {
    async fn dead_letter(&self, message: &DeadLetter) -> Result<(), QueueError> {
        self.0.lock().unwrap().insert(message.message_id.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(batch: &Batch) -> Vec<usize> {
        batch.iter().map(|(_, m)| m.event).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_is_handed_out_in_order_one_batch_at_a_time() {
        let q = Queue::new(Duration::from_secs(180), 5);
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        for event in 0..12 {
            q.send(&a, event);
        }
        q.send(&b, 100);
        let first = q.receive().expect("a batch");
        assert_eq!(
            events(&first),
            (0..10).collect::<Vec<_>>(),
            "as many as possible from one group"
        );
        let second = q.receive().expect("the other group");
        assert_eq!(
            events(&second),
            [100],
            "a's rest waits while a is in flight"
        );
        assert!(q.receive().is_none());
        q.complete(first, &[false; 10]);
        assert_eq!(events(&q.receive().expect("a's rest")), [10, 11]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_blocks_its_group_for_the_visibility_timeout_then_dead_letters() {
        let q = Queue::new(Duration::from_secs(180), 2);
        let a: Arc<str> = "a".into();
        q.send(&a, 1);
        q.send(&a, 2);
        let batch = q.receive().expect("a batch");
        q.complete(batch, &[true, true]);
        assert!(q.receive().is_none(), "hidden for the visibility timeout");
        tokio::time::advance(Duration::from_secs(181)).await;
        let again = q.receive().expect("visible again");
        assert_eq!(events(&again), [1, 2], "back in order");
        assert_eq!(
            q.complete(again, &[true, false]),
            [1],
            "received twice: dead-lettered"
        );
        assert_eq!(q.depth(), 0);
    }
}
