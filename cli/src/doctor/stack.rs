//! The doctor's checks of the stack's resources: queues (any stack), alarms and log groups (a
//! deployed stack, found through its CloudFormation resources).

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;

use super::Check;
use crate::target::Target;

/// The events queue, the DLQ and the quarantine: readable, with their depths.
pub(super) async fn queues(target: &Target, config: &SdkConfig) -> Vec<Check> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let urls = [
        ("events queue", target.events_queue_url(&sqs).await),
        (
            "dead-letter queue",
            target.dead_letter_queue_url(&sqs).await,
        ),
        ("quarantine queue", target.quarantine_queue_url(&sqs).await),
    ];
    let mut checks = Vec::new();
    for (name, url) in urls {
        let result = match url {
            Err(e) => Err(format!("not found ({e})")),
            Ok(url) => depth(&sqs, &url).await.map(|(visible, in_flight)| {
                format!("readable; {visible} waiting, {in_flight} in flight")
            }),
        };
        checks.push(Check { name, result });
    }
    checks
}

async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<(String, String), String> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| format!("not readable ({e}): check your role may read it"))?;
    let attrs = out.attributes().cloned().unwrap_or_default();
    let get = |name| attrs.get(&name).cloned().unwrap_or_else(|| "?".to_string());
    Ok((
        get(QueueAttributeName::ApproximateNumberOfMessages),
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    ))
}

/// Every alarm of the stack exists and is not in ALARM; every log group has a retention.
pub(super) async fn alarms_and_logs(target: &Target, config: &SdkConfig) -> Vec<Check> {
    let Some(stack) = target.stack() else {
        let skipped = || Ok("skipped: not a deployed stack (use --stack NAME)".to_string());
        return vec![
            Check {
                name: "alarms",
                result: skipped(),
            },
            Check {
                name: "log groups",
                result: skipped(),
            },
        ];
    };
    let resources = match stack_resources(config, stack).await {
        Ok(r) => r,
        Err(e) => {
            let failed = || Err(format!("stack {stack} not described ({e})"));
            return vec![
                Check {
                    name: "alarms",
                    result: failed(),
                },
                Check {
                    name: "log groups",
                    result: failed(),
                },
            ];
        }
    };
    let of_type = |kind: &str| -> Vec<String> {
        resources
            .iter()
            .filter(|(t, _)| t == kind)
            .map(|(_, id)| id.clone())
            .collect()
    };
    vec![
        Check {
            name: "alarms",
            result: alarms(config, of_type("AWS::CloudWatch::Alarm")).await,
        },
        Check {
            name: "log groups",
            result: log_groups(config, of_type("AWS::Logs::LogGroup")).await,
        },
    ]
}

/// (resource type, physical id) of every resource of the stack.
async fn stack_resources(config: &SdkConfig, stack: &str) -> Result<Vec<(String, String)>, String> {
    let out = aws_sdk_cloudformation::Client::new(config)
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(out
        .stack_resources()
        .iter()
        .filter_map(|r| {
            Some((
                r.resource_type()?.to_string(),
                r.physical_resource_id()?.to_string(),
            ))
        })
        .collect())
}

async fn alarms(config: &SdkConfig, names: Vec<String>) -> Result<String, String> {
    if names.is_empty() {
        return Err("the stack has no alarms: deploy the project's template".to_string());
    }
    let out = aws_sdk_cloudwatch::Client::new(config)
        .describe_alarms()
        .set_alarm_names(Some(names.clone()))
        .send()
        .await
        .map_err(|e| format!("not readable ({e})"))?;
    let found = out.metric_alarms();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !found.iter().any(|a| a.alarm_name() == Some(n.as_str())))
        .collect();
    let firing: Vec<&str> = found
        .iter()
        .filter(|a| a.state_value().is_some_and(|s| s.as_str() == "ALARM"))
        .filter_map(|a| a.alarm_name())
        .collect();
    match (missing.is_empty(), firing.is_empty()) {
        (true, true) => Ok(format!("{} exist, none in ALARM", names.len())),
        (false, _) => Err(format!("missing: {missing:?}: redeploy the stack")),
        (true, false) => Err(format!(
            "in ALARM: {firing:?}: see the README's runbook row named in each description"
        )),
    }
}

async fn log_groups(config: &SdkConfig, names: Vec<String>) -> Result<String, String> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let mut without = Vec::new();
    for name in &names {
        let out = logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .map_err(|e| format!("not readable ({e})"))?;
        let kept = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name.as_str()))
            .and_then(|g| g.retention_in_days());
        if kept.is_none() {
            without.push(name.clone());
        }
    }
    match without.is_empty() {
        true => Ok(format!("{} with a retention", names.len())),
        false => Err(format!(
            "kept for ever: {without:?}: set AccessLogRetentionDays and redeploy"
        )),
    }
}
