//! The soak's stack: fresh queues and tables on moto, the fault proxy, the ingest endpoint and the
//! processor workers (children of this binary).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use fanfare_integration_tests::soak::children::harness_sdk_config;
use fanfare_integration_tests::soak::faults::{self, FaultCounts, FaultRates};
use fanfare_integration_tests::template_resources;

use crate::{Error, RunArgs, MAX_RECEIVE_COUNT, SECRET, VISIBILITY_SECS, WORKER_TIMEOUT_SECS};

pub(crate) struct Queues {
    pub(crate) events: String,
    pub(crate) dead_letter: String,
    pub(crate) quarantine: String,
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

pub(crate) struct Workers {
    pub(crate) children: Vec<tokio::process::Child>,
    args: Vec<String>,
    logs: PathBuf,
    pub(crate) killed_pids: HashSet<u32>,
    pub(crate) kills: u64,
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

    pub(crate) async fn kill(&mut self, slot: usize) -> Result<(), Error> {
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

/// Everything the later phases use.
pub(crate) struct Stack {
    pub(crate) sqs: aws_sdk_sqs::Client,
    pub(crate) ddb: aws_sdk_dynamodb::Client,
    pub(crate) queues: Queues,
    pub(crate) idempotency_table: String,
    pub(crate) state_table: String,
    pub(crate) fault_counts: Arc<FaultCounts>,
    pub(crate) url: String,
    pub(crate) handler_log: PathBuf,
    pub(crate) workers: Workers,
    ingest: tokio::process::Child,
}

impl Stack {
    /// Ends the children (their logs stay for the oracle).
    pub(crate) fn stop(&mut self) {
        let _ = self.ingest.start_kill();
        for child in &mut self.workers.children {
            let _ = child.start_kill();
        }
    }
}

pub(crate) async fn set_up(args: &RunArgs, moto: &str) -> Result<Stack, Error> {
    std::fs::create_dir_all(&args.out_dir)?;
    for entry in std::fs::read_dir(&args.out_dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "log") {
            std::fs::remove_file(path)?;
        }
    }
    let direct = harness_sdk_config(moto).await;
    let sqs = aws_sdk_sqs::Client::new(&direct);
    let ddb = aws_sdk_dynamodb::Client::new(&direct);
    // A short visibility: a killed worker's batch comes back within the run.
    let made = template_resources(&[
        (
            "EventsQueue",
            "VisibilityTimeout",
            &VISIBILITY_SECS.to_string(),
        ),
        (
            "EventsQueue",
            "maxReceiveCount",
            &MAX_RECEIVE_COUNT.to_string(),
        ),
    ]);
    let queues = Queues {
        events: made.events_queue,
        dead_letter: made.dead_letter_queue,
        quarantine: made.quarantine_queue,
    };
    let (idempotency_table, state_table) = (made.idempotency_table, made.state_table);
    let share = args.fault_rate / 5.0;
    let rates = FaultRates {
        server_error: share,
        throttle: share,
        reset_before: share,
        reset_after: share,
        slow: share / 4.0,
    };
    let fault_counts = Arc::new(FaultCounts::default());
    let proxy = faults::start(moto, rates, args.seed, fault_counts.clone()).await?;
    let (ingest, url) = start_ingest(args, &proxy, &queues).await?;
    let handler_log = args.out_dir.join("handler-runs.txt");
    let _ = std::fs::remove_file(&handler_log);
    let workers = start_workers(
        args,
        moto,
        &proxy,
        &queues,
        (&idempotency_table, &state_table),
        &handler_log,
    )?;
    Ok(Stack {
        sqs,
        ddb,
        queues,
        idempotency_table,
        state_table,
        fault_counts,
        url,
        handler_log,
        workers,
        ingest,
    })
}

/// The ingest endpoint behind a real HTTP listener, once it accepts connections.
async fn start_ingest(
    args: &RunArgs,
    proxy: &str,
    queues: &Queues,
) -> Result<(tokio::process::Child, String), Error> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let ingest_args: Vec<String> = [
        "ingest",
        "--port",
        &port.to_string(),
        "--aws",
        proxy,
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
    let ingest = spawn_child(&ingest_args, &args.out_dir.join("ingest.log"))?;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((ingest, format!("http://127.0.0.1:{port}/webhooks/fanfare")))
}

/// The processor workers, each a child that polls the events queue through the fault proxy.
fn start_workers(
    args: &RunArgs,
    moto: &str,
    proxy: &str,
    queues: &Queues,
    (idempotency_table, state_table): (&str, &str),
    handler_log: &Path,
) -> Result<Workers, Error> {
    let worker_args = [
        "worker",
        "--moto",
        moto,
        "--aws",
        proxy,
        "--events-queue-url",
        &queues.events,
        "--idempotency-table",
        idempotency_table,
        "--state-table",
        state_table,
        "--handler-log",
        &handler_log.to_string_lossy(),
        "--timeout-secs",
        &WORKER_TIMEOUT_SECS.to_string(),
    ];
    let mut workers = Workers {
        children: Vec::new(),
        args: worker_args.iter().map(|s| s.to_string()).collect(),
        logs: args.out_dir.clone(),
        killed_pids: HashSet::new(),
        kills: 0,
    };
    for slot in 0..args.workers.max(1) {
        workers.spawn(slot)?;
    }
    Ok(workers)
}
