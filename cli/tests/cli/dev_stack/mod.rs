//! The local stack started the way `make dev` starts it (scripts/dev.sh: moto, resources from
//! template.yaml, `cargo lambda watch`, the local event-source mapping), exercised from outside.
//!
//! Needs the project's .venv (moto, cargo-lambda): run through `make test` or `make invoke-local`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod trigger;

const CLI: &str = env!("CARGO_BIN_EXE_fanfare-webhooks");
/// The fixtures' signing time plus ten seconds.
const FIXTURE_NOW: &str = "1767225610";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct DevStack {
    child: Child,
    moto_port: u16,
    lambda_port: u16,
    webhook_url: String,
    secret: String,
    _state: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl DevStack {
    fn start(secret: &str, extra_env: &str, mapping: bool) -> DevStack {
        let (moto_port, lambda_port) = (free_port(), free_port());
        let state =
            std::env::temp_dir().join(format!("fanfare-dev-{}-{lambda_port}", std::process::id()));
        let mut command = Command::new("setsid");
        command
            .arg(root().join("scripts/dev.sh"))
            .env("MOTO_PORT", moto_port.to_string())
            .env("LAMBDA_PORT", lambda_port.to_string())
            .env("FANFARE_DEV_SECRET", secret)
            .env("DEV_STATE_DIR", &state)
            .env("DEV_EXTRA_ENV", extra_env)
            .env("DEV_WATCH_FLAGS", "--ignore-changes")
            .env("REDRIVE_EVERY_SECONDS", "3600")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if !mapping {
            command.env("DEV_NO_MAPPING", "1");
        }
        let mut child = command.spawn().expect("start scripts/dev.sh");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("[dev] {line}");
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(600);
        let webhook_url = loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("scripts/dev.sh printed its Webhook URL");
            if let Some(url) = line.strip_prefix("Webhook URL: ") {
                break url.to_string();
            }
        };
        DevStack {
            child,
            moto_port,
            lambda_port,
            webhook_url,
            secret: secret.to_string(),
            _state: TempDir(state),
        }
    }

    fn cli(&self) -> Command {
        let mut c = Command::new(CLI);
        c.env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", self.moto_port),
        )
        .env_remove("AWS_PROFILE")
        .env_remove("EVENTS_QUEUE_URL")
        .env_remove("DEAD_LETTER_QUEUE_URL")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1");
        c
    }

    /// `state admission` of one consumer, as JSON.
    fn admission_state(&self, experience: &str, consumer: &str) -> serde_json::Value {
        let out = self
            .cli()
            .args([
                "state",
                "admission",
                "--experience",
                experience,
                "--consumer",
                consumer,
            ])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn invoke(&self, function: &str, fixture: &Path) -> serde_json::Value {
        let out = Command::new("cargo")
            .current_dir(root())
            .args([
                "lambda",
                "invoke",
                "-A",
                "127.0.0.1",
                "-P",
                &self.lambda_port.to_string(),
                "-F",
            ])
            .arg(fixture)
            .arg(function)
            .output()
            .expect("cargo lambda invoke");
        let text = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(text.trim()).unwrap_or_else(|_| {
            panic!(
                "{}: {text} {}",
                fixture.display(),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

impl Drop for DevStack {
    fn drop(&mut self) {
        // setsid made dev.sh a process-group leader: end the whole group.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("events").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_fixture_runs_through_cargo_lambda_invoke_with_its_documented_answer() {
    let stack = DevStack::start(
        "whsec_test",
        &format!("FANFARE_DEBUG_FIXED_NOW={FIXTURE_NOW}"),
        false,
    );
    let mut wrong = Vec::new();
    for fixture in fixtures("http") {
        let name = fixture.file_stem().unwrap().to_string_lossy().into_owned();
        let expected: u64 = name.rsplit('_').next().unwrap().parse().unwrap();
        let answer = stack.invoke("ingest", &fixture);
        if answer["statusCode"].as_u64() != Some(expected) {
            wrong.push(format!("{name}: {answer}"));
        }
    }
    for fixture in fixtures("sqs") {
        let answer = stack.invoke("processor", &fixture);
        match answer["batchItemFailures"].as_array() {
            Some(failures) if failures.is_empty() => {}
            _ => wrong.push(format!("{}: {answer}", fixture.display())),
        }
    }
    assert!(
        wrong.is_empty(),
        "fixtures with the wrong answer:\n{}",
        wrong.join("\n")
    );
}

fn lifecycle(dir: &Path, consumer: &str) -> Vec<String> {
    let now = chrono::Utc::now().timestamp();
    let steps = [
        ("entered", "queue.consumer_entered", r#","position":50"#),
        ("position", "queue.position_updated", r#","position":4"#),
        (
            "admitted",
            "queue.consumer.admitted",
            r#","waitTimeSeconds":40,"expiresAt":"2026-12-01T00:15:00Z""#,
        ),
        (
            "completed",
            "queue.admission_completed",
            r#","orderId":"ord_e2e""#,
        ),
    ];
    let mut ids = Vec::new();
    for (i, (step, ty, extra)) in steps.iter().enumerate() {
        let id = format!("evt_e2e_{consumer}_{step}");
        let body = format!(
            r#"{{"id":"{id}","type":"{ty}","created":{},"organizationId":"org_e2e","data":{{"experienceId":"exp_e2e","consumerId":"{consumer}"{extra}}}}}"#,
            now - 100 + i as i64 * 10
        );
        std::fs::write(dir.join(format!("{consumer}_{step}.json")), body).unwrap();
        ids.push(id);
    }
    ids
}

#[test]
fn shuffled_lifecycles_with_duplicates_converge_and_each_event_is_processed_once() {
    // The doctor check below swaps the stored secret and expects ingest to keep the one it read.
    let stack = DevStack::start("whsec_dev", "SECRET_MAX_AGE_SECONDS=86400", true);
    let dir = std::env::temp_dir().join(format!("fanfare-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let consumers = ["con_a", "con_b", "con_c"];
    let ids: Vec<String> = consumers.iter().flat_map(|c| lifecycle(&dir, c)).collect();

    let sent = stack
        .cli()
        .args([
            "send",
            "--url",
            &stack.webhook_url,
            "--secret",
            &stack.secret,
            "--shuffle",
            "--repeat",
            "2",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&sent.stdout)
            .lines()
            .filter(|l| l.starts_with("200 "))
            .count(),
        24
    );

    let records = finished_records(&stack, &ids);
    for record in records.iter().flatten() {
        assert_eq!(
            record["attempts"], 1,
            "each event is claimed and processed once: {record}"
        );
    }
    for consumer in consumers {
        let state = stack.admission_state("exp_e2e", consumer);
        let item = &state["items"]["STATE"];
        assert_eq!(item["status"], "completed", "{consumer}: {state}");
        assert_eq!(item["position"], 4, "{consumer}: {state}");
        assert_eq!(item["waitTimeSeconds"], 40, "{consumer}: {state}");
        assert_eq!(item["orderId"], "ord_e2e", "{consumer}: {state}");
    }
    std::fs::remove_dir_all(&dir).ok();
    trigger::every_triggered_kind_and_journey_reaches_the_handler(&stack);
    doctor_passes_then_fails_on_a_placeholder_secret(&stack);
}

/// Every event's record, once all of them are finished (completed or superseded).
fn finished_records(stack: &DevStack, ids: &[String]) -> Vec<Option<serde_json::Value>> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let records: Vec<Option<serde_json::Value>> = ids
            .iter()
            .map(|id| {
                let out = stack.cli().args(["status", id]).output().unwrap();
                serde_json::from_slice(&out.stdout).ok()
            })
            .collect();
        let done = records.iter().all(|r| {
            r.as_ref()
                .and_then(|r| r["status"].as_str())
                .is_some_and(|s| s == "completed" || s == "superseded")
        });
        if done {
            return records;
        }
        assert!(Instant::now() < deadline, "queue not drained: {records:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `doctor` on this stack passes; once the stored secret is a placeholder (the
/// stack's generated value, not a whsec_ one) it fails on the secret and on the probe, which ingest
/// (still verifying with the real secret) refuses.
fn doctor_passes_then_fails_on_a_placeholder_secret(stack: &DevStack) {
    let doctor = || {
        stack
            .cli()
            .args([
                "doctor",
                "--url",
                &stack.webhook_url,
                "--probe-timeout-secs",
                "60",
            ])
            .output()
            .unwrap()
    };
    let healthy = doctor();
    let report = String::from_utf8_lossy(&healthy.stdout).to_string();
    assert!(healthy.status.success(), "{report}");
    for line in [
        "ok    signing secret",
        "ok    probe",
        "ok    events queue",
        "ok    dead-letter queue",
    ] {
        assert!(report.contains(line), "{line} missing from:\n{report}");
    }
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let config = fanfare_shared::adapters::sdk_defaults()
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "moto",
            ))
            .endpoint_url(format!("http://127.0.0.1:{}", stack.moto_port))
            .load()
            .await;
        aws_sdk_secretsmanager::Client::new(&config)
            .put_secret_value()
            .secret_id("fanfare-webhooks-signing-secret")
            .secret_string("Xq7PlaceholderFromTheStack9Kz")
            .send()
            .await
            .unwrap();
    });
    let broken = doctor();
    let report = String::from_utf8_lossy(&broken.stdout).to_string();
    assert_eq!(broken.status.code(), Some(1), "{report}");
    assert!(
        report.contains("FAIL  signing secret: still the stack's placeholder"),
        "{report}"
    );
    assert!(report.contains("FAIL  probe"), "{report}");
}
