//! The Go program of a scenario: one function per goroutine spec, its ops as straight-line
//! calls to the helpers of [`super::support`], and a `main` that sets the runtime's knobs,
//! starts the goroutines and waits for them, `-repeat` times.

use std::fmt::Write as _;

use super::ExportProblem;
use super::keys::Uses;
use super::plan::{MapPlan, Plan, SlicePlan};
use super::support;
use super::syntax::{align_comments, go_duration, go_quote};
use crate::model::malloc::roundupsize;
use crate::scenario::types::{Gogc, MemLimit, Op, Process, Scenario, Start};

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

impl SlicePlan {
    /// The slice's variable (unless each goroutine has its own), its make, log and append.
    fn decls(&self, i: usize, out: &mut String) {
        let (t, name) = (&self.elem_text, go_quote(&self.name));
        if !self.local {
            let _ = write!(
                out,
                "// {var} is slices[{i}] {name}, a []{t} that all goroutines append to.\n\
                 var {var} []{t}\n\n",
                var = self.var,
            );
        }
        let (when, made) = if self.local {
            ("as each goroutine first uses it", "its own")
        } else {
            ("as a run starts", "its")
        };
        let body = if self.cap > 0 {
            format!("make([]{t}, 0, {})", self.cap)
        } else {
            "nil".to_string()
        };
        let what = if self.cap > 0 {
            body.clone()
        } else {
            format!("nil, as var s []{t} declares it")
        };
        let _ = write!(
            out,
            "// {make} makes slices[{i}] {name} {when}: {what}.\n\
             func {make}() []{t} {{\n\
             \treturn {body}\n\
             }}\n\n\
             // {log} numbers the appends to slices[{i}] {name} and logs {made} growths.\n\
             var {log} = &sliceLog{{name: {csv}, noscan: {noscan}}}\n\n\
             // {append} is the append op of slices[{i}] {name}: n times s = append(s, x),\n\
             // logged in l (nil: not logged).\n\
             func {append}(s *[]{t}, l *sliceLog, n uint64) {{\n\
             \tvar x {t}\n\
             \tvar base uint64\n\
             \tif l != nil {{\n\
             \t\tbase = l.reserve(n)\n\
             \t}}\n\
             \tfor i := uint64(1); i <= n; i++ {{\n\
             \t\tbefore := cap(*s)\n\
             \t\t*s = append(*s, x)\n\
             \t\tif after := cap(*s); after != before && l != nil {{\n\
             \t\t\tl.grew(base+i, len(*s), before, after, unsafe.Sizeof(x))\n\
             \t\t}}\n\
             \t}}\n\
             }}\n\n",
            make = self.make_fn,
            log = self.log_var,
            append = self.append_fn,
            csv = self.csv_name,
            noscan = self.noscan,
        );
    }
}

