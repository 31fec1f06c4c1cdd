//! When a failed event comes back, and when it stops coming back.
//!
//! The budget lives in the event's record, not in the queue's receive count: only the handler's own
//! failures spend it (a panic included). A deferral (a downstream's pace), a handler's
//! `retry_after` and an event that waited behind an earlier failure of its group do not, so a
//! sustained 429 never dead-letters an order. When a failure spends the last of the budget the
//! processor sends the message to the dead-letter queue itself; the queue's `maxReceiveCount` is
//! only a safety net far above it.
//!
//! Each counted failure waits `base × 2^(failures-1)`, at most `max`, less up to half of it
//! (jitter: events that failed together do not come back together). The jitter is derived from
//! the event id and the failure count, so a run can be repeated exactly.

use std::time::Duration;

/// The shortest wait SQS is asked for: 0 would make the message visible at once, which is a busy
/// loop rather than a retry.
pub const MIN_WAIT: Duration = Duration::from_secs(1);
/// The longest: a message's visibility cannot be extended past 12 h from its receipt, and the
/// receipt is up to an invocation older than the change.
pub const MAX_WAIT: Duration = Duration::from_secs(11 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Handler failures before the processor dead-letters the event.
    pub budget: u32,
    /// The first failure's wait.
    pub base: Duration,
    /// No failure waits longer.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            budget: 8,
            base: Duration::from_secs(15),
            max: Duration::from_secs(900),
        }
    }
}

impl RetryPolicy {
    /// How long the event waits after its `failures`th counted failure (0: none yet, the base).
    pub fn backoff(&self, event_id: &str, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        let full = self
            .base
            .saturating_mul(1u32 << doublings)
            .min(self.max)
            .max(MIN_WAIT);
        let jitter = full.mul_f64(0.5 * unit_fraction(event_id, failures));
        clamp(full - jitter)
    }

    /// The wait a handler's `retry_after(asked)` gets: never shorter than the backoff its failures
    /// so far earned, never outside what SQS accepts.
    pub fn retry_after(&self, event_id: &str, failures: u32, asked: Duration) -> Duration {
        clamp(asked.max(self.backoff(event_id, failures)))
    }

    /// The worst-case total wait before a steadily failing event is dead-lettered (no jitter).
    pub fn time_to_dead_letter(&self) -> Duration {
        (1..self.budget)
            .map(|f| {
                self.base
                    .saturating_mul(1u32 << f.saturating_sub(1).min(30))
                    .min(self.max)
            })
            .sum()
    }
}

/// A wait SQS accepts.
pub fn clamp(wait: Duration) -> Duration {
    wait.clamp(MIN_WAIT, MAX_WAIT)
}

/// A number in [0, 1) from the event id and failure count (FNV-1a).
fn unit_fraction(event_id: &str, failures: u32) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in event_id.bytes().chain(failures.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_maximum_with_at_most_half_taken_off() {
        let policy = RetryPolicy::default();
        for failures in 1..=10 {
            let full = Duration::from_secs((15u64 << (failures - 1)).min(900));
            let wait = policy.backoff("evt_1", failures);
            assert!(wait <= full && wait >= full / 2, "{failures}: {wait:?}");
        }
        let spread: std::collections::BTreeSet<_> = (0..20)
            .map(|i| policy.backoff(&format!("evt_{i}"), 3))
            .collect();
        assert!(spread.len() > 10, "events that failed together spread out");
    }

    #[test]
    fn retry_after_waits_at_least_the_backoff_and_what_sqs_accepts() {
        let policy = RetryPolicy::default();
        let backoff = policy.backoff("e", 2);
        assert_eq!(policy.retry_after("e", 2, Duration::ZERO), backoff);
        assert_eq!(
            policy.retry_after("e", 2, Duration::from_secs(600)),
            Duration::from_secs(600)
        );
        assert_eq!(
            policy.retry_after("e", 2, Duration::from_secs(13 * 3600)),
            MAX_WAIT
        );
        let none = RetryPolicy {
            base: Duration::ZERO,
            ..policy
        };
        assert_eq!(none.retry_after("e", 0, Duration::ZERO), MIN_WAIT);
    }

    #[test]
    fn the_default_budget_dead_letters_after_about_half_an_hour() {
        let total = RetryPolicy::default().time_to_dead_letter();
        assert_eq!(
            total,
            Duration::from_secs(15 + 30 + 60 + 120 + 240 + 480 + 900)
        );
    }
}
