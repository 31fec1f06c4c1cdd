//! Your handler: the side effects your brand runs for Fanfare events (emails, your ERP, fulfilment).
//!
//! This crate is yours. `functions/processor` links it and calls [`build`] once per cold start;
//! upgrading the receiver does not touch it. Implement a method of [`EventHandler`] for each kind
//! you act on (the README's *Your handler* section shows one, and a test in a few lines); every
//! other kind only updates the state table.
//!
//! Its permissions and settings come from the template's parameters, without editing the template:
//! `HandlerPolicyArns` (managed policies for the processor's role, e.g. SES), `HandlerSecretArn`
//! (a secret the processor may read, following its rotation: [`HandlerSettings::secret`]) and `HandlerConfig`
//! (free-form text: [`HandlerSettings::config`]).

use fanfare_shared::prelude::*;

/// The handler the processor runs. As shipped it adds no side effect.
#[derive(Debug, Default, Clone)]
pub struct BrandHandler;

#[async_trait]
impl EventHandler for BrandHandler {}

/// Builds the handler once per cold start: read `settings` and create your clients from `aws` here,
/// not per event. An error stops the function's start-up (and is logged).
pub async fn build(settings: &HandlerSettings, aws: &SdkConfig) -> Result<BrandHandler, BoxError> {
    let _ = (settings, aws);
    Ok(BrandHandler)
}

/// The README's Rust examples are compiled and run as this crate's doctests (`make test`), so the
/// handler and the test it shows always build against this version of the receiver.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
