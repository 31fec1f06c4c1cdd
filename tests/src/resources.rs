//! Queues and tables as template.yaml declares them (every test's, through one function), and
//! reading queues back.

use fanfare_shared::ports::Clock;

use crate::moto::{moto_endpoint, unique};

/// A received message as Lambda hands it to the processor (a FIFO events queue).
pub fn lambda_record(
    message: &aws_sdk_sqs::types::Message,
) -> aws_lambda_events::event::sqs::SqsMessage {
    fanfare_shared::adapters::sqs::lambda_record(
        message,
        "arn:aws:sqs:us-east-1:123456789012:events.fifo",
    )
}

/// Every message on a queue now (each stays hidden for 60 s once received).
pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    let mut all = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(60)
            .message_attribute_names("All")
            .send()
            .await
            .expect("receive from moto");
        if out.messages().is_empty() {
            return all;
        }
        all.extend(out.messages().iter().cloned());
    }
}

/// The processor on DynamoDB tables (as `create_tables` makes them), without metrics lines.
pub fn dynamo_processor<H, C>(
    ddb: &aws_sdk_dynamodb::Client,
    (idempotency_table, state_table): &(String, String),
    handler: H,
    clock: C,
) -> fanfare_shared::processor::Processor<
    fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore,
    fanfare_shared::adapters::dynamodb::DynamoStateStore,
    H,
    C,
>
where
    H: fanfare_shared::processor::handler::EventHandler,
    C: Clock,
{
    use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
    fanfare_shared::processor::Processor::new(
        DynamoIdempotencyStore::new(ddb.clone(), idempotency_table),
        DynamoStateStore::new(ddb.clone(), state_table),
        handler,
        clock,
        fanfare_shared::processor::ProcessorOptions::default(),
    )
}

/// One test's queues and tables.
#[derive(Debug, Clone)]
pub struct TemplateResources {
    pub events_queue: String,
    pub dead_letter_queue: String,
    pub quarantine_queue: String,
    pub idempotency_table: String,
    pub state_table: String,
}

/// The template's queues and tables, created on moto for one test (unique names), with the
/// attributes it needs overridden: `("EventsQueue", "VisibilityTimeout", "8")`,
/// `("EventsQueue", "maxReceiveCount", "2")`. The one way tests make them (scripts/dev_resources.py
/// reads template.yaml, as `make dev` does).
pub fn template_resources(overrides: &[(&str, &str, &str)]) -> TemplateResources {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/dev_resources.py"))
        .args(["--test", &unique("t"), &moto_endpoint()])
        .args(
            overrides
                .iter()
                .map(|(id, key, value)| format!("{id}.{key}={value}")),
        )
        .output()
        .expect("scripts/dev_resources.py runs (make tools installs its Python)");
    assert!(
        out.status.success(),
        "dev_resources.py --test: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: std::collections::HashMap<String, String> =
        serde_json::from_slice(&out.stdout).expect("dev_resources.py prints its resources");
    let get = |id: &str| made.get(id).cloned().unwrap_or_default();
    TemplateResources {
        events_queue: get("EventsQueue"),
        dead_letter_queue: get("EventsDeadLetterQueue"),
        quarantine_queue: get("QuarantineQueue"),
        idempotency_table: get("IdempotencyTable"),
        state_table: get("StateTable"),
    }
}

/// The idempotency and state tables of a fresh set of template resources.
pub fn create_tables() -> (String, String) {
    let made = template_resources(&[]);
    (made.idempotency_table, made.state_table)
}
