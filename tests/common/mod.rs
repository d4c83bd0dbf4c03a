//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use gomemsim::engine::Outcome;
use gomemsim::scenario::{self, Scenario};

/// The measured-data directory (copies of real Go 1.19 runs).
pub fn measured(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/measured")
        .join(name)
}

/// Reads a measured CSV as header + rows of strings.
pub fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    read_csv_at(&measured(name))
}

/// Reads the CSV at `path` as header + rows of strings.
pub fn read_csv_at(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The value of `col` in `row`.
pub fn col<'a>(header: &[String], row: &'a [String], col: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == col)
        .unwrap_or_else(|| panic!("no column {col}"));
    &row[i]
}

/// A one-map, one-goroutine scenario inserting `n` fresh keys.
pub fn insert_scenario(key: &str, hint: u64, n: u64, seed: u64) -> Scenario {
    insert_scenario_in(key, hint, n, seed, "")
}

/// [`insert_scenario`] with a `[runtime]` table holding `runtime` (e.g. `gogc = "off"`).
pub fn insert_scenario_in(key: &str, hint: u64, n: u64, seed: u64, runtime: &str) -> Scenario {
    let text = format!(
        r#"
name = "t"
seed = {seed}
[runtime]
{runtime}
[[maps]]
name = "m"
key = "{key}"
elem = "int64"
hint = {hint}
[[goroutines]]
name = "w"
program = [ {{ op = "insert", map = "m", n = {n} }} ]
"#
    );
    scenario::parse_str(&text, "test.toml", &[]).expect("valid test scenario")
}

/// Every bundled scenario file, in name order.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// `gomemsim run FILE --no-plots -q --out DIR` with `flags`: asserts that it ran (exit 0, or
/// 1 when the simulated program died).
pub fn run_cli_into(file: &std::path::Path, dir: &std::path::Path, flags: &[&str]) {
    cli_into(&["run", "--no-plots", "-q"], file, dir, flags);
}

/// `gomemsim COMMAND… FLAGS… --out DIR FILE`: asserts that it ran (exit 0, or 1 when the
/// simulated program died).
#[allow(dead_code)]
pub fn cli_into(
    command: &[&str],
    file: &std::path::Path,
    dir: &std::path::Path,
    flags: &[&str],
) -> std::process::Output {
    let o = std::process::Command::new(bin())
        .args(command)
        .args(flags)
        .arg("--out")
        .arg(dir)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// gomemsim with `args`, to run under a 2 GiB address-space limit (`ulimit -v`): the limit
/// the hostile cases and the fuzzer hold it to.
pub fn gomemsim_in_2gib<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Command {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 2097152 && exec \"$@\"")
        .arg("sh")
        .arg(bin())
        .args(args);
    cmd
}

/// Runs `cmd` to its end, or kills it once `limit` has passed: its exit code and what it
/// printed (stderr, then stdout), or `None` when it ran out of time.
pub fn run_within(
    mut cmd: std::process::Command,
    limit: std::time::Duration,
) -> Option<(Option<i32>, String)> {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let err = read(Box::new(child.stderr.take().expect("piped")));
    let out = read(Box::new(child.stdout.take().expect("piped")));
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let text = err.join().unwrap_or_default() + &out.join().unwrap_or_default();
    status.map(|s| (s.code(), text))
}

/// Runs a scenario through the library.
pub fn run(sc: &Scenario) -> Outcome {
    gomemsim::run(sc).expect("scenario runs")
}

/// Path of the built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gomemsim"))
}

/// A bundled scenario file.
pub fn bundled(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// Asserts that a gomemsim process exited 0, showing its stderr when it did not.
pub fn assert_ok(o: &std::process::Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The `warning: ` lines of a run's stderr, without the prefix.
pub fn warnings(o: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("warning: "))
        .map(String::from)
        .collect()
}

/// `gomemsim calibrate LOG --out OUT --no-plots EXTRA…`.
pub fn calibrate(
    log: &std::path::Path,
    out: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    std::process::Command::new(bin())
        .arg("calibrate")
        .arg(log)
        .arg("--out")
        .arg(out)
        .arg("--no-plots")
        .args(extra)
        .output()
        .unwrap()
}

/// fit.json of a calibrate output directory.
pub fn fit_json(out: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("fit.json")).unwrap()).unwrap()
}

/// The relative error fit.json gives for `quantity`.
pub fn rel(fit: &serde_json::Value, quantity: &str) -> f64 {
    fit[quantity]["relative_error"].as_f64().unwrap()
}

/// A bundled real gctrace log.
pub fn gctrace_log(name: &str) -> PathBuf {
    measured("gctrace").join(name)
}

/// The first of `names` on PATH; without any, `None` after a printed note (`test` names the
/// test), or a failure when the environment variable `require` is set (as `.ci/run` sets
/// it, so CI never passes a test that ran nothing).
#[allow(dead_code)]
pub fn tool(names: &[&str], require: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .flat_map(|d| names.iter().map(move |n| d.join(n)))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var_os(require).is_some_and(|v| !v.is_empty()) {
            panic!("no {} on PATH, but {require} is set", names[0]);
        }
        eprintln!("note: {test}: SKIPPED, no {} on PATH", names[0]);
    }
    found
}

/// promtool on PATH ([`tool`], required by `GOMEMSIM_REQUIRE_PROMTOOL`).
#[allow(dead_code)]
pub fn promtool(test: &str) -> Option<PathBuf> {
    tool(&["promtool"], "GOMEMSIM_REQUIRE_PROMTOOL", test)
}

/// A headless-capable Chromium on PATH ([`tool`], required by `GOMEMSIM_REQUIRE_CHROMIUM`).
#[allow(dead_code)]
pub fn chromium(test: &str) -> Option<PathBuf> {
    tool(
        &["chromium", "chromium-browser", "google-chrome"],
        "GOMEMSIM_REQUIRE_CHROMIUM",
        test,
    )
}
