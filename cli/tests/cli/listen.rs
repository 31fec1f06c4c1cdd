//! `listen --stack NAME` on moto: a development stack's processor is paused by a stack update, the
//! processor with `handler/` runs here on the stack's queue and tables (one line per event), and
//! Ctrl-C restores the stack; a stack not marked for development is refused and left as it was.
//!
//! What moto cannot show: that the paused parameter stops a real event-source mapping (moto runs no
//! SAM transform, so this stack's template holds the parameters and outputs only;
//! `scripts/check_template.py` checks that the mapping's `Enabled` follows `ProcessorPaused`), and
//! how long a real stack update takes (tens of seconds).
//!
//! Needs MOTO_ENDPOINT (set by `make test`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fanfare_integration_tests::{
    invoke_ingest, moto_config, moto_endpoint, read_fixture, template_resources, unique,
    FIXTURE_TIME, TEST_SECRET,
};
use fanfare_shared::adapters::sqs::{SqsEventQueue, SqsQuarantine};
use fanfare_shared::contract::signature::{SigningSecret, Verifier, VerifierOptions};
use fanfare_shared::ingest::{IngestService, DEFAULT_MAX_BODY_BYTES};
use fanfare_shared::ports::FixedClock;

const CLI: &str = env!("CARGO_BIN_EXE_fanfare-webhooks");

/// A stack on moto holding the listen parameters and the outputs naming `resources`.
async fn stack(
    aws: &aws_config::SdkConfig,
    development: bool,
    events: &str,
    dlq: &str,
    records: &str,
    state: &str,
) -> String {
    let template = serde_json::json!({
        "Parameters": {
            "DevelopmentStack": {"Type": "String", "Default": "false"},
            "ProcessorPaused": {"Type": "String", "Default": "false"},
            "RetryBudget": {"Type": "String", "Default": "5"},
        },
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "EventsQueueUrl": {"Value": events},
            "EventsDeadLetterQueueUrl": {"Value": dlq},
            "IdempotencyTableName": {"Value": records},
            "StateTableName": {"Value": state},
        },
    });
    let name = unique("dev-stack");
    aws_sdk_cloudformation::Client::new(aws)
        .create_stack()
        .stack_name(&name)
        .template_body(template.to_string())
        // Every parameter given: moto's UsePreviousValue fails on one left at its default (AWS's
        // does not), and listen keeps the others by UsePreviousValue.
        .set_parameters(Some(
            [
                ("DevelopmentStack", development.to_string()),
                ("ProcessorPaused", "false".to_string()),
                ("RetryBudget", "5".to_string()),
            ]
            .into_iter()
            .map(|(key, value)| {
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build()
            })
            .collect(),
        ))
        .send()
        .await
        .unwrap();
    name
}

async fn parameter(aws: &aws_config::SdkConfig, stack: &str, key: &str) -> String {
    let described = aws_sdk_cloudformation::Client::new(aws)
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    described.stacks()[0]
        .parameters()
        .iter()
        .find(|p| p.parameter_key() == Some(key))
        .and_then(|p| p.parameter_value())
        .unwrap_or_default()
        .to_string()
}

fn listen(stack: &str) -> Command {
    let mut command = Command::new(CLI);
    command
        .args([
            "--endpoint-url",
            &moto_endpoint(),
            "--stack",
            stack,
            "listen",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE");
    command
}

#[tokio::test]
async fn listen_pauses_a_development_stack_processes_its_events_here_and_restores_it() {
    let aws = moto_config().await;
    let made = template_resources(&[]);
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let ingest = IngestService::new(
        Verifier::new(
            vec![SigningSecret::new(TEST_SECRET).unwrap()],
            VerifierOptions::default(),
        )
        .unwrap(),
        SqsEventQueue::new(sqs.clone(), &made.events_queue),
        SqsQuarantine::new(sqs, &made.quarantine_queue),
        FixedClock(chrono::DateTime::from_timestamp(FIXTURE_TIME + 10, 0).unwrap()),
        DEFAULT_MAX_BODY_BYTES,
    );
    let answer = invoke_ingest(&ingest, &read_fixture("http/order_paid_scheme_a_200.json")).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let event_id = answer.body["eventId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = stack(
        &aws,
        true,
        &made.events_queue,
        &made.dead_letter_queue,
        &made.idempotency_table,
        &made.state_table,
    )
    .await;

    let mut child = listen(&name)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = Instant::now();
    let line = loop {
        let line = lines.next().expect("listen printed nothing").unwrap();
        if line.contains(&event_id) {
            break line;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no line for {event_id}"
        );
    };
    assert!(
        line.contains("order.paid") && line.contains("completed"),
        "{line}"
    );
    assert_eq!(
        parameter(&aws, &name, "ProcessorPaused").await,
        "true",
        "paused while listening"
    );

    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(
        parameter(&aws, &name, "ProcessorPaused").await,
        "false",
        "restored on Ctrl-C"
    );
    assert_eq!(
        parameter(&aws, &name, "RetryBudget").await,
        "5",
        "other parameters kept"
    );
}

#[tokio::test]
async fn listen_refuses_a_stack_not_marked_for_development_and_leaves_it_alone() {
    let aws = moto_config().await;
    let name = stack(
        &aws,
        false,
        "http://127.0.0.1:9/q.fifo",
        "http://127.0.0.1:9/d.fifo",
        "records",
        "state",
    )
    .await;
    let out = listen(&name).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("not a development stack"), "{stderr}");
    assert_eq!(parameter(&aws, &name, "ProcessorPaused").await, "false");
}
