//! Every way a command can fail, mapped to its exit code once, in `main`.

use std::error::Error as StdError;
use std::fmt;

use fanfare_shared::telemetry::Causes;

/// Why a command failed. Exit codes: 1 a failure (AWS, a rejected signature, not found), 2 a usage
/// error (as clap's own), 3 a valid signature over a body that is not an event (`verify`).
#[derive(Debug)]
pub enum CliError {
    /// The command line asked for something impossible.
    Usage(String),
    /// An error from AWS or the system, with its causes.
    Failure(Box<dyn StdError + Send + Sync>),
    /// The command ran and the answer is "no" (a rejected signature, a missing record, failed sends).
    Refused(String),
    /// `verify`: the signature is valid, but the body is not an event.
    InvalidEnvelope(String),
}

impl CliError {
    pub fn usage(message: impl fmt::Display) -> Self {
        CliError::Usage(message.to_string())
    }

    pub fn failure(error: impl StdError + Send + Sync + 'static) -> Self {
        CliError::Failure(Box::new(error))
    }

    pub fn refused(message: impl fmt::Display) -> Self {
        CliError::Refused(message.to_string())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Failure(_) | CliError::Refused(_) => 1,
            CliError::Usage(_) => 2,
            CliError::InvalidEnvelope(_) => 3,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Refused(m) | CliError::InvalidEnvelope(m) => {
                f.write_str(m)
            }
            CliError::Failure(error) => write!(f, "{}", Causes(error.as_ref())),
        }
    }
}

pub type CliResult = Result<(), CliError>;
