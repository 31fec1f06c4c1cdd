//! The domain logic through the crate's public API, on the in-memory stores: one test binary.

mod debug_output;
mod handler;
mod metrics;
mod model;
mod pace;
mod payload;
mod privacy;
mod processor;
mod recovery;
mod steps;
