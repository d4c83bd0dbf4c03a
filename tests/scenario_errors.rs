//! Malformed scenarios through the public API: each error must name the exact line, the field
//! path and what is allowed. Valid scenarios must round-trip through `to_toml_string`.

use gomemsim::scenario::{
    Bytes, Dur, Gogc, MapImpl, MemLimit, Op, Override, Scenario, ScenarioError, load, parse_str,
};

/// A valid scenario; the tests below break one line of it at a time.
const BASE: &str = r#"name = "probe"
seed = 3

[runtime]
go = "1.21"
gomaxprocs = 2
gogc = 100
gomemlimit = "off"

[heap]
live = "64MiB"

[[maps]]
name = "m"
key = "int64"
elem = "int64"
hint = 8

[[goroutines]]
name = "writer"
program = [
  { op = "insert", map = "m", n = 20000 },
  { op = "delete", map = "m", n = 100 },
  { op = "loop", times = 3, body = [{ op = "churn", map = "m", n = 5 }, { op = "read", map = "m", n = 1 }] },
  { op = "iterate", map = "m" },
]
"#;

const OPS: &str = "insert, delete, churn, read, iterate, append, reset, drop, alloc, retain, free, compute, lock, \
    unlock, rlock, runlock, loop, request";
const GO_RELEASES: &str = "1.19, 1.20, 1.21, 1.22, 1.23, 1.24";

fn sets(list: &[&str]) -> Vec<Override> {
    list.iter().map(|s| Override::parse(s).unwrap()).collect()
}

/// `BASE` with `from` replaced by `to` (which must occur).
fn base_with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} is not in BASE");
    BASE.replacen(from, to, 1)
}

fn err(text: &str, overrides: &[&str]) -> ScenarioError {
    match parse_str(text, "x.toml", &sets(overrides)) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    }
}

/// Parses a valid scenario and checks that it round-trips through `to_toml_string`.
fn ok(text: &str, overrides: &[&str]) -> Scenario {
    let s = parse_str(text, "x.toml", &sets(overrides)).unwrap_or_else(|e| panic!("{e}"));
    let written = s.to_toml_string();
    let again = parse_str(&written, "written.toml", &[])
        .unwrap_or_else(|e| panic!("written scenario does not load: {e}\n{written}"));
    assert_eq!(again, s, "round trip changed the scenario:\n{written}");
    assert_eq!(again.to_toml_string(), written);
    s
}

/// Asserts the location, field, message and allowed values of an error.
fn check(
    e: &ScenarioError,
    line: Option<usize>,
    field: &str,
    message: &str,
    allowed: Option<&str>,
) {
    assert_eq!(e.line, line, "line of {e}");
    assert_eq!(e.field, field, "field of {e}");
    assert_eq!(e.message, message, "message of {e}");
    assert_eq!(e.allowed.as_deref(), allowed, "allowed of {e}");
}

#[test]
fn toml_syntax_error() {
    let e = err(&base_with("gogc = 100", "gogc = = 100"), &[]);
    check(
        &e,
        Some(7),
        "runtime.gogc",
        "extra `=`, expected nothing",
        None,
    );
    assert_eq!(
        e.to_string(),
        "x.toml:7:8: runtime.gogc: extra `=`, expected nothing"
    );

    let e = err(&base_with("\"delete\", map", "\"delete\" map"), &[]);
    check(
        &e,
        Some(23),
        "goroutines[0].program",
        "missing comma between key-value pairs, expected `,`",
        None,
    );
}

#[test]
fn unknown_top_level_field() {
    let e = err(&base_with("seed = 3", "seed = 3\ncolor = 1"), &[]);
    let allowed = "name, seed, warmup, runtime, heap, costs, maps, slices, goroutines, arrivals";
    check(&e, Some(3), "color", "unknown field `color`", Some(allowed));
    assert_eq!(e.column, Some(1));
}

#[test]
fn unknown_field_in_runtime() {
    let e = err(&base_with("gogc = 100", "gogc = 100\ngcpercent = 5"), &[]);
    let allowed = "go, gomaxprocs, gogc, gomemlimit";
    check(
        &e,
        Some(8),
        "runtime.gcpercent",
        "unknown field `gcpercent`",
        Some(allowed),
    );
}

