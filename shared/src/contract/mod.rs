//! The Fanfare wire contract: signatures, the envelope, event kinds, and the queue message that
//! carries a verified event from ingest to the processor.

pub mod delivery;
pub mod envelope;
pub mod headers;
pub mod message;
pub mod signature;
