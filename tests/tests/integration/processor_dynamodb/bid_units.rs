//! What a bid costs on moto, by DynamoDB's sizing rules.

use fanfare_integration_tests::item_size;

use super::{body, env, units_of, Runs, T0};

/// An auction's bids cost the same write units at the 300th as at the first (measured on moto by
/// DynamoDB's sizing rules): no item of the auction grows with its bids. On a state item that
/// held every bid id the 300th bid cost more, and by ~14,600 bids the item passed 400 KB.
#[tokio::test]
async fn an_auctions_bid_costs_the_same_at_the_300th_as_at_the_first() {
    let env = env().await;
    let p = env.processor(Runs::default(), T0 + 60_000);
    let mut per_bid = Vec::new();
    for n in 0..300i64 {
        let data = format!(
            r#"{{"experienceId":"x","auctionId":"auc_1","consumerId":"con_{}","bidId":"bid_{n}","bidAmount":"{}.00","currencyCode":"USD"}}"#,
            n % 40,
            100 + n
        );
        let b = body(&format!("evt_bid_{n}"), "auction.bid_placed", T0 + n, &data);
        per_bid.push(units_of(&env, &p, &b).await);
    }
    let units = |(_, idempotency, state): (usize, usize, usize)| idempotency + state;
    let (first, last) = (units(per_bid[0]), units(per_bid[299]));
    println!("write units per bid on moto: first {first}, 300th {last}");
    assert_eq!(first, last);
    assert!(item_size(&env.state("auction/auc_1", "STATE").await) < 1024);
}