#[test]
fn unknown_fields_in_heap_and_costs_list_every_field() {
    let e = err(
        &base_with("live = \"64MiB\"", "live = \"64MiB\"\nnonheap = 1"),
        &[],
    );
    let allowed = "live, globals, stack, runtime_globals, nonheap_base, nonheap_ratio";
    check(
        &e,
        Some(12),
        "heap.nonheap",
        "unknown field `nonheap`",
        Some(allowed),
    );
    let e = err(&format!("{BASE}\n[costs]\nmark_utilization = 0.5\n"), &[]);
    let allowed = "map_op, map_overflow_probe, map_evacuate_entry, map_evacuate_bucket, \
        map_grow_first, alloc_per_kib, map_iter_entry, cache_l2, cache_l2_miss, cache_l3, cache_l3_miss, page_fault_per_kib, page_fault_fresh, scavenge_run, scavenge_per_kib, slice_append, memmove_per_kib, alloc_object, sweep_per_kib, alloc_miss_per_kib, sweep_per_page, mark_per_kib, scan_per_kib, \
        stw_sweep_term, stw_mark_term, stw_per_p, stw_per_goroutine, \
        background_mark_utilization, idle_mark_utilization, mark_assist_min_share, fractional_mutator_share, goroutine_spawn, sched_switch, main_wait, p_wake, p_wake_max, p_rewake, mutex_op";
    check(
        &e,
        Some(29),
        "costs.mark_utilization",
        "unknown field `mark_utilization`",
        Some(allowed),
    );
}

#[test]
fn fractions_in_heap_and_costs_are_checked() {
    let with = |line: &str| format!("{BASE}\n[costs]\n{line}\n");
    let e = err(&base_with("live = \"64MiB\"", "nonheap_ratio = 1.5"), &[]);
    let message = "nonheap_ratio must be between 0 and 1, got 1.5";
    check(&e, Some(11), "heap.nonheap_ratio", message, None);
    let e = err(&base_with("live = \"64MiB\"", "nonheap_ratio = nan"), &[]);
    let message = "nonheap_ratio must be a finite number from 0 to 1, got nan";
    check(&e, Some(11), "heap.nonheap_ratio", message, None);
    let e = err(&with("idle_mark_utilization = -0.1"), &[]);
    let message = "idle_mark_utilization must be between 0 and 1, got -0.1";
    check(&e, Some(29), "costs.idle_mark_utilization", message, None);
    let e = err(&with("mark_assist_min_share = -inf"), &[]);
    let message = "mark_assist_min_share must be a finite number from 0 to 1, got -inf";
    check(&e, Some(29), "costs.mark_assist_min_share", message, None);
    let e = err(&with("background_mark_utilization = 0"), &[]);
    let message = "background_mark_utilization must be above 0 and at most 1, got 0";
    check(
        &e,
        Some(29),
        "costs.background_mark_utilization",
        message,
        None,
    );
    let e = err(BASE, &["costs.background_mark_utilization=inf"]);
    assert_eq!(e.file, "--set costs.background_mark_utilization=inf");
    let message = "background_mark_utilization must be a finite number from 0 to 1, got inf";
    check(&e, None, "costs.background_mark_utilization", message, None);
    // The wake-up latency is drawn between the two: the range must not be empty.
    let e = err(BASE, &["costs.p_wake=5us", "costs.p_wake_max=3us"]);
    let message = "p_wake_max must be at least p_wake (5us), got 3us";
    check(&e, None, "costs.p_wake_max", message, None);
    let e = err(BASE, &["heap.nonheap_ratio=x"]);
    let message = "invalid type: string \"x\", expected a number";
    check(&e, None, "heap.nonheap_ratio", message, None);

    let s = ok(
        BASE,
        &[
            "heap.nonheap_ratio=0",
            "costs.background_mark_utilization=1",
            "costs.idle_mark_utilization=0",
            "costs.mark_assist_min_share=0.25",
        ],
    );
    assert_eq!(s.heap.nonheap_ratio, 0.0);
    assert_eq!(s.costs.background_mark_utilization, 1.0);
    assert_eq!(s.costs.mark_assist_min_share, 0.25);
}

