//! Fanfare's side: senders that sign and POST every delivery and retry until a 2xx, and the queue
//! probes the phases wait on.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName as A;
use fanfare_integration_tests::soak::generate::{Delivery, GeneratedEvent};
use fanfare_shared::contract::signature::{sign, Scheme, SigningSecret};

use crate::{Error, SECRET, SEND_ATTEMPTS};

#[derive(Default)]
pub(crate) struct SenderStats {
    pub(crate) requests: AtomicU64,
    pub(crate) unavailable: AtomicU64,
    pub(crate) server_errors: AtomicU64,
    pub(crate) transport_errors: AtomicU64,
    pub(crate) gave_up: AtomicU64,
    /// The events queue's depth as last read; senders wait while it is above the cap.
    pub(crate) backlog: AtomicU64,
    /// Times a sender waited for the backlog to shrink.
    pub(crate) paced: AtomicU64,
}

/// Sends every delivery as Fanfare does: signed now, retried with backoff until a 2xx.
pub(crate) async fn send_all(
    deliveries: Vec<Delivery>,
    events: Arc<Vec<GeneratedEvent>>,
    url: String,
    senders: usize,
    first_sent_ms: Arc<Mutex<HashMap<usize, i64>>>,
    stats: Arc<SenderStats>,
    max_backlog: u64,
) {
    let work = Arc::new(Mutex::new(VecDeque::from(deliveries)));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let secret = match SigningSecret::new(SECRET) {
        Ok(s) => Arc::new(s),
        Err(_) => return,
    };
    let mut tasks = Vec::new();
    for _ in 0..senders.max(1) {
        let (work, events, url, client, secret, first_sent_ms, stats) = (
            work.clone(),
            events.clone(),
            url.clone(),
            client.clone(),
            secret.clone(),
            first_sent_ms.clone(),
            stats.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                if stats.backlog.load(Ordering::Relaxed) > max_backlog {
                    stats.paced.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                let next = work.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let Some(delivery) = next else { return };
                let event = &events[delivery.event];
                first_sent_ms
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(delivery.event)
                    .or_insert_with(|| chrono::Utc::now().timestamp_millis());
                let delivered = deliver(&client, &url, &secret, event, &stats).await;
                if !delivered {
                    stats.gave_up.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// One delivery, signed anew for each attempt, retried with backoff until a 2xx; whether it got one.
async fn deliver(
    client: &reqwest::Client,
    url: &str,
    secret: &SigningSecret,
    event: &GeneratedEvent,
    stats: &SenderStats,
) -> bool {
    for attempt in 0..SEND_ATTEMPTS {
        let now = chrono::Utc::now().timestamp();
        let mut request = client
            .post(url)
            .header("content-type", "application/json")
            .header(fanfare_shared::contract::headers::EVENT_ID, &event.id)
            .body(event.body.clone());
        for (name, value) in sign(secret, Scheme::A, now, event.body.as_bytes()) {
            request = request.header(name, value);
        }
        stats.requests.fetch_add(1, Ordering::Relaxed);
        match request.send().await {
            Ok(answer) if answer.status().is_success() => return true,
            Ok(answer) if answer.status().as_u16() == 503 => {
                stats.unavailable.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {
                stats.server_errors.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                stats.transport_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        let backoff = 50u64 << attempt.min(5);
        tokio::time::sleep(Duration::from_millis(backoff)).await;
    }
    false
}

pub(crate) async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<u64, Error> {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(A::ApproximateNumberOfMessagesDelayed)
        .send()
        .await?
        .attributes
        .unwrap_or_default();
    Ok(attrs.values().filter_map(|v| v.parse::<u64>().ok()).sum())
}

/// Waits until the events queue is empty (nothing visible, in flight or delayed).
pub(crate) async fn drained(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    until: Instant,
) -> Result<bool, Error> {
    let mut empty_polls = 0;
    while Instant::now() < until {
        if queue_depth(sqs, url).await? == 0 {
            empty_polls += 1;
            if empty_polls >= 3 {
                return Ok(true);
            }
        } else {
            empty_polls = 0;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(false)
}
