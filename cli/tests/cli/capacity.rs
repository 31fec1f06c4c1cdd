//! `doctor --drop NEEDS` against the template's tables on moto: the warm throughput each table and
//! the failed index were created with, against a drop's needs. (The stack's parameters come from
//! CloudFormation, which `make dev`'s stack on moto does not have; and moto does not answer
//! Lambda's GetAccountSettings, so the account quota is a printed note, not a check.)
//!
//! Needs MOTO_ENDPOINT (set by `make test`).

use std::process::Command;

const CLI: &str = env!("CARGO_BIN_EXE_fanfare-webhooks");

fn doctor(needs: &str, tables: &fanfare_integration_tests::TemplateResources) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("needs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("needs.json");
    std::fs::write(&path, needs).unwrap();
    let endpoint = std::env::var("MOTO_ENDPOINT").expect("make test sets MOTO_ENDPOINT");
    let out = Command::new(CLI)
        .args(["--endpoint-url", &endpoint])
        .args(["--idempotency-table", &tables.idempotency_table])
        .args(["--state-table", &tables.state_table])
        .args(["doctor", "--drop"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn doctor_says_which_warm_throughput_to_raise_for_a_drop() {
    // A stack deployed with the idempotency table at 8,000 write units a second.
    let tables = fanfare_integration_tests::template_resources(&[(
        "IdempotencyTable",
        "WarmThroughput",
        "8000",
    )]);
    let needs = r#"{"IdempotencyTableWarmWriteUnits": 10000, "StateTableWarmWriteUnits": 6000,
        "FailedIndexWarmWriteUnits": 4000, "ProcessorMaximumConcurrency": 40,
        "IngestReservedConcurrency": 124}"#;
    let (code, text) = doctor(needs, &tables);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("FAIL  idempotency table warm throughput: raise IdempotencyTableWarmWriteUnits to 10000 (now 8000)"),
        "{text}"
    );
    assert!(
        text.contains("ok    state table warm throughput: 6000 (the drop needs 6000)"),
        "{text}"
    );
    assert!(
        text.contains("ok    failed index warm throughput: 4000"),
        "{text}"
    );
    assert!(
        text.contains("ConcurrentExecutions of at least 264"),
        "{text}"
    );

    let smaller = needs.replace("10000", "8000");
    let (code, text) = doctor(&smaller, &tables);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn doctor_refuses_a_file_that_is_not_a_needs_file() {
    let tables = fanfare_integration_tests::template_resources(&[]);
    let (code, _) = doctor("[1, 2]", &tables);
    assert_eq!(code, 2, "a usage error");
}
