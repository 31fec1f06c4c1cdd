//! Logging set-up for every function: the level and format Lambda's advanced logging controls set
//! (`AWS_LAMBDA_LOG_LEVEL`, `AWS_LAMBDA_LOG_FORMAT`), with the crates that print whole requests at
//! TRACE pinned at DEBUG. At TRACE the AWS SDK logs every request and response it transmits and the
//! Lambda runtime logs every raw event: webhook bodies with their tokens, and DynamoDB items. Those
//! must never reach the logs, whatever level an operator picks.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;

/// Crates whose TRACE output holds request or response bodies.
pub const BODY_LOGGING_TARGETS: &[&str] = &[
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_smithy_types",
    "aws_sigv4",
    "aws_runtime",
    "aws_config",
    "aws_sdk_dynamodb",
    "aws_sdk_sqs",
    "aws_sdk_secretsmanager",
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
];

/// The filter for a level name (`AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` read as a level only: its
/// per-crate directives could re-enable what is pinned). Lambda's `FATAL`, which `tracing` does not
/// have, means its nearest level, ERROR; unknown names mean INFO.
pub fn filter(level: Option<&str>) -> EnvFilter {
    let level = level
        .map(str::trim)
        .and_then(|l| match l.eq_ignore_ascii_case("fatal") {
            true => Some(LevelFilter::ERROR),
            false => l.parse::<LevelFilter>().ok(),
        })
        .unwrap_or(LevelFilter::INFO);
    let pinned = level.min(LevelFilter::DEBUG);
    BODY_LOGGING_TARGETS.iter().fold(
        EnvFilter::default().add_directive(level.into()),
        |filter, target| match format!("{target}={pinned}").parse() {
            Ok(directive) => filter.add_directive(directive),
            Err(_) => filter,
        },
    )
}

/// Installs the subscriber; call once at the top of `main`.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(level.as_deref()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Human-readable logs on stderr, for a process whose stdout is its output (`listen`: your
/// handler's logs beside one line per event). `RUST_LOG` sets the level, as in [`init`].
pub fn init_on_stderr() {
    let level = std::env::var("RUST_LOG").ok();
    tracing_subscriber::fmt()
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_env_filter(filter(level.as_deref()))
        .init();
}

/// Logs a panic as one line of the structured log, inside the span it happened in (a handler's
/// panic carries the event's fields), instead of the standard hook's plain text on stderr. The
/// processor catches a handler's panic and logs its outcome without repeating the message.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        tracing::error!(panic = %message, location = location.unwrap_or_default(), "panicked");
    }));
}

/// An error and its sources, `: `-separated, for the one log line that reports a failure's cause.
pub struct Causes<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// What `Debug` prints in place of a body: its size only.
pub struct Withheld(pub usize);

impl std::fmt::Debug for Withheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes withheld>", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::CapturedLog as Captured;

    fn logged_at(level: &str, emit: impl FnOnce()) -> String {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(Some(level)))
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, emit);
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn trace_never_lets_the_sdk_or_runtime_print_bodies() {
        let out = logged_at("TRACE", || {
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "BODY_SDK");
            tracing::trace!(target: "lambda_runtime::layers::api_response", "BODY_RUNTIME");
            tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "SDK_DEBUG");
            tracing::trace!(target: "fanfare_shared::processor", "OUR_TRACE");
        });
        assert!(!out.contains("BODY_SDK"), "{out}");
        assert!(!out.contains("BODY_RUNTIME"), "{out}");
        assert!(out.contains("SDK_DEBUG"), "{out}");
        assert!(out.contains("OUR_TRACE"), "{out}");
    }

    #[test]
    fn the_pin_never_raises_a_lower_level() {
        let out = logged_at("WARN", || {
            tracing::debug!(target: "aws_smithy_runtime::client", "SDK_DEBUG");
            tracing::info!(target: "fanfare_shared::ingest", "OUR_INFO");
            tracing::warn!(target: "fanfare_shared::ingest", "OUR_WARN");
        });
        assert!(!out.contains("SDK_DEBUG"), "{out}");
        assert!(!out.contains("OUR_INFO"), "{out}");
        assert!(out.contains("OUR_WARN"), "{out}");
        assert!(logged_at("nonsense", || tracing::info!("AT_INFO")).contains("AT_INFO"));
    }

    #[test]
    fn fatal_means_errors_only() {
        let out = logged_at("FATAL", || {
            tracing::warn!("OUR_WARN");
            tracing::error!("OUR_ERROR");
        });
        assert!(!out.contains("OUR_WARN"), "{out}");
        assert!(out.contains("OUR_ERROR"), "{out}");
    }
}
