//! The scenario suite (`fanfare_integration_tests::scenarios`) against both store implementations.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use fanfare_integration_tests::scenarios::{self, Backend};
use fanfare_integration_tests::{create_tables, moto_config};
use fanfare_integration_tests::{item_size, state_item_size};
use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use fanfare_shared::adapters::memory::{MemoryIdempotencyStore, MemoryStateStore};
use fanfare_shared::ports::state::{fields, Attr};

struct Memory {
    ids: Arc<MemoryIdempotencyStore>,
    state: Arc<MemoryStateStore>,
}

#[async_trait]
impl Backend for Memory {
    type Ids = Arc<MemoryIdempotencyStore>;
    type State = Arc<MemoryStateStore>;

    async fn fresh() -> Self {
        Memory {
            ids: Arc::default(),
            state: Arc::default(),
        }
    }
    fn ids(&self) -> Self::Ids {
        self.ids.clone()
    }
    fn state(&self) -> Self::State {
        self.state.clone()
    }
    async fn item(&self, pk: &str, sk: &str) -> BTreeMap<String, String> {
        let items = self.state.items.lock().unwrap_or_else(|p| p.into_inner());
        items
            .get(&(pk.to_string(), sk.to_string()))
            .into_iter()
            .flatten()
            .filter(|(name, _)| name.as_str() != fields::LAST_EVENT_ID)
            .map(|(name, value)| {
                let text = match value {
                    Attr::S(v) | Attr::N(v) => v.clone(),
                    Attr::Bool(b) => b.to_string(),
                };
                (name.clone(), text)
            })
            .collect()
    }
    async fn largest_item(&self) -> (String, String, usize) {
        let items = self.state.items.lock().unwrap_or_else(|p| p.into_inner());
        items
            .iter()
            .map(|((pk, sk), item)| (pk.clone(), sk.clone(), state_item_size(pk, sk, item)))
            .max_by_key(|(_, _, bytes)| *bytes)
            .unwrap_or_default()
    }
}

struct Dynamo {
    ddb: aws_sdk_dynamodb::Client,
    idempotency_table: String,
    state_table: String,
}

#[async_trait]
impl Backend for Dynamo {
    type Ids = DynamoIdempotencyStore;
    type State = DynamoStateStore;

    async fn fresh() -> Self {
        let ddb = aws_sdk_dynamodb::Client::new(&moto_config().await);
        let (idempotency_table, state_table) = create_tables();
        Dynamo {
            ddb,
            idempotency_table,
            state_table,
        }
    }
    fn ids(&self) -> Self::Ids {
        DynamoIdempotencyStore::new(self.ddb.clone(), &self.idempotency_table)
    }
    fn state(&self) -> Self::State {
        DynamoStateStore::new(self.ddb.clone(), &self.state_table)
    }
    async fn item(&self, pk: &str, sk: &str) -> BTreeMap<String, String> {
        let item = self
            .ddb
            .get_item()
            .table_name(&self.state_table)
            .key(fields::PK, AttributeValue::S(pk.into()))
            .key(fields::SK, AttributeValue::S(sk.into()))
            .consistent_read(true)
            .send()
            .await
            .expect("moto answers")
            .item
            .unwrap_or_default();
        item.into_iter()
            .filter(|(name, _)| {
                ![fields::PK, fields::SK, fields::LAST_EVENT_ID].contains(&name.as_str())
            })
            .map(|(name, value)| {
                let text = match value {
                    AttributeValue::S(v) | AttributeValue::N(v) => v,
                    AttributeValue::Bool(b) => b.to_string(),
                    other => format!("{other:?}"),
                };
                (name, text)
            })
            .collect()
    }
    async fn largest_item(&self) -> (String, String, usize) {
        let items = self
            .ddb
            .scan()
            .table_name(&self.state_table)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("moto answers");
        items
            .iter()
            .map(|item| {
                let key = |name: &str| match item.get(name) {
                    Some(AttributeValue::S(v)) => v.clone(),
                    _ => String::new(),
                };
                (key(fields::PK), key(fields::SK), item_size(item))
            })
            .max_by_key(|(_, _, bytes)| *bytes)
            .unwrap_or_default()
    }
}

/// Each scenario, once per backend.
macro_rules! on_both_backends {
    ($($scenario:ident),+ $(,)?) => {
        mod memory {
            $( #[tokio::test] async fn $scenario() { super::scenarios::$scenario::<super::Memory>().await } )+
        }
        mod dynamodb {
            $( #[tokio::test] async fn $scenario() { super::scenarios::$scenario::<super::Dynamo>().await } )+
        }
    };
}

on_both_backends!(
    the_same_event_delivered_five_times_runs_its_handler_once,
    two_processors_racing_for_one_event_run_it_once,
    a_crashed_owners_lease_lapses_and_its_late_completion_is_rejected,
    same_id_with_a_different_payload_is_a_conflict_and_does_not_run,
    a_consumers_lifecycle_in_any_order_converges,
    a_superseded_first_delivery_reaches_the_handler_flagged,
    a_failed_handler_runs_on_retry_after_a_newer_event_completed,
    a_draw_with_a_thousand_winners_marks_every_entry_once,
    a_hot_batch_with_duplicates_and_disorder_matches_one_by_one,
    a_hot_auction_batch_matches_one_by_one,
    a_failure_in_the_middle_of_a_hot_batch_fails_only_the_rest_of_its_group,
    after_a_failure_in_a_hot_batch_each_retried_event_keeps_its_in_order_relation,
    a_retried_merged_write_tells_each_event_its_in_order_relation,
    a_run_stopped_at_the_deadline_keeps_in_order_relations,
    no_item_grows_with_its_entitys_events,
);
