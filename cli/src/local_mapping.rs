//! `local-mapping`: the local stand-in for Lambda's SQS event-source mapping and the redrive
//! schedule, used by `make dev`. It polls the FIFO queue, invokes the processor (under `cargo lambda
//! watch`) with batches shaped as Lambda sends them, deletes only what the partial batch response
//! did not report, and leaves failures to the queue's visibility timeout and `maxReceiveCount`.

use std::time::{Duration, Instant};

use crate::error::{CliError, CliResult};
use clap::Args;
use fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore;
use fanfare_shared::adapters::sqs::LocalEventSource;
use fanfare_shared::contract::message::attributes;
use serde_json::{json, Value};

use crate::target::Target;

#[derive(Args)]
pub struct LocalMappingArgs {
    /// Where `cargo lambda watch` serves the functions.
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    lambda_url: String,
    #[arg(long, default_value = "processor")]
    function: String,
    #[arg(long, default_value = "redrive")]
    redrive_function: String,
    /// Messages per invocation (the template's BatchSize).
    #[arg(long, default_value_t = 10)]
    batch_size: i32,
    /// Seconds between redrive runs (the template's schedule is 15 minutes; compressed here).
    #[arg(long, default_value_t = 60)]
    redrive_every: u64,
}

async fn invoke(http: &reqwest::Client, url: &str, payload: &Value) -> Result<Value, String> {
    let response = http
        .post(url)
        .json(payload)
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let failed = response.headers().contains_key("x-amz-function-error");
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if failed {
        return Err(body.to_string());
    }
    Ok(body)
}

/// The message ids the invocation reported failed (all of them when it failed itself).
fn failed_ids<E: std::fmt::Display>(
    outcome: &Result<serde_json::Value, E>,
    messages: &[aws_sdk_sqs::types::Message],
) -> Vec<String> {
    match outcome {
        Ok(response) => response["batchItemFailures"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter_map(|i| i["itemIdentifier"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        Err(e) => {
            eprintln!("processor invocation failed: {e}");
            messages
                .iter()
                .filter_map(|m| m.message_id().map(str::to_string))
                .collect()
        }
    }
}

/// One line per message: its event, kind, and the record's status (or that it failed).
pub(crate) async fn print_outcomes(
    records: &DynamoIdempotencyStore,
    messages: &[aws_sdk_sqs::types::Message],
    failed: &[String],
    latency: u128,
) {
    for m in messages {
        let attr = |name: &str| {
            m.message_attributes()
                .and_then(|a| a.get(name))
                .and_then(|v| v.string_value())
                .unwrap_or("-")
                .to_string()
        };
        let event_id = attr(attributes::EVENT_ID);
        let is_failed = m
            .message_id()
            .is_some_and(|id| failed.iter().any(|f| f == id));
        let outcome = if is_failed {
            "failed (back to the queue after its visibility timeout)".to_string()
        } else {
            match records.record_json(&event_id).await {
                Ok(Some(r)) => r["status"].as_str().unwrap_or("?").to_string(),
                _ => "?".to_string(),
            }
        };
        println!(
            "{}  {:<32} {:<26} {:<14} {} ms",
            chrono::Utc::now().format("%H:%M:%S"),
            event_id,
            attr(attributes::KIND),
            outcome,
            latency
        );
    }
}

pub async fn run(target: &Target, args: LocalMappingArgs) -> CliResult {
    let config = target.sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = target
        .events_queue_url(&sqs)
        .await
        .map_err(CliError::failure)?;
    let source = LocalEventSource::new(sqs, &queue, args.batch_size);
    let records = DynamoIdempotencyStore::from_sdk_config(&config, target.idempotency_table());
    let http = reqwest::Client::new();
    let invoke_url = format!(
        "{}/2015-03-31/functions/{}/invocations",
        args.lambda_url, args.function
    );
    let redrive_url = format!(
        "{}/2015-03-31/functions/{}/invocations",
        args.lambda_url, args.redrive_function
    );
    let mut last_redrive = Instant::now();

    loop {
        let received = tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            r = source.receive() => r,
        };
        let messages = match received {
            Ok(messages) => messages,
            Err(e) => {
                eprintln!("receive failed: {}", fanfare_shared::telemetry::Causes(&e));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if !messages.is_empty() {
            let event = json!({ "Records": source.records(&messages) });
            let started = Instant::now();
            let outcome = invoke(&http, &invoke_url, &event).await;
            let latency = started.elapsed().as_millis();
            let failed = failed_ids(&outcome, &messages);
            let failed_refs: Vec<&str> = failed.iter().map(String::as_str).collect();
            if let Err(e) = source.acknowledge(&messages, &failed_refs).await {
                eprintln!("delete failed (messages will be redelivered): {e}");
            }
            print_outcomes(&records, &messages, &failed, latency).await;
        }
        if messages.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if last_redrive.elapsed() >= Duration::from_secs(args.redrive_every) {
            last_redrive = Instant::now();
            match invoke(&http, &redrive_url, &json!({"source": "local-mapping"})).await {
                Ok(report) if report["moved"].as_u64().unwrap_or(0) > 0 => {
                    println!("redrive: {report}");
                }
                Ok(_) => {}
                Err(e) => eprintln!("redrive invocation failed: {e}"),
            }
        }
    }
}
