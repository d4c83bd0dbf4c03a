//! Heap accounting: what is reachable, what is allocated and not yet swept, what is free but
//! still mapped, and the runtime's non-heap memory — what the pacer and GOMEMLIMIT see.
//!
//! The GC's view follows go1.19: `heapLive` counts bytes allocated since the last mark on top
//! of what that mark found (runtime/mgcpacer.go: heapLive); objects allocated during a mark
//! are marked (allocate-black, runtime/malloc.go: gcmarknewobject); the sweep frees what
//! was not marked.

use super::gc::pacer::MemSnapshot;

/// runtime/mpagealloc.go: pallocChunkBytes — the heap grows by whole chunks of
/// pallocChunkPages = 512 pages.
pub const PALLOC_CHUNK_BYTES: u64 = 512 * super::malloc::PAGE_SIZE;

/// runtime/malloc.go: heapAddrBits = 48 on linux/amd64 — the most heap there can be.
pub const MAX_HEAP: u64 = 1 << 48;

/// Parameters of the non-heap memory model: memory the runtime maps beside heap objects
/// (stacks, span structures, GC metadata, fragmentation), which GOMEMLIMIT counts too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonHeapModel {
    /// Fixed runtime overhead in bytes.
    pub base: u64,
    /// Overhead per byte of heap memory mapped (in use or free): heap bitmap, spans.
    pub per_heap_byte: f64,
}

/// Where the pages of an allocation came from when free mapped memory did not hold it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PagesTaken {
    /// Bytes reused from memory the scavenger had released: the allocation zeroes them
    /// (the span needs zeroing), which faults each page back in.
    pub released: u64,
    /// Bytes of heap address space never used before (the OS gives them zeroed, Go does
    /// not clear them, runtime/mheap.go: allocNeedsZero).
    pub fresh: u64,
}

/// The heap of one simulated program.
#[derive(Debug, Clone, PartialEq)]
pub struct Heap {
    nonheap: NonHeapModel,
    /// Bytes a mark started now would find reachable.
    pub reachable: u64,
    /// Of those, bytes that contain pointers and must be scanned.
    pub reachable_scan: u64,
    /// Heap object bytes allocated and not yet freed by a sweep (`heapAlloc`).
    pub in_use: u64,
    /// Freed heap memory still mapped (not yet returned by the scavenger).
    pub free_mapped: u64,
    /// Free heap memory the scavenger returned to the OS: still the heap's address space,
    /// and an allocation that reuses it faults its pages back in.
    pub released: u64,
    /// Address space the heap grew by and has not used yet (scavenged, never touched).
    pub unused: u64,
    /// Goroutine stacks in bytes (`stackScan`).
    pub stacks: u64,
    /// Scannable globals in bytes (`globalsScan`).
    pub globals: u64,
    /// Every byte ever allocated.
    pub total_alloc: u64,
    /// Every object ever allocated.
    pub total_alloc_objects: u64,
    /// Highest `in_use` seen.
    pub peak_in_use: u64,
    /// Highest total mapped memory (heap in use + free mapped + non-heap) seen.
    pub peak_mapped: u64,
}

impl Heap {
    /// An empty heap under the non-heap model `nonheap`, with `stacks` bytes of goroutine
    /// stacks and `globals` bytes of scannable globals.
    pub fn new(nonheap: NonHeapModel, stacks: u64, globals: u64) -> Self {
        let mut h = Heap {
            nonheap,
            reachable: 0,
            reachable_scan: 0,
            in_use: 0,
            free_mapped: 0,
            released: 0,
            unused: 0,
            stacks,
            globals,
            total_alloc: 0,
            total_alloc_objects: 0,
            peak_in_use: 0,
            peak_mapped: 0,
        };
        // The runtime's own memory is there before the first allocation.
        h.peak_mapped = h.mapped_ready();
        h
    }

