//! Heap accounting: what is reachable, what is allocated and not yet swept, what is free but
//! still mapped, and the runtime's non-heap memory — what the pacer and GOMEMLIMIT see.
//!
//! The GC's view follows go1.19: `heapLive` counts bytes allocated since the last mark on top
//! of what that mark found (runtime/mgcpacer.go: heapLive); objects allocated during a mark
//! are marked (allocate-black, runtime/malloc.go: gcmarknewobject); the sweep frees what
//! was not marked.

use super::gc::pacer::MemSnapshot;
use super::malloc::{CLASS_TO_SIZE, MAX_SMALL_SIZE};

/// runtime/mpagealloc.go: pallocChunkBytes — the heap grows by whole chunks of
/// pallocChunkPages = 512 pages.
pub const PALLOC_CHUNK_BYTES: u64 = 512 * super::malloc::PAGE_SIZE;

/// The OS page on linux/amd64, 4 KiB (runtime/os_linux.go: sysauxv sets physPageSize from
/// the auxiliary vector's AT_PAGESZ): the unit the kernel faults in.
pub const OS_PAGE: u64 = 4096;

/// runtime/stack.go: _StackMin — the stack a new goroutine gets (2 KiB in go1.19).
pub const STACK_MIN: u64 = 2048;

/// The OS pages the `n`-th new goroutine stack (from 1) is the first to write. Stacks are
/// carved from fresh spans, whose every stack gets its free-list link written as it is carved
/// (runtime/stack.go: stackpoolalloc), two to an OS page: every other new stack faults one in.
pub fn new_stack_pages(n: u64) -> u64 {
    let touched = |k: u64| k.saturating_mul(STACK_MIN).div_ceil(OS_PAGE);
    touched(n) - touched(n.saturating_sub(1))
}

/// The index in CLASS_TO_SIZE of the size class of a small object of `size` bytes; `None`
/// for a large one.
fn class_index(size: u64) -> Option<usize> {
    // runtime/malloc.go: mallocgc — `size <= maxSmallSize` takes a size class.
    (size > 0 && size <= MAX_SMALL_SIZE)
        .then(|| CLASS_TO_SIZE.partition_point(|&c| u64::from(c) < size))
}

/// runtime/malloc.go: heapAddrBits = 48 on linux/amd64 — the most heap there can be.
pub const MAX_HEAP: u64 = 1 << 48;

/// runtime/malloc.go: heapArenaBytes — the heap's address space comes in 64 MiB arenas on
/// linux/amd64 (logHeapArenaBytes = 26).
pub const HEAP_ARENA_BYTES: u64 = 64 << 20;

/// runtime/mheap.go: heapArena (go1.19, linux/amd64) — the metadata each arena gets when the
/// heap first grows into it (runtime/malloc.go: sysAlloc → persistentalloc → sysAlloc, which
/// counts all of it in mappedReady): the 2-bit-per-word heap bitmap (heapArenaBitmapBytes,
/// 2 MiB), a span pointer per page (64 KiB), the pageInUse, pageMarks and pageSpecials
/// bitmaps (1 KiB each), and two words (checkmarks, zeroedBase).
pub const HEAP_ARENA_METADATA: u64 = (2 << 20) + (64 << 10) + 3 * 1024 + 16;

/// Parameters of the non-heap memory model: memory the runtime maps beside heap objects
/// (stacks, span structures, GC metadata, fragmentation), which GOMEMLIMIT counts too.
/// Besides these, each 64 MiB arena the heap has grown into carries its
/// [`HEAP_ARENA_METADATA`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonHeapModel {
    /// Fixed runtime overhead in bytes.
    pub base: u64,
    /// Overhead per byte of heap memory mapped (in use or free): span structures, mark and
    /// allocation bits, span fragmentation.
    pub per_heap_byte: f64,
}

impl NonHeapModel {
    /// Non-heap bytes beside `heap_mapped` bytes of mapped heap memory, `address_space`
    /// bytes of heap address space grown into (mapped or released) and `stacks` bytes of
    /// goroutine stacks.
    pub fn bytes(&self, heap_mapped: u64, address_space: u64, stacks: u64) -> u64 {
        let arenas = address_space.div_ceil(HEAP_ARENA_BYTES).max(1);
        self.base
            .saturating_add(stacks)
            .saturating_add(arenas.saturating_mul(HEAP_ARENA_METADATA))
            .saturating_add((heap_mapped as f64 * self.per_heap_byte) as u64)
    }
}

