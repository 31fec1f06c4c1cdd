//! `listen --stack NAME`: your handler on your laptop, on a development stack's real deliveries (like
//! `stripe listen`). The stack's processor steps aside (its queue trigger is disabled through the
//! `ProcessorPaused` parameter, which the template allows only where `DevelopmentStack` is true), and
//! the same processor the Lambda runs, built the same way with `handler/`, takes the stack's queue
//! and tables here, one line per event. Ctrl-C (or the end of the command) restores the stack;
//! `--restore` restores one a killed `listen` left paused.

use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus};
use clap::Args;
use fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore;
use fanfare_shared::adapters::sqs::LocalEventSource;
use fanfare_shared::config::{self, ProcessorConfig};

use crate::error::{CliError, CliResult};
use crate::local_mapping::print_outcomes;
use crate::target::Target;

const PAUSED: &str = "ProcessorPaused";
const DEVELOPMENT: &str = "DevelopmentStack";

#[derive(Args)]
pub struct ListenArgs {
    /// Only restore the stack's processor (after a `listen` that was killed).
    #[arg(long)]
    restore: bool,
    /// Messages per batch (the template's BatchSize).
    #[arg(long, default_value_t = 10)]
    batch_size: i32,
    /// Seconds each stack update (pause, restore) may take.
    #[arg(long, default_value_t = 900)]
    update_timeout_secs: u64,
}

pub async fn listen(target: &Target, args: ListenArgs) -> CliResult {
    let stack = target
        .stack()
        .ok_or_else(|| CliError::usage("listen needs --stack NAME, a development stack"))?;
    if target.stack_parameter(PAUSED).is_none() {
        return Err(CliError::refused(format!(
            "{stack} has no {PAUSED} parameter: deploy this version's template first"
        )));
    }
    let aws = target.sdk_config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&aws);
    let timeout = Duration::from_secs(args.update_timeout_secs);
    if args.restore {
        return set_paused(&cfn, target, false, timeout).await;
    }
    if target.stack_parameter(DEVELOPMENT) != Some("true") {
        return Err(CliError::refused(format!(
            "{stack} is not a development stack ({DEVELOPMENT}=true): listen would take its \
             events away from its processor"
        )));
    }
    eprintln!("pausing {stack}'s processor (a stack update)...");
    set_paused(&cfn, target, true, timeout).await?;
    fanfare_shared::telemetry::init_on_stderr();
    eprintln!("listening on {stack}; Ctrl-C restores its processor");
    let served = serve(target, &aws, args.batch_size).await;
    eprintln!("restoring {stack}'s processor...");
    let restored = set_paused(&cfn, target, false, timeout).await;
    served.and(restored)
}

/// The processor's configuration as the template gives it to the Lambda, read from the stack.
fn processor_config(
    target: &Target,
    events: &str,
    dlq: Option<&str>,
) -> Result<ProcessorConfig, CliError> {
    let (records, state) = (target.idempotency_table(), target.state_table());
    ProcessorConfig::from_lookup(|name| {
        let parameter = match name {
            config::IDEMPOTENCY_TABLE => return Some(records.clone()),
            config::STATE_TABLE => return Some(state.clone()),
            config::EVENTS_QUEUE_URL => return Some(events.to_string()),
            config::DEAD_LETTER_QUEUE_URL => return dlq.map(str::to_string),
            config::RECORD_TTL_SECONDS => "RecordTtlSeconds",
            config::STORE_PERSONAL_DATA => "StorePersonalData",
            config::RETRY_BUDGET => "RetryBudget",
            config::RETRY_BACKOFF_BASE_SECONDS => "RetryBackoffBaseSeconds",
            config::RETRY_BACKOFF_MAX_SECONDS => "RetryBackoffMaxSeconds",
            config::HANDLER_CONFIG => "HandlerConfig",
            config::HANDLER_SECRET_ARN => "HandlerSecretArn",
            config::SECRET_MAX_AGE_SECONDS => "SecretMaxAgeSeconds",
            _ => return None,
        };
        target.stack_parameter(parameter).map(str::to_string)
    })
    .map_err(CliError::failure)
}

