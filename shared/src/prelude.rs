//! Everything a brand's handler crate needs, in one import: `use fanfare_shared::prelude::*;`.
//! Upgrading the receiver keeps these names.

pub use async_trait::async_trait;
/// Log with the event's fields: every record is processed inside a span carrying them.
pub use tracing;

pub use crate::model::payload::*;
pub use crate::model::{Event, EventKind, Money};
pub use crate::processor::handler::{
    EventHandler, HandlerContext, HandlerError, Relation, Replay, StateOnly,
};
pub use crate::processor::Downstream;

/// A boxed error, for a handler's set-up.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub use crate::config::{HandlerSecret, HandlerSettings};
pub use crate::refresh::Refreshing;

#[cfg(feature = "aws")]
pub use aws_config::SdkConfig;
