//! A real Go toolchain for the export-go tests: found through `GO` or `PATH` (never a fixed
//! path), run offline, with a build cache even where HOME is unset. Tests skip, saying so on
//! the terminal, when there is none — and fail instead where `GOMEMSIM_REQUIRE_GO` is set
//! (as `.ci/run` sets it), so that CI never passes a differential test that ran nothing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A differential test cannot run here because `why`: it says so on the terminal (past the
/// test harness's capture of its output), or fails when `GOMEMSIM_REQUIRE_GO` is set.
pub fn skip(test: &str, why: &str) {
    if std::env::var_os("GOMEMSIM_REQUIRE_GO").is_some_and(|v| !v.is_empty()) {
        panic!("{test}: would be skipped ({why}), but GOMEMSIM_REQUIRE_GO is set");
    }
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "note: {test}: SKIPPED, {why}");
}

/// Serialises the runs of Go programs within a test binary: a race's odds depend on having
/// the cores to itself.
pub static GO_RUNS: Mutex<()> = Mutex::new(());

/// A Go toolchain and the directory for its build cache when the environment has none.
pub struct Go {
    pub go: PathBuf,
    cache: tempfile::TempDir,
}

impl Go {
    /// `$GO` if set, else `go` on PATH; `None` (with a note on stderr) when neither exists.
    pub fn find(test: &str) -> Option<Go> {
        let go = match std::env::var_os("GO").filter(|g| !g.is_empty()) {
            Some(go) => Some(PathBuf::from(go)),
            None => std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join("go"))
                    .find(|p| p.is_file())
            }),
        };
        let Some(go) = go else {
            skip(test, "no Go toolchain (set GO or put go on PATH)");
            return None;
        };
        let cache = tempfile::tempdir().expect("temporary GOCACHE");
        let found = Go { go, cache };
        match found.minor() {
            Some(minor) if minor >= 19 => Some(found),
            minor => {
                let why = format!(
                    "exported programs need Go 1.19 or later ({} is go1.{minor:?})",
                    found.go.display()
                );
                skip(test, &why);
                None
            }
        }
    }

    /// `go args…` in `dir`: no network, no toolchain switch, a GOCACHE when neither GOCACHE
    /// nor HOME gives one.
    pub fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(&self.go);
        c.args(args)
            .current_dir(dir)
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "");
        if std::env::var_os("GOCACHE").is_none() && std::env::var_os("HOME").is_none() {
            c.env("GOCACHE", self.cache.path());
        }
        c
    }

    /// Runs `go args…` in `dir` and asserts that it succeeded.
    pub fn ok(&self, dir: &Path, args: &[&str]) -> Output {
        let o = self
            .command(dir, args)
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", self.go.display()));
        assert!(
            o.status.success(),
            "go {}: {}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        o
    }

    /// The toolchain's minor release: 19 for go1.19.8.
    pub fn minor(&self) -> Option<u32> {
        let o = self
            .command(Path::new("."), &["env", "GOVERSION"])
            .output()
            .ok()?;
        let v = String::from_utf8_lossy(&o.stdout);
        let rest = &v[v.find("go1.")? + 4..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }

    /// gofmt of this toolchain, if it has one.
    pub fn gofmt(&self) -> Option<PathBuf> {
        let o = self
            .command(Path::new("."), &["env", "GOROOT"])
            .output()
            .ok()?;
        let root = String::from_utf8_lossy(&o.stdout).trim().to_string();
        let gofmt = Path::new(&root).join("bin").join("gofmt");
        gofmt.is_file().then_some(gofmt)
    }

    /// Exports `scenario` (with `extra` gomemsim arguments) into `dir/main.go`, vets and
    /// builds it; returns the program's path.
    pub fn export_and_build(&self, scenario: &Path, dir: &Path, extra: &[&str]) -> PathBuf {
        let main = dir.join("main.go");
        let o = Command::new(env!("CARGO_BIN_EXE_gomemsim"))
            .arg("export-go")
            .arg(scenario)
            .args(extra)
            .arg("--out")
            .arg(&main)
            .output()
            .expect("gomemsim runs");
        assert!(
            o.status.success(),
            "export-go {}: {}",
            scenario.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        self.ok(dir, &["vet", "main.go"]);
        self.ok(dir, &["build", "-o", "prog", "main.go"]);
        dir.join("prog")
    }
}

/// Runs `cmd` to its end, killing it after `limit`; its output, or a panic on the timeout.
pub fn run_with_limit(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("program starts");
    // Drain the pipes on threads so that a chatty program never blocks on a full pipe.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut b).map(|_| b)
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut b).map(|_| b)
    });
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the program") {
            break status;
        }
        if began.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the program ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().expect("stdout reader").expect("stdout"),
        stderr: err.join().expect("stderr reader").expect("stderr"),
    }
}

/// The `key=value` fields of one line of an exported program's results, as numbers.
pub fn key_values(line: &str) -> std::collections::HashMap<String, f64> {
    line.split(' ')
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                v.parse()
                    .unwrap_or_else(|_| panic!("not a number in {line}")),
            )
        })
        .collect()
}