    /// Allocates `objects` objects totalling `bytes` (already size-class rounded).
    /// `reachable_bytes` of them stay reachable, `scan_bytes` of those contain pointers.
    /// Returns which of its pages were not resident.
    ///
    /// The page allocator takes the lowest free addresses whether resident or released
    /// (runtime/mpagealloc.go: alloc), and the sweep frees spans all over the heap, so an
    /// allocation from free memory takes resident and released pages in proportion to
    /// their amounts. Beyond free memory it takes never-used address space, which the heap
    /// grows by whole 4 MiB chunks (runtime/mheap.go: grow, pallocChunkBytes); never-used
    /// pages are scavenged too, but are not cleared (allocNeedsZero), so they do not fault.
    #[inline]
    pub fn alloc(
        &mut self,
        bytes: u64,
        objects: u64,
        reachable_bytes: u64,
        scan_bytes: u64,
    ) -> PagesTaken {
        let free = self.free_mapped.saturating_add(self.released);
        let from_free = bytes.min(free);
        let released = if self.released == 0 || from_free == 0 {
            0
        } else if from_free == free {
            self.released
        } else {
            (u128::from(from_free) * u128::from(self.released) / u128::from(free)) as u64
        };
        let resident = from_free - released;
        self.released -= released;
        self.free_mapped -= resident;
        let fresh = bytes - from_free;
        if fresh > self.unused {
            let grow = (fresh - self.unused).div_ceil(PALLOC_CHUNK_BYTES) * PALLOC_CHUNK_BYTES;
            self.unused = self.unused.saturating_add(grow);
        }
        self.unused = self.unused.saturating_sub(fresh);
        let taken = PagesTaken { released, fresh };
        self.in_use = self.in_use.saturating_add(bytes);
        self.total_alloc = self.total_alloc.saturating_add(bytes);
        self.total_alloc_objects = self.total_alloc_objects.saturating_add(objects);
        self.reachable = self.reachable.saturating_add(reachable_bytes);
        self.reachable_scan = self.reachable_scan.saturating_add(scan_bytes);
        if self.in_use > self.peak_in_use {
            self.peak_in_use = self.in_use;
        }
        let mapped = self.mapped_ready();
        if mapped > self.peak_mapped {
            self.peak_mapped = mapped;
        }
        taken
    }

    /// Returns up to `bytes` of free mapped memory to the OS; how much it returned.
    pub fn release(&mut self, bytes: u64) -> u64 {
        let r = bytes.min(self.free_mapped);
        self.free_mapped -= r;
        self.released += r;
        r
    }

    /// Goroutine stacks now take `bytes` (goroutines started or ended).
    pub fn set_stacks(&mut self, bytes: u64) {
        self.stacks = bytes;
        let mapped = self.mapped_ready();
        if mapped > self.peak_mapped {
            self.peak_mapped = mapped;
        }
    }

    /// Objects of `bytes` (with `scan_bytes` of pointers) become unreachable; the sweep after
    /// the next mark frees them.
    #[inline]
    pub fn drop_reachable(&mut self, bytes: u64, scan_bytes: u64) {
        self.reachable = self.reachable.saturating_sub(bytes);
        self.reachable_scan = self.reachable_scan.saturating_sub(scan_bytes);
    }

    /// The sweep after a mark that kept `marked` bytes: everything else in use is freed and
    /// stays mapped until scavenged.
    pub fn sweep(&mut self, marked: u64) {
        let freed = self.in_use.saturating_sub(marked);
        self.in_use -= freed;
        self.free_mapped += freed;
    }

    /// runtime/malloc.go: the heap lives in arenas of a 48-bit address space on linux/amd64
    /// (heapAddrBits); past it, allocation fails with "fatal error: runtime: out of memory".
    pub fn out_of_memory(&self) -> bool {
        self.in_use + self.free_mapped > MAX_HEAP
    }

    /// Non-heap bytes added per byte of heap mapped.
    pub fn nonheap_ratio(&self) -> f64 {
        self.nonheap.per_heap_byte
    }

