//! The brand's downstreams as the profile describes them (an email service, an ERP): each answers
//! 429 to calls above its rate in a second, takes its latency, and fails a share of calls. The
//! handler reaches them through `ctx.downstream(name)`, so the real pace (tickets, deferrals with
//! a kept slot) decides when each call goes; these count what the downstream saw.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use fanfare_shared::model::EventKind;
use fanfare_shared::processor::handler::HandlerError;
use fanfare_shared::processor::Downstream;
use serde::Deserialize;
use tokio::time::Instant;

/// A downstream in the profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DownstreamSpec {
    pub name: String,
    /// Calls a second it takes (the handler declares this rate); above it, 429.
    pub per_second: u32,
    pub latency_ms: f64,
    /// Share of calls that fail (a 5xx): the handler's failure, retried with backoff.
    pub error_rate: f64,
    /// The kinds whose handler calls it (canonical names).
    pub kinds: Vec<String>,
}

impl Default for DownstreamSpec {
    fn default() -> Self {
        DownstreamSpec {
            name: "downstream".into(),
            per_second: 50,
            latency_ms: 100.0,
            error_rate: 0.0,
            kinds: Vec::new(),
        }
    }
}

/// What a downstream saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Calls per second since the start of the drop.
    pub per_second: BTreeMap<u64, u64>,
    pub throttled_429: u64,
    pub errors: u64,
    /// Handler calls the pace deferred (the event came back for its slot).
    pub deferred: u64,
    /// When its last successful call ended (ms since the start).
    pub last_ok_ms: f64,
}

/// One downstream during a run.
pub struct Service {
    pub spec: DownstreamSpec,
    pub name: &'static str,
    kinds: Vec<EventKind>,
    start: Instant,
    pub seen: Mutex<Seen>,
}

impl Service {
    pub fn new(spec: &DownstreamSpec, start: Instant) -> Service {
        // The pace names a downstream for the process's life: the simulation's few are leaked once.
        let name: &'static str = Box::leak(spec.name.clone().into_boxed_str());
        Service {
            kinds: spec
                .kinds
                .iter()
                .filter_map(|k| EventKind::from_canonical(k))
                .collect(),
            spec: spec.clone(),
            name,
            start,
            seen: Mutex::default(),
        }
    }

    /// The declaration the handler makes for it.
    pub fn declared(&self) -> Downstream {
        Downstream::new(self.name, self.spec.per_second)
    }

    pub fn serves(&self, kind: EventKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// One call: 429 above the rate in this second, else its latency and, for a share of calls, an
    /// error (`draw` in [0, 1) decides).
    pub async fn call(&self, draw: f64) -> Result<(), HandlerError> {
        let second = self.start.elapsed().as_secs();
        {
            let mut seen = self.seen.lock().unwrap();
            let count = seen.per_second.entry(second).or_default();
            *count += 1;
            if *count > u64::from(self.spec.per_second) {
                seen.throttled_429 += 1;
                return Err(HandlerError::new("downstream_429").retry_after(Duration::from_secs(1)));
            }
        }
        tokio::time::sleep(Duration::from_secs_f64(self.spec.latency_ms / 1000.0)).await;
        let mut seen = self.seen.lock().unwrap();
        if draw < self.spec.error_rate {
            seen.errors += 1;
            return Err(HandlerError::new("downstream_error"));
        }
        seen.last_ok_ms = seen
            .last_ok_ms
            .max(self.start.elapsed().as_secs_f64() * 1000.0);
        Ok(())
    }

    pub fn note_deferred(&self) {
        self.seen.lock().unwrap().deferred += 1;
    }
}

/// The default profile's downstreams: every admission sends an email (SES at an account's starting
/// 14 a second), every paid order goes to an ERP that answers 429 above 50 a second.
pub fn defaults() -> Vec<DownstreamSpec> {
    vec![
        DownstreamSpec {
            name: "email".into(),
            per_second: 14,
            latency_ms: 80.0,
            error_rate: 0.001,
            kinds: vec!["queue.admitted".into()],
        },
        DownstreamSpec {
            name: "erp".into(),
            per_second: 50,
            latency_ms: 150.0,
            error_rate: 0.001,
            kinds: vec!["order.paid".into()],
        },
    ]
}
