//! Heap accounting: what is reachable, what is allocated and not yet swept, what is free but
//! still mapped, and the runtime's non-heap memory — what the pacer and GOMEMLIMIT see.
//!
//! The GC's view follows go1.19: `heapLive` counts bytes allocated since the last mark on top
//! of what that mark found (runtime/mgcpacer.go: heapLive); objects allocated during a mark
//! are marked (allocate-black, runtime/malloc.go: gcmarknewobject); the sweep frees what
//! was not marked.

use super::gc::pacer::MemSnapshot;

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
        Heap {
            nonheap,
            reachable: 0,
            reachable_scan: 0,
            in_use: 0,
            free_mapped: 0,
            stacks,
            globals,
            total_alloc: 0,
            total_alloc_objects: 0,
            peak_in_use: 0,
            peak_mapped: 0,
        }
    }

    /// Allocates `objects` objects totalling `bytes` (already size-class rounded).
    /// `reachable_bytes` of them stay reachable, `scan_bytes` of those contain pointers.
    /// Reuses free mapped memory before mapping more, as the page allocator does.
    #[inline]
    pub fn alloc(&mut self, bytes: u64, objects: u64, reachable_bytes: u64, scan_bytes: u64) {
        self.in_use = self.in_use.saturating_add(bytes);
        self.total_alloc = self.total_alloc.saturating_add(bytes);
        self.total_alloc_objects = self.total_alloc_objects.saturating_add(objects);
        self.reachable = self.reachable.saturating_add(reachable_bytes);
        self.reachable_scan = self.reachable_scan.saturating_add(scan_bytes);
        self.free_mapped = self.free_mapped.saturating_sub(bytes);
        if self.in_use > self.peak_in_use {
            self.peak_in_use = self.in_use;
        }
        let mapped = self.mapped_ready();
        if mapped > self.peak_mapped {
            self.peak_mapped = mapped;
        }
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

    /// runtime/mgcscavenge.go, simplified: the background scavenger returns free memory to
    /// the OS until the heap's mapped memory is at most `retain` bytes.
    pub fn scavenge_to(&mut self, retain: u64) {
        let heap_mapped = self.in_use + self.free_mapped;
        if heap_mapped > retain {
            self.free_mapped = self.free_mapped.saturating_sub(heap_mapped - retain);
        }
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
        h.scavenge_to(80 << 20);
        assert_eq!(h.free_mapped, 8 << 20);
    }
}
