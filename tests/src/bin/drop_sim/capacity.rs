//! DynamoDB's write limits as token buckets: each partition's 1,000 write units a second, and each
//! table's and index's on-demand limit: a new table's 4,000 a second, or the warm throughput the
//! stack set, or twice the peak it reached more than 30 minutes before, whichever is highest. A
//! request is admitted only when every bucket it writes to has the units (an index that is throttled
//! throttles its table's write: back-pressure); a throttled request consumes nothing.

use std::collections::HashMap;

use tokio::time::Instant;

/// How long a peak takes to count towards an on-demand table's limit.
const PEAK_COUNTS_AFTER_S: usize = 30 * 60;

/// What a table or index consumed, second by second, and the limit it started with.
#[derive(Debug, Clone, PartialEq)]
pub struct TableLoad {
    pub name: &'static str,
    pub per_second: Vec<f64>,
    pub limit: f64,
}

impl TableLoad {
    /// Its busiest second, in write units.
    pub fn peak(&self) -> f64 {
        self.per_second.iter().copied().fold(0.0, f64::max)
    }
}

/// A table or index, or one partition of one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Table(&'static str),
    Partition(&'static str, String),
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Per table: the rate it starts with, and the units it consumed in each second of the drop.
struct Table {
    base: f64,
    per_second: Vec<f64>,
    /// The highest second among those older than `PEAK_COUNTS_AFTER_S`, and how many were seen.
    counted_peak: f64,
    counted: usize,
}

pub struct Capacity {
    start: Instant,
    partition_rate: f64,
    tables: HashMap<&'static str, Table>,
    buckets: HashMap<Scope, Bucket>,
}

impl Capacity {
    /// `tables`: each table's or index's starting rate (its warm throughput, a new table's rate, or
    /// twice a previous peak).
    pub fn new(start: Instant, partition_rate: f64, tables: &[(&'static str, f64)]) -> Capacity {
        Capacity {
            start,
            partition_rate,
            tables: tables
                .iter()
                .map(|&(name, base)| {
                    let table = Table {
                        base,
                        per_second: Vec::new(),
                        counted_peak: 0.0,
                        counted: 0,
                    };
                    (name, table)
                })
                .collect(),
            buckets: HashMap::new(),
        }
    }

    fn second(&self, now: Instant) -> usize {
        now.duration_since(self.start).as_secs() as usize
    }

    /// The scope's rate now: a partition's fixed limit, a table's rising one.
    fn rate(&mut self, scope: &Scope, second: usize) -> f64 {
        let name = match scope {
            Scope::Partition(..) => return self.partition_rate,
            Scope::Table(name) => name,
        };
        let Some(t) = self.tables.get_mut(name) else {
            return f64::INFINITY;
        };
        let counted_until = second
            .saturating_sub(PEAK_COUNTS_AFTER_S)
            .min(t.per_second.len());
        while t.counted < counted_until {
            t.counted_peak = t.counted_peak.max(t.per_second[t.counted]);
            t.counted += 1;
        }
        t.base.max(2.0 * t.counted_peak)
    }

    /// Takes each scope's units, all or none: false when one of them has not got them.
    pub fn admit(&mut self, charges: &[(Scope, f64)]) -> bool {
        let now = Instant::now();
        let second = self.second(now);
        let mut refilled = Vec::with_capacity(charges.len());
        for (scope, units) in charges {
            let rate = self.rate(scope, second);
            if rate.is_infinite() {
                continue;
            }
            let bucket = self.buckets.entry(scope.clone()).or_insert(Bucket {
                tokens: rate,
                at: now,
            });
            let elapsed = now.duration_since(bucket.at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
            bucket.at = now;
            if bucket.tokens < *units {
                return false;
            }
            refilled.push((scope.clone(), *units));
        }
        for (scope, units) in refilled {
            if let Some(bucket) = self.buckets.get_mut(&scope) {
                bucket.tokens -= units;
            }
            if let Scope::Table(name) = scope {
                if let Some(t) = self.tables.get_mut(name) {
                    if t.per_second.len() <= second {
                        t.per_second.resize(second + 1, 0.0);
                    }
                    t.per_second[second] += units;
                }
            }
        }
        true
    }

    /// Each table's and index's write units in every second, and the rate it started with.
    pub fn loads(&self) -> Vec<TableLoad> {
        let mut loads: Vec<_> = self
            .tables
            .iter()
            .map(|(name, t)| TableLoad {
                name,
                per_second: t.per_second.clone(),
                limit: t.base,
            })
            .collect();
        loads.sort_by(|a, b| a.name.cmp(b.name));
        loads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_table_admits_its_rate_and_an_index_throttles_its_table() {
        let mut c = Capacity::new(Instant::now(), 1_000.0, &[("t", 4_000.0), ("i", 1.0)]);
        let table = |n: usize| (Scope::Table("t"), n as f64);
        assert!(c.admit(&[table(4_000)]));
        assert!(!c.admit(&[table(1)]), "the second's units are spent");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(c.admit(&[table(2_000)]), "half a second refills half");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        // The index has no units for it: the table's write is refused too, and consumes nothing.
        assert!(!c.admit(&[table(10), (Scope::Table("i"), 2.0)]));
        assert!(c.admit(&[table(4_000)]));
        // A bucket holds one second's units, so a calendar second can see more than the rate.
        let peaks: Vec<_> = c
            .loads()
            .iter()
            .map(|l| (l.name, l.peak(), l.limit))
            .collect();
        assert_eq!(peaks, [("i", 0.0, 1.0), ("t", 6_000.0, 4_000.0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_partition_takes_a_thousand_units_a_second() {
        let mut c = Capacity::new(Instant::now(), 1_000.0, &[]);
        let p = |units| (Scope::Partition("state", "auction/a".into()), units);
        assert!(c.admit(&[p(999.0)]));
        assert!(!c.admit(&[p(2.0)]));
        assert!(c.admit(&[(Scope::Partition("state", "auction/b".into()), 2.0)]));
    }

    #[tokio::test(start_paused = true)]
    async fn a_peak_raises_the_limit_thirty_minutes_later() {
        let mut c = Capacity::new(Instant::now(), 1e9, &[("t", 4_000.0)]);
        assert!(c.admit(&[(Scope::Table("t"), 4_000.0)]));
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        assert!(
            !c.admit(&[(Scope::Table("t"), 6_000.0)]),
            "a minute later: still 4,000"
        );
        tokio::time::sleep(std::time::Duration::from_secs(30 * 60)).await;
        assert!(
            c.admit(&[(Scope::Table("t"), 6_000.0)]),
            "then twice the peak"
        );
    }
}
