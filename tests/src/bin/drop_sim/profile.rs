//! A drop, as a profile file describes it (`profiles/*.json`), and the receiver it runs against.
//! Every field has a default, so a profile names only what differs; command-line options override
//! the receiver's settings.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub queue: QueueDrop,
    pub draw: DrawDrop,
    pub auction: AuctionDrop,
    pub orders: OrderDrop,
    /// Share of events whose handler fails its first attempt (it succeeds on the retry).
    pub handler_failure_rate: f64,
    /// Share of deliveries Fanfare sends twice (a retry after a timeout), 1 s to 60 s later.
    pub duplicates: f64,
    /// Share of deliveries that arrive late (a retry after a failure), 0.2 s to 5 s later.
    pub disorder: f64,
    pub receiver: Receiver,
    pub prices: Prices,
    /// The brand's downstreams and the kinds whose handler calls each.
    pub downstreams: Vec<crate::downstream::DownstreamSpec>,
}

/// A front-loaded rush: `share` of a family's arrivals in its first `within_s` seconds, the rest
/// spread evenly after them (an auction's bids: in its last `within_s`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rush {
    pub share: f64,
    pub within_s: f64,
}

impl Rush {
    /// When the arrival at `fraction` (0 to 1) of a family's arrivals over `over_s` happens.
    pub fn at(&self, fraction: f64, over_s: f64) -> f64 {
        let (share, within) = (self.share.clamp(0.0, 1.0), self.within_s.min(over_s));
        if share <= 0.0 || within <= 0.0 {
            over_s * fraction
        } else if fraction < share {
            within * fraction / share
        } else {
            within + (over_s - within) * (fraction - share) / (1.0 - share).max(f64::EPSILON)
        }
    }
}

impl Default for Rush {
    fn default() -> Self {
        Rush {
            share: 0.0,
            within_s: 0.0,
        }
    }
}

/// A virtual queue: consumers enter, move up, are admitted, then complete or let admission expire.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueDrop {
    pub consumers: u64,
    pub enter_within_s: f64,
    pub rush: Rush,
    pub position_updates: u64,
    /// Admission starts this long after the first entry, then admits `admit_per_s` in entry order.
    pub admit_after_s: f64,
    pub admit_per_s: f64,
    /// Share of admitted consumers who complete (the rest expire after `expire_after_s`).
    pub completed_share: f64,
    pub complete_within_s: f64,
    pub expire_after_s: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DrawDrop {
    pub entries: u64,
    pub over_s: f64,
    pub rush: Rush,
    pub winners: u64,
}

/// The orders of the consumers who complete their admission: created when they complete, paid and
/// fulfilled after it.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderDrop {
    /// Share of completed admissions that become an order.
    pub share: f64,
    pub paid_after_s: f64,
    pub fulfilled_after_s: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuctionDrop {
    pub bids: u64,
    pub bidders: u64,
    /// The auction ends this long after the drop starts; the bids come in its last `last_s`.
    pub ends_at_s: f64,
    pub last_s: f64,
    /// The bids' rush towards the end: `share` of them in the auction's last `within_s`.
    pub rush: Rush,
}

/// The deployed receiver: the template's parameters (their defaults are the template's: a test
/// checks) and what AWS adds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Receiver {
    pub handler_ms: f64,
    pub processor_concurrency: usize,
    /// Lambda's own time per invocation (event source poll, invoke, runtime), beyond the code.
    pub invocation_overhead_ms: f64,
    pub store_median_ms: f64,
    pub store_p99_ms: f64,
    /// DynamoDB's limit per partition (per partition key here: a hot entity's items share one).
    pub partition_write_units_per_s: f64,
    /// What a table (and each index) sustains before it has seen a peak: a new on-demand table's
    /// 4,000 write units a second.
    pub new_table_write_units_per_s: f64,
    /// The stack's warm throughput (template parameters; a table sustains the larger of this and a
    /// new table's rate, and twice its peak of more than 30 minutes before).
    pub idempotency_warm_write_units: f64,
    pub state_warm_write_units: f64,
    pub failed_index_warm_write_units: f64,
    /// A stack that has already seen a peak this high on every table (0: a new stack).
    pub previous_peak_write_units: f64,
    /// What the stack is, for the report: `new`, `bare` or `warmed` (see `--stack`).
    pub stack: String,
    /// Lambda's SQS event source: concurrent batches at the start, and how many it adds a minute
    /// while messages wait (fewer after failed invocations). Provisioned mode scales faster.
    pub lambda_initial_concurrency: usize,
    pub lambda_scale_per_minute: f64,
    pub visibility_timeout_s: f64,
    pub max_receive_count: u32,
    /// The processor's retry policy (RetryBudget, RetryBackoffBaseSeconds, RetryBackoffMaxSeconds).
    pub retry_budget: u32,
    pub retry_backoff_base_s: f64,
    pub retry_backoff_max_s: f64,
    /// Ingest's time from request to message in SQS.
    pub ingest_ms: f64,
    pub route_throttle_rate: f64,
    pub route_throttle_burst: f64,
    pub ingest_concurrency: usize,
    /// Kinds answered 200 at ingest without queueing them (`AcknowledgeOnlyKinds`).
    pub ack_only_kinds: Vec<String>,
    /// The processor code path: `batch` (a group's run together) or `one-by-one` (as before).
    pub path: String,
    /// Message groups: `member` (a draw's entrants, an auction's bidders in groups of their own, as
    /// ingest queues them) or `entity` (one group per draw or auction, as before).
    pub groups: String,
}

