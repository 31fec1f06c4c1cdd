//! `trigger` against `make dev`'s stack.

use super::{finished_records, DevStack};

/// `trigger` for each of the kinds, and a queue journey: each event accepted, processed (its handler
/// ran: the record is finished) and, for the journey, the consumer's admission completed.
pub(super) fn every_triggered_kind_and_journey_reaches_the_handler(stack: &DevStack) {
    let trigger = |args: &[&str]| {
        let out = stack
            .cli()
            .arg("trigger")
            .args(args)
            .args(["--to", &stack.webhook_url, "--secret", &stack.secret])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{args:?}: {text}");
        text
    };
    // `200 <kind> <event id> <answer>` per event.
    let ids = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
            .collect()
    };
    let mut sent = Vec::new();
    for kind in fanfare_shared::EventKind::ALL {
        sent.extend(ids(&trigger(&[kind.as_str()])));
    }
    let journey = trigger(&[
        "--journey",
        "queue",
        "--set",
        "experienceId=exp_trigger",
        "--set",
        "consumerId=con_trigger",
    ]);
    let journey_ids = ids(&journey);
    assert_eq!(journey_ids.len(), 5, "{journey}");
    sent.extend(journey_ids);
    assert_eq!(sent.len(), fanfare_shared::EventKind::ALL.len() + 5);
    for record in finished_records(stack, &sent) {
        let record = record.expect("every triggered event has a record");
        assert_eq!(record["attempts"], 1, "{record}");
    }
    let state = stack.admission_state("exp_trigger", "con_trigger");
    assert_eq!(state["items"]["STATE"]["status"], "completed", "{state}");
}