    /// Non-heap runtime memory now.
    pub fn nonheap_bytes(&self) -> u64 {
        let heap_mapped = (self.in_use + self.free_mapped) as f64;
        self.nonheap.base + self.stacks + (heap_mapped * self.nonheap.per_heap_byte) as u64
    }

    /// All mapped, unreleased memory: heap in use, free heap, non-heap.
    pub fn mapped_ready(&self) -> u64 {
        self.in_use + self.free_mapped + self.nonheap_bytes()
    }

    /// What runtime/mgcpacer.go: memoryLimitHeapGoal reads.
    pub fn snapshot(&self) -> MemSnapshot {
        MemSnapshot {
            heap_alloc: self.in_use,
            heap_free: self.free_mapped,
            mapped_ready: self.mapped_ready(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heap() -> Heap {
        Heap::new(
            NonHeapModel {
                base: 1 << 20,
                per_heap_byte: 0.0625,
            },
            8 << 10,
            0,
        )
    }

    #[test]
    fn the_runtimes_own_memory_counts_before_any_allocation() {
        // A program that allocates nothing still maps the runtime's base and its stacks.
        let h = heap();
        assert_eq!(h.peak_mapped, h.mapped_ready());
        assert!(h.peak_mapped >= 1 << 20);
    }

    #[test]
    fn sweep_frees_what_the_mark_did_not_keep_and_reuses_it() {
        let mut h = heap();
        h.alloc(64 << 20, 16384, 64 << 20, 0);
        h.alloc(32 << 20, 8192, 0, 0);
        assert_eq!((h.in_use, h.reachable), (96 << 20, 64 << 20));
        h.sweep(64 << 20);
        assert_eq!((h.in_use, h.free_mapped), (64 << 20, 32 << 20));
        // New allocations reuse free mapped memory first.
        h.alloc(8 << 20, 2048, 0, 0);
        assert_eq!((h.in_use, h.free_mapped), (72 << 20, 24 << 20));
        assert_eq!(h.peak_in_use, 96 << 20);
        // Non-heap: 1 MiB + 8 KiB stacks + 96 MiB / 16.
        assert_eq!(h.nonheap_bytes(), (1 << 20) + (8 << 10) + (6 << 20));
        // Releasing 16 MiB to the OS leaves 8 MiB free and mapped.
        assert_eq!(h.release(16 << 20), 16 << 20);
        assert_eq!(h.free_mapped, 8 << 20);
    }

    #[test]
    fn free_memory_is_taken_by_address_so_released_pages_in_proportion() {
        let mut h = heap();
        // 12 MiB grow the heap by whole 4 MiB chunks (pallocChunkBytes): 12 MiB, no spare.
        let t = h.alloc(12 << 20, 3072, 0, 0);
        assert_eq!((t.fresh, t.released, h.unused), (12 << 20, 0, 0));
        // 1 more byte than that grows it by a whole chunk.
        let t = h.alloc(8192, 1, 0, 0);
        assert_eq!((t.fresh, h.unused), (8192, (4 << 20) - 8192));
        h.sweep(0);
        // 3 MiB of the free memory returned to the OS: a 4 MiB allocation takes free pages
        // by address, released ones in proportion (3 of 12 MiB + 8 KiB free).
        assert_eq!(h.release(3 << 20), 3 << 20);
        let free = (12 << 20) + 8192;
        let t = h.alloc(4 << 20, 1024, 0, 0);
        assert_eq!(t.released, (4u64 << 20) * (3 << 20) / free);
        assert_eq!(t.fresh, 0);
        // Never-used address space comes last, after all free memory.
        let t = h.alloc(9 << 20, 2304, 0, 0);
        assert_eq!(h.free_mapped + h.released, 0);
        assert_eq!(t.fresh, (13u64 << 20) - free);
        // Released memory is not mapped and ready: the memory limit does not count it.
        h.sweep(0);
        h.release(1 << 20);
        assert_eq!(
            h.mapped_ready(),
            h.in_use + h.free_mapped + h.nonheap_bytes()
        );
        assert_eq!(h.released, 1 << 20);
    }
}