#[test]
fn tables_of_the_wrong_kind_say_what_they_hold() {
    let runtime = "a table of runtime settings (go, gomaxprocs, gogc, gomemlimit)";
    let e = err(BASE, &["runtime=1"]);
    let message = format!("invalid type: integer `1`, expected {runtime}");
    check(&e, None, "runtime", &message, None);
    assert_eq!(
        e.to_string(),
        format!("--set runtime=1: runtime: {message}")
    );
    let e = err("name = \"a\"\nruntime = \"1.20\"\n", &[]);
    let message = format!("invalid type: string \"1.20\", expected {runtime}");
    check(&e, Some(2), "runtime", &message, None);

    // Serde would read an array as the struct's fields in order.
    let heap = "a table of heap settings (live, globals, stack, runtime_globals, nonheap_base, \
        nonheap_ratio)";
    let e = err("name = \"a\"\nheap = [1]\n", &[]);
    check(
        &e,
        Some(2),
        "heap",
        &format!("invalid type: array, expected {heap}"),
        None,
    );
    let e = err("name = \"a\"\nruntime = [\"1.20\", 2]\n", &[]);
    check(
        &e,
        Some(2),
        "runtime",
        &format!("invalid type: array, expected {runtime}"),
        None,
    );
    let e = err(BASE, &["costs=[]"]);
    assert!(
        e.message
            .starts_with("invalid type: array, expected a table of cost settings (map_op, "),
        "{e}"
    );
    let e = err("name = \"a\"\n[[costs]]\nmap_op = \"1ns\"\n", &[]);
    assert_eq!((e.line, e.field.as_str()), (Some(2), "costs"));
    assert!(
        e.message
            .starts_with("invalid type: array of tables, expected a table of cost"),
        "{e}"
    );

    let map = "[[maps]] table (name, key, elem, hint, impl)";
    let e = err(
        "name = \"a\"\nmaps = [[\"m\", \"int64\", \"int64\"]]\n",
        &[],
    );
    let message = format!("invalid type: array, expected a {map}");
    check(&e, Some(2), "maps[0]", &message, None);
    let maps = "an array of [[maps]] tables (name, key, elem, hint, impl)";
    let e = err("name = \"a\"\nmaps = {}\n", &[]);
    let message = format!("invalid type: table, expected {maps}");
    check(&e, Some(2), "maps", &message, None);
    let e = err(BASE, &["maps=1"]);
    let message = format!("invalid type: integer `1`, expected {maps}");
    check(&e, None, "maps", &message, None);

    let goroutine = "[[goroutines]] table (name, count, start, program)";
    let e = err("name = \"a\"\ngoroutines = [[\"w\", 1, []]]\n", &[]);
    let message = format!("invalid type: array, expected a {goroutine}");
    check(&e, Some(2), "goroutines[0]", &message, None);
    let e = err(BASE, &["goroutines=3"]);
    let message = "invalid type: integer `3`, expected an array of [[goroutines]] tables (name, \
        count, start, program)";
    check(&e, None, "goroutines", message, None);
    let e = err(BASE, &["goroutines[0].program=1"]);
    let message = "invalid type: integer `1`, expected an array of ops such as \
        [{ op = \"insert\", map = \"m\", n = 1 }]";
    check(&e, None, "goroutines[0].program", message, None);

    let e = err(BASE, &["maps[0].impl=1"]);
    let message = "invalid type: integer `1`, expected a map implementation name";
    check(&e, None, "maps[0].impl", message, Some("classic, swiss"));
    let e = err(
        &base_with("hint = 8", "hint = 8\nimpl = { classic = {} }"),
        &[],
    );
    let message = "invalid type: table, expected a map implementation name";
    check(
        &e,
        Some(18),
        "maps[0].impl",
        message,
        Some("classic, swiss"),
    );

    for (text, sets) in [
        (BASE, vec!["runtime=1"]),
        (BASE, vec!["heap=1"]),
        (BASE, vec!["costs=true"]),
        (BASE, vec!["maps[0]=1"]),
        (BASE, vec!["goroutines[0]=1"]),
        ("name = \"a\"\nmaps = [1]\n", vec![]),
        ("name = \"a\"\ngoroutines = [1]\n", vec![]),
    ] {
        let e = err(text, &sets);
        let shown = e.to_string();
        assert!(
            !shown.contains("struct") && !shown.contains("sequence") && !shown.contains("enum"),
            "{shown}"
        );
    }
}

#[test]
fn unknown_field_inside_an_op() {
    let e = err(&base_with("n = 100 }", "n = 100, x = 1 }"), &[]);
    check(
        &e,
        Some(23),
        "goroutines[0].program[1].x",
        "unknown field `x`",
        Some("op, map, n"),
    );
    assert_eq!(e.column, Some(44));

    let e = err(
        &base_with(
            "{ op = \"read\", map = \"m\", n = 1 }",
            "{ op = \"read\", map = \"m\", n = 1, y = 2 }",
        ),
        &[],
    );
    check(
        &e,
        Some(24),
        "goroutines[0].program[2].body[1].y",
        "unknown field `y`",
        Some("op, map, n"),
    );
}

