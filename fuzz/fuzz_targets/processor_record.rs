//! The processor's SQS-record path with in-memory stores: any record (body, encoding attribute,
//! replay attributes) is processed or reported failed, never a panic and never a batch error for a
//! record that has a message id.
#![no_main]

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use chrono::TimeZone;
use fanfare_shared::adapters::memory::MemoryIdempotencyStore;
use fanfare_shared::adapters::memory::MemoryStateStore;
use fanfare_shared::contract::message::attributes;
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::StateOnly;
use fanfare_shared::processor::{Processor, ProcessorOptions};
use libfuzzer_sys::fuzz_target;

mod common;
use common::runtime;

fn attribute(value: &str) -> SqsMessageAttribute {
    let mut a = SqsMessageAttribute::default();
    a.string_value = Some(value.to_string());
    a.data_type = Some("String".into());
    a
}

fuzz_target!(
    |input: Vec<(String, Option<String>, Option<String>, Option<String>, bool)>| {
        let Some(now) = chrono::Utc.timestamp_opt(1_767_225_600, 0).single() else {
            return;
        };
        let processor = Processor::new(
            Arc::new(MemoryIdempotencyStore::default()),
            Arc::new(MemoryStateStore::default()),
            StateOnly,
            FixedClock(now),
            ProcessorOptions::default(),
        );
        let mut batch = SqsEvent::default();
        for (i, (body, encoding, replay_id, replay_hash, fifo)) in
            input.into_iter().take(10).enumerate()
        {
            let mut record = SqsMessage::default();
            record.message_id = Some(format!("m{i}"));
            record.body = Some(body);
            if fifo {
                record
                    .attributes
                    .insert("MessageGroupId".into(), "g".into());
            }
            for (name, value) in [
                (attributes::BODY_ENCODING, encoding),
                (attributes::REPLAY_ID, replay_id),
                (attributes::REPLAY_PAYLOAD_HASH, replay_hash),
            ] {
                if let Some(v) = value {
                    record
                        .message_attributes
                        .insert(name.to_string(), attribute(&v));
                }
            }
            batch.records.push(record);
        }
        let Some(runtime) = runtime() else {
            return;
        };
        let response = runtime
            .block_on(processor.process_batch(&batch, 0))
            .expect("every record has a message id");
        for failure in &response.batch_item_failures {
            assert!(batch
                .records
                .iter()
                .any(|r| r.message_id.as_deref() == Some(failure.item_identifier.as_str())));
        }
    }
);
