//! Queues and tables as template.yaml declares them, and reading queues back.

use fanfare_shared::ports::Clock;

use crate::moto::unique;

/// Creates a FIFO queue in high-throughput mode (as in template.yaml) and returns its URL.
pub async fn create_fifo_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    sqs.create_queue()
        .queue_name(format!("{name}.fifo"))
        .attributes(A::FifoQueue, "true")
        .attributes(A::DeduplicationScope, "messageGroup")
        .attributes(A::FifoThroughputLimit, "perMessageGroupId")
        .send()
        .await
        .expect("create FIFO queue in moto")
        .queue_url
        .expect("queue url")
}

pub async fn create_standard_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("create queue in moto")
        .queue_url
        .expect("queue url")
}

/// Creates the idempotency and state tables as template.yaml declares them; returns their names.
pub async fn create_tables(ddb: &aws_sdk_dynamodb::Client) -> (String, String) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let idempotency = unique("idempotency");
    // The sparse index of failed records, as in template.yaml.
    let failed_index = GlobalSecondaryIndex::builder()
        .index_name("FailedRecords")
        .key_schema(key("failedFlag", KeyType::Hash))
        .key_schema(key("updatedAtMs", KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .unwrap();
    ddb.create_table()
        .table_name(&idempotency)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("eventId", KeyType::Hash))
        .attribute_definitions(attr("eventId"))
        .attribute_definitions(attr("failedFlag"))
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("updatedAtMs")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(failed_index)
        .send()
        .await
        .expect("create idempotency table");
    let state = unique("state");
    ddb.create_table()
        .table_name(&state)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .send()
        .await
        .expect("create state table");
    (idempotency, state)
}

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
