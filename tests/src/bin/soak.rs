//! `make soak`: N events (every family), 20 % delivered two to four times, shuffled, some duplicates
//! long after the original; signed and POSTed by several senders to the ingest endpoint; AWS calls
//! failing through a fault proxy; processor workers SIGKILLed mid-batch and restarted; ingest
//! answering 503. Then the oracle: one final record per event, DynamoDB state equal to the
//! reference, no unexplained second handler run, nothing in flight, DLQ empty after redrive, no
//! secret in any log line. Needs MOTO_ENDPOINT (the Makefile starts moto).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName as A;
use clap::{Parser, Subcommand};
use fanfare_integration_tests::soak::check::{
    differences, dynamo_state, percentile, record_statuses, reference_state,
};
use fanfare_integration_tests::soak::children::{
    harness_sdk_config, run_ingest, run_worker, IngestArgs, WorkerArgs,
};
use fanfare_integration_tests::soak::faults::{self, FaultCounts, FaultRates};
use fanfare_integration_tests::soak::generate::{load, Delivery, GeneratedEvent, Phase};
use fanfare_integration_tests::{create_tables, unique};
use fanfare_shared::adapters::sqs::{SqsDeadLetterQueue, SqsQuarantine};
use fanfare_shared::contract::signature::{sign, Scheme, SigningSecret};
use fanfare_shared::processor::Outcome;
use fanfare_shared::redrive::{redrive, RedrivePolicy};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole soak (what `make soak` runs).
    Run(RunArgs),
    /// A child: the ingest endpoint.
    Ingest(IngestArgs),
    /// A child: one processor worker.
    Worker(WorkerArgs),
}

#[derive(Debug, Clone, clap::Args)]
struct RunArgs {
    #[arg(long, default_value_t = 10_000)]
    events: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 0.2)]
    duplicate_rate: f64,
    #[arg(long, default_value_t = 6)]
    senders: usize,
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Share of AWS calls that get a fault, split between the five kinds.
    #[arg(long, default_value_t = 0.03)]
    fault_rate: f64,
    /// Share of webhook requests answered 503 before they reach ingest.
    #[arg(long, default_value_t = 0.02)]
    unavailable_rate: f64,
    /// Mean seconds between SIGKILLs of a worker (0: never).
    #[arg(long, default_value_t = 4.0)]
    kill_every_secs: f64,
    /// The run fails if it has not converged by then (10,000 events take ~850 s on 2 cores).
    #[arg(long, default_value_t = 2_400)]
    max_secs: u64,
    /// Senders wait while the events queue holds more than this: moto's SQS scans every message on
    /// each call, so an unbounded backlog measures moto, not the receiver.
    #[arg(long, default_value_t = 200)]
    max_backlog: u64,
    #[arg(long, default_value = "target/soak")]
    out_dir: PathBuf,
}

const SECRET: &str = "whsec_soak_do_not_log";
/// The processor's invocation timeout (its claim lease); the queue hides a received message
/// for twice that, as the template does.
const WORKER_TIMEOUT_SECS: i64 = 4;
const VISIBILITY_SECS: i64 = 8;
const MAX_RECEIVE_COUNT: i64 = 5;
const SEND_ATTEMPTS: u32 = 30;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("soak: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Ingest(args) => {
            fanfare_shared::telemetry::init();
            report_child(runtime.block_on(run_ingest(args)))
        }
        Command::Worker(args) => {
            fanfare_shared::telemetry::init();
            report_child(runtime.block_on(run_worker(args)))
        }
        Command::Run(args) => match runtime.block_on(soak(args)) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("soak: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn report_child(result: Result<(), Box<dyn std::error::Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("soak child: {e}");
            ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error>;

struct Queues {
    events: String,
    dead_letter: String,
    quarantine: String,
}

async fn create_queues(sqs: &aws_sdk_sqs::Client) -> Result<Queues, Error> {
    let dead_letter = sqs
        .create_queue()
        .queue_name(format!("{}.fifo", unique("soak-dlq")))
        .attributes(A::FifoQueue, "true")
        .send()
        .await?
        .queue_url
        .unwrap_or_default();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dead_letter)
        .attribute_names(A::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|a| a.get(&A::QueueArn).cloned())
        .unwrap_or_default();
    let events = sqs
        .create_queue()
        .queue_name(format!("{}.fifo", unique("soak-events")))
        .attributes(A::FifoQueue, "true")
        .attributes(A::DeduplicationScope, "messageGroup")
        .attributes(A::FifoThroughputLimit, "perMessageGroupId")
        .attributes(A::VisibilityTimeout, VISIBILITY_SECS.to_string())
        .attributes(
            A::RedrivePolicy,
            format!(
                r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{MAX_RECEIVE_COUNT}"}}"#
            ),
        )
        .send()
        .await?
        .queue_url
        .unwrap_or_default();
    let quarantine = sqs
        .create_queue()
        .queue_name(unique("soak-quarantine"))
        .send()
        .await?
        .queue_url
        .unwrap_or_default();
    Ok(Queues {
        events,
        dead_letter,
        quarantine,
    })
}

