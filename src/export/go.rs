//! The Go program of a scenario: one function per goroutine spec, its ops as straight-line
//! calls to the helpers of [`super::support`], and a `main` that sets the runtime's knobs,
//! starts the goroutines and waits for them, `-repeat` times.

use std::fmt::Write as _;

use super::ExportProblem;
use super::keys::Uses;
use super::plan::{MapPlan, Plan};
use super::support;
use super::syntax::{align_comments, go_duration, go_quote};
use crate::model::malloc::roundupsize;
use crate::scenario::types::{Gogc, MemLimit, Op, Scenario};

/// The Go program (`main.go`) that performs `sc`'s workload: standard library only, for Go
/// 1.19 and later. Fails when the scenario needs keys the Go type cannot provide.
pub fn go_program(sc: &Scenario) -> Result<String, ExportProblem> {
    let plan = Plan::new(sc)?;
    Ok(plan.render())
}

impl MapPlan {
    /// `func newMapX() *gomap[K]`: the make with its hint, and the map's operations written
    /// out for its types.
    fn constructor(&self, i: usize, out: &mut String) {
        let (k, v) = (&self.key_text, &self.elem_text);
        let _ = write!(
            out,
            "// {new} makes maps[{i}] {name}: make(map[{k}]{v}, {hint}).\n\
             func {new}() *gomap[{k}] {{\n\
             \tm := make(map[{k}]{v}, {hint})\n\
             \tvar v {v}\n\
             \treturn newGomap({csv}, unsafe.Pointer(&m), {key}, {track}, mapOps[{k}]{{\n\
             \t\tset: func(k {k}) {{ m[k] = v }},\n\
             \t\tdel: func(k {k}) {{ delete(m, k) }},\n\
             \t\tget: func(k {k}) bool {{\n\
             \t\t\t_, ok := m[k]\n\
             \t\t\treturn ok\n\
             \t\t}},\n\
             \t\teach: func() (n int) {{\n\
             \t\t\tfor range m {{\n\
             \t\t\t\tn++\n\
             \t\t\t}}\n\
             \t\t\treturn n\n\
             \t\t}},\n\
             \t\tlen: func() int {{ return len(m) }},\n\
             \t}})\n\
             }}\n\n",
            new = self.new_fn,
            name = go_quote(&self.name),
            hint = self.hint,
            csv = self.csv_name,
            key = self.key_fn,
            track = self.track,
        );
    }
}

