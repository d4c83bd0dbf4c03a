//! A group: 8 slots and their control word, after go1.24 internal/runtime/maps/group.go.
//! Each control byte is `ctrlEmpty` (0x80), `ctrlDeleted` (0xFE) or, for a full slot, the
//! key's H2 (its low 7 bits of hash). Matching works on the whole word at once, with the
//! portable bit tricks of group.go (byte i of a bitset is 0x80 when slot i is in the set).

/// `abi.SwissMapGroupSlots`: slots per group.
pub const SLOTS: usize = 8;
/// `ctrlEmpty`: a slot never used since the table was built or emptied.
pub const CTRL_EMPTY: u8 = 0b1000_0000;
/// `ctrlDeleted`: a tombstone, a deleted slot in a group that had no empty slot.
pub const CTRL_DELETED: u8 = 0b1111_1110;
/// `bitsetLSB` and `bitsetMSB`: the low and high bit of every byte.
const LSB: u64 = 0x0101_0101_0101_0101;
const MSB: u64 = 0x8080_8080_8080_8080;
/// `abi.SwissMapCtrlEmpty`: a control word with every slot empty.
pub const CTRL_ALL_EMPTY: u64 = LSB * CTRL_EMPTY as u64;

/// group.go: h1 — the upper 57 bits of the hash choose the first group to probe.
#[inline(always)]
pub fn h1(hash: u64) -> u64 {
    hash >> 7
}

/// group.go: h2 — the low 7 bits are stored in the control byte of a full slot.
#[inline(always)]
pub fn h2(hash: u64) -> u8 {
    (hash & 0x7f) as u8
}

/// A set of slots of one group (group.go: bitset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bitset(u64);

impl Bitset {
    /// No slot is in the set.
    #[inline(always)]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// group.go: first — the lowest slot index in the set.
    #[inline(always)]
    pub fn first(self) -> usize {
        (self.0.trailing_zeros() >> 3) as usize
    }

    /// group.go: removeFirst.
    #[inline(always)]
    pub fn remove_first(self) -> Bitset {
        Bitset(self.0 & (self.0.wrapping_sub(1)))
    }
}

impl Iterator for Bitset {
    type Item = usize;
    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        let i = self.first();
        *self = self.remove_first();
        Some(i)
    }
}

/// One group: the control word and the simulated keys of its 8 slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// The 8 control bytes, slot i in byte i (`ctrlGroup`).
    pub ctrl: u64,
    /// The simulated key of each slot; meaningful only where the control byte marks it full.
    pub keys: [u64; SLOTS],
}

impl Default for Group {
    fn default() -> Self {
        Group {
            ctrl: CTRL_ALL_EMPTY,
            keys: [0; SLOTS],
        }
    }
}

impl Group {
    /// group.go: ctrlGroup.get — the control byte of slot `i`.
    #[inline(always)]
    pub fn ctrl_at(&self, i: usize) -> u8 {
        (self.ctrl >> (8 * i)) as u8
    }

    /// group.go: ctrlGroup.set — sets the control byte of slot `i` to `c`.
    #[inline(always)]
    pub fn set_ctrl(&mut self, i: usize, c: u8) {
        let shift = 8 * i;
        self.ctrl = (self.ctrl & !(0xff << shift)) | (u64::from(c) << shift);
    }

    /// group.go: matchH2 — full slots whose control byte is `h`. The portable form can
    /// report a slot above a true match falsely; callers compare the key, as Go does.
    #[inline(always)]
    pub fn match_h2(&self, h: u8) -> Bitset {
        let v = self.ctrl ^ (LSB * u64::from(h));
        Bitset((v.wrapping_sub(LSB) & !v) & MSB)
    }

    /// group.go: matchEmpty.
    #[inline(always)]
    pub fn match_empty(&self) -> Bitset {
        let v = self.ctrl;
        Bitset((v & !(v << 6)) & MSB)
    }

    /// group.go: matchEmptyOrDeleted.
    #[inline(always)]
    pub fn match_empty_or_deleted(&self) -> Bitset {
        Bitset(self.ctrl & MSB)
    }

    /// group.go: matchFull.
    #[inline(always)]
    pub fn match_full(&self) -> Bitset {
        Bitset(!self.ctrl & MSB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(ctrls: [u8; 8]) -> Group {
        let mut g = Group::default();
        for (i, c) in ctrls.into_iter().enumerate() {
            g.set_ctrl(i, c);
        }
        g
    }

    #[test]
    fn control_bytes_as_group_go_defines_them() {
        assert_eq!(CTRL_ALL_EMPTY, 0x8080_8080_8080_8080);
        assert_eq!(h2(0xffff_ffff_ffff_ff85), 0x05);
        assert_eq!(h1(0x80), 1);
        let g = group([
            CTRL_EMPTY,
            0x05,
            CTRL_DELETED,
            0x7f,
            0x05,
            CTRL_EMPTY,
            0,
            0x7f,
        ]);
        assert_eq!(g.match_empty().collect::<Vec<_>>(), vec![0, 5]);
        assert_eq!(
            g.match_empty_or_deleted().collect::<Vec<_>>(),
            vec![0, 2, 5]
        );
        assert_eq!(g.match_full().collect::<Vec<_>>(), vec![1, 3, 4, 6, 7]);
        let h5: Vec<usize> = g.match_h2(0x05).collect();
        assert!(h5.contains(&1) && h5.contains(&4), "{h5:?}");
        // An empty or deleted slot never matches an H2.
        for h in 0..128u8 {
            for i in g.match_h2(h) {
                assert!(g.ctrl_at(i) & 0x80 == 0, "h2 {h} matched slot {i}");
            }
        }
        assert_eq!(g.match_empty().first(), 0);
    }
}
