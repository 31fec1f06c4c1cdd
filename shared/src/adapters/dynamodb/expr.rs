//! Update expressions with a placeholder for every attribute name and value, so that no name from
//! event data can collide with DynamoDB's reserved words or inject syntax.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;

/// Builds update expressions with a placeholder for every name and value.
#[derive(Default)]
pub(super) struct Expr {
    pub(super) names: HashMap<String, String>,
    pub(super) values: HashMap<String, AttributeValue>,
    set: Vec<String>,
    remove: Vec<String>,
    add: Vec<String>,
}

impl Expr {
    pub(super) fn name(&mut self, name: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, n)| n.as_str() == name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_string());
        placeholder
    }

    pub(super) fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    pub(super) fn set(&mut self, name: &str, value: AttributeValue) {
        let (n, v) = (self.name(name), self.value(value));
        self.set.push(format!("{n} = {v}"));
    }

    pub(super) fn set_if_absent(&mut self, name: &str, value: AttributeValue) {
        let (n, v) = (self.name(name), self.value(value));
        self.set.push(format!("{n} = if_not_exists({n}, {v})"));
    }

    pub(super) fn remove(&mut self, name: &str) {
        let n = self.name(name);
        self.remove.push(n);
    }

    pub(super) fn add(&mut self, name: &str, value: AttributeValue) {
        let (n, v) = (self.name(name), self.value(value));
        self.add.push(format!("{n} {v}"));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty() && self.add.is_empty()
    }

    pub(super) fn update_expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.set.is_empty() {
            parts.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.remove.is_empty() {
            parts.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        if !self.add.is_empty() {
            parts.push(format!("ADD {}", self.add.join(", ")));
        }
        parts.join(" ")
    }

    pub(super) fn apply(
        self,
        request: UpdateItemFluentBuilder,
        condition: Option<String>,
    ) -> UpdateItemFluentBuilder {
        let mut request = request.update_expression(self.update_expression());
        if let Some(c) = condition {
            request = request.condition_expression(c);
        }
        request
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(Some(self.values))
    }
}
