//! Sizes and alignments against Go's `unsafe.Sizeof` / `unsafe.Alignof` on amd64, pointer-ness,
//! comparability, canonical text, and refusals.

use super::*;

fn t(text: &str) -> GoType {
    match GoType::parse(text) {
        Ok(t) => t,
        Err(e) => panic!("{text:?} should parse: {e}"),
    }
}

#[test]
fn sizes_and_alignments_match_amd64() {
    // (type, unsafe.Sizeof, unsafe.Alignof) as printed by go1.22 on linux/amd64.
    let cases: &[(&str, u64, u64)] = &[
        ("bool", 1, 1),
        ("int", 8, 8),
        ("int8", 1, 1),
        ("int16", 2, 2),
        ("int32", 4, 4),
        ("int64", 8, 8),
        ("uint", 8, 8),
        ("uint8", 1, 1),
        ("uint16", 2, 2),
        ("uint32", 4, 4),
        ("uint64", 8, 8),
        ("uintptr", 8, 8),
        ("byte", 1, 1),
        ("rune", 4, 4),
        ("float32", 4, 4),
        ("float64", 8, 8),
        ("complex64", 8, 4),
        ("complex128", 16, 8),
        ("string", 16, 8),
        ("[32]byte", 32, 1),
        ("[4]int32", 16, 4),
        ("[3]string", 48, 8),
        ("[2]complex64", 16, 4),
        ("[0]int64", 0, 8),
        ("[2][3]int16", 12, 2),
        ("*int", 8, 8),
        ("[]int", 24, 8),
        ("map[string]int", 8, 8),
        ("chan int", 8, 8),
        ("func()", 8, 8),
        ("func(int) string", 8, 8),
        ("any", 16, 8),
        ("interface{}", 16, 8),
        ("error", 16, 8),
        ("unsafe.Pointer", 8, 8),
        ("struct{}", 0, 1),
        ("[8]struct{}", 0, 1),
    ];
    for &(text, size, align) in cases {
        let ty = t(text);
        assert_eq!(ty.size(), size, "Sizeof({text})");
        assert_eq!(ty.align(), align, "Alignof({text})");
    }
}

#[test]
fn pointers() {
    for text in [
        "string",
        "*int",
        "[]byte",
        "map[int]int",
        "chan int",
        "func()",
        "any",
        "[1]string",
        "unsafe.Pointer",
    ] {
        assert!(t(text).has_pointers(), "{text} has pointers");
    }
    for text in [
        "int64",
        "[32]byte",
        "struct{}",
        "[0]*int",
        "[0]string",
        "complex128",
        "bool",
    ] {
        assert!(!t(text).has_pointers(), "{text} has no pointers");
    }
}

#[test]
fn comparability() {
    for text in [
        "int",
        "string",
        "[4]string",
        "*[]int",
        "chan []int",
        "any",
        "interface{}",
        "struct{}",
        "float64",
        "[2][2]int8",
    ] {
        assert!(t(text).comparable(), "{text} is comparable");
    }
    for text in [
        "[]int",
        "map[int]int",
        "func()",
        "[2][]int",
        "[1]map[string]int",
        "[3]func()",
    ] {
        assert!(!t(text).comparable(), "{text} is not comparable");
    }
}

#[test]
fn canonical_text_tolerates_whitespace() {
    let cases = [
        ("  int64 ", "int64"),
        ("[ 32 ]byte", "[32]byte"),
        ("map[ string ] [] int", "map[string][]int"),
        ("* int", "*int"),
        (
            "func( int , string ) ( bool , error )",
            "func(int, string) (bool, error)",
        ),
        ("func(a, b int) error", "func(a, b int) error"),
        ("func(xs ...int)", "func(xs ...int)"),
        ("<- chan int", "<-chan int"),
        ("chan<- int", "chan<- int"),
        ("chan (<-chan int)", "chan (<-chan int)"),
        ("interface { }", "interface{}"),
        ("struct { }", "struct{}"),
        ("[]func()", "[]func()"),
        ("map[int]func() error", "map[int]func() error"),
    ];
    for (input, text) in cases {
        assert_eq!(t(input).text(), text, "{input:?}");
    }
}

#[test]
fn serde_round_trip() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct H {
        k: GoType,
    }
    let h: H = toml::from_str("k = \"map[ string ]int\"").unwrap();
    assert_eq!(h.k.text(), "map[string]int");
    assert_eq!(
        toml::to_string(&h).unwrap().trim(),
        "k = \"map[string]int\""
    );
    let e = toml::from_str::<H>("k = 5").unwrap_err();
    assert!(e.message().contains("a Go type such as"), "{}", e.message());
}

