//! `doctor --drop NEEDS`: a stack against what a drop needs, as `drop_sim --recommend` writes it
//! (template parameter names and values). The tables' and the failed index's warm throughput are
//! read from the tables themselves (DescribeTable); with `--stack`, the parameters that size Lambda
//! and the route are the stack's (read with its outputs when the target is resolved). Each shortfall says what to raise, to
//! what. The account's concurrency quota is not read here (Lambda's GetAccountSettings): the note
//! says how to compare it.

use aws_config::SdkConfig;
use fanfare_shared::adapters::dynamodb::FAILED_INDEX;

use super::Check;
use crate::error::{CliError, CliResult};
use crate::target::Target;

/// The parameters a deployed stack is compared on, each with the check's name.
const STACK_PARAMETERS: [(&str, &str); 4] = [
    ("ProcessorMaximumConcurrency", "processor concurrency"),
    ("IngestReservedConcurrency", "ingest concurrency"),
    ("RouteThrottleRate", "route throttle rate"),
    ("RouteThrottleBurst", "route throttle burst"),
];

type Needs = serde_json::Map<String, serde_json::Value>;

pub(super) fn read_needs(path: &std::path::Path) -> Result<Needs, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!(
            "{}: not a needs file ({e}); `drop_sim --recommend` writes one",
            path.display()
        ))
    })
}

/// `have` against the drop's need for `parameter`: ok, or what to raise.
fn compare(needs: &Needs, parameter: &str, have: Option<i64>) -> Option<Result<String, String>> {
    let need = needs.get(parameter)?.as_i64()?;
    Some(match have {
        Some(have) if have >= need => Ok(format!("{have} (the drop needs {need})")),
        Some(have) => Err(format!("raise {parameter} to {need} (now {have})")),
        None => Err(format!("not set: set {parameter} to {need}")),
    })
}

async fn warm_throughput(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(Option<i64>, Option<i64>), String> {
    let described = ddb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| format!("{table} cannot be described ({e})"))?;
    let Some(t) = described.table() else {
        return Err(format!("{table} not found"));
    };
    let own = t.warm_throughput().and_then(|w| w.write_units_per_second());
    let index = t
        .global_secondary_indexes()
        .iter()
        .find(|i| i.index_name() == Some(FAILED_INDEX))
        .and_then(|i| i.warm_throughput())
        .and_then(|w| w.write_units_per_second());
    Ok((own, index))
}

/// Every capacity check for `needs`.
pub(super) async fn capacity(target: &Target, config: &SdkConfig, needs: &Needs) -> Vec<Check> {
    let ddb = aws_sdk_dynamodb::Client::new(config);
    let mut checks = Vec::new();
    let mut push = |name, result: Option<Result<String, String>>| {
        if let Some(result) = result {
            checks.push(Check { name, result });
        }
    };
    match warm_throughput(&ddb, &target.idempotency_table()).await {
        Ok((table, index)) => {
            push(
                "idempotency table warm throughput",
                compare(needs, "IdempotencyTableWarmWriteUnits", table),
            );
            push(
                "failed index warm throughput",
                compare(needs, "FailedIndexWarmWriteUnits", index),
            );
        }
        Err(e) => push("idempotency table warm throughput", Some(Err(e))),
    }
    let state = warm_throughput(&ddb, &target.state_table()).await;
    push(
        "state table warm throughput",
        match state {
            Ok((table, _)) => compare(needs, "StateTableWarmWriteUnits", table),
            Err(e) => Some(Err(e)),
        },
    );
    match target.stack() {
        Some(_) => {
            for (parameter, name) in STACK_PARAMETERS {
                let have = target
                    .stack_parameter(parameter)
                    .and_then(|v| v.parse::<f64>().ok())
                    .map(|v| v as i64);
                push(name, compare(needs, parameter, have));
            }
        }
        None => push(
            "stack parameters",
            Some(Ok("skipped: not a deployed stack (use --stack NAME)".into())),
        ),
    }
    checks
}

/// Prints the checks and the quota note; fails while something falls short.
pub(super) fn report(checks: &[Check], needs: &Needs) -> CliResult {
    let failed = super::print(checks);
    let concurrency = ["IngestReservedConcurrency", "ProcessorMaximumConcurrency"]
        .iter()
        .filter_map(|p| needs.get(*p)?.as_i64())
        .sum::<i64>();
    println!(
        "note  account concurrency: not read here; `aws lambda get-account-settings` must show \
         ConcurrentExecutions of at least {} (the functions' {concurrency} reserved, and the 100 \
         Lambda keeps unreserved)",
        concurrency + 100
    );
    match failed {
        0 => Ok(()),
        n => Err(CliError::refused(format!(
            "{n} capacity check(s) fall short of the drop"
        ))),
    }
}
