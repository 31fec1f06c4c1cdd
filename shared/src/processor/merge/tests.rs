//! A merged write must leave the item exactly as the writes applied one by one would, and report
//! what each of them would have found.

use proptest::prelude::*;

use super::*;
use crate::adapters::memory::MemoryStateStore;
use crate::ports::state::{Attr, MergedApplied, StateStore};

const MOVING: [&str; 3] = ["status", "position", "email"];
const FACTS: [&str; 2] = ["enteredAt", "experienceId"];

/// A write's shape: gate (time, rank), moving fields, an email removal, facts.
type Shape = (Option<(i64, u8)>, Vec<(usize, u8)>, bool, Vec<(usize, u8)>);

/// A write as a plan makes one: versioned (or not), moving fields, removals, facts.
fn write_strategy() -> impl Strategy<Value = Shape> {
    (
        prop::option::weighted(0.85, (0i64..6, 0u8..3)),
        prop::collection::vec((0usize..2, 0u8..4), 0..3),
        any::<bool>(),
        prop::collection::vec((0usize..2, 0u8..4), 0..2),
    )
}

fn build(n: usize, (gate, moving, remove_email, facts): Shape) -> (ItemWrite, String) {
    let id = format!("evt_{n}");
    let gate = match gate {
        Some((t, rank)) => Gate::Versioned(Version::of(t, rank, &id)),
        None => Gate::Unversioned,
    };
    let versioned = matches!(gate, Gate::Versioned(_));
    let mut w = ItemWrite::new("pk", "STATE", gate);
    if versioned {
        for (field, value) in moving {
            if !w.moving.iter().any(|(name, _)| *name == MOVING[field]) {
                w = w.moving(MOVING[field], Attr::s(format!("{id}-{value}")));
            }
        }
        if remove_email {
            w.remove.push(MOVING[2]);
        }
    }
    for (field, value) in facts {
        w = w.fact(FACTS[field], Attr::s(format!("{id}-{value}")));
    }
    (w, id)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

proptest! {
    #[test]
    fn a_merged_write_equals_its_writes_one_by_one(
        before in prop::collection::vec(write_strategy(), 0..4),
        run in prop::collection::vec(write_strategy(), 1..8),
    ) {
        let before: Vec<_> = before.into_iter().enumerate().map(|(n, w)| build(100 + n, w)).collect();
        let run: Vec<_> = run.into_iter().enumerate().map(|(n, w)| build(n, w)).collect();
        let writes: Vec<RunWrite<'_>> = run.iter().map(|(w, id)| (w, id.as_str())).collect();
        let Some(merged) = merge(&writes) else { return Ok(()) };
        let rt = runtime();
        let (one_by_one, at_once) = (MemoryStateStore::default(), MemoryStateStore::default());
        for (w, id) in &before {
            rt.block_on(one_by_one.apply(w, id)).unwrap();
            rt.block_on(at_once.apply(w, id)).unwrap();
        }
        let found: Vec<Applied> = writes.iter().map(|(w, id)| rt.block_on(one_by_one.apply(w, id)).unwrap()).collect();
        match rt.block_on(at_once.apply_merged(&merged)).unwrap() {
            MergedApplied::Applied(previous) => {
                prop_assert_eq!(applied_in_order(&writes, previous), found);
                prop_assert_eq!(&*at_once.items.lock().unwrap(), &*one_by_one.items.lock().unwrap());
            }
            MergedApplied::Newer => {
                // Declined only when the item is newer than the run's oldest write; nothing written.
                let floor = merged.floor.clone().expect("an unconditional merge always applies");
                let stored = before.iter().filter_map(|(w, _)| match &w.gate { Gate::Versioned(v) => Some(v.clone()), _ => None }).max();
                prop_assert!(stored.is_some_and(|v| v > floor));
            }
        }
    }
}

#[test]
fn an_unversioned_write_that_moves_fields_is_not_merged() {
    let moves = ItemWrite::new("pk", "STATE", Gate::Unversioned).moving("status", Attr::s("x"));
    let versioned = ItemWrite::new("pk", "STATE", Gate::Versioned(Version::of(1, 1, "b")));
    assert!(merge(&[(&versioned, "b"), (&moves, "a")]).is_none());
}

#[test]
fn a_field_that_is_a_fact_and_moving_is_not_merged() {
    let v = |id: &str| Gate::Versioned(Version::of(1, 1, id));
    let fact = ItemWrite::new("pk", "STATE", v("a")).fact("winnerPosition", Attr::n(1));
    let moving = ItemWrite::new("pk", "STATE", v("b")).moving("winnerPosition", Attr::n(2));
    assert!(merge(&[(&fact, "a"), (&moving, "b")]).is_none());
}

#[test]
fn disorder_inside_a_run_is_reported_as_one_by_one_would() {
    let at =
        |t: i64, id: &str| ItemWrite::new("pk", "STATE", Gate::Versioned(Version::of(t, 1, id)));
    let (late, early, latest) = (at(2, "b"), at(1, "a"), at(3, "c"));
    let writes = [(&late, "b"), (&early, "a"), (&latest, "c")];
    let previous = Previous {
        version: Some(Version::of(0, 1, "z")),
        last_event_id: Some("z".into()),
    };
    assert_eq!(
        applied_in_order(&writes, previous),
        vec![
            Applied::Fresh,
            Applied::Stale {
                newer_event_id: Some("b".into())
            },
            Applied::Fresh
        ]
    );
}
