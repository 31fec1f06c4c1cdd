//! The on-call commands against moto: `dlq list` shows each message's last error,
//! `replay --event-id` picks one archived event (and refuses an unknown id).
//!
//! Needs MOTO_ENDPOINT (set by `make test`).

use std::process::Command;

use fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore;
use fanfare_shared::contract::message::attributes;
use fanfare_shared::ports::idempotency::{Claim, IdempotencyStore};

const CLI: &str = env!("CARGO_BIN_EXE_fanfare-webhooks");
const BODY: &str =
    r#"{"id":"evt_dlq","type":"order.paid","created":1767225600,"data":{"orderId":"o1"}}"#;

async fn config(endpoint: &str) -> aws_config::SdkConfig {
    fanfare_shared::adapters::sdk_defaults()
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// The template's queues and tables on moto, named to the CLI by its flags.
struct Resources {
    events: String,
    dlq: String,
    quarantine: String,
    table: String,
}

impl Resources {
    fn create() -> Resources {
        let made = fanfare_integration_tests::template_resources(&[]);
        Resources {
            events: made.events_queue,
            dlq: made.dead_letter_queue,
            quarantine: made.quarantine_queue,
            table: made.idempotency_table,
        }
    }

    /// Runs the CLI against these resources.
    fn cli(&self, endpoint: &str, args: &[&str]) -> std::process::Output {
        Command::new(CLI)
            .args([
                "--endpoint-url",
                endpoint,
                "--idempotency-table",
                &self.table,
            ])
            .args([
                "--events-queue-url",
                &self.events,
                "--dead-letter-queue-url",
                &self.dlq,
            ])
            .args(["--quarantine-queue-url", &self.quarantine])
            .args(args)
            .output()
            .unwrap()
    }
}

/// An event whose handler failed: its record says why, and its message sits in the DLQ.
async fn dead_lettered(config: &aws_config::SdkConfig, at: &Resources) {
    let store = DynamoIdempotencyStore::new(aws_sdk_dynamodb::Client::new(config), &at.table);
    let event = fanfare_shared::contract::envelope::parse_event(BODY.as_bytes()).unwrap();
    let claim = Claim {
        event_id: "evt_dlq".into(),
        owner: "o".into(),
        payload_hash: event.payload_hash(),
        now_ms: 1_767_225_600_000,
        lease_until_ms: 1_767_225_660_000,
        expires_at_s: 4_000_000_000,
        kind: "order.paid".into(),
        event_type: "order.paid".into(),
        ordering_key: "order/o1".into(),
        occurred_at_ms: 1_767_225_600_000,
        raw_event: BODY.into(),
        replay_id: None,
    };
    store.claim(&claim).await.unwrap();
    store
        .release(
            "evt_dlq",
            "o",
            &fanfare_shared::ports::idempotency::Release::failed("erp_unreachable"),
            1_767_225_601_000,
        )
        .await
        .unwrap();
    let event_id = aws_sdk_sqs::types::MessageAttributeValue::builder()
        .data_type("String")
        .string_value("evt_dlq");
    aws_sdk_sqs::Client::new(config)
        .send_message()
        .queue_url(&at.dlq)
        .message_body(BODY)
        .message_group_id("order/o1")
        .message_deduplication_id("d1")
        .message_attributes(attributes::EVENT_ID, event_id.build().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn dlq_list_shows_the_last_error_and_replay_takes_an_event_id() {
    let endpoint = std::env::var("MOTO_ENDPOINT").expect("MOTO_ENDPOINT: run with `make test`");
    let config = config(&endpoint).await;
    let at = Resources::create();
    dead_lettered(&config, &at).await;
    let run = |args: &'static [&'static str]| {
        let (at, endpoint) = (&at, endpoint.clone());
        std::thread::scope(|scope| scope.spawn(move || at.cli(&endpoint, args)).join().unwrap())
    };
    let listed = run(&["dlq", "list"]);
    let line: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(line["eventId"], "evt_dlq");
    assert_eq!(line["lastError"], "erp_unreachable", "{line}");

    let one = run(&["replay", "--event-id", "evt_dlq", "--dry-run"]);
    let out = String::from_utf8_lossy(&one.stdout).to_string();
    assert!(one.status.success(), "{out}");
    assert!(
        out.contains("evt_dlq order.paid") && out.contains("1 event(s) would be replayed"),
        "{out}"
    );
    let unknown = run(&["replay", "--event-id", "evt_nope", "--dry-run"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("evt_nope"));
}

/// `dlq redrive` moves everything, not one run's 500, and says how far it got.
#[tokio::test]
async fn dlq_redrive_moves_every_message() {
    let endpoint = std::env::var("MOTO_ENDPOINT").expect("MOTO_ENDPOINT: run with `make test`");
    let config = config(&endpoint).await;
    let at = Resources::create();
    let sqs = aws_sdk_sqs::Client::new(&config);
    for batch in 0..51 {
        let entries = (0..10).map(|i| {
            let n = batch * 10 + i;
            aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                .id(format!("m{n}"))
                .message_body(BODY.replace("evt_dlq", &format!("evt_{n}")))
                .message_group_id(format!("order/o{n}"))
                .message_deduplication_id(format!("d{n}"))
                .build()
                .unwrap()
        });
        sqs.send_message_batch()
            .queue_url(&at.dlq)
            .set_entries(Some(entries.collect()))
            .send()
            .await
            .unwrap();
    }
    let (at_ref, endpoint) = (&at, endpoint.clone());
    let out = std::thread::scope(|scope| {
        scope
            .spawn(move || at_ref.cli(&endpoint, &["dlq", "redrive"]))
            .join()
            .unwrap()
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("moved 510 message(s)"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("moved 510, quarantined 0"));
}