/// Where the pages of an allocation came from when free mapped memory did not hold it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PagesTaken {
    /// Bytes reused from memory the scavenger had released: the allocation zeroes them
    /// (the span needs zeroing), which faults each page back in.
    pub released: u64,
    /// Bytes of heap address space never used before (the OS gives them zeroed, Go does
    /// not clear them, runtime/mheap.go: allocNeedsZero) ...
    pub fresh: u64,
    /// ... and the OS pages of it the allocation is the first to write: each faults in
    /// (the kernel maps a zeroed page on first touch).
    pub fresh_pages: u64,
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
    /// Per size class, the bytes left on the OS page its newest never-used memory was
    /// first written on (see [`Heap::first_touches`]).
    class_room: [u16; CLASS_TO_SIZE.len()],
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
            class_room: [0; CLASS_TO_SIZE.len()],
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
    /// pages are not cleared (allocNeedsZero), but the program's first write to each of
    /// them faults it in.
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
        let size = bytes / objects.max(1);
        let fresh_pages = if fresh == 0 {
            0
        } else {
            self.first_touches(fresh, size)
        };
        let taken = PagesTaken {
            released,
            fresh,
            fresh_pages,
        };
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

    /// The OS pages first written by `fresh` bytes of never-used memory in objects of
    /// `size` bytes. Each size class takes spans of its own (runtime/mcentral.go: grow), so a
    /// small object goes on the page its class's previous object left room on; a large one
    /// has pages of its own (runtime/mheap.go: allocLarge).
    fn first_touches(&mut self, fresh: u64, size: u64) -> u64 {
        let Some(class) = class_index(size) else {
            return fresh.div_ceil(OS_PAGE);
        };
        let room = u64::from(self.class_room[class]);
        let pages = fresh.saturating_sub(room).div_ceil(OS_PAGE);
        // What is left on the last page touched: always less than a page.
        self.class_room[class] = ((room + pages * OS_PAGE).saturating_sub(fresh) % OS_PAGE) as u16;
        pages
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
        self.nonheap.bytes(
            self.in_use + self.free_mapped,
            self.address_space(),
            self.stacks,
        )
    }

    /// The heap's address space: every byte it has grown by, mapped or released.
    pub fn address_space(&self) -> u64 {
        self.in_use
            .saturating_add(self.free_mapped)
            .saturating_add(self.released)
            .saturating_add(self.unused)
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
        // Non-heap: 1 MiB + 8 KiB stacks + two arenas' metadata + 96 MiB / 16.
        assert_eq!(
            h.nonheap_bytes(),
            (1 << 20) + (8 << 10) + 2 * HEAP_ARENA_METADATA + (6 << 20)
        );
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

    #[test]
    fn each_64_mib_arena_the_heap_grows_into_maps_its_metadata() {
        // runtime/mheap.go: heapArena on linux/amd64 is 2,165,776 bytes: a 2 MiB bitmap,
        // 8192 span pointers, three 1 KiB page bitmaps and two words.
        assert_eq!(HEAP_ARENA_METADATA, 2_165_776);
        let m = NonHeapModel {
            base: 0,
            per_heap_byte: 0.0,
        };
        // The first arena is there before the first allocation (the runtime allocates in it).
        assert_eq!(m.bytes(0, 0, 0), HEAP_ARENA_METADATA);
        assert_eq!(m.bytes(0, 64 << 20, 0), HEAP_ARENA_METADATA);
        assert_eq!(m.bytes(0, (64 << 20) + 1, 0), 2 * HEAP_ARENA_METADATA);
        // Released memory keeps its arena: 4 MiB in use, 124 MiB released is two arenas.
        let mut h = Heap::new(m, 0, 0);
        h.alloc(128 << 20, 32768, 4 << 20, 0);
        h.sweep(4 << 20);
        h.release(124 << 20);
        assert_eq!(h.nonheap_bytes(), 2 * HEAP_ARENA_METADATA);
    }

    #[test]
    fn every_other_new_goroutine_stack_faults_a_page() {
        // 2 KiB stacks, two to a 4 KiB page: stacks 1, 3, 5 start a page, 2, 4 do not.
        let pages: Vec<u64> = (1..=5).map(new_stack_pages).collect();
        assert_eq!(pages, vec![1, 0, 1, 0, 1]);
    }

    #[test]
    fn never_used_pages_fault_once_per_os_page_and_size_class() {
        let mut h = heap();
        // map[int64]int64's first bucket (144 B) and its first growth (288 B): two size
        // classes, each on a span of its own, so each writes a page of its own.
        assert_eq!(h.alloc(144, 1, 0, 0).fresh_pages, 1);
        assert_eq!(h.alloc(288, 1, 0, 0).fresh_pages, 1);
        // 27 more 144-byte objects fit the 4096 - 144 bytes left on the first page ...
        assert_eq!(h.alloc(27 * 144, 27, 0, 0).fresh_pages, 0);
        // ... which leaves 64 bytes: the next one goes on to a new page.
        assert_eq!(h.alloc(144, 1, 0, 0).fresh_pages, 1);
        // A large object (B = 8 buckets, 36864 B) writes its own 9 pages.
        assert_eq!(h.alloc(36864, 1, 0, 0).fresh_pages, 9);
        // Memory a sweep freed was touched before: reusing it faults nothing.
        h.sweep(0);
        assert_eq!(h.alloc(36864, 1, 0, 0).fresh_pages, 0);
    }
}
