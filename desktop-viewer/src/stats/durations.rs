//! A histogram of durations (decode times, frame ages) with bounded memory however long
//! the viewer runs: 10 µs buckets up to 200 ms, where decode times and loopback ages live and
//! p50/p99 must be exact to a few µs, then 10 ms buckets up to 20 s for the ages of a slow
//! link or a camera whose clock is off.

use std::time::Duration;

const FINE: Duration = Duration::from_micros(10);
const FINE_BUCKETS: usize = 20_000;
const COARSE: Duration = Duration::from_millis(10);
const COARSE_BUCKETS: usize = 1_980;

/// Counts of durations, for quantiles.
#[derive(Debug, Clone)]
pub struct Durations {
    buckets: Vec<u32>,
    count: u64,
}

impl Default for Durations {
    fn default() -> Self {
        Durations {
            buckets: vec![0; FINE_BUCKETS + COARSE_BUCKETS],
            count: 0,
        }
    }
}

impl Durations {
    /// Counts one duration; longer than 20 s counts as 20 s.
    pub fn record(&mut self, d: Duration) {
        let fine_end = FINE * FINE_BUCKETS as u32;
        let i = if d < fine_end {
            (d.as_nanos() / FINE.as_nanos()) as usize
        } else {
            let coarse = ((d - fine_end).as_nanos() / COARSE.as_nanos()) as usize;
            FINE_BUCKETS + coarse.min(COARSE_BUCKETS - 1)
        };
        self.buckets[i] = self.buckets[i].saturating_add(1);
        self.count += 1;
    }

    /// The `q` quantile (0..=1) in milliseconds, the upper edge of its bucket.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += u64::from(n);
            if seen >= rank {
                return Some(upper_edge(i).as_secs_f64() * 1000.0);
            }
        }
        None
    }

    /// How many durations were counted.
    pub fn count(&self) -> u64 {
        self.count
    }
}

fn upper_edge(bucket: usize) -> Duration {
    if bucket < FINE_BUCKETS {
        FINE * (bucket as u32 + 1)
    } else {
        FINE * FINE_BUCKETS as u32 + COARSE * (bucket - FINE_BUCKETS + 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_exact_to_ten_microseconds_below_200_ms() {
        let mut d = Durations::default();
        assert_eq!(d.quantile_ms(0.5), None);
        for i in 1..=100 {
            d.record(Duration::from_micros(100 * i));
        }
        let p50 = d.quantile_ms(0.5).unwrap();
        let p99 = d.quantile_ms(0.99).unwrap();
        assert!((5.0..=5.02).contains(&p50), "{p50}");
        assert!((9.9..=9.92).contains(&p99), "{p99}");
        assert_eq!(d.count(), 100);
    }

    #[test]
    fn long_durations_keep_ten_millisecond_steps_up_to_20_s() {
        let mut d = Durations::default();
        d.record(Duration::from_millis(1234));
        assert_eq!(d.quantile_ms(1.0), Some(1240.0));
        let mut d = Durations::default();
        d.record(Duration::from_secs(100));
        assert_eq!(
            d.quantile_ms(1.0),
            Some(20_000.0),
            "overflow lands in the last bucket"
        );
    }
}