#[test]
fn unknown_op_name() {
    let e = err(&base_with("\"delete\"", "\"instert\""), &[]);
    check(
        &e,
        Some(23),
        "goroutines[0].program[1].op",
        "unknown op `instert`",
        Some(OPS),
    );
    assert_eq!(
        e.to_string(),
        format!("x.toml:23:10: goroutines[0].program[1].op: unknown op `instert` (allowed: {OPS})")
    );
}

#[test]
fn errors_in_array_of_tables_programs_name_the_element() {
    let text = "name = \"a\"\n[[maps]]\nname = \"m\"\nkey = \"int\"\nelem = \"int\"\n\
        [[goroutines]]\nname = \"w\"\n[[goroutines.program]]\nop = \"insert\"\nmap = \"m\"\nn = 1\n\
        [[goroutines.program]]\nop = \"insert\"\nmap = \"m\"\nn = 1\nzz = 3\n";
    let e = err(text, &[]);
    check(
        &e,
        Some(16),
        "goroutines[0].program[1].zz",
        "unknown field `zz`",
        Some("op, map, n"),
    );
}

#[test]
fn bad_size_unit() {
    let e = err(&base_with("\"64MiB\"", "\"64XB\""), &[]);
    let message = "invalid size \"64XB\": expected a size such as \"64MiB\" \
        (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
    check(&e, Some(11), "heap.live", message, None);
}

#[test]
fn bare_integer_duration() {
    let e = err(&format!("{BASE}\n[costs]\nmap_op = 20\n"), &[]);
    let message = "a duration needs a unit: write \"20ns\", \"20us\" or \"20ms\" rather than 20 \
        (units: ps, ns, us, µs, ms, s, m, h)";
    check(&e, Some(29), "costs.map_op", message, None);
}

#[test]
fn negative_gogc() {
    let e = err(&base_with("gogc = 100", "gogc = -1"), &[]);
    check(
        &e,
        Some(7),
        "runtime.gogc",
        "GOGC must be >= 0 or \"off\", got -1",
        None,
    );
}

#[test]
fn slice_map_key() {
    let e = err(&base_with("key = \"int64\"", "key = \"[]byte\""), &[]);
    let message = "invalid map key type []byte (map keys must be comparable: slices, maps and functions \
         are not)";
    check(&e, Some(15), "maps[0].key", message, None);
    assert_eq!(
        e.to_string(),
        format!("x.toml:15:7: maps[0].key: {message}")
    );
    let e = err(
        &base_with("elem = \"int64\"", "elem = \"map[func()]int\""),
        &[],
    );
    let message = "invalid map key type func() (map keys must be comparable: slices, maps and \
         functions are not)";
    check(&e, Some(16), "maps[0].elem", message, None);
}

#[test]
fn types_larger_than_go_allows() {
    // Go's MaxWidth on amd64 is 1 << 50 bytes; go build says the same of these types.
    let e = err(
        &base_with("key = \"int64\"", "key = \"[4611686018427387904]byte\""),
        &[],
    );
    let message = "type [4611686018427387904]byte larger than address space";
    check(&e, Some(15), "maps[0].key", message, None);
    let e = err(
        &base_with("elem = \"int64\"", "elem = \"[2][562949953421312]int8\""),
        &[],
    );
    let message = "type [2][562949953421312]int8 larger than address space";
    check(&e, Some(16), "maps[0].elem", message, None);
    let e = err(BASE, &["maps[0].elem=[1125899906842624]byte"]);
    let message = "type [1125899906842624]byte larger than address space";
    check(&e, None, "maps[0].elem", message, None);
    let e = err(
        &base_with("key = \"int64\"", "key = \"[9223372036854775808]struct{}\""),
        &[],
    );
    let message = "invalid array length 9223372036854775808 (untyped int constant)";
    check(&e, Some(15), "maps[0].key", message, None);

    // Just below the limit is a valid Go type: its 8-byte slot (keys and elems over 128
    // bytes are stored indirectly) keeps the bucket at 16 + 8*8 + 8*8 bytes.
    let s = ok(
        BASE,
        &[
            "maps[0].key=[1125899906842623]byte",
            "maps[0].elem=[1099511627776]byte",
        ],
    );
    assert_eq!(s.maps[0].key.size(), (1 << 50) - 1);
    assert_eq!(s.maps[0].elem.size(), 1 << 40);
}