impl Plan<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.header(&mut out);
        self.imports(&mut out);
        self.state(&mut out);
        for (i, g) in self.sc.goroutines.iter().enumerate() {
            let count = match g.count {
                1 => String::new(),
                n => format!(", {n} replicas"),
            };
            let _ = writeln!(
                out,
                "// {} is goroutines[{i}] {}{count}.",
                self.funcs[i],
                go_quote(&g.name)
            );
            let _ = writeln!(out, "func {}(w *worker) {{", self.funcs[i]);
            let mut lines = Vec::new();
            self.ops(&mut lines, &g.program, 1);
            out.push_str(&align_comments(&lines));
            out.push_str("}\n\n");
        }
        self.run_once(&mut out);
        self.main(&mut out);
        self.support(&mut out);
        out
    }

    fn header(&self, out: &mut String) {
        let sc = self.sc;
        // Scenario names are letters, digits, `.`, `_` and `-` (validated).
        let bin = match sc.name.chars().next() {
            Some('-' | '.') | None => "scenario",
            _ => sc.name.as_str(),
        };
        let limit = match sc.runtime.gomemlimit {
            MemLimit::Off => "off".to_string(),
            MemLimit::Limit(b) => b.to_string(),
        };
        let gogc = match sc.runtime.gogc {
            Gogc::Off => "off".to_string(),
            Gogc::Percent(p) => p.to_string(),
        };
        let mut commands = vec![(format!("./{bin}"), "run the workload once")];
        if sc
            .goroutines
            .iter()
            .map(|g| u64::from(g.count))
            .sum::<u64>()
            > 1
        {
            commands.push((
                format!("./{bin} -repeat 100000 -v"),
                "up to 100000 runs: a race may need many to crash",
            ));
            commands.push((
                format!("./{bin} -repeat 100000 -together"),
                "each run starts its goroutines at once",
            ));
        }
        commands.push((
            format!("GODEBUG=gctrace=1 ./{bin}"),
            "the GC trace (gomemsim's gctrace.txt)",
        ));
        if self.classic_events() {
            commands.push((
                format!("./{bin} -mapevents events.csv"),
                "map growth as map_events.csv (Go 1.19..1.23)",
            ));
        }
        let maps = if self.maps.is_empty() {
            ""
        } else if self.classic_events() {
            "// Its maps are modelled as classic hash maps: compare them with Go 1.19 .. 1.23.\n"
        } else {
            "// Some of its maps are modelled as Swiss tables: compare them with Go 1.24, which\n\
             // -mapevents cannot read (it reads classic maps), so that flag is left out.\n"
        };
        let width = commands.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
        let mut usage = format!("//\tgo build -o {bin} main.go\n");
        for (command, what) in commands {
            let _ = writeln!(usage, "//\t{command:width$} # {what}");
        }
        let _ = write!(
            out,
            "// Code generated by gomemsim export-go from scenario {name} (seed {seed}).\n\
             //\n\
             // The scenario's workload on a real Go toolchain, to watch real Go do what gomemsim\n\
             // simulates. Modelled: Go {go}, GOMAXPROCS={procs}, GOGC={gogc}, GOMEMLIMIT={limit};\n\
             // main sets these, overriding the GOGC and GOMEMLIMIT environment variables.\n\
             {maps}\
             // Go 1.19 or later, standard library only, no go.mod needed:\n\
             //\n\
             {usage}\
             //\n\
             // A fatal error such as \"concurrent map writes\" ends the program with exit status 2.\n\
             // `go run main.go` works too, but reports that as \"exit status 2\" and exits 1, and\n\
             // under GODEBUG=gctrace=1 the go command's own GC traces are mixed in.\n\
             package main\n\n",
            name = go_quote(&sc.name),
            seed = sc.seed,
            go = sc.runtime.go,
            procs = sc.runtime.gomaxprocs,
        );
    }

    /// Whether `-mapevents` is offered: there are maps, all modelled as classic ones.
    fn classic_events(&self) -> bool {
        !self.maps.is_empty() && self.maps.iter().all(|m| !m.swiss)
    }

    fn imports(&self, out: &mut String) {
        let maps = !self.maps.is_empty();
        let strconv = self.key_uses(Uses::Strconv);
        let imports = [
            ("flag", true),
            ("fmt", true),
            ("math/rand", true),
            ("os", true),
            ("runtime", true),
            ("runtime/debug", true),
            ("strconv", strconv),
            ("strings", maps),
            ("sync", true),
            ("sync/atomic", true),
            ("time", true),
            ("unsafe", maps),
        ];
        out.push_str("import (\n");
        for (path, wanted) in imports {
            if wanted {
                let _ = writeln!(out, "\t\"{path}\"");
            }
        }
        out.push_str(")\n\n");
    }

    /// The maps, their key functions, the mutexes and the heap of `[heap]`, and `newState`.
    fn state(&self, out: &mut String) {
        for (i, m) in self.maps.iter().enumerate() {
            let _ = writeln!(
                out,
                "// {} is maps[{i}] {}.\nvar {} *gomap[{}]\n",
                m.var,
                go_quote(&m.name),
                m.var,
                m.key_text,
            );
        }
        for (i, m) in self.maps.iter().enumerate() {
            out.push_str(&m.key.func(&m.key_fn, &m.key_text));
            out.push('\n');
            m.constructor(i, out);
        }
        for (name, var) in &self.locks {
            let _ = writeln!(
                out,
                "// {var} is the mutex {}: lock/unlock take Lock/Unlock, rlock/runlock \
                 RLock/RUnlock.\nvar {var} *sync.RWMutex\n",
                go_quote(name)
            );
        }
        let heap = &self.sc.heap;
        if heap.live.0 > 0 {
            let _ = writeln!(
                out,
                "// live is [heap] live: {} of pointer-free memory, allocated before the \
                 workload\n// and reachable to the end (one object, as gomemsim models it).\n\
                 var live []byte\n",
                heap.live
            );
        }
        if heap.globals.0 >= 8 {
            let _ = writeln!(
                out,
                "// globals is [heap] globals: {} of pointers in the data segment, which \
                 the GC scans.\nvar globals [{}]*byte\n",
                heap.globals,
                heap.globals.0 / 8
            );
        }
        out.push_str(
            "// newState makes the maps and mutexes afresh for a run.\nfunc newState() {\n",
        );
        for m in &self.maps {
            let _ = writeln!(out, "\t{} = {}()", m.var, m.new_fn);
        }
        for (_, var) in &self.locks {
            let _ = writeln!(out, "\t{var} = new(sync.RWMutex)");
        }
        if self.uses.retain {
            out.push_str("\tretained = nil\n");
        }
        out.push_str("}\n\n");
    }

    /// `ops` as Go statements at `depth` tabs: (code, trailing comment) lines.
    fn ops(&self, out: &mut Vec<(String, String)>, ops: &[Op], depth: usize) {
        let tabs = "\t".repeat(depth);
        for op in ops {
            let (code, comment) = match op {
                Op::Request { body, .. } => {
                    out.push((format!("{tabs}{{"), String::new()));
                    self.ops(out, body, depth + 1);
                    out.push((format!("{tabs}}}"), String::new()));
                    continue;
                }
                Op::Loop { times, body, .. } => {
                    let i = format!("i{depth}");
                    let head = format!("{tabs}for {i} := uint64(0); {i} < {times}; {i}++ {{");
                    out.push((head, String::new()));
                    self.ops(out, body, depth + 1);
                    out.push((format!("{tabs}}}"), String::new()));
                    continue;
                }
                _ => self.op(op),
            };
            out.push((format!("{tabs}{code}"), comment));
        }
    }

    /// One op other than a loop as a Go statement and a comment (maybe empty).
    fn op(&self, op: &Op) -> (String, String) {
        let plain = |code: String| (code, String::new());
        match op {
            Op::Insert { map, n } => plain(format!("{}.insert({n})", self.map_var(map))),
            Op::Delete { map, n } => plain(format!("{}.delete(w, {n})", self.map_var(map))),
            Op::Churn { map, n } => plain(format!("{}.churn(w, {n})", self.map_var(map))),
            Op::Read { map, n } => plain(format!("{}.read(w, {n})", self.map_var(map))),
            Op::Iterate { map } => plain(format!("{}.iterate(w)", self.map_var(map))),
            Op::Alloc { bytes, size, rate } => {
                let n = bytes.0.div_ceil(size.0.max(1));
                let what = format!("{bytes} of {size} objects");
                match rate {
                    None => (format!("alloc(w, {n}, {})", size.0), what),
                    Some(r) => {
                        // As the simulator paces: one size-class object every obj/rate s.
                        let obj = roundupsize(size.0.max(1)) as f64;
                        let per_object = obj * 1e9 / r.0.max(1) as f64;
                        let code = format!("allocPaced(w, {n}, {}, {per_object})", size.0);
                        (code, format!("{what} at {r}"))
                    }
                }
            }
            Op::Retain { bytes, size } => {
                let n = bytes.0.div_ceil(size.0.max(1));
                let code = format!("retain({n}, {})", size.0);
                (code, format!("{bytes} of {size} objects"))
            }
            Op::Free { bytes } => (format!("free({})", bytes.0), bytes.to_string()),
            Op::Compute { time } => plain(format!("compute({})", go_duration(time.as_ps()))),
            Op::Lock { name } => plain(format!("{}.Lock()", self.lock_var(name))),
            Op::Unlock { name } => plain(format!("{}.Unlock()", self.lock_var(name))),
            Op::Rlock { name } => plain(format!("{}.RLock()", self.lock_var(name))),
            Op::Runlock { name } => plain(format!("{}.RUnlock()", self.lock_var(name))),
            Op::Loop { .. } | Op::Request { .. } => plain(String::new()),
        }
    }

    fn run_once(&self, out: &mut String) {
        let total: u64 = self.sc.goroutines.iter().map(|g| u64::from(g.count)).sum();
        let _ = write!(
            out,
            "// runOnce runs the workload once: fresh maps, the goroutines started in order, \
             then it\n// waits for them all. With together, each goroutine waits at a start \
             line for the others.\n\
             func runOnce(seed int64, run int, together bool) {{\n\
             \tnewState()\n\
             \tvar wg sync.WaitGroup\n\
             \tvar ready int32\n\
             \tid := 0\n\
             \tstart := func(body func(*worker)) {{\n\
             \t\tw := newWorker(seed, run, id)\n\
             \t\tid++\n\
             \t\twg.Add(1)\n\
             \t\tgo func() {{\n\
             \t\t\tdefer wg.Done()\n\
             \t\t\tif together {{\n\
             \t\t\t\tstartLine(&ready, {total})\n\
             \t\t\t}}\n\
             \t\t\tbody(w)\n\
             \t\t}}()\n\
             \t}}\n"
        );
        for (g, f) in self.sc.goroutines.iter().zip(&self.funcs) {
            if g.count == 1 {
                let _ = writeln!(out, "\tstart({f})");
            } else {
                let _ = writeln!(
                    out,
                    "\tfor r := 0; r < {}; r++ {{\n\t\tstart({f})\n\t}}",
                    g.count
                );
            }
        }
        out.push_str("\twg.Wait()\n}\n\n");
    }

    fn main(&self, out: &mut String) {
        let sc = self.sc;
        let gogc = match sc.runtime.gogc {
            Gogc::Off => -1,
            Gogc::Percent(p) => i64::from(p),
        };
        // The seed flag is an int64: a seed above 2^63 - 1 keeps its bits.
        let seed = sc.seed as i64;
        let _ = write!(
            out,
            "func main() {{\n\
             \trepeat := flag.Int(\"repeat\", 1, \"run the workload `N` times, with fresh maps \
             each time\")\n\
             \tseed := flag.Int64(\"seed\", {seed}, \"seed of the goroutines' choices of \
             existing keys\")\n\
             \tverbose := flag.Bool(\"v\", false, \"print each run's number on stderr as it \
             starts\")\n\
             \ttogether := flag.Bool(\"together\", false, \"start the goroutines together: \
             each waits at a start line until all have started; races crash sooner\")\n"
        );
        if self.classic_events() {
            out.push_str(
                "\tevents := flag.String(\"mapevents\", \"\", \"write map growth events as \
                 map_events.csv to `PATH` (- for stdout; Go 1.19..1.23, one run)\")\n",
            );
        }
        let _ = write!(
            out,
            "\tflag.Parse()\n\
             \truntime.GOMAXPROCS({})\n\
             \tdebug.SetGCPercent({gogc})\n",
            sc.runtime.gomaxprocs
        );
        if let MemLimit::Limit(b) = sc.runtime.gomemlimit {
            let _ = writeln!(
                out,
                "\tdebug.SetMemoryLimit({}) // {b}",
                b.0.min(i64::MAX as u64)
            );
        }
        if self.classic_events() {
            out.push_str(
                "\tif *events != \"\" {\n\
                 \t\tif err := openEvents(*events, *repeat); err != nil {\n\
                 \t\t\tfmt.Fprintln(os.Stderr, \"error:\", err)\n\
                 \t\t\tos.Exit(2)\n\
                 \t\t}\n\
                 \t}\n",
            );
        }
        if sc.heap.live.0 > 0 {
            let _ = writeln!(out, "\tlive = make([]byte, {})", sc.heap.live.0);
        }
        if sc.heap.globals.0 >= 8 {
            out.push_str("\truntime.KeepAlive(&globals)\n");
        }
        let _ = write!(
            out,
            "\tbegan := time.Now()\n\
             \tfor run := 0; run < *repeat; run++ {{\n\
             \t\tif *verbose {{\n\
             \t\t\tfmt.Fprintf(os.Stderr, \"run %d\\n\", run+1)\n\
             \t\t}}\n\
             \t\trunOnce(*seed, run, *together)\n\
             \t}}\n\
             \tfmt.Fprintf(os.Stderr, \"%s: %d run(s) in %v, no fatal error\\n\", {name}, \
             *repeat, time.Since(began).Round(time.Millisecond))\n\
             }}\n",
            name = go_quote(&sc.name)
        );
    }

    fn support(&self, out: &mut String) {
        let events = support::events_consts();
        let mut parts = vec![support::WORKER];
        if !self.maps.is_empty() {
            parts.extend([support::GOMAP, support::WATCH, events.as_str()]);
        }
        if self.key_uses(Uses::KeyError) {
            parts.push(support::KEY_ERROR);
        }
        let u = &self.uses;
        for (wanted, part) in [
            (u.alloc, support::ALLOC),
            (u.alloc_paced, support::ALLOC_PACED),
            (u.retain, support::RETAIN),
            (u.compute, support::COMPUTE),
        ] {
            if wanted {
                parts.push(part);
            }
        }
        out.push_str("\n// Support code, the same in every exported scenario.\n");
        for part in parts {
            out.push('\n');
            out.push_str(part);
        }
    }
}
