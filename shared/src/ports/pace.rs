//! Tickets for a downstream's calls, shared by every processor instance: each second of each
//! downstream is a counter, and a call goes in the second whose ticket it drew.

use async_trait::async_trait;

/// A call slot an event holds for its next attempt: drawn when its call was deferred, so that it
/// comes back for that slot instead of competing again (one deferral per event and call, however
/// long the downstream's backlog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub downstream: String,
    /// When the slot starts (Unix ms).
    pub at_ms: i64,
}

impl Reservation {
    /// As a record stores it: `<downstream>@<ms>`.
    pub fn stored(&self) -> String {
        format!("{}@{}", self.downstream, self.at_ms)
    }

    pub fn from_stored(text: &str) -> Option<Reservation> {
        let (downstream, at) = text.rsplit_once('@')?;
        Some(Reservation {
            downstream: downstream.to_string(),
            at_ms: at.parse().ok()?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PaceError {
    #[error("the pace store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[async_trait]
pub trait PaceStore: Send + Sync {
    /// Draws the next ticket of `downstream`'s calls in Unix second `second`: 1 for the first call
    /// of that second, 2 for the next, across every instance.
    async fn take(&self, downstream: &str, second: i64) -> Result<u64, PaceError>;
}

#[async_trait]
impl<T: PaceStore + ?Sized> PaceStore for std::sync::Arc<T> {
    async fn take(&self, downstream: &str, second: i64) -> Result<u64, PaceError> {
        (**self).take(downstream, second).await
    }
}

/// Tickets in this process only: exact for one instance (local runs, the harness, the simulation);
/// a deployed stack shares its tickets in the idempotency table.
#[derive(Debug, Default)]
pub struct InProcessTickets {
    drawn: std::sync::Mutex<std::collections::HashMap<(String, i64), u64>>,
}

#[async_trait]
impl PaceStore for InProcessTickets {
    async fn take(&self, downstream: &str, second: i64) -> Result<u64, PaceError> {
        let mut drawn = self.drawn.lock().unwrap_or_else(|p| p.into_inner());
        // Draws are for now or a deferral's slot, at most 11 h ahead: a second 12 h before the one
        // asked for is past for good (pruning closer would forget the current second's count).
        drawn.retain(|(_, s), _| *s + 12 * 3600 >= second);
        let count = drawn.entry((downstream.to_string(), second)).or_default();
        *count += 1;
        Ok(*count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_draw_far_ahead_keeps_the_current_seconds_count() {
        let tickets = InProcessTickets::default();
        assert_eq!(tickets.take("erp", 1_000).await.unwrap(), 1);
        // A deferral's slot two hours on.
        assert_eq!(tickets.take("erp", 1_000 + 7_200).await.unwrap(), 1);
        assert_eq!(
            tickets.take("erp", 1_000).await.unwrap(),
            2,
            "not forgotten"
        );
    }
}
