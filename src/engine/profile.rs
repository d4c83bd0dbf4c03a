//! Who allocated what: the run's heap allocations by goroutine group, op and runtime path,
//! as Go's heap profile (runtime/mprof.go: mProf_Malloc, mProf_Free) sums them by stack.
//!
//! Each allocation is counted against a site: an instruction of a program and the runtime
//! path it took (mallocgc for the program's own `alloc` and `retain`, or one of the map's
//! [`AllocSite`]s). The tables are sized when the run starts, so counting allocates nothing.
//! At the end, what is still in use is known exactly for the program's objects (`retain`d
//! and not freed, the `[heap] live` memory); a map's live memory is shared among the sites
//! that allocated for it in proportion to what each allocated, since the model does not
//! remember which site made each bucket.

use crate::model::gomap::{ALLOC_SITES, AllocSite, Work};

/// Allocation counts of one site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Bytes allocated.
    pub bytes: u64,
    /// Objects allocated.
    pub objects: u64,
}

/// Kinds of site per instruction: the program's own allocations, then each map site.
const KINDS: usize = 1 + ALLOC_SITES;

/// One stack of the profile, with its four values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSample {
    /// Function names from the outermost frame (the goroutine) to the innermost
    /// (`runtime.mallocgc`).
    pub frames: Vec<String>,
    /// Objects and bytes allocated over the run.
    pub alloc: Count,
    /// Objects and bytes still reachable at the end.
    pub inuse: Count,
}

/// The allocation counts of a run.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllocProfile {
    /// Index of each program's first instruction in `sites`.
    offsets: Vec<usize>,
    /// Per instruction, per kind.
    sites: Vec<[Count; KINDS]>,
    /// `[heap] live` and each map's makemap at the start.
    live: Count,
    makemap: Vec<Count>,
    /// Retained objects by site, the latest last: `free` drops from the end.
    retained: Vec<(usize, Count)>,
}

impl AllocProfile {
    /// Tables for programs of these instruction counts and `maps` maps.
    pub fn new(instrs: impl Iterator<Item = usize>, maps: usize) -> Self {
        let mut offsets = Vec::new();
        let mut total = 0;
        for n in instrs {
            offsets.push(total);
            total += n;
        }
        AllocProfile {
            offsets,
            sites: vec![[Count::default(); KINDS]; total],
            live: Count::default(),
            makemap: vec![Count::default(); maps],
            retained: Vec::new(),
        }
    }

    /// `[heap] live` and makemap's allocations (`work` of map `m`), before the programs run.
    pub fn start(&mut self, live_bytes: u64, map_work: &[Work]) {
        if live_bytes > 0 {
            self.live = Count {
                bytes: live_bytes,
                objects: 1,
            };
        }
        for (m, w) in map_work.iter().enumerate() {
            self.makemap[m] = Count {
                bytes: w.alloc_bytes,
                objects: w.alloc_objects,
            };
        }
    }

    /// A `[[slices]]` array `make` allocated before the program started (0: none), counted
    /// with `[heap] live` under main.init's makeslice.
    pub fn makeslice(&mut self, bytes: u64) {
        if bytes > 0 {
            self.live.bytes += bytes;
            self.live.objects += 1;
        }
    }

    /// `objects` objects of `bytes` in all by instruction `pc` of program `program`
    /// (`alloc` or `retain`; retained ones stay in use until freed).
    #[inline]
    pub fn malloc(&mut self, program: usize, pc: u32, bytes: u64, objects: u64, retain: bool) {
        let i = self.offsets[program] + pc as usize;
        let c = &mut self.sites[i][0];
        c.bytes += bytes;
        c.objects += objects;
        if retain {
            match self.retained.last_mut() {
                Some((site, held)) if *site == i => {
                    held.bytes += bytes;
                    held.objects += objects;
                }
                _ => self.retained.push((i, Count { bytes, objects })),
            }
        }
    }

    /// A map operation's allocations, by the runtime path each took.
    #[inline]
    pub fn map_op(&mut self, program: usize, pc: u32, w: &Work) {
        if w.alloc_bytes == 0 {
            return;
        }
        let i = self.offsets[program] + pc as usize;
        for (k, c) in self.sites[i][1..].iter_mut().enumerate() {
            c.bytes += w.site_bytes[k];
            c.objects += w.site_objects[k];
        }
    }

    /// `free` of `bytes`: retained objects go, the latest first; the last one partly.
    pub fn free(&mut self, mut bytes: u64) {
        while bytes > 0 {
            let Some((_, held)) = self.retained.last_mut() else {
                return;
            };
            if held.bytes <= bytes {
                bytes -= held.bytes;
                self.retained.pop();
            } else {
                let objects =
                    (u128::from(held.objects) * u128::from(bytes) / u128::from(held.bytes)) as u64;
                held.bytes -= bytes;
                held.objects -= objects;
                bytes = 0;
            }
        }
    }