#[test]
fn structs_are_refused_with_a_same_size_suggestion() {
    let cases = [
        ("struct{a int64; b bool}", "struct{ a int64; b bool }", 16),
        ("struct{ a bool; b int64 }", "struct{ a bool; b int64 }", 16),
        (
            "struct{a, b int32; c int16}",
            "struct{ a, b int32; c int16 }",
            12,
        ),
        (
            "struct{a int32; b struct{}}",
            "struct{ a int32; b struct{} }",
            8,
        ),
        (
            "struct{a byte; b [0]int64}",
            "struct{ a byte; b [0]int64 }",
            16,
        ),
        (
            "struct {\n  k string `json:\"k\"`\n  v int\n}",
            "struct{ k string; v int }",
            24,
        ),
        ("[4]struct{x int16}", "struct{ x int16 }", 2),
    ];
    for (input, text, size) in cases {
        assert_eq!(
            GoType::parse(input),
            Err(format!(
                "struct types other than struct{{}} are not supported: replace {text} by \
                 [{size}]byte, which has the same size"
            )),
            "{input:?}"
        );
    }
    // Not comparable: no [N]byte advice for a key, Go refuses the struct as one.
    assert_eq!(
        GoType::parse("struct{a int; b []byte}").unwrap_err(),
        "struct types other than struct{} are not supported, and struct{ a int; b []byte } \
         is not comparable (a slice, map or func field), so it cannot be a map key: as a map \
         element, replace it by [32]byte, which has the same size"
    );
    let e = GoType::parse("struct{d time.Duration}").unwrap_err();
    assert!(
        e.starts_with("struct types other than struct{} are not supported: use [N]byte"),
        "{e}"
    );
}

#[test]
fn refusals() {
    let e = GoType::parse("strin").unwrap_err();
    assert_eq!(
        e,
        format!("invalid Go type \"strin\": unknown type `strin` (allowed: {ALLOWED_TYPES})")
    );
    assert_eq!(
        GoType::parse("map[[]int]int"),
        Err(
            "invalid map key type []int (map keys must be comparable: slices, maps and \
             functions are not)"
                .to_string()
        )
    );
    assert_eq!(
        GoType::parse("[]map[func()]int"),
        Err(invalid_key_message("func()"))
    );
    for bad in [
        "",
        "[x]byte",
        "[3]",
        "map[string",
        "int int",
        "time.Duration",
        "[-1]int",
        "func(foo)",
        "chan",
        "*",
        "(int",
        "interface{",
        "[99999999999999999999]byte",
    ] {
        assert!(GoType::parse(bad).is_err(), "{bad:?} should be refused");
    }
    let deep = format!("{}int", "[]".repeat(100_000));
    assert!(
        GoType::parse(&deep)
            .unwrap_err()
            .ends_with("the type is nested too deeply")
    );
    assert_eq!(t(&format!("{}int", "*".repeat(99))).size(), 8);
    assert_eq!(
        GoType::parse("[18446744073709551615]int64"),
        Err("invalid array length 18446744073709551615 (untyped int constant)".to_string())
    );
}

/// What go1.19.8 `go build` on linux/amd64 says of each type (as a map key or elem, or in
/// `var x *T`): MaxWidth is 1 << 50.
#[test]
fn types_of_max_width_or_more_are_refused_as_go_does() {
    let larger = |t: &str| Err(format!("type {t} larger than address space"));
    for text in [
        "[4611686018427387904]byte",
        "[1125899906842624]byte",
        "[140737488355328]int64",
        "[9223372036854775807]int64",
        "[2][562949953421312]byte",
        "[1024][1099511627776]byte",
    ] {
        assert_eq!(GoType::parse(text), larger(text), "{text}");
    }
    // The innermost array over the limit is named, wherever it is.
    for outer in [
        "*[1125899906842624]byte",
        "[][1125899906842624]byte",
        "map[string][1125899906842624]byte",
        "map[[1125899906842624]byte]int",
        "func([1125899906842624]byte)",
        "chan [4][1125899906842624]byte",
    ] {
        assert_eq!(
            GoType::parse(outer),
            larger("[1125899906842624]byte"),
            "{outer}"
        );
    }
    assert_eq!(t("[1125899906842623]byte").size(), MAX_WIDTH - 1);
    assert_eq!(t("[140737488355327]int64").size(), MAX_WIDTH - 8);
    assert_eq!(t("[1099511627776]byte").size(), 1 << 40);
    assert_eq!(t("[9223372036854775807]struct{}").size(), 0);
    assert_eq!(t("[4611686018427387904][0]int64").size(), 0);
    assert_eq!(
        GoType::parse("[9223372036854775808]struct{}"),
        Err("invalid array length 9223372036854775808 (untyped int constant)".to_string())
    );
    assert_eq!(
        GoType::parse("struct{a [1125899906842623]byte; b byte}"),
        Err("type struct{ a [1125899906842623]byte; b byte } too large".to_string())
    );
    assert_eq!(
        GoType::parse("[010]byte"),
        Err(
            "invalid Go type \"[010]byte\": write the array length 010 without leading \
             zeros: Go reads it as octal"
                .to_string()
        )
    );
    assert_eq!(t("[0]byte").size(), 0);
}

#[test]
fn a_slice_element_may_be_a_struct_laid_out_as_the_compiler_does() {
    // cmd/compile/internal/types/size.go: fields at their alignment, the size rounded up to
    // the struct's: {*int; int64} is 16 B aligned 8; {int32; bool} is 5 B rounded to 8.
    let t = GoType::parse_elem("struct{p *int; n int64}").unwrap();
    assert_eq!(
        (t.text(), t.size(), t.align(), t.has_pointers()),
        ("struct{ p *int; n int64 }", 16, 8, true)
    );
    let t = GoType::parse_elem("struct { a int32; b bool }").unwrap();
    assert_eq!((t.size(), t.align(), t.has_pointers()), (8, 4, false));
    // As a map key or element it is still refused.
    assert!(GoType::parse("struct{p *int; n int64}").is_err());
}
