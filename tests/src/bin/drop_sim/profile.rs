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
    /// Share of deliveries Fanfare sends twice (a retry after a timeout), 1 s to 60 s later.
    pub duplicates: f64,
    /// Share of deliveries that arrive late (a retry after a failure), 0.2 s to 5 s later.
    pub disorder: f64,
    pub receiver: Receiver,
    pub prices: Prices,
}

/// A virtual queue: consumers enter, move up, are admitted, then complete or let admission expire.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueDrop {
    pub consumers: u64,
    pub enter_within_s: f64,
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
    pub winners: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuctionDrop {
    pub bids: u64,
    pub bidders: u64,
    /// The auction ends this long after the drop starts; the bids come in its last `last_s`.
    pub ends_at_s: f64,
    pub last_s: f64,
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
    pub visibility_timeout_s: f64,
    pub max_receive_count: u32,
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
            duplicates: 0.01,
            disorder: 0.01,
            receiver: Receiver::default(),
            prices: Prices::default(),
        }
    }
}

impl Default for QueueDrop {
    fn default() -> Self {
        QueueDrop {
            consumers: 100_000,
            enter_within_s: 120.0,
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
            winners: 1_000,
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
            visibility_timeout_s: 180.0,
            max_receive_count: 5,
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
