//! The families a drop delivers besides its queue: orders, the draw, the auction, and the kinds a drop
//! sends less often.

use rand::Rng;
use serde_json::json;

use super::Builder;

impl Builder {
    /// The kinds a drop sends less often: an expiry, a sell-out, a withdrawal, a pause, profile and
    /// account changes, an endpoint alert; some drops are cancelled. With them every kind is sent.
    pub(super) fn rest_of_the_drop(
        &mut self,
        n: usize,
        exp: &str,
        dst: &str,
        consumers: &[String],
    ) {
        let at = self.iso();
        let rows = [
            (
                "queue.access_expired",
                json!({"experienceId": exp, "consumerId": consumers[1], "distributionId": dst, "expiredAt": at}),
            ),
            (
                "queue.sold_out",
                json!({"experienceId": exp, "queueId": format!("que_{n:04}")}),
            ),
            (
                "draw.consumer_left",
                json!({"experienceId": exp, "drawId": format!("drw_{n:04}"), "consumerId": consumers[29], "leftAt": at}),
            ),
            (
                "experience.paused",
                json!({"experienceId": exp, "reason": "maintenance"}),
            ),
            (
                "experience.resumed",
                json!({"experienceId": exp, "pausedDuration": 30}),
            ),
            (
                "distribution.updated",
                json!({"experienceId": exp, "distributionId": dst, "updatedAt": at, "changedFields": ["capacity"]}),
            ),
            (
                "consumer.updated",
                json!({"consumerId": consumers[2], "updatedAt": at, "changedFields": ["email"], "email": format!("{}.new@example.com", consumers[2])}),
            ),
            (
                "consumer.authenticated",
                json!({"consumerId": consumers[3], "authenticatedAt": at}),
            ),
            (
                "consumer.linked",
                json!({"consumerId": consumers[4], "linkedAt": at}),
            ),
            (
                "consumer.deleted",
                json!({"consumerId": consumers[9], "deletedAt": at}),
            ),
            (
                "webhook.delivery.failed",
                json!({"endpointId": "wep_soak", "endpointUrl": "https://example.com/hook",
                "eventId": format!("evt_lost_{n:04}"), "eventType": "order.paid", "retryCount": 7,
                "lastError": "timeout", "willRetry": false}),
            ),
        ];
        for (event_type, data) in rows {
            self.push(event_type, data, vec![]);
        }
        if n % 5 == 4 {
            self.push(
                "experience.cancelled",
                json!({"experienceId": exp, "reason": "stock_issue"}),
                vec![],
            );
        }
    }

    pub(super) fn order(&mut self, exp: &str, consumer: &str, order: &str) {
        self.push(
            "order.created",
            json!({"orderId": order, "consumerId": consumer, "experienceId": exp, "createdAt": self.iso(),
                   "amount": "149.99", "currencyCode": "USD",
                   "items": [{"productId": "prd_1", "variantId": "var_1", "quantity": 1}]}),
            vec![],
        );
        self.push(
            "order.paid",
            json!({"orderId": order, "consumerId": consumer, "amount": "149.99", "currencyCode": "USD"}),
            vec![],
        );
        if self.rng.random_bool(0.1) {
            self.push(
                "order.cancelled",
                json!({"orderId": order, "consumerId": consumer, "cancelledAt": self.iso(), "reason": "customer_request"}),
                vec![],
            );
        } else {
            self.push(
                "order.completed",
                json!({"orderId": order, "consumerId": consumer, "completedAt": self.iso(), "amount": "149.99", "currencyCode": "USD"}),
                vec![],
            );
            self.push(
                "order.fulfilled",
                json!({"orderId": order, "consumerId": consumer}),
                vec![],
            );
        }
    }

    pub(super) fn draw(&mut self, exp: &str, draw: &str, entrants: &[String]) {
        for (i, consumer) in entrants.iter().enumerate() {
            self.push(
                "draw.entry_created",
                json!({"experienceId": exp, "drawId": draw, "consumerId": consumer, "enteredAt": self.iso(), "entrantNumber": i + 1}),
                vec![],
            );
        }
        let winners = &entrants[..3];
        let claim_tokens: Vec<String> = winners.iter().map(|w| format!("clm_tok_{w}")).collect();
        self.push(
            "draw.winners_selected",
            json!({"experienceId": exp, "drawId": draw, "totalEntries": entrants.len(), "selectionMethod": "random",
                   "winners": winners.iter().zip(&claim_tokens).enumerate().map(|(p, (w, t))| json!({
                       "consumerId": w, "position": p + 1, "claimToken": t, "claimDeadline": "2026-12-31T00:00:00Z"
                   })).collect::<Vec<_>>()}),
            claim_tokens,
        );
        for (p, consumer) in entrants.iter().enumerate() {
            if p < winners.len() {
                let token = format!("won_tok_{consumer}");
                self.push(
                    "draw.consumer.won",
                    json!({"experienceId": exp, "drawId": draw, "consumerId": consumer, "wonAt": self.iso(),
                           "admissionToken": token, "winnerPosition": p + 1}),
                    vec![token],
                );
            } else {
                self.push(
                    "draw.consumer.lost",
                    json!({"experienceId": exp, "drawId": draw, "consumerId": consumer, "lostAt": self.iso()}),
                    vec![],
                );
            }
        }
        self.push(
            "draw.completed",
            json!({"experienceId": exp, "drawId": draw, "completedAt": self.iso(),
                   "totalEntrants": entrants.len(), "winnersSelected": winners.len()}),
            vec![],
        );
        self.push(
            "draw.prize_claimed",
            json!({"experienceId": exp, "drawId": draw, "consumerId": winners[0], "orderId": format!("ord_prize_{draw}")}),
            vec![],
        );
        self.push(
            "draw.prize_expired",
            json!({"experienceId": exp, "drawId": draw, "consumerId": winners[1]}),
            vec![],
        );
    }

    pub(super) fn auction(&mut self, exp: &str, auction: &str, bidders: &[String]) {
        let mut amount = 100;
        let mut leader: Option<&String> = None;
        for (b, bidder) in bidders.iter().cycle().take(bidders.len() * 2).enumerate() {
            amount += self.rng.random_range(1..=20);
            self.push(
                "auction.bid.placed",
                json!({"experienceId": exp, "auctionId": auction, "consumerId": bidder, "bidId": format!("bid_{auction}_{b}"),
                       "bidAmount": format!("{amount}.00"), "currencyCode": "USD", "bidTime": self.iso(), "isHighestBid": true}),
                vec![],
            );
            if let Some(previous) = leader.filter(|p| *p != bidder) {
                self.push(
                    "auction.outbid",
                    json!({"experienceId": exp, "auctionId": auction, "consumerId": previous, "outbidAt": self.iso(),
                           "newHighBidAmount": format!("{amount}.00")}),
                    vec![],
                );
            }
            leader = Some(bidder);
        }
        let winner = leader.cloned().unwrap_or_default();
        let token = format!("pay_tok_{auction}");
        self.push(
            "auction.winner_notified",
            json!({"experienceId": exp, "auctionId": auction, "consumerId": winner, "wonAt": self.iso(),
                   "winningBidAmount": format!("{amount}.00"), "currencyCode": "USD", "paymentToken": token}),
            vec![token],
        );
        self.push(
            "auction.auction_ended",
            json!({"experienceId": exp, "auctionId": auction, "settledAt": self.iso(), "totalBids": bidders.len() * 2,
                   "uniqueBidders": bidders.len(), "winningBidAmount": format!("{amount}.00"), "winnerId": winner}),
            vec![],
        );
    }
}
