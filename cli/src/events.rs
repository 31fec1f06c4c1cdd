//! `events`: which events failed lately, and why. Reads the idempotency table's sparse index of
//! failed records (a query, never a scan).

use clap::{Args, ValueEnum};
use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, FailedRecord};
use fanfare_shared::model::parse_iso8601;

use crate::error::{CliError, CliResult};
use crate::target::Target;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// Whose last attempt failed (retried, or waiting in the DLQ).
    Failed,
    /// That the handler said can never be processed (`replay --event-id ID --force` after a fix).
    Rejected,
}

impl StatusArg {
    fn as_str(self) -> &'static str {
        match self {
            StatusArg::Failed => "failed",
            StatusArg::Rejected => "rejected",
        }
    }
}

#[derive(Args)]
pub struct EventsArgs {
    #[arg(long, value_enum, default_value = "failed")]
    status: StatusArg,
    /// How far back: a duration (`90s`, `15m`, `1h`, `2d`), an RFC 3339 time or Unix seconds.
    #[arg(long, default_value = "1h")]
    since: String,
    /// Only this kind (canonical name, e.g. order.paid).
    #[arg(long)]
    kind: Option<String>,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

/// `--since` as Unix milliseconds, relative to `now_ms` for a duration.
pub fn since_ms(raw: &str, now_ms: i64) -> Option<i64> {
    let raw = raw.trim();
    let unit = raw.chars().last()?;
    let seconds_per = match unit {
        's' => Some(1),
        'm' => Some(60),
        'h' => Some(3600),
        'd' => Some(86_400),
        _ => None,
    };
    if let Some(per) = seconds_per {
        if let Ok(count) = raw[..raw.len() - 1].parse::<i64>() {
            return Some(now_ms - count.checked_mul(per)?.checked_mul(1000)?);
        }
    }
    raw.parse::<i64>()
        .ok()
        .and_then(|s| s.checked_mul(1000))
        .or_else(|| parse_iso8601(raw).map(|t| t.timestamp_millis()))
}

pub async fn events(target: &Target, args: EventsArgs) -> CliResult {
    let status = args.status.as_str();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let since = since_ms(&args.since, now_ms).ok_or_else(|| {
        CliError::usage("--since takes a duration (15m, 1h, 2d), an RFC 3339 time or Unix seconds")
    })?;
    let config = target.sdk_config().await;
    let store = DynamoIdempotencyStore::from_sdk_config(&config, target.idempotency_table());
    // The kind and status are filtered here (the index holds both), so ask for more than `limit`.
    let fetch = if args.kind.is_some() || args.status == StatusArg::Rejected {
        args.limit.saturating_mul(20)
    } else {
        args.limit
    };
    let records: Vec<FailedRecord> = store
        .failed_since(since, fetch)
        .await
        .map_err(CliError::failure)?
        .into_iter()
        .filter(|r| args.kind.as_deref().is_none_or(|k| r.kind == k))
        // A record failed before statuses were listed has none: it failed.
        .filter(|r| r.status == status || (r.status.is_empty() && status == "failed"))
        .take(args.limit)
        .collect();
    for r in &records {
        if args.json {
            println!("{}", serde_json::to_string(r).unwrap_or_default());
        } else {
            let at = chrono::DateTime::from_timestamp_millis(r.last_attempt_ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default();
            println!(
                "{}  {}  {}  attempts {}  {}  {}",
                r.event_id, r.kind, r.entity, r.attempts, r.last_error, at
            );
        }
    }
    eprintln!("{} {status} event(s) since {}", records.len(), args.since);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_times_and_seconds() {
        let now = 1_767_225_600_000;
        assert_eq!(since_ms("1h", now), Some(now - 3_600_000));
        assert_eq!(since_ms("15m", now), Some(now - 900_000));
        assert_eq!(since_ms("2d", now), Some(now - 172_800_000));
        assert_eq!(since_ms("1767225600", now), Some(1_767_225_600_000));
        assert_eq!(
            since_ms("2026-01-01T00:00:00Z", now),
            Some(1_767_225_600_000)
        );
        assert_eq!(since_ms("soon", now), None);
        assert_eq!(since_ms("h", now), None);
    }
}