/// Runs the processor on the stack's queue until Ctrl-C.
async fn serve(target: &Target, aws: &aws_config::SdkConfig, batch_size: i32) -> CliResult {
    let sqs = aws_sdk_sqs::Client::new(aws);
    let events = target
        .events_queue_url(&sqs)
        .await
        .map_err(CliError::failure)?;
    let dlq = target.dead_letter_queue_url(&sqs).await.ok();
    let config = processor_config(target, &events, dlq.as_deref())?;
    let handler = brand_handler::build(&config.handler, aws)
        .await
        .map_err(|e| CliError::refused(format!("your handler did not start: {e}")))?;
    let processor = fanfare_shared::functions::processor::build(&config, aws, handler);
    let source = LocalEventSource::new(sqs, &events, batch_size);
    let records = DynamoIdempotencyStore::from_sdk_config(aws, &config.idempotency_table);
    // One listener for the whole run: a Ctrl-C during a batch or a pause is not lost.
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let received = tokio::select! {
            _ = &mut interrupted => return Ok(()),
            r = source.receive() => r,
        };
        let messages = match received {
            Ok(messages) if messages.is_empty() => {
                tokio::select! {
                    _ = &mut interrupted => return Ok(()),
                    _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
                }
            }
            Ok(messages) => messages,
            Err(e) => {
                eprintln!("receive failed: {}", fanfare_shared::telemetry::Causes(&e));
                tokio::select! {
                    _ = &mut interrupted => return Ok(()),
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        let mut batch = SqsEvent::default();
        batch.records = source.records(&messages);
        let started = std::time::Instant::now();
        // The Lambda's deadline: the stack's processor timeout from now.
        let timeout_ms = 1000
            * target
                .stack_parameter("ProcessorTimeoutSeconds")
                .and_then(|t| t.parse().ok())
                .unwrap_or(60i64);
        let deadline_ms = chrono::Utc::now().timestamp_millis() + timeout_ms;
        // A batch in flight finishes before a Ctrl-C is seen (as a Lambda would).
        let failed: Vec<String> = match processor.process_batch(&batch, deadline_ms).await {
            Ok(response) => response
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect(),
            Err(e) => {
                eprintln!("batch refused: {}", fanfare_shared::telemetry::Causes(&e));
                messages
                    .iter()
                    .filter_map(|m| m.message_id().map(str::to_string))
                    .collect()
            }
        };
        let failed_refs: Vec<&str> = failed.iter().map(String::as_str).collect();
        if let Err(e) = source.acknowledge(&messages, &failed_refs).await {
            eprintln!("delete failed (the messages come back): {e}");
        }
        print_outcomes(&records, &messages, &failed, started.elapsed().as_millis()).await;
    }
}

/// Sets `ProcessorPaused` by a stack update that keeps the template and every other parameter, and
/// waits for it to finish.
async fn set_paused(
    cfn: &aws_sdk_cloudformation::Client,
    target: &Target,
    paused: bool,
    timeout: Duration,
) -> CliResult {
    let stack = target.stack().unwrap_or_default();
    let parameters = target.stack_parameter_names().map(|name| {
        let parameter = Parameter::builder().parameter_key(name);
        match name {
            PAUSED => parameter.parameter_value(paused.to_string()),
            _ => parameter.use_previous_value(true),
        }
        .build()
    });
    let update = cfn
        .update_stack()
        .stack_name(stack)
        .use_previous_template(true)
        .set_parameters(Some(parameters.collect()))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityAutoExpand)
        .send()
        .await;
    if let Err(e) = update {
        // Already in the asked state (a listen killed earlier, or a second restore).
        if format!("{:?}", e).contains("No updates are to be performed") {
            return Ok(());
        }
        return Err(CliError::failure(e.into_service_error()));
    }
    let started = std::time::Instant::now();
    loop {
        let described = cfn
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| CliError::failure(e.into_service_error()))?;
        let status = described
            .stacks()
            .first()
            .and_then(|s| s.stack_status().cloned());
        match status {
            Some(StackStatus::UpdateComplete) => return Ok(()),
            Some(s) if !s.as_str().ends_with("IN_PROGRESS") => {
                return Err(CliError::refused(format!(
                    "the update of {stack} ended {}",
                    s.as_str()
                )))
            }
            _ if started.elapsed() > timeout => {
                return Err(CliError::refused(format!(
                    "the update of {stack} is still running"
                )))
            }
            _ => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
}
