//! The CLI's `sign` and `verify` contract: output lines, JSON and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_fanfare-webhooks");
const T: &str = "1767225600";

fn body_file(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fanfare-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn sign(scheme: &str, file: &Path) -> Vec<String> {
    let out = run(&[
        "sign",
        "--secret",
        "whsec_test",
        "--scheme",
        scheme,
        "--timestamp",
        T,
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn verify(headers: &[String], extra: &[&str], file: &Path) -> Output {
    let mut args = vec![
        "verify".to_string(),
        "--secret".into(),
        "whsec_old".into(),
        "--secret".into(),
        "whsec_test".into(),
    ];
    for h in headers {
        args.push("--header".into());
        args.push(h.clone());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(file.to_str().unwrap().to_string());
    Command::new(BIN).args(&args).output().unwrap()
}

const BODY: &str = r#"{"id":"evt_1","type":"draw.entry_created","created":"2026-01-01T00:00:00Z","data":{"drawId":"drw_1","consumerId":"c"}}"#;

#[test]
fn sign_prints_one_header_line_per_header() {
    let file = body_file("a.json", r#"{"type":"test","data":{}}"#);
    // Fixed vector computed with Python's hmac module.
    assert_eq!(
        sign("a", &file),
        vec!["X-Fanfare-Signature: t=1767225600,v1=fca1144be289c5eb367ccd447a86cb46b504e2399e7033bd123bacae3a294539"]
    );
    let b = sign("b", &file);
    assert_eq!(b.len(), 2);
    assert!(b[0].starts_with("X-Fanfare-Signature: sha256="));
    assert_eq!(b[1], "X-Fanfare-Timestamp: 1767225600");
}

#[test]
fn verify_prints_the_normalised_event_for_both_schemes() {
    let file = body_file("v.json", BODY);
    for scheme in ["a", "b"] {
        let out = verify(&sign(scheme, &file), &["--now", "1767225700"], &file);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["id"], "evt_1");
        assert_eq!(json["type"], "draw.entry_created");
        assert_eq!(json["kind"], "draw.entered");
        assert_eq!(json["occurredAt"], "2026-01-01T00:00:00.000Z");
        // A draw's entrant is queued in a group of its own.
        assert_eq!(json["orderingKey"], "draw/drw_1/c");
    }
}

#[test]
fn header_names_are_case_insensitive() {
    let file = body_file("c.json", BODY);
    let lower: Vec<String> = sign("b", &file).iter().map(|h| h.to_lowercase()).collect();
    assert_eq!(verify(&lower, &["--now", T], &file).status.code(), Some(0));
}

#[test]
fn rejected_signatures_exit_1_with_a_reason() {
    let file = body_file("r.json", BODY);
    let headers = sign("a", &file);
    let late = verify(&headers, &["--now", "1767230000"], &file);
    assert_eq!(late.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&late.stderr).contains("timestamp_too_old"));
    let wide = verify(
        &headers,
        &["--now", "1767230000", "--tolerance", "5000"],
        &file,
    );
    assert_eq!(wide.status.code(), Some(0));
    let none = verify(&[], &["--now", T], &file);
    assert_eq!(none.status.code(), Some(1));
    let tampered = body_file("t.json", &BODY.replace("drw_1", "drw_2"));
    assert_eq!(
        verify(&headers, &["--now", T], &tampered).status.code(),
        Some(1)
    );
}

#[test]
fn scheme_c_needs_allow_untimestamped() {
    let file = body_file("u.json", BODY);
    let b = sign("b", &file);
    // Body-only MAC, computed by signing with scheme b and no timestamp is not possible, so take
    // the scheme-b header without its timestamp: that is scheme C and must be refused.
    let only_signature = vec![b[0].clone()];
    let out = verify(&only_signature, &["--now", T], &file);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing_timestamp"));
    // With it allowed, the (timestamped) MAC does not match a body-only MAC.
    let out = verify(
        &only_signature,
        &["--now", T, "--allow-untimestamped"],
        &file,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("signature_mismatch"));
}

#[test]
fn valid_signature_over_an_invalid_envelope_exits_3() {
    let file = body_file("e.json", r#"{"id":"evt_1","type":"order.paid"}"#);
    let out = verify(&sign("a", &file), &["--now", T], &file);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn verify_names_the_event_by_its_signed_body_not_the_header() {
    let file = body_file("h.json", BODY);
    let mut headers = sign("a", &file);
    headers.push("X-Fanfare-Event-Id: evt_forged".into());
    let out = verify(&headers, &["--now", T], &file);
    assert_eq!(out.status.code(), Some(0));
    let event: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(event["id"], "evt_forged");
}

#[test]
fn usage_errors_exit_2() {
    let file = body_file("x.json", BODY);
    assert_eq!(
        run(&["verify", file.to_str().unwrap()]).status.code(),
        Some(2)
    );
    assert_eq!(
        verify(&["no colon".into()], &[], &file).status.code(),
        Some(2)
    );
    let padded = run(&["verify", "--secret", "whsec_test\n", file.to_str().unwrap()]);
    assert_eq!(padded.status.code(), Some(2));
    assert_eq!(
        run(&["sign", "--secret", "s", "/nonexistent/file"])
            .status
            .code(),
        Some(2)
    );
}

/// `verify` refuses what ingest refuses with 413, before any signature check.
#[test]
fn verify_applies_ingest_body_limit() {
    let big = format!(
        r#"{{"id":"evt_big","type":"order.paid","created":1767225600,"data":{{"pad":"{}"}}}}"#,
        "x".repeat(300 * 1024)
    );
    let file = body_file("big.json", &big);
    let headers = sign("a", &file);
    let out = verify(&headers, &["--now", T], &file);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("payload_too_large"));
    let raised = verify(&headers, &["--now", T, "--max-body-bytes", "400000"], &file);
    assert!(
        raised.status.success(),
        "{}",
        String::from_utf8_lossy(&raised.stderr)
    );
}
