//! A happens-before data race detector with vector clocks, as `-race` sees map operations:
//! mapassign and mapdelete write the map, mapaccess1 and mapiternext read it (runtime/map.go:
//! racewritepc / racereadpc on the hmap), and sync.Mutex / RWMutex order what they protect
//! (release at Unlock, acquire at Lock). Go's hashWriting check is best effort; this is not.

/// One access to a map, for the race report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// The accessing goroutine's index.
    pub goroutine: u32,
    /// The accessing goroutine's own clock at the access (its epoch).
    pub clock: u32,
    /// The access writes the map (otherwise it reads it).
    pub write: bool,
    /// Caller's tag (the trace step index).
    pub tag: usize,
    /// The runtime function of the access, e.g. "runtime.mapdelete".
    pub function: &'static str,
}

/// The last write and the reads since, of one map (FastTrack's shadow state, with full read
/// sets: the goroutine counts here are small).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Shadow {
    write: Option<Seen>,
    reads: Vec<Seen>,
}

/// Vector clocks of every goroutine and lock, and the shadow state of every map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detector {
    clocks: Vec<Vec<u32>>,
    /// Per lock: the clock released by its last Unlock, and by RUnlocks since.
    lock_release: Vec<Vec<u32>>,
    rlock_release: Vec<Vec<u32>>,
    maps: Vec<Shadow>,
}

impl Detector {
    /// `goroutines` goroutines, all started by main before any of them ran (so none is
    /// ordered with another), `locks` mutexes and `maps` maps.
    pub fn new(goroutines: usize, locks: usize, maps: usize) -> Self {
        let mut clocks = vec![vec![0; goroutines]; goroutines];
        for (g, c) in clocks.iter_mut().enumerate() {
            c[g] = 1;
        }
        Detector {
            clocks,
            lock_release: vec![vec![0; goroutines]; locks],
            rlock_release: vec![vec![0; goroutines]; locks],
            maps: vec![Shadow::default(); maps],
        }
    }

    fn happened_before(&self, s: &Seen, g: u32) -> bool {
        s.clock <= self.clocks[g as usize][s.goroutine as usize]
    }

    /// Goroutine `g` accesses map `m`. Returns the earlier access it races with, if any.
    pub fn access(
        &mut self,
        g: u32,
        m: u32,
        write: bool,
        tag: usize,
        function: &'static str,
    ) -> Option<Seen> {
        let now = Seen {
            goroutine: g,
            clock: self.clocks[g as usize][g as usize],
            write,
            tag,
            function,
        };
        let shadow = &self.maps[m as usize];
        let mut race = None;
        if let Some(w) = shadow.write
            && w.goroutine != g
            && !self.happened_before(&w, g)
        {
            race = Some(w);
        }
        if write && race.is_none() {
            race = shadow
                .reads
                .iter()
                .find(|r| r.goroutine != g && !self.happened_before(r, g))
                .copied();
        }
        let shadow = &mut self.maps[m as usize];
        if write {
            shadow.write = Some(now);
            shadow.reads.clear();
        } else {
            shadow.reads.retain(|r| r.goroutine != g);
            shadow.reads.push(now);
        }
        race
    }

    fn join(into: &mut [u32], from: &[u32]) {
        for (a, b) in into.iter_mut().zip(from) {
            *a = (*a).max(*b);
        }
    }

    /// Lock (write side) acquires what every Unlock and RUnlock released.
    pub fn lock(&mut self, g: u32, l: u32) {
        let (w, r) = (
            &self.lock_release[l as usize],
            &self.rlock_release[l as usize],
        );
        Self::join(&mut self.clocks[g as usize], w);
        Self::join(&mut self.clocks[g as usize], r);
    }

    /// RLock acquires what the last Unlock released.
    pub fn rlock(&mut self, g: u32, l: u32) {
        Self::join(&mut self.clocks[g as usize], &self.lock_release[l as usize]);
    }

    /// Unlock releases the goroutine's clock to the next Lock or RLock.
    pub fn unlock(&mut self, g: u32, l: u32) {
        self.lock_release[l as usize] = self.clocks[g as usize].clone();
        self.clocks[g as usize][g as usize] += 1;
    }

    /// RUnlock releases to the next Lock.
    pub fn runlock(&mut self, g: u32, l: u32) {
        let c = self.clocks[g as usize].clone();
        Self::join(&mut self.rlock_release[l as usize], &c);
        self.clocks[g as usize][g as usize] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unordered_writes_race_and_a_mutex_orders_them() {
        let mut d = Detector::new(2, 1, 1);
        assert_eq!(d.access(0, 0, true, 1, "f"), None);
        let race = d.access(1, 0, true, 2, "f").expect("two unordered writes");
        assert_eq!((race.goroutine, race.tag), (0, 1));

        let mut d = Detector::new(2, 1, 1);
        d.lock(0, 0);
        assert_eq!(d.access(0, 0, true, 1, "f"), None);
        d.unlock(0, 0);
        d.lock(1, 0);
        assert_eq!(
            d.access(1, 0, true, 2, "f"),
            None,
            "Unlock happens before the next Lock"
        );
    }

    #[test]
    fn reads_race_with_writes_not_with_reads() {
        let mut d = Detector::new(3, 1, 1);
        assert_eq!(d.access(0, 0, false, 1, "f"), None);
        assert_eq!(
            d.access(1, 0, false, 2, "f"),
            None,
            "reads never race with reads"
        );
        let race = d
            .access(2, 0, true, 3, "f")
            .expect("a write after unordered reads");
        assert!(!race.write);
        // RLock/RUnlock then Lock: ordered.
        let mut d = Detector::new(2, 1, 1);
        d.rlock(0, 0);
        d.access(0, 0, false, 1, "f");
        d.runlock(0, 0);
        d.lock(1, 0);
        assert_eq!(d.access(1, 0, true, 2, "f"), None);
    }
}