    /// The samples of a run of `programs` (goroutine frames `names`) on `maps`: the labels
    /// and map of each instruction, and each map's kind and bytes, from the programs and maps.
    pub fn samples_of(
        &self,
        programs: &[super::program::Program],
        names: &[String],
        maps: &[&crate::model::gomap::GoMap],
    ) -> Vec<ProfileSample> {
        use super::program::Instr;
        let labels: Vec<&[String]> = programs.iter().map(|p| p.labels.as_slice()).collect();
        let map_of = |p: usize, pc: usize| match programs[p].instrs[pc] {
            Instr::Insert { map, .. }
            | Instr::Delete { map, .. }
            | Instr::Churn { map, .. }
            | Instr::Read { map, .. }
            | Instr::Iterate { map } => Some(map as usize),
            _ => None,
        };
        let map_info: Vec<(bool, u64, u64)> = maps
            .iter()
            .map(|m| {
                (
                    m.implementation() == "swiss",
                    m.live_bytes(),
                    m.stats().bytes_allocated,
                )
            })
            .collect();
        self.samples(&labels, names, &map_of, &map_info)
    }

    /// The profile's samples. `labels[p][pc]` names each instruction, `goroutine[p]` each
    /// program's goroutines; `map_of[p][pc]` is the map an instruction works on, and
    /// `maps[m]` = (swiss, live bytes, bytes allocated) of map `m` at the end.
    pub fn samples(
        &self,
        labels: &[&[String]],
        goroutine: &[String],
        map_of: &dyn Fn(usize, usize) -> Option<usize>,
        maps: &[(bool, u64, u64)],
    ) -> Vec<ProfileSample> {
        let mut inuse = vec![[Count::default(); KINDS]; self.sites.len()];
        for &(i, held) in &self.retained {
            inuse[i][0].bytes += held.bytes;
            inuse[i][0].objects += held.objects;
        }
        let share = |c: Count, m: usize| -> Count {
            let (_, live, total) = maps[m];
            if total == 0 {
                return Count::default();
            }
            // Rounded to the nearest: a map's header, always live, stays one object.
            let f = |x: u64| {
                ((u128::from(x) * u128::from(live) + u128::from(total) / 2) / u128::from(total))
                    as u64
            };
            Count {
                bytes: f(c.bytes).min(c.bytes),
                objects: f(c.objects).min(c.objects),
            }
        };
        let mut out = Vec::new();
        let mallocgc = "runtime.mallocgc".to_string();
        if self.live.bytes > 0 {
            out.push(ProfileSample {
                frames: vec![
                    "main.init".into(),
                    "runtime.makeslice".into(),
                    mallocgc.clone(),
                ],
                alloc: self.live,
                inuse: self.live,
            });
        }
        for (m, &c) in self.makemap.iter().enumerate() {
            if c.bytes == 0 {
                continue;
            }
            let mut frames = vec!["main.main".to_string()];
            frames.extend(
                AllocSite::MakeMap
                    .frames(maps[m].0)
                    .iter()
                    .map(|f| f.to_string()),
            );
            frames.push(mallocgc.clone());
            out.push(ProfileSample {
                frames,
                alloc: c,
                inuse: share(c, m),
            });
        }
        for (p, &offset) in self.offsets.iter().enumerate() {
            for (pc, label) in labels[p].iter().enumerate() {
                let row = &self.sites[offset + pc];
                for (k, &c) in row.iter().enumerate() {
                    if c.bytes == 0 {
                        continue;
                    }
                    let mut frames = vec![goroutine[p].clone(), label.clone()];
                    let used = if k == 0 {
                        // An op's label is `<path> <op> <operand>`: an append's arrays come
                        // from growslice (runtime/slice.go), the others' from makeslice.
                        let grows = label.split(' ').nth(1) == Some("append");
                        frames.push(
                            if grows {
                                "runtime.growslice"
                            } else {
                                "runtime.makeslice"
                            }
                            .into(),
                        );
                        inuse[offset + pc][0]
                    } else {
                        let m = map_of(p, pc).unwrap_or(0);
                        frames.extend(
                            AllocSite::ALL[k - 1]
                                .frames(maps[m].0)
                                .iter()
                                .map(|f| f.to_string()),
                        );
                        share(c, m)
                    };
                    frames.push(mallocgc.clone());
                    out.push(ProfileSample {
                        frames,
                        alloc: c,
                        inuse: used,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_drops_the_latest_retained_first() {
        let mut p = AllocProfile::new([3usize, 2].into_iter(), 0);
        p.malloc(0, 1, 4096 * 4, 4, true);
        p.malloc(1, 0, 8192 * 2, 2, true);
        p.malloc(0, 2, 4096 * 10, 10, false);
        // 20 KiB: the second program's 16 KiB, then one of the first's four 4 KiB objects.
        p.free(20 << 10);
        assert_eq!(
            p.retained,
            vec![(
                1,
                Count {
                    bytes: 12 << 10,
                    objects: 3
                }
            )]
        );
        let labels: Vec<Vec<String>> = vec![
            vec!["a".into(), "b".into(), "c".into()],
            vec!["d".into(), "e".into()],
        ];
        let refs: Vec<&[String]> = labels.iter().map(|l| l.as_slice()).collect();
        let s = p.samples(&refs, &["g0".into(), "g1".into()], &|_, _| None, &[]);
        let total: u64 = s.iter().map(|x| x.alloc.bytes).sum();
        assert_eq!(total, 4096 * 4 + 8192 * 2 + 4096 * 10);
        let inuse: u64 = s.iter().map(|x| x.inuse.bytes).sum();
        assert_eq!(inuse, 12 << 10);
        assert_eq!(
            s[0].frames,
            ["g0", "b", "runtime.makeslice", "runtime.mallocgc"]
        );
    }
}
