//! The three Lambda functions, wired: each `run` is the whole of a function's `main` (telemetry,
//! configuration from the environment, the AWS clients, the service, the runtime). The binaries in
//! `functions/` call them, and so does a brand repository that builds the functions with its own
//! handler (`fanfare-webhooks new-handler`): one composition root per function, wherever it is built.

pub mod ingest;
pub mod processor;
pub mod redrive;

/// What a function's start-up or run fails with (the runtime's error).
pub use lambda_runtime::Error;
