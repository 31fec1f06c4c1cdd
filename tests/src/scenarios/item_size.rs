//! No state item grows with its entity's events: DynamoDB bills an update by the larger of the
//! item's images (1 write unit a KB) and refuses an item past 400 KB, so an item that accumulates
//! (a set of bid ids on the auction) makes a hot entity slower with every event and finally stops it.

use fanfare_shared::adapters::memory::MemoryIdempotencyStore;
use fanfare_shared::processor::{GroupedMessage, IncomingMessage};
use fanfare_shared::testing::processor_at;

use super::{body, Backend, Runs, T0};

/// The largest any state item may be after thousands of one entity's events.
pub const ITEM_BOUND_BYTES: usize = 4 * 1024;

/// `(group, body)` of every event: 3,000 bids of one auction from 300 bidders, 5,000 entries of one
/// draw with 1,000 winners (selected in one event, and each won), 1,000 position updates of one
/// consumer.
fn one_entitys_events() -> Vec<(String, String)> {
    let mut events = Vec::new();
    for n in 0..3_000i64 {
        let bidder = n % 300;
        let data = format!(
            r#"{{"experienceId":"x","auctionId":"auc_1","consumerId":"con_{bidder}","bidId":"bid_{n}","bidAmount":"{}.00","currencyCode":"USD"}}"#,
            100 + n
        );
        let group = format!("auction/auc_1/con_{bidder}");
        events.push((
            group,
            body(&format!("evt_bid_{n}"), "auction.bid_placed", T0 + n, &data),
        ));
    }
    for n in 0..5_000i64 {
        let data = format!(r#"{{"experienceId":"x","drawId":"drw_1","consumerId":"con_{n}"}}"#);
        let group = format!("draw/drw_1/con_{n}");
        events.push((
            group,
            body(&format!("evt_entry_{n}"), "draw.entered", T0 + n, &data),
        ));
    }
    let winners: Vec<String> = (0..1_000)
        .map(|n| format!(r#"{{"consumerId":"con_{n}","position":{}}}"#, n + 1))
        .collect();
    let data = format!(
        r#"{{"experienceId":"x","drawId":"drw_1","totalEntries":5000,"winners":[{}]}}"#,
        winners.join(",")
    );
    events.push((
        "draw/drw_1".into(),
        body("evt_winners", "draw.winners_selected", T0 + 6_000, &data),
    ));
    for n in 0..1_000i64 {
        let data = format!(
            r#"{{"experienceId":"x","drawId":"drw_1","consumerId":"con_{n}","winnerPosition":{}}}"#,
            n + 1
        );
        let group = format!("draw/drw_1/con_{n}");
        events.push((
            group,
            body(&format!("evt_won_{n}"), "draw.won", T0 + 7_000 + n, &data),
        ));
    }
    for n in 0..1_000i64 {
        let data = format!(
            r#"{{"experienceId":"x","consumerId":"c","position":{}}}"#,
            1_000 - n
        );
        events.push((
            "admission/x/c".into(),
            body(
                &format!("evt_pos_{n}"),
                "queue.position_updated",
                T0 + n,
                &data,
            ),
        ));
    }
    events
}

pub async fn no_item_grows_with_its_entitys_events<B: Backend>() {
    let backend = B::fresh().await;
    // The records stay in memory on both backends: what is measured is the state table, and its
    // ~12,000 writes are what this costs on moto (the records would add ~20,000 more).
    let ids = MemoryIdempotencyStore::default();
    let p = processor_at(ids, backend.state(), Runs::default(), T0 + 60_000);
    let events = one_entitys_events();
    // Batches of ten, as the event source hands them over (runs of one group merge their writes).
    for batch in events.chunks(10) {
        let messages: Vec<GroupedMessage<'_>> = batch
            .iter()
            .map(|(group, b)| GroupedMessage {
                group: Some(group),
                message: IncomingMessage::raw(b),
            })
            .collect();
        let failed = p.process_messages(&messages, 0).await;
        assert!(failed.is_empty(), "{failed:?}");
    }
    let (pk, sk, bytes) = backend.largest_item().await;
    assert!(
        bytes <= ITEM_BOUND_BYTES,
        "{pk}/{sk} holds {bytes} bytes after {} events",
        events.len()
    );
    // The facts the events report are still there: the high bid, and the last winner's entry.
    let auction = backend.item("auction/auc_1", "STATE").await;
    assert_eq!(auction.get("highBid").map(String::as_str), Some("3099"));
    let entry = backend.item("draw/drw_1", "ENTRY#con_999").await;
    assert_eq!(entry.get("status").map(String::as_str), Some("won"));
}
