//! The CLI's tests, one binary (each binary would link the whole AWS SDK again).
//!
//! - `sign_verify`: `sign` and `verify` as processes, exit codes and messages.
//! - `local_mapping`: the local event-source mapping against moto.
//! - `dev_stack`: `make dev`'s stack end to end.
//! - `operator`: `dlq list` and `replay --event-id` against moto.
//! - `stack_send`: `send --stack` against a stack and a secret on moto.
//! - `capacity`: `doctor --drop` against the template's tables on moto.
//! - `listen`: a development stack paused, its events processed here, the stack restored.

mod capacity;
mod dev_stack;
mod listen;
mod local_mapping;
mod operator;
mod sign_verify;
mod stack_send;
