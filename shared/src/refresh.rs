//! A value read from a slow source (a secret in Secrets Manager) and kept for at most a maximum age,
//! so that a rotation reaches a warm function without a cold start.
//!
//! - The first read happens at start and must succeed: a function that cannot read its secret should
//!   not start.
//! - After `max_age`, the next use reads again (one caller reads; the others wait for its answer).
//! - A failed re-read keeps the last value and is tried again after [`RETRY_AFTER`]: Secrets
//!   Manager throttling for a minute must not turn into a minute of 401s or failed handlers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Why a read failed (the source's own error, kept as the cause).
pub type ReadError = Box<dyn std::error::Error + Send + Sync>;

type Read<T> =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<T, ReadError>> + Send>> + Send + Sync>;

/// How long a failed re-read waits before the next try (the last value serves meanwhile).
pub const RETRY_AFTER: Duration = Duration::from_secs(10);

/// Five minutes, the secrets cache's usual age: a rotation is live everywhere within it, and a warm
/// function reads its secret at most 12 times an hour.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

pub struct Refreshing<T> {
    read: Option<Read<T>>,
    max_age: Duration,
    current: Mutex<Current<T>>,
}

struct Current<T> {
    value: Arc<T>,
    read_again_at: Option<Instant>,
}

impl<T> std::fmt::Debug for Refreshing<T> {
    // The value is a secret: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refreshing")
            .field("max_age", &self.max_age)
            .field("refreshes", &self.read.is_some())
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> From<T> for Refreshing<T> {
    fn from(value: T) -> Self {
        Self::fixed(value)
    }
}

impl<T: Send + Sync + 'static> Refreshing<T> {
    /// A value that never changes (tests, an inline secret).
    pub fn fixed(value: T) -> Self {
        Self {
            read: None,
            max_age: Duration::MAX,
            current: Mutex::new(Current {
                value: Arc::new(value),
                read_again_at: None,
            }),
        }
    }

    /// Reads once now (an error is returned, for start-up to fail on), then at most every `max_age`.
    pub async fn start<F, Fut>(max_age: Duration, read: F) -> Result<Self, ReadError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, ReadError>> + Send + 'static,
    {
        let read: Read<T> = Arc::new(move || Box::pin(read()));
        let value = read().await?;
        Ok(Self {
            read: Some(read),
            max_age,
            current: Mutex::new(Current {
                value: Arc::new(value),
                read_again_at: Instant::now().checked_add(max_age),
            }),
        })
    }

    /// The value, read again first when it is older than the maximum age.
    pub async fn get(&self) -> Arc<T> {
        let mut current = self.current.lock().await;
        let (Some(read), Some(due)) = (&self.read, current.read_again_at) else {
            return current.value.clone();
        };
        let now = Instant::now();
        if now < due {
            return current.value.clone();
        }
        match read().await {
            Ok(value) => {
                current.value = Arc::new(value);
                current.read_again_at = now.checked_add(self.max_age);
            }
            Err(e) => {
                tracing::warn!(
                    error = %crate::telemetry::Causes(e.as_ref()),
                    "a secret could not be read again; the last one read stays in use"
                );
                current.read_again_at = now.checked_add(RETRY_AFTER.min(self.max_age));
            }
        }
        current.value.clone()
    }

    pub fn max_age(&self) -> Duration {
        self.max_age
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A source answering "v1", "v2", ... (or an error where `fails` says so), counting its reads.
    fn source(
        fails: &'static [usize],
    ) -> (
        Arc<AtomicUsize>,
        impl Fn() -> std::future::Ready<Result<String, ReadError>>,
    ) {
        let reads = Arc::new(AtomicUsize::new(0));
        let counter = reads.clone();
        let read = move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            std::future::ready(if fails.contains(&n) {
                Err::<String, ReadError>("throttled".into())
            } else {
                Ok(format!("v{n}"))
            })
        };
        (reads, read)
    }

    #[tokio::test(start_paused = true)]
    async fn a_value_is_read_again_only_after_its_maximum_age() {
        let (reads, read) = source(&[]);
        let secret = Refreshing::start(Duration::from_secs(300), read)
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(299)).await;
        assert_eq!(*secret.get().await, "v1");
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(
            *secret.get().await,
            "v2",
            "a rotation is seen once the age is reached"
        );
        assert_eq!(*secret.get().await, "v2");
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_read_keeps_the_last_value_and_tries_again_later() {
        let (reads, read) = source(&[2]);
        let secret = Refreshing::start(Duration::from_secs(60), read)
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(
            *secret.get().await,
            "v1",
            "the failed read left the last value"
        );
        tokio::time::advance(RETRY_AFTER - Duration::from_secs(1)).await;
        assert_eq!(*secret.get().await, "v1");
        assert_eq!(
            reads.load(Ordering::SeqCst),
            2,
            "no read before the retry delay"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(*secret.get().await, "v3");
    }

    #[tokio::test(start_paused = true)]
    async fn start_fails_when_the_first_read_fails_and_a_fixed_value_never_reads() {
        let (_, read) = source(&[1]);
        assert!(Refreshing::start(Duration::from_secs(60), read)
            .await
            .is_err());
        let fixed = Refreshing::fixed("inline".to_string());
        tokio::time::advance(Duration::from_secs(86_400)).await;
        assert_eq!(*fixed.get().await, "inline");
    }
}
