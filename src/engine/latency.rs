//! Request latencies: a log-linear histogram (as HdrHistogram lays one out) with 128 buckets
//! per power of two, so any percentile is exact to within 0.8% in bounded memory, however
//! many requests a run makes.

/// log2 of the buckets per power of two.
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
/// Buckets for every u64 value.
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

/// Latencies of one request name, in ns.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            count: 0,
            sum: 0,
            max: 0,
        }
    }

    /// The bucket of value `v`: `v` itself below 128, else 128 per power of two.
    #[inline]
    fn index(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let e = 63 - v.leading_zeros();
        let shift = e - SUB_BITS;
        (((shift + 1) as u64) << SUB_BITS) as usize + ((v >> shift) - SUB) as usize
    }

    /// The lowest and highest value of bucket `i`.
    fn bounds(i: usize) -> (u64, u64) {
        let i = i as u64;
        if i < SUB {
            return (i, i);
        }
        let shift = (i >> SUB_BITS) - 1;
        let mant = (i & (SUB - 1)) + SUB;
        let low = mant << shift;
        (low, low.saturating_add((1u64 << shift) - 1))
    }

    /// Adds latency `v` (ns).
    #[inline]
    pub(crate) fn record(&mut self, v: u64) {
        self.counts[Self::index(v)] += 1;
        self.count += 1;
        self.sum += u128::from(v);
        self.max = self.max.max(v);
    }

    /// Adds every latency of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// How many latencies were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest latency recorded, exact (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The mean, rounded to the nearest ns (0 when empty).
    pub fn mean(&self) -> u64 {
        if self.count == 0 {
            return 0;
        }
        ((self.sum + u128::from(self.count) / 2) / u128::from(self.count)) as u64
    }

    /// The `q`-quantile (0 < q ≤ 1) by nearest rank: the highest value of the bucket that
    /// holds the ⌈q·n⌉-th smallest latency, capped at the maximum.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::bounds(i).1.min(self.max);
            }
        }
        self.max
    }

    /// Non-empty buckets merged to 8 per power of two (a log scale for latency.csv):
    /// (lowest value, highest value, count).
    pub fn coarse_buckets(&self) -> Vec<(u64, u64, u64)> {
        let mut out: Vec<(u64, u64, u64)> = Vec::new();
        for (i, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let (low, _) = Self::bounds(i);
            let (clow, chigh) = coarse_bounds(low);
            match out.last_mut() {
                Some(last) if last.0 == clow => last.2 += c,
                _ => out.push((clow, chigh, c)),
            }
        }
        out
    }
}

/// The bucket of 8 per power of two that holds `v`: its lowest and highest value.
fn coarse_bounds(v: u64) -> (u64, u64) {
    if v < 8 {
        return (v, v);
    }
    let e = 63 - v.leading_zeros();
    let shift = e - 3;
    let low = (v >> shift) << shift;
    (low, low.saturating_add((1u64 << shift) - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_once() {
        for v in [
            0u64,
            1,
            127,
            128,
            129,
            255,
            256,
            257,
            1000,
            1 << 40,
            u64::MAX,
        ] {
            let (lo, hi) = Histogram::bounds(Histogram::index(v));
            assert!(lo <= v && v <= hi, "{v}: [{lo}, {hi}]");
            assert!(hi - lo <= lo / 64, "{v}: bucket too wide");
        }
        assert_eq!(Histogram::index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn nearest_rank_quantiles() {
        let mut h = Histogram::new();
        for v in 1..=100 {
            h.record(v);
        }
        // Values below 128 have buckets of their own: exact.
        assert_eq!(h.quantile(0.5), 50);
        assert_eq!(h.quantile(0.9), 90);
        assert_eq!(h.quantile(0.99), 99);
        assert_eq!(h.quantile(0.999), 100);
        assert_eq!(h.quantile(1.0), 100);
        assert_eq!(h.mean(), 51); // 50.5 rounds up
        assert_eq!(h.max(), 100);
        let mut big = Histogram::new();
        big.record(1_000_000);
        // 1e6 lies in [999424, 1003519]; capped at the maximum.
        assert_eq!(big.quantile(0.5), 1_000_000);
        big.record(2_000_000);
        assert_eq!(big.quantile(0.5), 1_003_519);
    }

    #[test]
    fn coarse_buckets_are_log_scale() {
        let mut h = Histogram::new();
        for v in [3u64, 1000, 1001, 1100, 5000] {
            h.record(v);
        }
        assert_eq!(
            h.coarse_buckets(),
            vec![(3, 3, 1), (960, 1023, 2), (1024, 1151, 1), (4608, 5119, 1)]
        );
    }
}
