//! `gomemsim run --profile`: allocs.pb.gz, a Go heap profile of the run's allocations, read
//! by Go 1.19's `go tool pprof` (skipped, with a note, without a Go toolchain).

mod common;
mod go_toolchain;

use common::bundled_scenarios;
use go_toolchain::Go;

/// The profile accounts for every byte and object the run allocated: summed over its
/// stacks, alloc_space and alloc_objects equal total_alloc_bytes and total_alloc_objects,
/// and no stack has more in use than it allocated.
#[test]
fn the_profile_holds_every_allocation_of_every_bundled_scenario() {
    for file in bundled_scenarios() {
        let sc = gomemsim::scenario::load(&file, &[]).unwrap();
        let o = gomemsim::run(&sc).unwrap();
        let bytes: u64 = o.alloc_profile.iter().map(|s| s.alloc.bytes).sum();
        let objects: u64 = o.alloc_profile.iter().map(|s| s.alloc.objects).sum();
        assert_eq!(bytes, o.total_alloc_bytes, "{}", file.display());
        assert_eq!(objects, o.total_alloc_objects, "{}", file.display());
        for s in &o.alloc_profile {
            assert!(s.inuse.bytes <= s.alloc.bytes, "{}: {s:?}", file.display());
            assert_eq!(s.frames.last().unwrap(), "runtime.mallocgc");
        }
    }
}

/// A map's growth is charged to hashGrow's bucket arrays and its overflow buckets to
/// newoverflow, under the op that inserted.
#[test]
fn map_growth_is_charged_to_hash_grow_under_the_inserting_op() {
    let sc = gomemsim::scenario::load(&common::bundled("map_growth.toml"), &[]).unwrap();
    let o = gomemsim::run(&sc).unwrap();
    let grow: u64 = o
        .alloc_profile
        .iter()
        .filter(|s| s.frames.iter().any(|f| f == "runtime.hashGrow"))
        .map(|s| s.alloc.bytes)
        .sum();
    // runtime/map.go: makeBucketArray(t, b) — 2^b buckets of 144 bytes (8 tophash, 8 int64
    // keys, 8 int64 elems, the overflow pointer), plus 2^(b-4) preallocated overflow buckets
    // from b = 4, the whole rounded up to a size class (roundupsize).
    let arrays: u64 = o.maps[0]
        .events
        .iter()
        .filter(|e| matches!(e.kind, gomemsim::model::gomap::MapEventKind::GrowStart))
        .map(|e| {
            let b = e.b_after;
            let n = (1u64 << b) + if b >= 4 { 1 << (b - 4) } else { 0 };
            gomemsim::model::malloc::roundupsize(144 * n)
        })
        .sum();
    assert!(grow > 0);
    assert_eq!(
        grow, arrays,
        "hashGrow's allocations are the growths' new arrays"
    );
    for s in &o.alloc_profile {
        if s.frames.iter().any(|f| f == "runtime.mapassign") {
            assert_eq!(s.frames[..2], ["writer", "program[0] insert m"]);
        }
    }
}

/// Go 1.19's pprof reads the profile of every bundled scenario, and its alloc_space column
/// sums to the run's total_alloc_bytes.
#[test]
fn go_tool_pprof_reads_the_profile_of_every_bundled_scenario() {
    let Some(go) = Go::find("go_tool_pprof_reads_the_profile") else {
        return;
    };
    for file in bundled_scenarios() {
        let dir = tempfile::tempdir().unwrap();
        common::run_cli_into(&file, dir.path(), &["--profile"]);
        let profile = dir.path().join("allocs.pb.gz");
        let raw = go.ok(
            dir.path(),
            &["tool", "pprof", "-raw", profile.to_str().unwrap()],
        );
        let text = String::from_utf8_lossy(&raw.stdout);
        let mut lines = text
            .lines()
            .skip_while(|l| !l.starts_with("alloc_objects/count"));
        assert_eq!(
            lines.next(),
            Some(
                "alloc_objects/count alloc_space/bytes[dflt] inuse_objects/count inuse_space/bytes"
            ),
            "{}",
            file.display()
        );
        let total: u64 = lines
            .take_while(|l| l.contains(':'))
            .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
            .sum();
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(
            total,
            summary["total_alloc_bytes"].as_u64().unwrap(),
            "{}",
            file.display()
        );
        let top = go.ok(
            dir.path(),
            &["tool", "pprof", "-top", profile.to_str().unwrap()],
        );
        assert!(String::from_utf8_lossy(&top.stdout).contains("runtime.mallocgc"));
    }
}