/// A child process of this same binary, its output appended to a log file.
fn spawn_child(args: &[String], log: &Path) -> Result<tokio::process::Child, Error> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let err = out.try_clone()?;
    Ok(tokio::process::Command::new(std::env::current_exe()?)
        .args(args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .kill_on_drop(true)
        .spawn()?)
}

#[derive(Default)]
struct SenderStats {
    requests: AtomicU64,
    unavailable: AtomicU64,
    server_errors: AtomicU64,
    transport_errors: AtomicU64,
    gave_up: AtomicU64,
    /// The events queue's depth as last read; senders wait while it is above the cap.
    backlog: AtomicU64,
    /// Times a sender waited for the backlog to shrink.
    paced: AtomicU64,
}

/// Sends every delivery as Fanfare does: signed now, retried with backoff until a 2xx.
async fn send_all(
    deliveries: Vec<Delivery>,
    events: Arc<Vec<GeneratedEvent>>,
    url: String,
    senders: usize,
    first_sent_ms: Arc<Mutex<HashMap<usize, i64>>>,
    stats: Arc<SenderStats>,
    max_backlog: u64,
) {
    let work = Arc::new(Mutex::new(VecDeque::from(deliveries)));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let secret = match SigningSecret::new(SECRET) {
        Ok(s) => Arc::new(s),
        Err(_) => return,
    };
    let mut tasks = Vec::new();
    for _ in 0..senders.max(1) {
        let (work, events, url, client, secret, first_sent_ms, stats) = (
            work.clone(),
            events.clone(),
            url.clone(),
            client.clone(),
            secret.clone(),
            first_sent_ms.clone(),
            stats.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                if stats.backlog.load(Ordering::Relaxed) > max_backlog {
                    stats.paced.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                let next = work.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let Some(delivery) = next else { return };
                let event = &events[delivery.event];
                first_sent_ms
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(delivery.event)
                    .or_insert_with(|| chrono::Utc::now().timestamp_millis());
                let mut delivered = false;
                for attempt in 0..SEND_ATTEMPTS {
                    let now = chrono::Utc::now().timestamp();
                    let mut request = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header(fanfare_shared::contract::headers::EVENT_ID, &event.id)
                        .body(event.body.clone());
                    for (name, value) in sign(&secret, Scheme::A, now, event.body.as_bytes()) {
                        request = request.header(name, value);
                    }
                    stats.requests.fetch_add(1, Ordering::Relaxed);
                    match request.send().await {
                        Ok(answer) if answer.status().is_success() => {
                            delivered = true;
                            break;
                        }
                        Ok(answer) if answer.status().as_u16() == 503 => {
                            stats.unavailable.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(_) => {
                            stats.server_errors.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            stats.transport_errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    let backoff = 50u64 << attempt.min(5);
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                }
                if !delivered {
                    stats.gave_up.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<u64, Error> {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(A::ApproximateNumberOfMessagesDelayed)
        .send()
        .await?
        .attributes
        .unwrap_or_default();
    Ok(attrs.values().filter_map(|v| v.parse::<u64>().ok()).sum())
}

/// Waits until the events queue is empty (nothing visible, in flight or delayed).
async fn drained(sqs: &aws_sdk_sqs::Client, url: &str, until: Instant) -> Result<bool, Error> {
    let mut empty_polls = 0;
    while Instant::now() < until {
        if queue_depth(sqs, url).await? == 0 {
            empty_polls += 1;
            if empty_polls >= 3 {
                return Ok(true);
            }
        } else {
            empty_polls = 0;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(false)
}

struct Workers {
    children: Vec<tokio::process::Child>,
    args: Vec<String>,
    logs: PathBuf,
    killed_pids: HashSet<u32>,
    kills: u64,
}

impl Workers {
    fn spawn(&mut self, slot: usize) -> Result<(), Error> {
        let child = spawn_child(&self.args, &self.logs.join(format!("worker-{slot}.log")))?;
        if slot < self.children.len() {
            self.children[slot] = child;
        } else {
            self.children.push(child);
        }
        Ok(())
    }

    async fn kill(&mut self, slot: usize) -> Result<(), Error> {
        let child = &mut self.children[slot];
        if let Some(pid) = child.id() {
            self.killed_pids.insert(pid);
        }
        child.start_kill()?; // SIGKILL
        let _ = child.wait().await;
        self.kills += 1;
        self.spawn(slot)
    }
}

async fn soak(args: RunArgs) -> Result<bool, Error> {
    let started = Instant::now();
    let until = started + Duration::from_secs(args.max_secs);
    let moto = std::env::var("MOTO_ENDPOINT")
        .map_err(|_| "MOTO_ENDPOINT is not set: run `make soak`, which starts moto")?;
    std::fs::create_dir_all(&args.out_dir)?;
    for entry in std::fs::read_dir(&args.out_dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "log") {
            std::fs::remove_file(path)?;
        }
    }
    let direct = harness_sdk_config(&moto).await;
    let sqs = aws_sdk_sqs::Client::new(&direct);
    let ddb = aws_sdk_dynamodb::Client::new(&direct);
    let queues = create_queues(&sqs).await?;
    let (idempotency_table, state_table) = create_tables(&ddb).await;

    let share = args.fault_rate / 5.0;
    let rates = FaultRates {
        server_error: share,
        throttle: share,
        reset_before: share,
        reset_after: share,
        slow: share / 4.0,
    };
    let fault_counts = Arc::new(FaultCounts::default());
    let proxy = faults::start(&moto, rates, args.seed, fault_counts.clone()).await?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let ingest_args: Vec<String> = [
        "ingest",
        "--port",
        &port.to_string(),
        "--aws",
        &proxy,
        "--events-queue-url",
        &queues.events,
        "--quarantine-queue-url",
        &queues.quarantine,
        "--secret",
        SECRET,
        "--unavailable-rate",
        &args.unavailable_rate.to_string(),
        "--seed",
        &args.seed.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut ingest = spawn_child(&ingest_args, &args.out_dir.join("ingest.log"))?;
    let url = format!("http://127.0.0.1:{port}/webhooks/fanfare");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let handler_log = args.out_dir.join("handler-runs.txt");
    let _ = std::fs::remove_file(&handler_log);
    let mut workers = Workers {
        children: Vec::new(),
        args: [
            "worker",
            "--moto",
            &moto,
            "--aws",
            &proxy,
            "--events-queue-url",
            &queues.events,
            "--idempotency-table",
            &idempotency_table,
            "--state-table",
            &state_table,
            "--handler-log",
            &handler_log.to_string_lossy(),
            "--timeout-secs",
            &WORKER_TIMEOUT_SECS.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        logs: args.out_dir.clone(),
        killed_pids: HashSet::new(),
        kills: 0,
    };
    for slot in 0..args.workers.max(1) {
        workers.spawn(slot)?;
    }

    let generated = load(args.events, args.duplicate_rate, args.seed);
    let events = Arc::new(generated.events);
    let (main, late): (Vec<Delivery>, Vec<Delivery>) = generated
        .deliveries
        .into_iter()
        .partition(|d| d.phase == Phase::Main);
    let deliveries_total = main.len() + late.len();
    println!(
        "soak: {} events, {} delivered more than once, {} deliveries ({} late), {} senders, {} workers, seed {}",
        events.len(),
        generated.duplicated,
        deliveries_total,
        late.len(),
        args.senders,
        args.workers,
        args.seed
    );
    let first_sent_ms = Arc::new(Mutex::new(HashMap::new()));
    let stats = Arc::new(SenderStats::default());
    let backlog_monitor = {
        let (sqs, url, stats) = (sqs.clone(), queues.events.clone(), stats.clone());
        tokio::spawn(async move {
            loop {
                if let Ok(depth) = queue_depth(&sqs, &url).await {
                    stats.backlog.store(depth, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };

    // Main phase, with a worker killed now and then.
    let send = |deliveries| {
        send_all(
            deliveries,
            events.clone(),
            url.clone(),
            args.senders,
            first_sent_ms.clone(),
            stats.clone(),
            args.max_backlog,
        )
    };
    let sending = tokio::spawn(send(main));
    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x0b5e55ed);
    let send_started = Instant::now();
    while !sending.is_finished() && Instant::now() < until {
        if args.kill_every_secs > 0.0 {
            let pause = rng.random_range(0.2..1.8) * args.kill_every_secs;
            tokio::time::sleep(Duration::from_secs_f64(pause)).await;
            if !sending.is_finished() {
                let slot = rng.random_range(0..workers.children.len());
                workers.kill(slot).await?;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let _ = sending.await;
    let mut converged = drained(&sqs, &queues.events, until).await?;
    let main_seconds = send_started.elapsed().as_secs_f64();
    println!(
        "soak: main phase sent and drained in {main_seconds:.0} s; sending the late duplicates"
    );

    // Late duplicates of events that have long completed.
    send(late).await;
    converged &= drained(&sqs, &queues.events, until).await?;
    println!("soak: late phase drained; redriving the DLQ");

    // What the faults pushed to the DLQ goes back; the processor must absorb it.
    let dlq = SqsDeadLetterQueue::new(sqs.clone(), &queues.dead_letter, &queues.events);
    let park = SqsQuarantine::new(sqs.clone(), &queues.quarantine);
    let mut redriven = 0;
    for _ in 0..5 {
        if queue_depth(&sqs, &queues.dead_letter).await? == 0 {
            break;
        }
        let policy = RedrivePolicy {
            min_age_secs: 0,
            ..RedrivePolicy::default()
        };
        let report = redrive(&dlq, &park, policy, chrono::Utc::now().timestamp_millis()).await?;
        redriven += report.moved;
        converged &= drained(&sqs, &queues.events, until).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    backlog_monitor.abort();
    let _ = ingest.start_kill();
    for child in &mut workers.children {
        let _ = child.start_kill();
    }

    // The oracle.
    let mut failures: Vec<String> = Vec::new();
    if !converged {
        failures.push(format!("did not converge within {} s", args.max_secs));
    }
    let gave_up = stats.gave_up.load(Ordering::Relaxed);
    if gave_up > 0 {
        failures.push(format!("{gave_up} deliveries never got a 2xx"));
    }
    let statuses = record_statuses(&ddb, &idempotency_table).await?;
    let final_statuses = ["completed", "superseded", "ignored"];
    let mut status_counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut lost = Vec::new();
    for event in events.iter() {
        match statuses.get(&event.id) {
            Some(s) if final_statuses.contains(&s.as_str()) => {
                *status_counts.entry(s.clone()).or_default() += 1
            }
            Some(s) => lost.push(format!("{} is {s}", event.id)),
            None => lost.push(format!("{} has no record", event.id)),
        }
    }
    let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let extra_records = statuses
        .keys()
        .filter(|k| !ids.contains(k.as_str()))
        .count();
    if !lost.is_empty() {
        failures.push(format!(
            "{} events without a final record, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        ));
    }
    if extra_records > 0 {
        failures.push(format!(
            "{extra_records} records for ids that were never sent"
        ));
    }

    let (expected, reference_outcomes) = reference_state(&events).await;
    let actual = dynamo_state(&ddb, &state_table).await?;
    let diff = differences(&expected, &actual, 10);
    if !diff.is_empty() {
        failures.push(format!(
            "state differs from the reference:\n    {}",
            diff.join("\n    ")
        ));
    }

    // Handler runs: more than one only where a killed worker ran it.
    let mut runs: HashMap<String, Vec<(u32, i64)>> = HashMap::new();
    for line in std::fs::read_to_string(&handler_log)
        .unwrap_or_default()
        .lines()
    {
        let mut fields = line.split(' ');
        if let (Some(pid), Some(id), Some(ms)) = (fields.next(), fields.next(), fields.next()) {
            if let (Ok(pid), Ok(ms)) = (pid.parse(), ms.parse()) {
                runs.entry(id.to_string()).or_default().push((pid, ms));
            }
        }
    }
    let mut rerun_after_kill = Vec::new();
    let mut applied_twice = Vec::new();
    let mut never_ran = Vec::new();
    for event in events.iter() {
        let these = runs.get(&event.id).map(Vec::as_slice).unwrap_or_default();
        let by_killed = these
            .iter()
            .filter(|(pid, _)| workers.killed_pids.contains(pid))
            .count();
        // Every event that is not ignored runs its handler, superseded or not.
        let handled = statuses
            .get(&event.id)
            .is_some_and(|s| s == "completed" || s == "superseded");
        if these.len() > 1 {
            if by_killed >= these.len() - 1 {
                rerun_after_kill.push(event.id.clone());
            } else {
                applied_twice.push(event.id.clone());
            }
        }
        if event.known && these.is_empty() {
            never_ran.push(event.id.clone());
        }
        if !handled && these.len() > by_killed {
            applied_twice.push(format!("{} ran but is not completed", event.id));
        }
    }
    if !applied_twice.is_empty() {
        failures.push(format!(
            "{} events ran the handler twice without a kill to explain it, e.g. {:?}",
            applied_twice.len(),
            &applied_twice[..applied_twice.len().min(5)]
        ));
    }
    if !never_ran.is_empty() {
        failures.push(format!(
            "{} events never ran the handler, e.g. {:?}",
            never_ran.len(),
            &never_ran[..never_ran.len().min(5)]
        ));
    }

    let in_flight = queue_depth(&sqs, &queues.events).await?;
    let dead_lettered = queue_depth(&sqs, &queues.dead_letter).await?;
    let quarantined = queue_depth(&sqs, &queues.quarantine).await?;
    if in_flight > 0 {
        failures.push(format!("{in_flight} messages still on the events queue"));
    }
    if dead_lettered > 0 {
        failures.push(format!(
            "{dead_lettered} messages left on the DLQ after redrive"
        ));
    }
    if quarantined > 0 {
        failures.push(format!(
            "{quarantined} deliveries quarantined (none should be)"
        ));
    }

    // No secret or token in any log line.
    let mut leaking = Vec::new();
    for entry in std::fs::read_dir(&args.out_dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "log") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let lines = text
                .lines()
                .filter(|l| l.contains(SECRET) || l.contains("_tok_"))
                .count();
            if lines > 0 {
                leaking.push(format!("{}: {lines} lines", path.display()));
            }
        }
    }
    if !leaking.is_empty() {
        failures.push(format!("secrets or tokens in logs: {leaking:?}"));
    }

    // Figures.
    let sent = first_sent_ms
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let mut latencies: Vec<i64> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let first_run = runs.get(&e.id)?.iter().map(|(_, ms)| *ms).min()?;
            Some(first_run - sent.get(&i)?)
        })
        .collect();
    latencies.sort_unstable();
    let reference_superseded = reference_outcomes
        .iter()
        .filter(|o| **o == Outcome::Superseded)
        .count();
    let handler_runs: usize = runs.values().map(Vec::len).sum();
    println!(
        "soak: main phase {:.1} s, {:.0} events/s through ingest → SQS → processor → DynamoDB",
        main_seconds,
        events.len() as f64 / main_seconds
    );
    println!(
        "soak: end-to-end (first send → handler run) p50 {} ms, p99 {} ms, over {} handler events",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.len()
    );
    println!(
        "soak: webhook requests {}, answered 503 {}, other non-2xx {}, transport errors {}, never delivered {}",
        stats.requests.load(Ordering::Relaxed),
        stats.unavailable.load(Ordering::Relaxed),
        stats.server_errors.load(Ordering::Relaxed),
        stats.transport_errors.load(Ordering::Relaxed),
        gave_up
    );
    println!(
        "soak: senders paced {} times (the events queue held more than {} messages)",
        stats.paced.load(Ordering::Relaxed),
        args.max_backlog
    );
    println!(
        "soak: AWS calls through the proxy: {}",
        fault_counts.summary()
    );
    println!(
        "soak: workers SIGKILLed {}; DLQ messages redriven {redriven}",
        workers.kills
    );
    println!(
        "soak: final records {status_counts:?} (the in-order reference: {reference_superseded} superseded); lost {}; \
         handler runs {handler_runs} for {} events, never ran {}; handler re-runs explained by a kill {}; applied twice {}",
        lost.len(),
        runs.len(),
        never_ran.len(),
        rerun_after_kill.len(),
        applied_twice.len()
    );
    println!(
        "soak: state items {} (reference {}), {}; in flight {in_flight}, DLQ {dead_lettered}, quarantine {quarantined}; \
         log lines with a secret or token: {}",
        actual.len(),
        expected.len(),
        if diff.is_empty() { "equal" } else { "DIFFERENT" },
        leaking.len()
    );
    if !rerun_after_kill.is_empty() {
        println!(
            "soak: handler ran twice because a worker was killed between its handler and its finish: {}",
            rerun_after_kill.join(", ")
        );
    }
    println!("soak: took {:.0} s", started.elapsed().as_secs_f64());
    if failures.is_empty() {
        println!("soak: PASSED");
        Ok(true)
    } else {
        for f in &failures {
            println!("soak: FAILED: {f}");
        }
        Ok(false)
    }
}
