//! A store behind a hook that runs around each call: a fixed delay (benchmarks), a modelled round
//! trip with throttling (the drop simulation), a stopwatch (its calibration on moto). The ports'
//! methods are listed once, here, so each wrapper says only what it adds.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::ports::idempotency::{
    Claim, ClaimOutcome, IdempotencyError, IdempotencyStore, Release, Status,
};
use crate::ports::pace::{PaceError, PaceStore};
use crate::ports::state::{Applied, ItemWrite, MergedApplied, MergedWrite, StateError, StateStore};
use crate::ports::steps::{StepDone, StepError, StepStore};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Which call a hook sees: the record's event id, or the state write (what a model of DynamoDB's
/// billing needs: the item's key and the attributes written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreCall<'a> {
    Claim {
        event_id: &'a str,
    },
    Finish {
        event_id: &'a str,
    },
    /// `flagged`: the record is in the failed index afterwards (a failure, not a deferral).
    Release {
        event_id: &'a str,
        flagged: bool,
    },
    RecordConflict {
        event_id: &'a str,
    },
    Apply {
        write: &'a ItemWrite,
    },
    ApplyMerged {
        write: &'a MergedWrite,
    },
    /// A read of a handler's completed steps (`keys` items of the idempotency table).
    ReadSteps {
        event_id: &'a str,
        keys: usize,
    },
    /// A completed step's item.
    RecordStep {
        event_id: &'a str,
    },
    /// A downstream's pace ticket (an item of the idempotency table).
    TakeTicket {
        downstream: &'a str,
        second: i64,
    },
}

impl StoreCall<'_> {
    /// The state item's partition key (None for a record).
    pub fn state_pk(&self) -> Option<&str> {
        match self {
            StoreCall::Apply { write } => Some(&write.pk),
            StoreCall::ApplyMerged { write } => Some(&write.pk),
            _ => None,
        }
    }
}

#[async_trait]
pub trait StoreHook: Send + Sync {
    /// Before the call: wait, count, or refuse it (the store then answers unavailable).
    async fn before(&self, call: StoreCall<'_>) -> Result<(), BoxError>;

    /// After the call, with how long the store took.
    fn after(&self, call: StoreCall<'_>, took: Duration) {
        let _ = (call, took);
    }
}

/// `inner` with `hook` around every call.
pub struct Hooked<T, K> {
    pub inner: T,
    pub hook: K,
}

impl<T, K: StoreHook> Hooked<T, K> {
    async fn run<R>(
        &self,
        call: StoreCall<'_>,
        work: impl Future<Output = R>,
    ) -> Result<R, BoxError> {
        self.hook.before(call).await?;
        let started = Instant::now();
        let out = work.await;
        self.hook.after(call, started.elapsed());
        Ok(out)
    }
}

#[async_trait]
impl<T: IdempotencyStore, K: StoreHook> IdempotencyStore for Hooked<T, K> {
    async fn claim(&self, claim: &Claim) -> Result<ClaimOutcome, IdempotencyError> {
        let call = StoreCall::Claim {
            event_id: &claim.event_id,
        };
        self.run(call, self.inner.claim(claim))
            .await
            .map_err(IdempotencyError::Unavailable)?
    }
    async fn finish(
        &self,
        id: &str,
        owner: &str,
        status: Status,
        now: i64,
    ) -> Result<(), IdempotencyError> {
        let work = self.inner.finish(id, owner, status, now);
        self.run(StoreCall::Finish { event_id: id }, work)
            .await
            .map_err(IdempotencyError::Unavailable)?
    }
    async fn release(
        &self,
        id: &str,
        owner: &str,
        release: &Release,
        now: i64,
    ) -> Result<(), IdempotencyError> {
        let work = self.inner.release(id, owner, release, now);
        let flagged = release.status != Status::Deferred;
        self.run(
            StoreCall::Release {
                event_id: id,
                flagged,
            },
            work,
        )
        .await
        .map_err(IdempotencyError::Unavailable)?
    }
    async fn record_conflict(&self, claim: &Claim) -> Result<(), IdempotencyError> {
        let call = StoreCall::RecordConflict {
            event_id: &claim.event_id,
        };
        self.run(call, self.inner.record_conflict(claim))
            .await
            .map_err(IdempotencyError::Unavailable)?
    }
}

#[async_trait]
impl<T: StateStore, K: StoreHook> StateStore for Hooked<T, K> {
    async fn apply(&self, write: &ItemWrite, event_id: &str) -> Result<Applied, StateError> {
        let work = self.inner.apply(write, event_id);
        self.run(StoreCall::Apply { write }, work)
            .await
            .map_err(StateError::Unavailable)?
    }
    async fn apply_merged(&self, write: &MergedWrite) -> Result<MergedApplied, StateError> {
        let work = self.inner.apply_merged(write);
        self.run(StoreCall::ApplyMerged { write }, work)
            .await
            .map_err(StateError::Unavailable)?
    }
}

#[async_trait]
impl<T: PaceStore, K: StoreHook> PaceStore for Hooked<T, K> {
    async fn take(&self, downstream: &str, second: i64) -> Result<u64, PaceError> {
        let work = self.inner.take(downstream, second);
        self.run(StoreCall::TakeTicket { downstream, second }, work)
            .await
            .map_err(PaceError::Unavailable)?
    }
}

#[async_trait]
impl<T: StepStore, K: StoreHook> StepStore for Hooked<T, K> {
    async fn completed(
        &self,
        scope: &str,
        keys: &[String],
        now_ms: i64,
    ) -> Result<std::collections::HashMap<String, Option<String>>, StepError> {
        let call = StoreCall::ReadSteps {
            event_id: scope,
            keys: keys.len(),
        };
        self.run(call, self.inner.completed(scope, keys, now_ms))
            .await
            .map_err(StepError::Unavailable)?
    }
    async fn record(&self, scope: &str, done: &StepDone) -> Result<(), StepError> {
        let call = StoreCall::RecordStep { event_id: scope };
        self.run(call, self.inner.record(scope, done))
            .await
            .map_err(StepError::Unavailable)?
    }
}
