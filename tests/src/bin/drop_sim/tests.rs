//! The simulation's own tests: the receiver is the template's, small drops reach every handler,
//! and what AWS adds (the event source's ramp, a new table's limit) shows in the lag.

use super::*;

/// A drop small enough for a unit test, with many duplicates and late copies.
fn small(path: &str, groups: &str, handler_ms: f64) -> Profile {
    let mut p = Profile::default();
    p.queue.consumers = 200;
    p.queue.admit_per_s = 50.0;
    p.draw.entries = 300;
    p.draw.over_s = 10.0;
    p.draw.winners = 10;
    p.auction.bids = 60;
    p.auction.ends_at_s = 20.0;
    p.auction.last_s = 10.0;
    p.duplicates = 0.05;
    p.disorder = 0.05;
    p.receiver.path = path.into();
    p.receiver.groups = groups.into();
    p.receiver.handler_ms = handler_ms;
    p
}

fn run(profile: &Profile) -> Vec<report::Figures> {
    let drop = std::sync::Arc::new(arrivals::generate(profile, &mut StdRng::seed_from_u64(7)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let out =
        tokio::task::LocalSet::new().block_on(&runtime, run::simulate(profile, drop.clone(), 7));
    report::figures(&drop, &out)
}

/// The simulated receiver is the template's, unless a profile or an option says otherwise.
#[test]
fn the_receivers_defaults_are_the_templates() {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    let default_of = |name: &str| -> f64 {
        let at = template
            .find(&format!("\n  {name}:\n"))
            .unwrap_or_else(|| panic!("{name}"));
        let line = template[at..]
            .lines()
            .find(|l| l.trim_start().starts_with("Default:"))
            .unwrap();
        line.trim_start()
            .trim_start_matches("Default:")
            .trim()
            .parse()
            .unwrap()
    };
    let r = profile::Receiver::default();
    assert_eq!(
        default_of("ProcessorMaximumConcurrency"),
        r.processor_concurrency as f64
    );
    assert_eq!(
        default_of("IngestReservedConcurrency"),
        r.ingest_concurrency as f64
    );
    assert_eq!(default_of("RouteThrottleRate"), r.route_throttle_rate);
    assert_eq!(default_of("RouteThrottleBurst"), r.route_throttle_burst);
    assert_eq!(
        default_of("IdempotencyTableWarmWriteUnits"),
        r.idempotency_warm_write_units
    );
    assert_eq!(
        default_of("StateTableWarmWriteUnits"),
        r.state_warm_write_units
    );
    assert_eq!(
        default_of("FailedIndexWarmWriteUnits"),
        r.failed_index_warm_write_units
    );
    // The queue's visibility follows the processor's timeout (the template's mapping).
    let timeout = default_of("ProcessorTimeoutSeconds") as i64;
    let entry = format!("\"{timeout}\":\n      QueueVisibilitySeconds: ");
    let visibility = template.find(&entry).map(|at| {
        template[at + entry.len()..]
            .lines()
            .next()
            .unwrap()
            .trim()
            .parse::<f64>()
            .unwrap()
    });
    assert_eq!(visibility, Some(r.visibility_timeout_s));
    assert_eq!(default_of("RetryBudget"), f64::from(r.retry_budget));
    assert_eq!(
        default_of("RetryBackoffBaseSeconds"),
        r.retry_backoff_base_s
    );
    assert_eq!(default_of("RetryBackoffMaxSeconds"), r.retry_backoff_max_s);
    let receives = template.find("maxReceiveCount: ").map(|at| {
        template[at + 17..]
            .lines()
            .next()
            .unwrap()
            .trim()
            .parse::<u32>()
            .unwrap()
    });
    assert_eq!(receives, Some(r.max_receive_count));
}

#[test]
fn every_event_of_a_small_drop_reaches_the_handler_on_either_path() {
    for path in ["batch", "one-by-one"] {
        for f in run(&small(path, "member", 0.0)) {
            assert_eq!(f.handled, f.events, "{path} {}", f.family.name());
            assert_eq!(f.never_handled + f.dead_lettered, 0);
        }
    }
}

#[test]
fn a_hot_draw_in_one_group_lags_behind_its_entrants_in_groups_of_their_own() {
    let lag = |groups| {
        let figures = run(&small("batch", groups, 50.0));
        figures
            .iter()
            .find(|f| f.family == arrivals::Family::Draw)
            .unwrap()
            .lag_p99_s
    };
    let (one_group, per_entrant) = (lag("entity"), lag("member"));
    // 30 entries a second at 50 ms each cannot be served one at a time.
    assert!(
        one_group > 5.0 * per_entrant,
        "{one_group} s against {per_entrant} s"
    );
}

/// 2,000 consumers entering a queue within a second, nothing else for ten minutes.
fn entry_burst(handler_ms: f64) -> Profile {
    let mut p = small("batch", "member", handler_ms);
    p.queue.consumers = 2_000;
    p.queue.enter_within_s = 1.0;
    p.queue.position_updates = 0;
    p.queue.admit_after_s = 600.0;
    p
}

/// A burst that waits for Lambda's event source: 5 pollers at first, 5 more a second.
fn burst(ramp: bool) -> f64 {
    let mut p = entry_burst(50.0);
    p.draw.entries = 0;
    p.auction.bids = 0;
    if !ramp {
        p.receiver.lambda_initial_concurrency = p.receiver.processor_concurrency;
    }
    let figures = run(&p);
    figures[0].lag_p99_s
}

#[test]
fn the_event_sources_ramp_slows_a_burst() {
    let (ramped, at_once) = (burst(true), burst(false));
    assert!(ramped > 1.5 * at_once, "{ramped} s against {at_once} s");
}

/// A new stack's tables sustain 4,000 write units a second; the same burst on a warmed stack
/// is not throttled.
#[test]
fn a_new_tables_limit_throttles_a_burst_a_warmed_one_does_not() {
    let throttled = |warm: f64| {
        let mut p = entry_burst(0.0);
        p.receiver.lambda_initial_concurrency = 40;
        p.receiver.route_throttle_rate = 1e6;
        p.receiver.route_throttle_burst = 1e6;
        p.receiver.ingest_concurrency = 10_000;
        p.receiver.idempotency_warm_write_units = warm;
        p.receiver.state_warm_write_units = warm;
        // A tenth of a new table's rate, for a tenth of the burst.
        p.receiver.new_table_write_units_per_s = 400.0;
        run(&p).iter().map(|f| f.throttled).sum::<u64>()
    };
    assert!(throttled(0.0) > 0);
    assert_eq!(throttled(1e6), 0);
}

#[test]
fn orders_follow_completed_admissions_and_failures_are_held_back_then_handled() {
    let mut p = small("batch", "member", 0.0);
    p.orders.share = 1.0;
    p.handler_failure_rate = 0.05;
    let figures = run(&p);
    let orders = figures
        .iter()
        .find(|f| f.family == arrivals::Family::Order)
        .unwrap();
    assert!(orders.events > 300, "{} order events", orders.events);
    for f in &figures {
        assert_eq!(f.handled, f.events, "{}", f.family.name());
        assert!(f.held_back > 0, "{} had failures", f.family.name());
        assert!(
            f.held_back_lag_max_s >= p.receiver.retry_backoff_base_s / 2.0,
            "a failure waits out its backoff"
        );
    }
}

/// The brand's downstreams at their declared rates: an email service and an ERP slower than the
/// admissions and paid orders that call them. Every call is paced under its rate (no 429), no
/// event is dead-lettered, every handler runs, and the slower downstream drains last.
#[test]
fn downstreams_are_called_at_their_rate_and_nothing_is_dead_lettered() {
    let mut p = small("batch", "member", 0.0);
    p.orders.share = 1.0;
    for d in &mut p.downstreams {
        d.per_second = if d.name == "email" { 2 } else { 5 };
        d.error_rate = 0.0;
    }
    let drop = std::sync::Arc::new(arrivals::generate(&p, &mut StdRng::seed_from_u64(7)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let out = tokio::task::LocalSet::new().block_on(&runtime, run::simulate(&p, drop.clone(), 7));
    for f in report::figures(&drop, &out) {
        assert_eq!(f.handled, f.events, "{}", f.family.name());
    }
    let downstreams = report::downstream_figures(&drop, &out);
    assert_eq!(downstreams.len(), 2);
    for d in &downstreams {
        let of_kind = drop
            .events
            .iter()
            .filter(|e| {
                p.downstreams
                    .iter()
                    .any(|s| s.name == d.name && s.kinds.iter().any(|k| k == e.kind))
            })
            .count() as u64;
        assert!(of_kind > 0, "{} is called", d.name);
        assert_eq!(d.calls, of_kind, "{}: one call per event", d.name);
        assert!(
            d.peak_per_second <= u64::from(d.per_second),
            "{}: {} a second",
            d.name,
            d.peak_per_second
        );
        assert_eq!(d.throttled_429, 0, "{}", d.name);
        assert_eq!(d.dead_lettered, 0, "{}", d.name);
        // At its rate, its calls take at least this long.
        assert!(
            d.drained_s >= (of_kind / u64::from(d.per_second)) as f64 - 1.0,
            "{}",
            d.name
        );
    }
    let email = downstreams.iter().find(|d| d.name == "email").unwrap();
    assert!(
        email.deferred > 0,
        "a backlog longer than an invocation's wait defers"
    );
}
