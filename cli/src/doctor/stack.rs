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

/// Whether the caller may replay and redrive: the events and quarantine queues refuse
/// SendMessage to anyone but ingest, redrive and the stack's `OperatorRoleArn`.
pub(super) async fn operator_role(target: &Target, config: &SdkConfig) -> Result<String, String> {
    let caller = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| format!("cannot tell who you are ({e})"))?;
    let caller = caller.arn().map(role_of).unwrap_or_default();
    operator_verdict(
        target
            .stack_parameter("OperatorRoleArn")
            .unwrap_or_default(),
        &caller,
    )
}

/// The verdict on `operator` (the stack's `OperatorRoleArn`) for `caller` (a role ARN).
pub(super) fn operator_verdict(operator: &str, caller: &str) -> Result<String, String> {
    if operator.is_empty() {
        return Err(format!(
            "OperatorRoleArn is empty: the queues refuse every replay and redrive but the stack's \
             own; redeploy with OperatorRoleArn={caller} (README, Deploy, step 5)"
        ));
    }
    if same_role(operator, caller) {
        Ok(format!("you ({caller}) may replay and redrive"))
    } else {
        Err(format!(
            "you are {caller}, OperatorRoleArn is {operator}: your replays and redrives will be \
             refused (AccessDenied); run them as that role"
        ))
    }
}

/// The role behind an assumed-role session ARN (`arn:aws:sts::<account>:assumed-role/<name>/<session>`
/// is role `<name>`); any other ARN as it is.
fn role_of(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match (parts.as_slice(), arn.contains(":assumed-role/")) {
        ([_, partition, _, _, account, resource], true) => {
            let name = resource.split('/').nth(1).unwrap_or_default();
            format!("arn:{partition}:iam::{account}:role/{name}")
        }
        _ => arn.to_string(),
    }
}

/// Whether two role ARNs name the same role (a role's path is not in a session ARN: compare the
/// account and the name).
fn same_role(a: &str, b: &str) -> bool {
    let key = |arn: &str| {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let name = parts
            .get(5)
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or_default();
        (
            parts.get(4).copied().unwrap_or_default().to_string(),
            name.to_string(),
        )
    };
    key(a) == key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_role_is_checked_against_the_caller() {
        let session = "arn:aws:sts::123456789012:assumed-role/oncall/alice@example.com";
        let caller = role_of(session);
        assert_eq!(caller, "arn:aws:iam::123456789012:role/oncall");
        assert!(operator_verdict("", &caller)
            .unwrap_err()
            .contains("OperatorRoleArn is empty"));
        assert!(operator_verdict("arn:aws:iam::123456789012:role/ops/oncall", &caller).is_ok());
        let other = operator_verdict("arn:aws:iam::123456789012:role/ci", &caller);
        assert!(other.unwrap_err().contains("will be refused"));
        assert!(operator_verdict("arn:aws:iam::999999999999:role/oncall", &caller).is_err());
    }
}
