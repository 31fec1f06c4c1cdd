//! The phases that deliver the load: the main stream with workers killed now and then, the late
//! duplicates, and the redrive of what the faults pushed to the DLQ.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fanfare_integration_tests::soak::generate::{load, Delivery, GeneratedEvent, Phase};
use fanfare_shared::adapters::sqs::{SqsDeadLetterQueue, SqsQuarantine};
use fanfare_shared::redrive::{redrive, RedrivePolicy};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::send::{drained, queue_depth, send_all, SenderStats};
use crate::stack::Stack;
use crate::{Error, RunArgs};

/// What the phases leave for the oracle and the report.
pub(crate) struct Run {
    pub(crate) events: Arc<Vec<GeneratedEvent>>,
    /// When each event was first sent (ms), by index.
    pub(crate) first_sent_ms: HashMap<usize, i64>,
    pub(crate) stats: Arc<SenderStats>,
    pub(crate) main_seconds: f64,
    pub(crate) redriven: usize,
    pub(crate) converged: bool,
}

pub(crate) async fn run(args: &RunArgs, stack: &mut Stack, until: Instant) -> Result<Run, Error> {
    let generated = load(args.events, args.duplicate_rate, args.seed);
    let events = Arc::new(generated.events);
    let (main, late): (Vec<Delivery>, Vec<Delivery>) = generated
        .deliveries
        .into_iter()
        .partition(|d| d.phase == Phase::Main);
    println!(
        "soak: {} events, {} delivered more than once, {} deliveries ({} late), {} senders, {} workers, seed {}",
        events.len(),
        generated.duplicated,
        main.len() + late.len(),
        late.len(),
        args.senders,
        args.workers,
        args.seed
    );
    let first_sent_ms = Arc::new(Mutex::new(HashMap::new()));
    let stats = Arc::new(SenderStats::default());
    let backlog_monitor = {
        let (sqs, url, stats) = (
            stack.sqs.clone(),
            stack.queues.events.clone(),
            stats.clone(),
        );
        tokio::spawn(async move {
            loop {
                if let Ok(depth) = queue_depth(&sqs, &url).await {
                    stats.backlog.store(depth, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let url = stack.url.clone();
    let send = |deliveries| {
        let (events, url) = (events.clone(), url.clone());
        send_all(
            deliveries,
            events,
            url,
            args.senders,
            first_sent_ms.clone(),
            stats.clone(),
            args.max_backlog,
        )
    };
    let send_started = Instant::now();
    let sending = tokio::spawn(send(main));
    let mut converged = kill_while_sending(args, stack, sending, until).await?;
    let main_seconds = send_started.elapsed().as_secs_f64();
    println!(
        "soak: main phase sent and drained in {main_seconds:.0} s; sending the late duplicates"
    );
    // Late duplicates of events that have long completed.
    send(late).await;
    converged &= drained(&stack.sqs, &stack.queues.events, until).await?;
    println!("soak: late phase drained; redriving the DLQ");
    let (redriven, redrive_converged) = redrive_dlq(stack, until).await?;
    backlog_monitor.abort();
    let first_sent_ms = first_sent_ms
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Ok(Run {
        events,
        first_sent_ms,
        stats,
        main_seconds,
        redriven,
        converged: converged && redrive_converged,
    })
}

/// The main phase: a worker is SIGKILLed every `kill_every_secs` (on average) until the senders are
/// done; then waits for the queue to drain.
async fn kill_while_sending(
    args: &RunArgs,
    stack: &mut Stack,
    sending: tokio::task::JoinHandle<()>,
    until: Instant,
) -> Result<bool, Error> {
    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x0b5e55ed);
    while !sending.is_finished() && Instant::now() < until {
        if args.kill_every_secs > 0.0 {
            let pause = rng.random_range(0.2..1.8) * args.kill_every_secs;
            tokio::time::sleep(Duration::from_secs_f64(pause)).await;
            if !sending.is_finished() {
                let slot = rng.random_range(0..stack.workers.children.len());
                stack.workers.kill(slot).await?;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let _ = sending.await;
    drained(&stack.sqs, &stack.queues.events, until).await
}

/// What the faults pushed to the DLQ goes back; the processor must absorb it.
async fn redrive_dlq(stack: &Stack, until: Instant) -> Result<(usize, bool), Error> {
    let (sqs, queues) = (&stack.sqs, &stack.queues);
    let dlq = SqsDeadLetterQueue::new(sqs.clone(), &queues.dead_letter, &queues.events);
    let park = SqsQuarantine::new(sqs.clone(), &queues.quarantine);
    let (mut redriven, mut converged) = (0, true);
    for _ in 0..5 {
        if queue_depth(sqs, &queues.dead_letter).await? == 0 {
            break;
        }
        let policy = RedrivePolicy {
            min_age_secs: 0,
            ..RedrivePolicy::default()
        };
        let report = redrive(&dlq, &park, policy, chrono::Utc::now().timestamp_millis()).await?;
        redriven += report.moved;
        converged &= drained(sqs, &queues.events, until).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok((redriven, converged))
}
