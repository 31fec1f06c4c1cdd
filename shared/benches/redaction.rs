//! Redaction of bodies built to be slow: a 256 KiB body carrying a 200 KiB JSON-encoded string
//! (every quote in it escaped), whole and cut short. Redaction runs on every delivery (archive,
//! quarantine, kept copies), so it must stay linear. Target: each under 100 ms. Prints its figures
//! (`make bench`); not a timed test.

use std::hint::black_box;
use std::time::{Duration, Instant};

use fanfare_shared::privacy::Retention;

/// A JSON-encoded object of `bytes` as a string value: `"{\"k0\":\"v\",\"k1\":\"v\",...}"`.
fn encoded_string(bytes: usize) -> String {
    let mut inner = String::from("{");
    let mut i = 0;
    while inner.len() < bytes {
        inner.push_str(&format!("\"k{i}\":\"v\","));
        i += 1;
    }
    inner.push_str("\"end\":1}");
    serde_json::Value::String(inner).to_string()
}

fn body(secret_inside: bool) -> String {
    let note = encoded_string(200 * 1024 / 2);
    let inner = if secret_inside {
        r#""lastError":"upstream said {\"accessToken\":\"tok_INNER\"}","#
    } else {
        ""
    };
    let mut body = format!(
        r#"{{"id":"evt_slow","type":"order.paid","created":1767225600,"data":{{{inner}"note":{note},"pad":""#
    );
    while body.len() < 256 * 1024 - 3 {
        body.push('x');
    }
    body.push_str("\"}}");
    body
}

fn time(name: &str, input: &[u8]) -> Duration {
    let retention = Retention::default();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        black_box(retention.redact_body(black_box(input)));
        best = best.min(started.elapsed());
    }
    println!(
        "redaction/{name}: {} KiB in {:.1} ms (target < 100 ms)",
        input.len() / 1024,
        best.as_secs_f64() * 1000.0
    );
    best
}

fn main() {
    // `cargo bench` passes `--bench`; a test run (`cargo test --benches`) passes nothing to measure.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let whole = body(false);
    let cut = &whole[..whole.len() - 40 * 1024];
    let with_secret = body(true);
    time("json_nothing_to_redact", whole.as_bytes());
    time("cut_short", cut.as_bytes());
    time("secret_inside_a_string", with_secret.as_bytes());
    let stored = Retention::default().redact_body(with_secret.as_bytes());
    println!(
        "redaction/secret_inside_a_string: token kept: {}",
        stored.contains("tok_INNER")
    );
}
