//! Random streams. Every stream is ChaCha8 keyed by the scenario seed, with its own stream
//! number: one per purpose and per object, so adding a stream never changes another's numbers.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

/// What a stream is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The runtime's fastrand as seen by map `i`: hash0, incrnoverflow, iteration start.
    MapHash(u32),
    /// Goroutine `i`'s workload choices: which existing key to delete or read.
    Workload(u32),
    /// The scheduler's decisions.
    Scheduler,
    /// Arrival times of `[[arrivals]]` source `i`.
    Arrivals(u32),
    /// The workload choices of source `s`'s `n`-th arrival.
    ArrivalWorkload(u32, u64),
    /// How long each wake-up of an idle P takes.
    Wake,
    /// Where a stop-the-world finds a goroutine in its allocation loop.
    Preempt,
}

impl Stream {
    /// The ChaCha stream number: purpose in the high 32 bits, object in the low.
    pub fn id(self) -> u64 {
        match self {
            Stream::MapHash(i) => (1 << 32) | u64::from(i),
            Stream::Workload(i) => (2 << 32) | u64::from(i),
            Stream::Scheduler => 3 << 32,
            Stream::Arrivals(i) => (4 << 32) | u64::from(i),
            Stream::Wake => 6 << 32,
            Stream::Preempt => 7 << 32,
            // Purpose in the top 8 bits, the source in the next 16, the arrival below.
            Stream::ArrivalWorkload(s, n) => {
                (5 << 56) | (u64::from(s & 0xffff) << 40) | (n & ((1 << 40) - 1))
            }
        }
    }

    /// The generator for this stream under `seed`.
    pub fn rng(self, seed: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(self.id());
        rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::Rng;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Stream::MapHash(0).rng(1);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Stream::MapHash(0).rng(1);
                move |_| r.next_u64()
            })
            .collect();
        let c = Stream::MapHash(1).rng(1).next_u64();
        let d = Stream::MapHash(0).rng(2).next_u64();
        assert_eq!(a, b);
        assert_ne!(a[0], c);
        assert_ne!(a[0], d);
    }
}
