//! The insert path allocates nothing per insert: only bucket arrays (one per growth) and the
//! amortised growth of the vectors that hold overflow buckets. Counted with a global
//! allocator, so the test fails if a per-insert allocation creeps in.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use gomemsim::engine::Stream;
use gomemsim::model::gomap::{ClassicMap, MapLayout, Work};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_million_inserts_allocate_a_bounded_number_of_times() {
    let mut w = Work::default();
    let mut m = ClassicMap::new(MapLayout::INT64_INT64, 0, Stream::MapHash(0).rng(3), &mut w);
    let before = ALLOCS.load(Ordering::Relaxed);
    for k in 0..1_000_000u64 {
        m.assign(k, &mut w);
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    // 18 growths (B 0 -> 18) plus the first bucket, growth events, and a handful of vector
    // reallocations where overflow buckets outgrow an array's reserved room: far below one
    // per insert.
    assert!(allocs < 200, "{allocs} allocations for 1M inserts");
    assert_eq!(m.b(), 18);
}
