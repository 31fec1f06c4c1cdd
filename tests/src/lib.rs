//! Support for the integration tests, one job a module: `fixtures` (and the ingest handler invoked
//! with them), `moto` (clients and names), `resources` (queues and tables), `metering` (request
//! counts and outages), `sizes` (DynamoDB's billing rules); the scenario suite and the soak.
//!
//! The moto endpoint comes from `MOTO_ENDPOINT` (set by `make test`, which starts `moto_server`).

pub mod scenarios;
pub mod soak;

mod fixtures;
mod metering;
mod moto;
mod resources;
mod sizes;

pub use fixtures::*;
pub use metering::*;
pub use moto::*;
pub use resources::*;
pub use sizes::*;
