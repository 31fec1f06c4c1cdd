//! The redrive policy against FIFO queues in moto.

use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use fanfare_integration_tests::{create_fifo_queue, moto_config, unique};
use fanfare_shared::adapters::sqs::SqsDeadLetterQueue;
use fanfare_shared::contract::message::attributes;
use fanfare_shared::redrive::{redrive, RedrivePolicy};

async fn put(sqs: &aws_sdk_sqs::Client, url: &str, id: &str, redrive_count: Option<u32>) {
    let mut send = sqs
        .send_message()
        .queue_url(url)
        .message_body(format!(r#"{{"id":"{id}"}}"#))
        .message_group_id(format!("order/{id}"))
        .message_deduplication_id(id)
        .message_attributes(
            attributes::EVENT_ID,
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(id)
                .build()
                .unwrap(),
        );
    if let Some(n) = redrive_count {
        send = send.message_attributes(
            attributes::REDRIVE_COUNT,
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value(n.to_string())
                .build()
                .unwrap(),
        );
    }
    send.send().await.unwrap();
}

#[tokio::test]
async fn old_messages_go_back_with_their_count_and_exhausted_ones_stay() {
    let config = moto_config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let main = create_fifo_queue(&sqs, &unique("events")).await;
    let dlq = create_fifo_queue(&sqs, &unique("events-dlq")).await;
    sqs.set_queue_attributes()
        .queue_url(&dlq)
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap();
    put(&sqs, &dlq, "fresh", None).await;
    put(&sqs, &dlq, "twice", Some(2)).await;
    put(&sqs, &dlq, "exhausted", Some(3)).await;
    let queue = SqsDeadLetterQueue::new(sqs.clone(), &dlq, &main);
    let now = chrono::Utc::now().timestamp_millis();

    // Nothing is old enough yet.
    let early = redrive(&queue, RedrivePolicy::default(), now)
        .await
        .unwrap();
    assert_eq!((early.moved, early.too_recent, early.exhausted), (0, 2, 1));

    // Messages a run leaves become visible again after the DLQ's visibility timeout (1 s here).
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let policy = RedrivePolicy {
        max_messages_per_run: 10,
        ..RedrivePolicy::default()
    };
    let later = redrive(&queue, policy, now + 2 * 3600 * 1000)
        .await
        .unwrap();
    assert_eq!(later.moved, 2);

    let moved = sqs
        .receive_message()
        .queue_url(&main)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    let mut counts: Vec<(String, String)> = moved
        .messages()
        .iter()
        .map(|m| {
            let attrs = m.message_attributes().unwrap();
            (
                attrs[attributes::EVENT_ID]
                    .string_value()
                    .unwrap()
                    .to_string(),
                attrs[attributes::REDRIVE_COUNT]
                    .string_value()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        [
            ("fresh".to_string(), "1".to_string()),
            ("twice".to_string(), "3".to_string())
        ]
    );

    let left = sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = left.attributes().unwrap();
    let visible: u32 = attrs[&QueueAttributeName::ApproximateNumberOfMessages]
        .parse()
        .unwrap();
    let in_flight: u32 = attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible]
        .parse()
        .unwrap();
    assert_eq!(
        visible + in_flight,
        1,
        "only the exhausted message stays in the DLQ"
    );
}
