//! The integration tests, one binary: each binary would link the whole AWS SDK again.
//!
//! - `catalog`: docs/catalog against the payload types it is derived from.
//! - `ingest_fixtures`: every events/http fixture through the ingest handler, in memory.
//! - `ingest_sqs`: ingest through the real SDK onto queues in moto, and on to the processor.
//! - `processor_dynamodb`: the processor with its DynamoDB adapters on moto.
//! - `processor_fixtures`: every events/sqs fixture through the processor on moto.
//! - `redrive_sqs`: the redrive policy and parking on moto.
//! - `retry_budget`: the processor's own dead-lettering when an event's budget is spent, on moto.
//! - `scenarios`: the processor's guarantees, one suite run on the in-memory and the DynamoDB stores.
//! - `secret_rotation`: the signing and handler secrets read again after their maximum age.

mod catalog;
mod doc_paths;
mod ingest_fixtures;
mod ingest_sqs;
mod kinds;
mod operator_views;
mod payloads;
mod processor_dynamodb;
mod processor_fixtures;
mod queue_reads;
mod redrive_sqs;
mod retry_budget;
mod scenarios;
mod secret_rotation;
