//! In-memory adapters, for unit tests, benchmarks, fuzzing and the soak's oracle: never the only test
//! of an AWS adapter. Compiled only for tests and with the `test-util` feature, so the Lambda
//! binaries do not link them.

mod idempotency;
mod queue;
mod state;

pub use idempotency::{MemoryIdempotencyStore, MemoryRecord};
pub use queue::{MemoryQueue, NoopQueue};
pub use state::{Item, MemoryStateStore};
