//! The two processes the soak starts, kills and restarts: the ingest endpoint and a processor
//! worker. Each runs the same service the Lambda `main` runs (`IngestService`, `Processor` on the
//! DynamoDB adapters); only the Lambda runtime around it is replaced: an HTTP server for API
//! Gateway, and for the SQS event-source mapping a poll loop with Lambda's partial-batch rules.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use fanfare_shared::adapters::sdk_timeouts;
use fanfare_shared::adapters::sqs::LocalEventSource;
use fanfare_shared::adapters::sqs::{SqsEventQueue, SqsQuarantine};
use fanfare_shared::contract::signature::{SigningSecret, Verifier, VerifierOptions};
use fanfare_shared::ingest::IngestService;
use fanfare_shared::ports::SystemClock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::{Processor, ProcessorOptions};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// SDK configuration for an endpoint, with the timeouts the functions run with.
pub async fn function_sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    sdk_loader(endpoint)
        .timeout_config(sdk_timeouts())
        .load()
        .await
}

/// SDK configuration for what stands in for AWS itself (the event-source mapping, the checks):
/// without the functions' tight timeouts, since a scan of a big table may take seconds on moto.
pub async fn harness_sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    sdk_loader(endpoint).load().await
}

fn sdk_loader(endpoint: &str) -> aws_config::ConfigLoader {
    fanfare_shared::adapters::sdk_defaults()
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "soak",
        ))
        .endpoint_url(endpoint)
}

#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    #[arg(long)]
    pub port: u16,
    /// AWS endpoint the ingest function's calls go to (the fault proxy).
    #[arg(long)]
    pub aws: String,
    #[arg(long)]
    pub events_queue_url: String,
    #[arg(long)]
    pub quarantine_queue_url: String,
    #[arg(long)]
    pub secret: String,
    /// Share of requests answered 503 before they reach the function (Lambda throttling).
    #[arg(long, default_value_t = 0.0)]
    pub unavailable_rate: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Serves POST /webhooks/fanfare with the ingest service until killed.
pub async fn run_ingest(args: IngestArgs) -> Result<(), Box<dyn std::error::Error>> {
    let aws = function_sdk_config(&args.aws).await;
    let verifier = Verifier::new(
        vec![SigningSecret::new(&args.secret)?],
        VerifierOptions::default(),
    )?;
    let service = Arc::new(IngestService::new(
        verifier,
        SqsEventQueue::from_sdk_config(&aws, &args.events_queue_url),
        SqsQuarantine::from_sdk_config(&aws, &args.quarantine_queue_url),
        SystemClock,
        262_144,
    ));
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    let arrivals = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let service = service.clone();
        let arrivals = arrivals.clone();
        let (rate, seed) = (args.unavailable_rate, args.seed);
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let service = service.clone();
                let n = arrivals.fetch_add(1, Ordering::Relaxed);
                async move {
                    let mut rng =
                        StdRng::seed_from_u64(seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407));
                    if rng.random_bool(rate.clamp(0.0, 1.0)) {
                        let mut busy = hyper::Response::new(Full::new(Bytes::from_static(
                            br#"{"message":"Service Unavailable"}"#,
                        )));
                        *busy.status_mut() = hyper::StatusCode::SERVICE_UNAVAILABLE;
                        return Ok::<_, hyper::Error>(busy);
                    }
                    let (parts, body) = request.into_parts();
                    let bytes = body.collect().await?.to_bytes();
                    let request = lambda_http::Request::from_parts(
                        parts,
                        lambda_http::Body::from(bytes.to_vec()),
                    );
                    let response = service.handle(request).await;
                    let (parts, body) = response.into_parts();
                    Ok(hyper::Response::from_parts(
                        parts,
                        Full::new(Bytes::from(body.to_vec())),
                    ))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// Where the event-source mapping receives and deletes (moto itself: Lambda's own calls).
    #[arg(long)]
    pub moto: String,
    /// Where the processor's DynamoDB calls go (the fault proxy).
    #[arg(long)]
    pub aws: String,
    #[arg(long)]
    pub events_queue_url: String,
    #[arg(long)]
    pub idempotency_table: String,
    #[arg(long)]
    pub state_table: String,
    /// Every handler run is appended here as `<pid> <event id> <unix ms>`.
    #[arg(long)]
    pub handler_log: PathBuf,
    /// The invocation deadline, as Lambda's timeout: the claim's lease.
    #[arg(long, default_value_t = 4)]
    pub timeout_secs: i64,
}

/// The user handler of the soak: records each run (a side effect that survives SIGKILL).
pub struct RecordingHandler {
    log: Mutex<std::fs::File>,
    pid: u32,
}

impl RecordingHandler {
    fn record(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let line = format!(
            "{} {} {}\n",
            self.pid,
            ctx.event.id,
            chrono::Utc::now().timestamp_millis()
        );
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.write_all(line.as_bytes())
            .map_err(|_| HandlerError::new("handler_log_unwritable"))
    }
}

macro_rules! record_every_kind {
    ($( $variant:ident => $name:literal, $method:ident, $family:ident: [$($alias:literal),+] );+ $(;)?) => {
        #[async_trait]
        impl EventHandler for RecordingHandler {
            $(
                async fn $method(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
                    self.record(ctx)
                }
            )+
        }
    };
}
fanfare_shared::for_each_kind!(record_every_kind);

/// Polls the events queue and invokes the processor with batches of up to 10, until killed.
pub async fn run_worker(args: WorkerArgs) -> Result<(), Box<dyn std::error::Error>> {
    let sqs = aws_sdk_sqs::Client::new(&harness_sdk_config(&args.moto).await);
    let ddb = aws_sdk_dynamodb::Client::new(&function_sdk_config(&args.aws).await);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.handler_log)?;
    let processor = Processor::new(
        DynamoIdempotencyStore::new(ddb.clone(), &args.idempotency_table),
        DynamoStateStore::new(ddb, &args.state_table),
        RecordingHandler {
            log: Mutex::new(log),
            pid: std::process::id(),
        },
        SystemClock,
        ProcessorOptions::default(),
    );
    let source = LocalEventSource::new(sqs, &args.events_queue_url, 10);
    loop {
        let messages = match source.receive().await {
            Ok(messages) => messages,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        if messages.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let mut event = SqsEvent::default();
        event.records = source.records(&messages);
        let deadline_ms = chrono::Utc::now().timestamp_millis() + args.timeout_secs * 1000;
        let Ok(response) = processor.process_batch(&event, deadline_ms).await else {
            continue; // the whole batch comes back after the visibility timeout
        };
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        // A lost delete means a redelivery, which the processor must absorb: no retry here.
        let _ = source.acknowledge(&messages, &failed).await;
    }
}
