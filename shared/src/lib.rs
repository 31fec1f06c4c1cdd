//! The library both fanfare-webhooks functions use: the Fanfare wire contract, the event model, the
//! ingest handler, the processor (idempotency, ordering, handlers), and the AWS adapters behind
//! small ports.

pub mod adapters;
#[cfg(feature = "catalog")]
pub mod catalog;
pub mod config;
pub mod contract;
#[cfg(feature = "aws")]
pub mod functions;
pub mod ingest;
pub mod metrics;
pub mod model;
pub mod ports;
pub mod prelude;
pub mod privacy;
pub mod processor;
pub mod redrive;
pub mod refresh;
pub mod telemetry;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;

pub use model::Event;
pub use model::EventKind;
