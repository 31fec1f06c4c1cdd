//! The state table: materialised state as versioned conditional writes (see `ports::state`).

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

use super::expr::Expr;
use super::{condition_failed, s, string};
use crate::ports::state::{
    fields, Applied, Attr, Gate, ItemWrite, MergedApplied, MergedWrite, Previous, StateError,
    StateStore, Version,
};

fn attr(value: &Attr) -> AttributeValue {
    match value {
        Attr::S(v) => AttributeValue::S(v.clone()),
        Attr::N(v) => AttributeValue::N(v.clone()),
        Attr::Bool(b) => AttributeValue::Bool(*b),
    }
}

fn from_attr(value: &AttributeValue) -> Option<Attr> {
    match value {
        AttributeValue::S(v) => Some(Attr::S(v.clone())),
        AttributeValue::N(v) => Some(Attr::N(v.clone())),
        AttributeValue::Bool(b) => Some(Attr::Bool(*b)),
        _ => None,
    }
}

bound_client!(
    /// The state table.
    DynamoStateStore(Client, table)
);

impl DynamoStateStore {
    fn update(&self, write: &ItemWrite) -> UpdateItemFluentBuilder {
        self.update_key(&write.pk, &write.sk)
    }

    fn update_merged(&self, write: &MergedWrite) -> UpdateItemFluentBuilder {
        self.update_key(&write.pk, &write.sk)
    }

    fn update_key(&self, pk: &str, sk: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(fields::PK, s(pk))
            .key(fields::SK, s(sk))
    }

    async fn send(&self, request: UpdateItemFluentBuilder) -> Result<bool, StateError> {
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e).is_some() => Ok(false),
            Err(e) => Err(StateError::Unavailable(Box::new(e))),
        }
    }

    /// `Err(old item)` when the condition failed: the item as it stood, returned by the failed
    /// write itself (`ALL_OLD`), so naming what superseded an event costs no read.
    async fn send_returning_old(
        &self,
        request: UpdateItemFluentBuilder,
    ) -> Result<Result<(), Option<String>>, StateError> {
        let request = request
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match request.send().await {
            Ok(_) => Ok(Ok(())),
            Err(e) => match condition_failed(&e) {
                Some(old) => Ok(Err(old
                    .and_then(|item| string(item, fields::LAST_EVENT_ID))
                    .map(str::to_string))),
                None => Err(StateError::Unavailable(Box::new(e))),
            },
        }
    }
}

fn add_facts(e: &mut Expr, write: &ItemWrite) {
    for (name, value) in &write.facts {
        e.set_if_absent(name, attr(value));
    }
}

#[async_trait]
impl StateStore for DynamoStateStore {
    async fn apply(&self, write: &ItemWrite, event_id: &str) -> Result<Applied, StateError> {
        let version = match &write.gate {
            Gate::Unversioned => {
                let mut e = Expr::default();
                for (name, value) in &write.moving {
                    e.set(name, attr(value));
                }
                for name in &write.remove {
                    e.remove(name);
                }
                add_facts(&mut e, write);
                if !e.is_empty() {
                    self.send(e.apply(self.update(write), None)).await?;
                }
                return Ok(Applied::Fresh);
            }
            Gate::Versioned(v) => v.as_str(),
        };

        // Fresh: one conditional write moves the item and merges facts.
        let mut e = Expr::default();
        e.set(fields::VERSION, s(version));
        e.set(fields::LAST_EVENT_ID, s(event_id));
        for (name, value) in &write.moving {
            e.set(name, attr(value));
            e.set(&fields::field_version(name), s(version));
        }
        for name in &write.remove {
            e.remove(name);
            e.set(&fields::field_version(name), s(version));
        }
        add_facts(&mut e, write);
        let version_name = e.name(fields::VERSION);
        let ours = e.value(s(version));
        let condition = format!("attribute_not_exists({version_name}) OR {version_name} <= {ours}");
        let newer_event_id = match self
            .send_returning_old(e.apply(self.update(write), Some(condition)))
            .await?
        {
            Ok(()) => return Ok(Applied::Fresh),
            Err(newer_event_id) => newer_event_id,
        };

        // Stale: each moving field it is the newest writer of, then its facts.
        let changes = write
            .moving
            .iter()
            .map(|(name, value)| (*name, Some(value)))
            .chain(write.remove.iter().map(|name| (*name, None)));
        for (name, value) in changes {
            let mut e = Expr::default();
            match value {
                Some(value) => e.set(name, attr(value)),
                None => e.remove(name),
            }
            let field_version = fields::field_version(name);
            e.set(&field_version, s(version));
            let fv = e.name(&field_version);
            let ours = e.value(s(version));
            let condition = format!("attribute_not_exists({fv}) OR {fv} < {ours}");
            self.send(e.apply(self.update(write), Some(condition)))
                .await?;
        }
        let mut e = Expr::default();
        add_facts(&mut e, write);
        if !e.is_empty() {
            self.send(e.apply(self.update(write), None)).await?;
        }
        Ok(Applied::Stale { newer_event_id })
    }

    /// One update for several events' writes; the old item comes back with the write (`ALL_OLD`).
    async fn apply_merged(&self, write: &MergedWrite) -> Result<MergedApplied, StateError> {
        let mut e = Expr::default();
        if let Some((version, event_id)) = &write.newest {
            e.set(fields::VERSION, s(version.as_str()));
            e.set(fields::LAST_EVENT_ID, s(event_id));
        }
        for (name, value, version) in &write.moving {
            match value {
                Some(value) => e.set(name, attr(value)),
                None => e.remove(name),
            }
            e.set(&fields::field_version(name), s(version.as_str()));
        }
        for (name, value) in &write.facts {
            e.set_if_absent(name, attr(value));
        }
        let condition = write.floor.as_ref().map(|floor| {
            let version_name = e.name(fields::VERSION);
            let floor = e.value(s(floor.as_str()));
            format!("attribute_not_exists({version_name}) OR {version_name} <= {floor}")
        });
        let request = e
            .apply(self.update_merged(write), condition)
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match request.send().await {
            Ok(reply) => {
                let old = reply.attributes();
                let field =
                    |name: &str| old.and_then(|item| string(item, name)).map(str::to_string);
                Ok(MergedApplied::Applied(Previous {
                    version: field(fields::VERSION).map(Version::from_stored),
                    last_event_id: field(fields::LAST_EVENT_ID),
                }))
            }
            Err(e) => match condition_failed(&e) {
                Some(Some(old))
                    if write.already_applied(|name| old.get(name).and_then(from_attr)) =>
                {
                    Ok(MergedApplied::Applied(Previous::default()))
                }
                Some(_) => Ok(MergedApplied::Newer),
                None => Err(StateError::Unavailable(Box::new(e))),
            },
        }
    }
}