#[test]
fn unknown_go_type_lists_the_allowed_forms() {
    let e = err(&base_with("elem = \"int64\"", "elem = \"strin\""), &[]);
    assert_eq!((e.line, e.field.as_str()), (Some(16), "maps[0].elem"));
    assert_eq!(e.message, "invalid Go type \"strin\": unknown type `strin`");
    let allowed = e.allowed.unwrap();
    assert!(allowed.starts_with("bool, int, int8,"), "{allowed}");
    assert!(allowed.ends_with("interface{}, struct{}"), "{allowed}");
}

#[test]
fn struct_key_suggests_a_byte_array() {
    let e = err(
        &base_with("key = \"int64\"", "key = \"struct{ a int64; b bool }\""),
        &[],
    );
    let message = "struct types other than struct{} are not supported: replace \
        struct{ a int64; b bool } by [16]byte, which has the same size";
    check(&e, Some(15), "maps[0].key", message, None);
}

#[test]
fn undeclared_map() {
    let e = err(
        &base_with("\"iterate\", map = \"m\"", "\"iterate\", map = \"q\""),
        &[],
    );
    check(
        &e,
        Some(25),
        "goroutines[0].program[3].map",
        "map `q` is not declared",
        Some("m"),
    );

    let e = err(
        &base_with(
            "{ op = \"churn\", map = \"m\"",
            "{ op = \"churn\", map = \"n\"",
        ),
        &[],
    );
    check(
        &e,
        Some(24),
        "goroutines[0].program[2].body[0].map",
        "map `n` is not declared",
        Some("m"),
    );
}

#[test]
fn duplicate_map_names() {
    let text = format!("{BASE}\n[[maps]]\nname = \"m\"\nkey = \"string\"\nelem = \"int\"\n");
    let e = err(&text, &[]);
    let message = "duplicate map name `m` (first declared as maps[0])";
    check(&e, Some(29), "maps[1].name", message, None);
}

#[test]
fn go_1_25_is_not_modelled_yet() {
    let e = err(&base_with("\"1.21\"", "\"1.25\""), &[]);
    check(
        &e,
        Some(5),
        "runtime.go",
        "Go release \"1.25\" is not modelled yet",
        Some(GO_RELEASES),
    );
    let e = err(&base_with("\"1.21\"", "\"1.26\""), &[]);
    check(
        &e,
        Some(5),
        "runtime.go",
        "Go release \"1.26\" is not modelled yet",
        Some(GO_RELEASES),
    );
}

#[test]
fn go_2_0_is_unknown() {
    let e = err(&base_with("\"1.21\"", "\"2.0\""), &[]);
    check(
        &e,
        Some(5),
        "runtime.go",
        "unsupported Go release \"2.0\"",
        Some(GO_RELEASES),
    );
}

#[test]
fn unquoted_go_release_gets_a_hint() {
    let e = err(&base_with("go = \"1.21\"", "go = 1.20"), &[]);
    let message = "invalid type: floating point `1.2`, expected a string; \
        write it as a string: go = \"1.20\"";
    check(&e, Some(5), "runtime.go", message, None);
}

#[test]
fn gomaxprocs_zero() {
    let e = err(&base_with("gomaxprocs = 2", "gomaxprocs = 0"), &[]);
    let message = "gomaxprocs must be between 1 and 1024, got 0";
    check(&e, Some(6), "runtime.gomaxprocs", message, None);
    let e = err(&base_with("gomaxprocs = 2", "gomaxprocs = 1025"), &[]);
    assert_eq!((e.line, e.field.as_str()), (Some(6), "runtime.gomaxprocs"));
}

#[test]
fn missing_fields() {
    let e = err(&base_with("key = \"int64\"\n", ""), &[]);
    check(&e, Some(13), "maps[0].key", "missing field `key`", None);
    let e = err(&base_with("name = \"probe\"\n", ""), &[]);
    check(&e, None, "name", "missing field `name`", None);
    assert_eq!(e.to_string(), "x.toml: name: missing field `name`");
    let e = err(&base_with("op = \"iterate\", ", ""), &[]);
    check(
        &e,
        Some(25),
        "goroutines[0].program[3].op",
        "missing field `op`",
        Some(OPS),
    );
    let e = err(&base_with(", n = 100", ""), &[]);
    check(
        &e,
        Some(23),
        "goroutines[0].program[1].n",
        "missing field `n`",
        None,
    );
}

