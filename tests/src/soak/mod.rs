//! `make soak`: the guarantees under a drop's load, with faults and crashes (src/bin/soak.rs runs it).
//!
//! - [`generate`]: the events and the order they are delivered in.
//! - [`faults`]: the fault-injecting proxy between our code and moto.
//! - [`children`]: the ingest endpoint and processor worker processes the soak kills and restarts.
//! - [`check`]: the reference state and readers of what DynamoDB holds.

pub mod check;
pub mod children;
pub mod faults;
pub mod generate;
