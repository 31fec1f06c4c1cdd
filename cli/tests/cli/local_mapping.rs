//! The local event-source mapping against moto, with a stand-in for the Lambda emulator that fails
//! some records: acknowledged messages are deleted, failed ones return after the visibility timeout
//! and reach the DLQ after `maxReceiveCount`, as with Lambda's own mapping.
//!
//! Needs MOTO_ENDPOINT (set by `make test`).

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName as A;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CLI: &str = env!("CARGO_BIN_EXE_fanfare-webhooks");

async fn sqs() -> aws_sdk_sqs::Client {
    let endpoint = std::env::var("MOTO_ENDPOINT").expect("MOTO_ENDPOINT: run with `make test`");
    let config = fanfare_shared::adapters::sdk_defaults()
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .endpoint_url(endpoint)
        .load()
        .await;
    aws_sdk_sqs::Client::new(&config)
}

/// Answers processor invocations, reporting every record whose body mentions "fail" as failed.
async fn fake_lambda(invocations: Arc<AtomicUsize>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let invocations = invocations.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let body = loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(split) = text.find("\r\n\r\n") {
                        let length = text[..split]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= split + 4 + length {
                            break text[split + 4..].to_string();
                        }
                    }
                };
                let response = match serde_json::from_str::<serde_json::Value>(&body) {
                    Ok(event) if event.get("Records").is_some() => {
                        invocations.fetch_add(1, Ordering::SeqCst);
                        let failures: Vec<_> = event["Records"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter(|r| r["body"].as_str().unwrap_or_default().contains("fail"))
                            .map(|r| serde_json::json!({"itemIdentifier": r["messageId"]}))
                            .collect();
                        serde_json::json!({ "batchItemFailures": failures })
                    }
                    _ => serde_json::json!({ "moved": 0 }),
                };
                let text = response.to_string();
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    port
}

async fn count(sqs: &aws_sdk_sqs::Client, url: &str) -> u64 {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let n = |k: A| {
        attrs
            .get(&k)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    n(A::ApproximateNumberOfMessages) + n(A::ApproximateNumberOfMessagesNotVisible)
}

#[tokio::test]
async fn only_failed_records_return_and_they_reach_the_dlq_after_max_receive_count() {
    let sqs = sqs().await;
    // The template's queues, with a failed message back after 1 s and dead-lettered at its 2nd receive.
    let made = fanfare_integration_tests::template_resources(&[
        ("EventsQueue", "VisibilityTimeout", "1"),
        ("EventsQueue", "maxReceiveCount", "2"),
    ]);
    let (queue, dlq) = (made.events_queue, made.dead_letter_queue);
    for (group, body) in [("g-ok", r#"{"id":"ok"}"#), ("g-fail", r#"{"id":"fail"}"#)] {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(body)
            .message_group_id(group)
            .message_deduplication_id(group)
            .send()
            .await
            .unwrap();
    }
    let invocations = Arc::new(AtomicUsize::new(0));
    let port = fake_lambda(invocations.clone()).await;
    let mut mapping = Command::new(CLI)
        .args([
            "local-mapping",
            "--lambda-url",
            &format!("http://127.0.0.1:{port}"),
            "--redrive-every",
            "3600",
        ])
        .args([
            "--events-queue-url",
            &queue,
            "--dead-letter-queue-url",
            &dlq,
        ])
        .env("AWS_ENDPOINT_URL", std::env::var("MOTO_ENDPOINT").unwrap())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut main_left, mut dead) = (u64::MAX, 0);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        main_left = count(&sqs, &queue).await;
        dead = count(&sqs, &dlq).await;
        if main_left == 0 && dead == 1 {
            break;
        }
    }
    let _ = mapping.kill();
    let _ = mapping.wait();
    assert_eq!(
        (main_left, dead),
        (0, 1),
        "the acknowledged message is deleted, the failing one dead-lettered"
    );
    let received = sqs.receive_message().queue_url(&dlq).send().await.unwrap();
    assert_eq!(received.messages()[0].body(), Some(r#"{"id":"fail"}"#));
    assert!(
        invocations.load(Ordering::SeqCst) >= 2,
        "the failing message was retried"
    );
}
