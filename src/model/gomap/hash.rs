//! Simulated key hashing. Keys are identities (u64); Go's hash of a key under a map's seed is
//! modelled as a seeded, uniform 64-bit hash — aeshash/memhash are designed to be that.

/// The 64-bit hash of simulated key `key` under `seed` (the map's expanded `hash0`).
/// A bijective mixer: distinct keys never collide on all 64 bits, and every bit is uniform.
#[inline(always)]
pub fn hash_key(key: u64, seed: u64) -> u64 {
    let mut z = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Expands the runtime's 32-bit `hmap.hash0` into the 64-bit seed used by [`hash_key`].
#[inline]
pub fn expand_seed(hash0: u32) -> u64 {
    hash_key(u64::from(hash0), 0x6A09_E667_F3BC_C909)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_byte_and_low_bits_are_uniform() {
        // Over 2^16 sequential keys every top byte and every low-3-bit bucket appears
        // close to its expected frequency (a chi-square-like bound).
        let seed = expand_seed(12345);
        let mut top = [0u32; 256];
        let mut low = [0u32; 8];
        for k in 0..65536u64 {
            let h = hash_key(k, seed);
            top[(h >> 56) as usize] += 1;
            low[(h & 7) as usize] += 1;
        }
        assert!(top.iter().all(|&c| (180..=340).contains(&c)), "{top:?}");
        assert!(low.iter().all(|&c| (7800..=8600).contains(&c)), "{low:?}");
    }

    #[test]
    fn different_seeds_give_different_hashes() {
        let (a, b) = (expand_seed(1), expand_seed(2));
        let same = (0..1000u64)
            .filter(|&k| hash_key(k, a) == hash_key(k, b))
            .count();
        assert_eq!(same, 0);
    }
}