#[test]
fn names() {
    let allowed = "letters, digits, `.`, `_` and `-`";
    let e = err(&base_with("name = \"probe\"", "name = \"\""), &[]);
    check(
        &e,
        Some(1),
        "name",
        "the scenario name must not be empty",
        Some(allowed),
    );
    let e = err(&base_with("name = \"probe\"", "name = \"a/b\""), &[]);
    let message = "invalid scenario name \"a/b\": it names the directory results/<name>/";
    check(&e, Some(1), "name", message, Some(allowed));
    let e = err(&base_with("name = \"probe\"", "name = \"..\""), &[]);
    assert_eq!((e.line, e.field.as_str()), (Some(1), "name"));
}

#[test]
fn later_features_are_refused() {
    // Allocation ops are checked for what they allocate.
    let alloc = "{ op = \"alloc\", bytes = \"4GiB\", size = \"0B\" }";
    let e = err(&base_with("{ op = \"iterate\", map = \"m\" }", alloc), &[]);
    let message = "object size must be at least 1B";
    check(&e, Some(25), "goroutines[0].program[3].size", message, None);
    let alloc = "{ op = \"alloc\", bytes = \"4GiB\", size = \"4KiB\", rate = \"0B/s\" }";
    let e = err(&base_with("{ op = \"iterate\", map = \"m\" }", alloc), &[]);
    check(
        &e,
        Some(25),
        "goroutines[0].program[3].rate",
        "rate must be above 0B/s",
        None,
    );

    // Locks and several goroutines are valid scenarios (explored by `gomemsim race`).
    ok(
        &base_with(
            "{ op = \"iterate\", map = \"m\" }",
            "{ op = \"lock\" }, { op = \"unlock\" }",
        ),
        &[],
    );
    ok(
        &base_with("name = \"writer\"", "name = \"writer\"\ncount = 2"),
        &[],
    );

    let e = err(
        &base_with("name = \"writer\"", "name = \"writer\"\ncount = 0"),
        &[],
    );
    check(
        &e,
        Some(21),
        "goroutines[0].count",
        "count must be >= 1, got 0",
        None,
    );

    let e = err(&base_with("hint = 8", "hint = 8\nimpl = \"swizz\""), &[]);
    check(
        &e,
        Some(18),
        "maps[0].impl",
        "unknown value `swizz`",
        Some("classic, swiss"),
    );
}

#[test]
fn bad_set_path() {
    let e = err(BASE, &["runtime.gcpercent=5"]);
    assert_eq!(e.file, "--set runtime.gcpercent=5");
    let allowed = "go, gomaxprocs, gogc, gomemlimit";
    check(
        &e,
        None,
        "runtime.gcpercent",
        "unknown field `gcpercent`",
        Some(allowed),
    );

    let e = err(BASE, &["goroutines[3].count=5"]);
    let message = "there is no goroutines[3]: `goroutines` has 1 element";
    check(&e, None, "goroutines[3].count", message, None);
    assert_eq!(
        e.to_string(),
        format!("--set goroutines[3].count=5: goroutines[3].count: {message}")
    );

    let e = err(BASE, &["seed.x=1"]);
    check(&e, None, "seed.x", "`seed` is not a table", None);

    let e = Override::parse("runtime..gogc=5").unwrap_err();
    assert_eq!(e.file, "--set runtime..gogc=5");
    assert!(
        e.message
            .starts_with("invalid field path `runtime..gogc`: a key is empty"),
        "{e}"
    );
    let e = Override::parse("runtime.gogc").unwrap_err();
    let message = "an override needs the form key=value, e.g. runtime.gogc=50";
    assert_eq!(e.to_string(), format!("--set runtime.gogc: {message}"));
    assert!(Override::parse(" =5").is_err());
}

#[test]
fn bad_set_value() {
    let e = err(BASE, &["runtime.gogc=abc"]);
    assert_eq!(
        e.to_string(),
        "--set runtime.gogc=abc: runtime.gogc: GOGC must be >= 0 or \"off\", got \"abc\""
    );
    check(
        &e,
        None,
        "runtime.gogc",
        "GOGC must be >= 0 or \"off\", got \"abc\"",
        None,
    );

    let e = err(BASE, &["goroutines[0].program[2].body[1].n=x"]);
    assert_eq!(e.file, "--set goroutines[0].program[2].body[1].n=x");
    let message = "invalid type: string \"x\", expected an integer >= 0";
    check(
        &e,
        None,
        "goroutines[0].program[2].body[1].n",
        message,
        None,
    );

    let e = err(BASE, &["runtime.go=1.25"]);
    assert_eq!(e.file, "--set runtime.go=1.25");
    let message = "Go release \"1.25\" is not modelled yet";
    check(&e, None, "runtime.go", message, Some(GO_RELEASES));

    let e = err(BASE, &["goroutines[0].program[1].op=instert"]);
    check(
        &e,
        None,
        "goroutines[0].program[1].op",
        "unknown op `instert`",
        Some(OPS),
    );
}

