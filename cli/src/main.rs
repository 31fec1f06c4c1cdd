//! `fanfare-webhooks`: sign, send and verify Fanfare webhooks; inspect, replay and redrive what the
//! receiver stored. Defaults point at the `make dev` stack; flags and environment variables
//! (AWS_ENDPOINT_URL, AWS_PROFILE, the table and queue variables) point it at AWS.

mod alerts;
mod catalog;
mod dlq;
mod doctor;
mod error;
mod events;
mod inspect;
mod listen;
mod local_mapping;
mod new_handler;
mod quarantine;
mod replay;
mod send;
mod signing;
mod target;
mod trigger;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "fanfare-webhooks",
    version,
    about = "Tools for the fanfare-webhooks receiver"
)]
struct Cli {
    #[command(flatten)]
    target: target::Target,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the signature headers Fanfare would send for a body, one `Name: value` per line.
    Sign(signing::SignArgs),
    /// Check signature headers against a body, exactly as the ingest function does.
    ///
    /// Exit codes: 0 valid (prints the normalised event as JSON), 1 signature rejected,
    /// 2 usage error, 3 valid signature but not a valid event envelope.
    Verify(signing::VerifyArgs),
    /// Sign and POST event files to the webhook URL; prints each answer.
    Send(send::SendArgs),
    /// Sign and POST a realistic, fresh event of any kind (or a journey of them); prints each answer.
    ///
    /// `trigger draw.won`, `trigger order.paid --set amount=59.90`, `trigger --journey queue`.
    Trigger(trigger::TriggerArgs),
    /// Create a repository of your own for your handler, built against a release of this receiver
    /// and deployed with its template: upgrades change a tag, never merge.
    NewHandler(new_handler::NewHandlerArgs),
    /// Write the event catalog (a JSON Schema per kind and a page listing them) to a folder.
    Catalog(catalog::CatalogArgs),
    /// The processing record of one event, as JSON.
    Status { event_id: String },
    /// The materialised state of an entity, as JSON.
    #[command(subcommand)]
    State(inspect::StateArgs),
    /// Check a stack after a deploy: secret, a signed probe, queues, alarms, log groups.
    ///
    /// Exit codes: 0 every check passed, 1 a check failed (the checklist says what to do).
    Doctor(doctor::DoctorArgs),
    /// Which events failed lately, and why: `events --status failed --since 1h`.
    Events(events::EventsArgs),
    /// The events Fanfare gave up delivering to us (after a `DeliveryFailed` alarm).
    Alerts(alerts::AlertsArgs),
    /// Re-run archived events through the processor on purpose (ordinary duplicates stay out).
    Replay(replay::ReplayArgs),
    /// Inspect or empty the dead-letter queue.
    #[command(subcommand)]
    Dlq(dlq::DlqArgs),
    /// Inspect or replay what the quarantine queue kept (unusable deliveries, parked events).
    #[command(subcommand)]
    Quarantine(quarantine::QuarantineArgs),
    /// Your handler on this machine, on a development stack's real deliveries: pauses the stack's
    /// processor, runs the processor with `handler/` here on its queue, restores it on Ctrl-C.
    Listen(listen::ListenArgs),
    /// Run the local SQS event-source mapping and redrive schedule (used by `make dev`).
    LocalMapping(local_mapping::LocalMappingArgs),
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli) -> error::CliResult {
    match cli.command {
        Command::Sign(args) => signing::sign(args),
        Command::Verify(args) => signing::verify(args),
        Command::Catalog(args) => catalog::write(args),
        Command::NewHandler(args) => new_handler::new_handler(args),
        other => {
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(r) => r,
                Err(e) => return Err(error::CliError::failure(e)),
            };
            runtime.block_on(async {
                let target = cli
                    .target
                    .resolve()
                    .await
                    .map_err(error::CliError::failure)?;
                match other {
                    Command::Send(args) => send::send(&target, args).await,
                    Command::Trigger(args) => trigger::trigger(&target, args).await,
                    Command::Status { event_id } => inspect::status(&target, &event_id).await,
                    Command::State(args) => inspect::state(&target, args).await,
                    Command::Replay(args) => replay::replay(&target, args).await,
                    Command::Events(args) => events::events(&target, args).await,
                    Command::Alerts(args) => alerts::alerts(&target, args).await,
                    Command::Doctor(args) => doctor::doctor(&target, args).await,
                    Command::Dlq(args) => dlq::dlq(&target, args).await,
                    Command::Quarantine(args) => quarantine::quarantine(&target, args).await,
                    Command::Listen(args) => listen::listen(&target, args).await,
                    Command::LocalMapping(args) => local_mapping::run(&target, args).await,
                    Command::Sign(_)
                    | Command::Verify(_)
                    | Command::Catalog(_)
                    | Command::NewHandler(_) => {
                        unreachable!("handled above")
                    }
                }
            })
        }
    }
}