impl Plan<'_> {
    /// A function's own slices (those of `ops`): `x := &own[T]{mk: makeX}` lines.
    fn own_decls(&self, ops: &[Op]) -> Vec<(String, String)> {
        self.own_slices_of(ops)
            .into_iter()
            .map(|s| {
                (
                    format!(
                        "\t{} := &own[{}]{{mk: {}, shared: {}}}",
                        s.var, s.elem_text, s.make_fn, s.log_var
                    ),
                    format!(
                        "slices[{}] {}, this goroutine's own",
                        s.index,
                        go_quote(&s.name)
                    ),
                )
            })
            .collect()
    }

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
            let mut lines = self.own_decls(&g.program);
            self.ops(&mut lines, &g.program, 1, &mut 0);
            out.push_str(&align_comments(&lines));
            out.push_str("}\n\n");
        }
        for (i, a) in self.sc.arrivals.iter().enumerate() {
            let process = match a.process {
                Process::Poisson => "Poisson",
                Process::Constant => "evenly spaced",
            };
            let _ = writeln!(
                out,
                "// {} is one arrival of arrivals[{i}] {}: a request in a goroutine of its \
                 own.\n// {} arrivals at {}, for {}.",
                self.arrive_funcs[i],
                go_quote(&a.name),
                process,
                a.rate,
                a.duration,
            );
            let _ = writeln!(out, "func {}(w *worker) {{", self.arrive_funcs[i]);
            let mut lines = self.own_decls(&a.body);
            self.ops(&mut lines, &a.body, 1, &mut 0);
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
        if !self.slices.is_empty() {
            commands.push((
                format!("./{bin} -sliceevents slices.csv"),
                "slice growth as slice_events.csv",
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
        let slices = if self.slices.is_empty() {
            ""
        } else {
            "// Its slices grow by append's rules: -sliceevents logs the capacities real Go gives\n\
             // them, with the bytes that the size classes give those capacities, in the order\n\
             // the growths happen (gomemsim's slice_events.csv lists them slice by slice).\n"
        };
        let results = if self.requests.is_empty() {
            String::new()
        } else {
            format!(
                "// At the end it prints on stdout a line per request name, its latencies in ns \
                 from\n// the requests that started after the warm-up ({warmup}), and a line for \
                 the program:\n\
                 //\n\
                 //\trequest NAME count=N throughput_rps=X mean_ns=N p50_ns=N p90_ns=N p99_ns=N \
                 p999_ns=N max_ns=N\n\
                 //\trun runs=N time_ns=N measured_ns=N gc_cycles=N gc_pause_total_ns=N \
                 gc_cpu_fraction=X total_alloc_bytes=N\n\
                 //\n",
                warmup = sc.warmup
            )
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
             {slices}\
             // Go 1.19 or later, standard library only, no go.mod needed:\n\
             //\n\
             {usage}\
             //\n\
             {results}\
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
        let slices = !self.slices.is_empty();
        let strconv = self.key_uses(Uses::Strconv);
        let requests = !self.requests.is_empty();
        let imports = [
            ("flag", true),
            ("fmt", true),
            ("math", requests),
            ("math/bits", requests),
            ("math/rand", true),
            ("os", true),
            ("runtime", true),
            ("runtime/debug", true),
            ("strconv", strconv),
            ("strings", maps || slices),
            ("sync", true),
            ("sync/atomic", true),
            ("time", true),
            ("unsafe", maps || slices),
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
        for (i, s) in self.slices.iter().enumerate() {
            s.decls(i, out);
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
        for (name, var) in &self.requests {
            // The result line's name: quoted when it has spaces or an `=` to split on.
            let shown = if name.contains(|c: char| c.is_whitespace() || c == '=') {
                go_quote(&go_quote(name))
            } else {
                go_quote(name)
            };
            let _ = writeln!(
                out,
                "// {var} records the latencies of request {}.\n\
                 var {var} = &latency{{name: {shown}}}\n",
                go_quote(name)
            );
        }
        let slices = if self.slices.is_empty() {
            ""
        } else {
            ", slices"
        };
        let _ = write!(
            out,
            "// newState makes the maps{slices} and mutexes afresh for a run.\nfunc newState() {{\n",
        );
        for m in &self.maps {
            let _ = writeln!(out, "\t{} = {}()", m.var, m.new_fn);
        }
        for s in &self.slices {
            if !s.local {
                let _ = writeln!(out, "\t{} = {}()", s.var, s.make_fn);
            }
            let _ = writeln!(out, "\t{}.appends, {}.rows = 0, 0", s.log_var, s.log_var);
        }
        for (_, var) in &self.locks {
            let _ = writeln!(out, "\t{var} = new(sync.RWMutex)");
        }
        if self.uses.retain {
            out.push_str("\tretained = nil\n");
        }
        out.push_str("}\n\n");
    }

    /// `ops` as Go statements at `depth` tabs: (code, trailing comment) lines. `timers`
    /// numbers the start times of the function's requests.
    fn ops(&self, out: &mut Vec<(String, String)>, ops: &[Op], depth: usize, timers: &mut usize) {
        let tabs = "\t".repeat(depth);
        for op in ops {
            let (code, comment) = match op {
                Op::Request { name, body } => {
                    *timers += 1;
                    let t = format!("t{timers}");
                    out.push((format!("{tabs}{t} := time.Now()"), String::new()));
                    self.ops(out, body, depth, timers);
                    let rec = self.request_var(name);
                    out.push((
                        format!("{tabs}{rec}.record({t}, time.Now())"),
                        String::new(),
                    ));
                    continue;
                }
                Op::Loop {
                    times,
                    duration,
                    body,
                } => {
                    let i = format!("i{depth}");
                    let head = match duration {
                        None => format!("for {i} := uint64(0); {i} < {times}; {i}++"),
                        Some(d) => {
                            // gofmt binds the multiplication tighter: no spaces around it.
                            let until = go_duration(d.as_ps()).replace(" * ", "*");
                            let more = format!("time.Since(w.start) < {until}");
                            if *times == u64::MAX {
                                format!("for {more}")
                            } else {
                                format!("for {i} := uint64(0); {i} < {times} && {more}; {i}++")
                            }
                        }
                    };
                    out.push((format!("{tabs}{head} {{"), String::new()));
                    self.ops(out, body, depth + 1, timers);
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
            Op::Append { slice, n } => match self.slice(slice) {
                Some(s) if s.local => plain(format!(
                    "{f}({v}.use(), {v}.log, {n})",
                    f = s.append_fn,
                    v = s.var
                )),
                Some(s) => plain(format!("{}(&{}, {}, {n})", s.append_fn, s.var, s.log_var)),
                None => plain(String::new()),
            },
            Op::Reset { slice } => match self.slice(slice) {
                Some(s) if s.local => plain(format!("{}.reset()", s.var)),
                Some(s) => plain(format!("{v} = {v}[:0]", v = s.var)),
                None => plain(String::new()),
            },
            Op::Drop { slice } => match self.slice(slice) {
                Some(s) if s.local => plain(format!("{}.drop()", s.var)),
                Some(s) => plain(format!("{} = nil", s.var)),
                None => plain(String::new()),
            },
        }
    }

    /// Whether some goroutine group starts `together`, at the start line main opens.
    fn start_line(&self) -> bool {
        self.sc
            .goroutines
            .iter()
            .any(|g| g.start == Start::Together)
    }

    fn run_once(&self, out: &mut String) {
        let sc = self.sc;
        // -together lines up the goroutines of the groups that have no start line of their
        // own.
        let spun: u64 = sc
            .goroutines
            .iter()
            .filter(|g| g.start != Start::Together)
            .map(|g| u64::from(g.count))
            .sum();
        let total: u64 = sc.goroutines.iter().map(|g| u64::from(g.count)).sum();
        let line = self.start_line();
        out.push_str(
            "// runOnce runs the workload once: fresh maps, the goroutines started in order, then \
             it\n// waits for them all and returns how long that took. With together, each \
             goroutine\n// waits at a start line for the others.\n\
             func runOnce(seed int64, run int, together bool) time.Duration {\n\
             \tnewState()\n\
             \tvar wg sync.WaitGroup\n",
        );
        let goroutines = !sc.goroutines.is_empty();
        if goroutines {
            out.push_str("\tvar ready int32\n");
        }
        if line {
            out.push_str(
                "\t// The groups that start together wait until main closes line, at opened.\n\
                 \tline := make(chan struct{})\n\
                 \tvar opened time.Time\n",
            );
        }
        out.push_str("\tbegan := time.Now()\n");
        if !self.requests.is_empty() {
            let _ = writeln!(
                out,
                "\twarmupEnd = began.Add({})",
                go_duration(sc.warmup.as_ps())
            );
        }
        let (params, wait) = if line {
            (
                "body func(*worker), atLine bool",
                "\t\t\tif atLine {\n\
                 \t\t\t\t<-line\n\
                 \t\t\t\tw.start = opened\n\
                 \t\t\t} else if together {\n",
            )
        } else {
            ("body func(*worker)", "\t\t\tif together {\n")
        };
        if goroutines {
            self.starts(out, params, wait, spun);
        }
        self.spawns(out, line, total);
        out.push_str("\twg.Wait()\n\treturn time.Since(began)\n}\n\n");
    }

    /// runOnce's `start`, which spawns one goroutine of a group.
    fn starts(&self, out: &mut String, params: &str, wait: &str, spun: u64) {
        let worker = if super::plan::goroutines_pick_keys(self.sc) {
            "newWorker(seed, run, id)"
        } else {
            "lazyWorker(seed, run, id, time.Now())"
        };
        let _ = write!(
            out,
            "\tid := 0\n\
             \tstart := func({params}) {{\n\
             \t\tw := {worker}\n\
             \t\tid++\n\
             \t\twg.Add(1)\n\
             \t\tgo func() {{\n\
             \t\t\tdefer wg.Done()\n\
             {wait}\
             \t\t\t\tstartLine(&ready, {spun})\n\
             \t\t\t\tw.start = time.Now()\n\
             \t\t\t}}\n\
             \t\t\tbody(w)\n\
             \t\t}}()\n\
             \t}}\n"
        );
    }

    /// runOnce's `go` statements: every goroutine, then the start line opened, then the
    /// arrival sources. `total` goroutines come before the arrivals' ids.
    fn spawns(&self, out: &mut String, line: bool, total: u64) {
        let sc = self.sc;
        for (g, f) in sc.goroutines.iter().zip(&self.funcs) {
            let call = match (line, g.start) {
                (false, _) => format!("start({f})"),
                (true, Start::Together) => format!("start({f}, true)"),
                (true, Start::Spawned) => format!("start({f}, false)"),
            };
            if g.count == 1 {
                let _ = writeln!(out, "\t{call}");
            } else {
                let _ = writeln!(
                    out,
                    "\tfor r := 0; r < {}; r++ {{\n\t\t{call}\n\t}}",
                    g.count
                );
            }
        }
        if line {
            out.push_str("\topened = time.Now()\n\tclose(line)\n");
        }
        let sources = sc.arrivals.len() as u64;
        for (s, a) in sc.arrivals.iter().enumerate() {
            // The mean gap in ns: rate is in events per 10^6 s.
            let mean = 1e15 / a.rate.micro_hz().max(1) as f64;
            let poisson = a.process == Process::Poisson;
            let _ = write!(
                out,
                "\t// arrivals[{s}] {name}: {rate}, {process}, for {dur}.\n\
                 \twg.Add(1)\n\
                 \tgo func() {{\n\
                 \t\tdefer wg.Done()\n\
                 \t\trng := rand.New(rand.NewSource(seed*1000003 + int64(run)*65537 - {src}))\n\
                 \t\tn := 0\n\
                 \t\tarrivals(began, {until}, {mean}, {poisson}, rng, func(at time.Time) {{\n\
                 \t\t\tw := lazyWorker(seed, run, {first}+n{every}, at)\n\
                 \t\t\tn++\n\
                 \t\t\twg.Add(1)\n\
                 \t\t\tgo func() {{\n\
                 \t\t\t\tdefer wg.Done()\n\
                 \t\t\t\t{func}(w)\n\
                 \t\t\t\t{rec}.record(at, time.Now())\n\
                 \t\t\t}}()\n\
                 \t\t}})\n\
                 \t}}()\n",
                name = go_quote(&a.name),
                rate = a.rate,
                process = if poisson { "Poisson" } else { "constant" },
                dur = a.duration,
                src = s + 1,
                until = go_duration(a.duration.as_ps()).replace(" * ", "*"),
                first = total + s as u64,
                every = if sources > 1 {
                    format!("*{sources}")
                } else {
                    String::new()
                },
                func = self.arrive_funcs[s],
                rec = self.request_var(&a.name),
            );
        }
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
        if !self.slices.is_empty() {
            out.push_str(
                "\tsliceevents := flag.String(\"sliceevents\", \"\", \"write slice growth events \
                 as slice_events.csv to `PATH` (- for stdout; one run)\")\n",
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
        if !self.slices.is_empty() {
            out.push_str(
                "\tif *sliceevents != \"\" {\n\
                 \t\tif err := openSliceEvents(*sliceevents, *repeat); err != nil {\n\
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
        let requests = !self.requests.is_empty();
        let (declare, call) = if requests {
            (
                "\tvar elapsed, measured time.Duration\n",
                format!(
                    "\t\td := runOnce(*seed, run, *together)\n\
                     \t\telapsed += d\n\
                     \t\tif d > {w} {{\n\
                     \t\t\tmeasured += d - {w}\n\
                     \t\t}}\n",
                    w = go_duration(sc.warmup.as_ps()).replace(" * ", "*")
                ),
            )
        } else {
            ("", "\t\trunOnce(*seed, run, *together)\n".to_string())
        };
        // A shared slice's appends, when the scenario fixes them per run: each run checks its
        // length, so that appends lost to a race show (Go does not check slices).
        let mut declare = declare.to_string();
        let mut call = call;
        let mut report = String::new();
        for sl in self.slices.iter().filter(|s| !s.local) {
            let (var, name) = (&sl.var, go_quote(&sl.name));
            let lost = {
                let mut c = sl.var.chars();
                let first = c.next().map(|f| f.to_ascii_uppercase());
                format!(
                    "lost{}{}",
                    first.map(String::from).unwrap_or_default(),
                    c.as_str()
                )
            };
            match super::plan::appends_per_run(sc, &sl.name) {
                Some(want) => {
                    let _ = writeln!(declare, "\t{lost} := 0");
                    let _ = write!(
                        call,
                        "\t\tif uint64(len({var})) != {want} {{\n\t\t\t{lost}++\n\t\t}}\n"
                    );
                    let _ = writeln!(
                        report,
                        "\tfmt.Fprintf(os.Stderr, \"slice %s: appends lost in %d of %d run(s) (len \
                         %d of {want} in the last)\\n\", {name}, {lost}, *repeat, len({var}))"
                    );
                }
                None => {
                    let _ = writeln!(
                        report,
                        "\tfmt.Fprintf(os.Stderr, \"slice %s: len %d after the last run\\n\", \
                         {name}, len({var}))"
                    );
                }
            }
        }
        let _ = write!(
            out,
            "{declare}\
             \tbegan := time.Now()\n\
             \tfor run := 0; run < *repeat; run++ {{\n\
             \t\tif *verbose {{\n\
             \t\t\tfmt.Fprintf(os.Stderr, \"run %d\\n\", run+1)\n\
             \t\t}}\n\
             {call}\
             \t}}\n\
             \tfmt.Fprintf(os.Stderr, \"%s: %d run(s) in %v, no fatal error\\n\", {name}, \
             *repeat, time.Since(began).Round(time.Millisecond))\n\
             {report}",
            name = go_quote(&sc.name)
        );
        if requests {
            let mut flags = Vec::new();
            let mut tests = Vec::new();
            if self.classic_events() {
                flags.push("-mapevents");
                tests.push("eventsOut == os.Stdout");
            }
            if !self.slices.is_empty() {
                flags.push("-sliceevents");
                tests.push("sliceEventsOut == os.Stdout");
            }
            if flags.is_empty() {
                out.push_str(
                    "\t// The results, on stdout unless -mapevents writes there.\n\
                     \tout := os.Stdout\n",
                );
            } else {
                let _ = write!(
                    out,
                    "\t// The results, on stdout unless {} writes there.\n\tout := os.Stdout\n\
                     \tif {} {{\n\t\tout = os.Stderr\n\t}}\n",
                    flags.join(" or "),
                    tests.join(" || ")
                );
            }
            for (_, var) in &self.requests {
                let _ = writeln!(out, "\t{var}.report(out, measured)");
            }
            out.push_str("\tprintRun(out, *repeat, elapsed, measured)\n");
        }
        out.push_str("}\n");
    }

    fn support(&self, out: &mut String) {
        let events = support::events_consts();
        let slices = support::slices_consts();
        let mut parts = vec![support::WORKER];
        if !self.maps.is_empty() {
            parts.extend([support::GOMAP, support::WATCH, events.as_str()]);
        }
        if !self.slices.is_empty() {
            parts.extend([support::SLICES, slices.as_str()]);
        }
        if self.own_slices() {
            parts.push(support::OWN);
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
        if !self.requests.is_empty() {
            parts.push(support::LATENCY);
        }
        if !self.sc.arrivals.is_empty() {
            parts.push(support::ARRIVALS);
        }
        out.push_str("\n// Support code, the same in every exported scenario.\n");
        for part in parts {
            out.push('\n');
            out.push_str(part);
        }
    }
}