#[test]
fn file_errors_keep_their_lines_when_overrides_are_given() {
    let e = err(
        &base_with("gomaxprocs = 2", "gomaxprocs = 0"),
        &["runtime.gogc=50"],
    );
    assert_eq!(e.file, "x.toml");
    check(
        &e,
        Some(6),
        "runtime.gomaxprocs",
        "gomaxprocs must be between 1 and 1024, got 0",
        None,
    );
    let e = err(&base_with("\"delete\"", "\"instert\""), &["seed=5"]);
    check(
        &e,
        Some(23),
        "goroutines[0].program[1].op",
        "unknown op `instert`",
        Some(OPS),
    );
}

#[test]
fn overrides_apply() {
    let s = ok(
        BASE,
        &[
            "runtime.gogc=off",
            "runtime.gomemlimit=512MiB",
            "seed=7",
            "runtime.go=1.20",
            "maps[0].hint=100",
            "goroutines[0].program[2].body[1].n=9",
        ],
    );
    assert_eq!(s.runtime.gogc, Gogc::Off);
    assert_eq!(s.runtime.gomemlimit, MemLimit::Limit(Bytes(512 << 20)));
    assert_eq!(s.seed, 7);
    assert_eq!(s.runtime.go, "1.20");
    assert_eq!(s.maps[0].hint, 100);
    match &s.goroutines[0].program[2] {
        Op::Loop { body, .. } => assert_eq!(
            body[1],
            Op::Read {
                map: "m".into(),
                n: 9
            }
        ),
        other => panic!("{other:?}"),
    }
    let s = ok("name = \"bare\"\n", &["heap.live=1GiB", "name=\"other\""]);
    assert_eq!((s.heap.live, s.name.as_str()), (Bytes(1 << 30), "other"));
    let s = ok("name = \"bare\"\n", &["name=123", "runtime.gogc=\"off\""]);
    assert_eq!((s.name.as_str(), s.runtime.gogc), ("123", Gogc::Off));
    let s = ok("name = \"bare\"\n", &["name = true ", "seed=2"]);
    assert_eq!((s.name.as_str(), s.seed), ("true", 2));
}

#[test]
fn valid_base_round_trips() {
    let s = ok(BASE, &[]);
    assert_eq!(s.name, "probe");
    assert_eq!(s.seed, 3);
    assert_eq!(s.runtime.gomaxprocs, 2);
    assert_eq!(s.runtime.gogc, Gogc::Percent(100));
    assert_eq!(s.heap.live, Bytes(64 << 20));
    assert_eq!(s.costs.map_op, Dur::from_ps(22_500), "calibrated default");
    assert_eq!(s.maps[0].key.size(), 8);
    assert_eq!(s.goroutines[0].count, 1);
    assert_eq!(s.goroutines[0].program.len(), 4);
    // A churn adds a key only when it finds the map empty: 1 per execution at most.
    assert_eq!(s.key_budget(), vec![20000 + 3]);
}

#[test]
fn unusual_valid_scenarios_round_trip() {
    let s = ok(
        "name = \"maps-only\"\n[[maps]]\nname = \"a\"\nkey = \"[32]byte\"\nelem = \"map[string][]int\"\nimpl = \"classic\"\n",
        &[],
    );
    assert!(s.goroutines.is_empty());
    assert_eq!(s.maps[0].r#impl, Some(MapImpl::Classic));
    let text = r#"
name = "x_1.y-z"
seed = 9223372036854775807
[runtime]
gogc = 0
gomemlimit = "1.5GiB"
[heap]
globals = 4097
[costs]
map_op = "12.5ns"
alloc_per_kib = "1h30m"
[[maps]]
name = "s"
key = "string"
elem = "struct{}"
[[goroutines]]
name = "idle"
count = 1
program = []
"#;
    let s = ok(text, &[]);
    assert_eq!(s.costs.map_op, Dur::from_ps(12_500));
    assert_eq!(s.heap.globals, Bytes(4097));
    assert_eq!(s.runtime.gomemlimit, MemLimit::Limit(Bytes(3 << 29)));
    let s = ok(
        "name = \"nested\"\n[[maps]]\nname = \"m\"\nkey = \"int\"\nelem = \"int\"\n[[goroutines]]\nname = \"w\"\nprogram = [{ op = \"loop\", times = 2, body = [{ op = \"loop\", times = 0, body = [] }, { op = \"iterate\", map = \"m\" }] }]\n",
        &[],
    );
    assert_eq!(s.key_budget(), vec![0]);
}

#[test]
fn load_reads_files_and_labels_errors_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, base_with("gomaxprocs = 2", "gomaxprocs = 0")).unwrap();
    let e = load(&path, &[]).unwrap_err();
    assert_eq!(e.file, path.display().to_string());
    assert_eq!((e.line, e.column), (Some(6), Some(14)));

    let good = dir.path().join("good.toml");
    std::fs::write(&good, BASE).unwrap();
    let s = load(&good, &sets(&["seed=11"])).unwrap();
    assert_eq!(s.seed, 11);

    let missing = dir.path().join("missing.toml");
    let e = load(&missing, &[]).unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line),
        (missing.display().to_string().as_str(), None)
    );
    assert!(e.message.starts_with("cannot read the scenario: "), "{e}");
}