/// List prices, us-east-1, USD (check yours): what a drop's requests cost.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prices {
    pub api_per_million: f64,
    pub sqs_fifo_per_million: f64,
    pub lambda_per_million: f64,
    pub lambda_gb_second: f64,
    pub lambda_memory_gb: f64,
    pub dynamodb_write_per_million: f64,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            name: "default".into(),
            queue: QueueDrop::default(),
            draw: DrawDrop::default(),
            auction: AuctionDrop::default(),
            orders: OrderDrop::default(),
            handler_failure_rate: 0.0,
            duplicates: 0.01,
            disorder: 0.01,
            receiver: Receiver::default(),
            prices: Prices::default(),
            downstreams: crate::downstream::defaults(),
        }
    }
}

impl Default for QueueDrop {
    fn default() -> Self {
        QueueDrop {
            consumers: 100_000,
            enter_within_s: 120.0,
            rush: Rush::default(),
            position_updates: 3,
            admit_after_s: 30.0,
            admit_per_s: 250.0,
            completed_share: 0.8,
            complete_within_s: 300.0,
            expire_after_s: 600.0,
        }
    }
}

impl Default for DrawDrop {
    fn default() -> Self {
        DrawDrop {
            entries: 50_000,
            over_s: 300.0,
            rush: Rush::default(),
            winners: 1_000,
        }
    }
}

impl Default for OrderDrop {
    fn default() -> Self {
        OrderDrop {
            share: 0.0,
            paid_after_s: 20.0,
            fulfilled_after_s: 120.0,
        }
    }
}

impl Default for AuctionDrop {
    fn default() -> Self {
        AuctionDrop {
            bids: 2_000,
            bidders: 300,
            ends_at_s: 600.0,
            last_s: 60.0,
            rush: Rush::default(),
        }
    }
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver {
            handler_ms: 0.0,
            processor_concurrency: 40,
            invocation_overhead_ms: 15.0,
            store_median_ms: 5.0,
            store_p99_ms: 25.0,
            partition_write_units_per_s: 1_000.0,
            new_table_write_units_per_s: 4_000.0,
            idempotency_warm_write_units: 10_000.0,
            state_warm_write_units: 6_000.0,
            failed_index_warm_write_units: 4_000.0,
            previous_peak_write_units: 0.0,
            stack: "new".into(),
            lambda_initial_concurrency: 5,
            lambda_scale_per_minute: 300.0,
            visibility_timeout_s: 180.0,
            max_receive_count: 1000,
            retry_budget: 8,
            retry_backoff_base_s: 15.0,
            retry_backoff_max_s: 900.0,
            ingest_ms: 25.0,
            route_throttle_rate: 5_000.0,
            route_throttle_burst: 5_000.0,
            ingest_concurrency: 150,
            ack_only_kinds: Vec::new(),
            path: "batch".into(),
            groups: "member".into(),
        }
    }
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            api_per_million: 1.0,
            sqs_fifo_per_million: 0.5,
            lambda_per_million: 0.2,
            lambda_gb_second: 0.000_013_333_4,
            lambda_memory_gb: 0.25,
            dynamodb_write_per_million: 0.625,
        }
    }
}

impl Profile {
    pub fn load(path: &std::path::Path) -> Result<Profile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::Rush;

    #[test]
    fn a_rush_puts_its_share_in_its_first_seconds() {
        let rush = Rush {
            share: 0.5,
            within_s: 30.0,
        };
        assert_eq!(rush.at(0.0, 300.0), 0.0);
        assert_eq!(rush.at(0.25, 300.0), 15.0);
        assert_eq!(rush.at(0.5, 300.0), 30.0);
        assert_eq!(rush.at(0.75, 300.0), 165.0);
        assert_eq!(
            Rush::default().at(0.5, 300.0),
            150.0,
            "no rush: evenly spaced"
        );
    }
}
