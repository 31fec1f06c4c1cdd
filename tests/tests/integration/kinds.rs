//! A new kind is one row: the contract's table in docs/contract.md, the fixtures
//! under events/ and the soak's generator must each know every kind of `EventKind::ALL`.

use std::collections::BTreeSet;

use fanfare_integration_tests::soak::generate::load;
use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::EventKind;

fn all() -> BTreeSet<EventKind> {
    EventKind::ALL.iter().copied().collect()
}

#[test]
fn docs_contract_lists_every_kind_with_its_family_and_spellings() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/contract.md"))
        .unwrap();
    let mut listed = BTreeSet::new();
    for line in docs.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Some(kind) = EventKind::from_canonical(cells[0].trim_matches('`')) else {
            continue;
        };
        assert_eq!(cells[1], kind.family().as_str(), "{line}");
        let spellings: Vec<&str> = cells[2]
            .split(',')
            .map(|s| s.trim().trim_matches('`'))
            .collect();
        assert_eq!(spellings, kind.aliases(), "{line}");
        listed.insert(kind);
    }
    assert_eq!(
        listed,
        all(),
        "docs/contract.md's kinds table and EventKind::ALL differ"
    );
}

#[test]
fn the_fixtures_send_every_kind() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/http");
    let mut sent = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let Some(body) = fixture["body"].as_str() else {
            continue;
        };
        if let Ok(event) = parse_event(body.as_bytes()) {
            sent.insert(event.kind);
        }
    }
    sent.remove(&EventKind::Unknown);
    assert_eq!(sent, all(), "events/http lacks a fixture of some kind");
}

#[test]
fn the_soak_generator_sends_every_kind() {
    let mut sent = BTreeSet::new();
    for event in load(2_000, 0.0, 1).events {
        sent.insert(parse_event(event.body.as_bytes()).unwrap().kind);
    }
    sent.remove(&EventKind::Unknown);
    let missing: Vec<_> = all().difference(&sent).copied().collect();
    assert!(missing.is_empty(), "the soak never sends {missing:?}");
}
