//! What `Debug` and `Display` print never carries a token, a contact detail or a body: a handler's
//! `tracing::info!(?ctx)` writes to the log group.

use std::sync::Mutex;

use async_trait::async_trait;
use fanfare_shared::contract::message::{OutgoingEvent, Provenance};
use fanfare_shared::contract::signature::Scheme;
use fanfare_shared::ports::DeadLetter;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::IncomingMessage;
use fanfare_shared::testing::{body_at, Harness, T0_MS};

const SECRETS: [&str; 4] = [
    "tok_SECRET",
    "alice@example.com",
    "sk_live_KEY",
    "clm_SECRET",
];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} prints {secret}: {text}");
    }
}

/// Formats everything a handler can reach.
#[derive(Default)]
struct Formats(Mutex<Vec<String>>);

impl Formats {
    fn note(&self, ctx: &HandlerContext<'_>) {
        let mut seen = self.0.lock().unwrap();
        seen.push(format!("{ctx:?}"));
        seen.push(format!("{:?}", ctx.event));
        seen.push(format!("{:?}", ctx.payload()));
    }
}

#[async_trait]
impl EventHandler for Formats {
    async fn queue_admitted(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.note(ctx);
        Ok(())
    }
    async fn draw_winners_selected(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.note(ctx);
        Ok(())
    }
}

#[tokio::test]
async fn a_context_built_from_a_body_with_tokens_prints_none() {
    let harness = Harness::new(Formats::default());
    let admitted = r#"{"consumerId":"c1","experienceId":"x","admissionToken":"tok_SECRET","email":"alice@example.com","apiKey":"sk_live_KEY"}"#;
    let winners = r#"{"drawId":"d1","winners":[{"consumerId":"c1","claimToken":"clm_SECRET"}]}"#;
    let unknown = r#"{"apiKey":"sk_live_KEY","email":"alice@example.com"}"#;
    harness
        .deliver(&body_at("e1", "queue.admitted", T0_MS, admitted))
        .await;
    harness
        .deliver(&body_at("e2", "draw.winners_selected", T0_MS, winners))
        .await;
    let seen = harness.handler().0.lock().unwrap().clone();
    assert_eq!(seen.len(), 6);
    for text in &seen {
        assert_clean("the handler's context", text);
    }
    assert!(
        seen[1].contains("admissionToken"),
        "names stay: {}",
        seen[1]
    );

    let body = body_at("e3", "something.new", T0_MS, unknown);
    let event = fanfare_shared::contract::envelope::parse_event(body.as_bytes()).unwrap();
    let payload = fanfare_shared::model::payload::Payload::of(&event).unwrap();
    assert_clean("an unknown kind's payload", &format!("{payload:?}"));
    assert_clean("an event", &format!("{event:?}"));

    let incoming = IncomingMessage::raw(&body);
    assert_clean("a received message", &format!("{incoming:?}"));
    let outgoing = OutgoingEvent::new(&event, body.clone(), Provenance::Signed(Scheme::A), 0);
    assert_clean("a queued message", &format!("{outgoing:?}"));
    let dead = DeadLetter {
        message_id: "m".into(),
        receipt_handle: "r".into(),
        body: body.clone(),
        group_id: None,
        deduplication_id: None,
        sent_at_ms: 0,
        attributes: Vec::new(),
        source_queue_arn: None,
    };
    assert_clean("a dead letter", &format!("{dead:?}"));
}

#[test]
fn a_handler_error_displays_its_stored_code_only() {
    let free_text = HandlerError::new("mail to alice@example.com failed");
    assert_eq!(free_text.to_string(), "handler failed: handler_failed");
    assert_eq!(
        HandlerError::new("erp_unreachable").to_string(),
        "handler failed: erp_unreachable"
    );
}