/// GOMAXPROCS of the wrong type states the range validation allows, once; a scenario name
/// may use any letters (it names a directory); a bad `--grid` value is blamed on `--grid`.
#[test]
fn gomaxprocs_range_unicode_names_and_grid_blame() {
    let e = err("name = \"a\"\n[runtime]\ngomaxprocs = \"four\"\n", &[]);
    assert!(
        e.to_string().contains("expected an integer from 1 to 1024"),
        "{e}"
    );
    assert!(!e.to_string().contains("4294967295"), "{e}");
    let e = err("name = \"a\"\n[runtime]\ngomaxprocs = 0\n", &[]);
    assert!(e.to_string().contains("between 1 and 1024"), "{e}");
    assert_eq!(ok("name = \"кэш-1\"\n", &[]).name, "кэш-1");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
        .args([
            "sweep",
            concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/map_growth.toml"),
        ])
        .args([
            "--grid",
            "runtime.gogc=abc",
            "-q",
            "--out",
            "/nonexistent/sweep",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--grid runtime.gogc=abc"), "{stderr}");
}

/// `--seeds 0` is blamed on `--seeds`, with the range it takes; a struct key that is not
/// comparable gets no `[N]byte` advice for a key (Go refuses such a key), only for an element.
#[test]
fn seeds_blame_and_non_comparable_struct_advice() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
        .args([
            "sweep",
            concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/map_growth.toml"),
            "--grid",
            "runtime.gogc=50,100",
            "--seeds",
            "0",
            "-q",
            "--out",
            "/nonexistent/sweep",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--seeds 0: the number of seeds must be from 1 to 10000000"),
        "{stderr}"
    );
    assert!(!stderr.contains("--grid"), "{stderr}");
    let e = err(
        "name = \"a\"\n[[maps]]\nname = \"m\"\nkey = \"struct{a int; b []byte}\"\nelem = \"int\"\n",
        &[],
    );
    let e = e.to_string();
    assert!(e.contains("is not comparable"), "{e}");
    assert!(e.contains("so it cannot be a map key"), "{e}");
}

/// Ops nest at most 39 deep (toml reads 80 levels of arrays and tables; a loop body takes
/// two): 39 loops in one another are read, 40 are refused saying the limit.
#[test]
fn nesting_too_deep_says_the_limit() {
    let nested = |d: usize| {
        format!(
            "name = \"deep\"\n[[goroutines]]\nname = \"g\"\nprogram = {}[]{}\n",
            "[{ op = \"loop\", times = 1, body = ".repeat(d),
            "}]".repeat(d)
        )
    };
    ok(&nested(39), &[]);
    let e = err(&nested(40), &[]).to_string();
    assert!(e.contains("ops nest at most 39 deep"), "{e}");
    assert!(!e.contains("max recursion depth met"), "{e}");
}

/// calibrate's `--gomaxprocs 0` is refused as an option, with its range, before anything is
/// fitted (it was blamed on a fitted.toml that was never written).
#[test]
fn calibrate_gomaxprocs_zero_is_blamed_on_the_option() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
        .args([
            "calibrate",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/measured/gctrace/L64_gogc100_c4k.txt"
            ),
            "--gomaxprocs",
            "0",
            "--out",
            "/nonexistent/calibrate",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--gomaxprocs"), "{stderr}");
    assert!(stderr.contains("1..=1024"), "{stderr}");
    assert!(!stderr.contains("fitted.toml"), "{stderr}");
}
