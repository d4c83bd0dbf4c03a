// Command map_insert is the Go counterpart of gomemsim's `map_insert` benchmark:
// it times map[int64]int64 insert (growing from B=0 and presized), lookup and
// delete on the real Go runtime.
//
// Build and run (inside benches/go/map_insert, Go 1.19):
//
//	go build -o map_insert_go .
//	./map_insert_go -n 10000000 -reps 5 -quiet 300 -json > ../results/map_insert_gogc100.json
//	GOGC=off ./map_insert_go -n 10000000 -reps 5 -quiet 300 -json > ../results/map_insert_gogcoff.json
//
// Without -json it prints a table. Only the operation loops are timed
// (time.Now before and after); every rep uses a fresh map and runtime.GC()
// runs between reps, outside the timed region; one untimed warm-up round
// (-warmup) comes first. Each loop is also timed with the CPU time of its OS
// thread (CLOCK_THREAD_CPUTIME_ID; the goroutine is locked to the thread),
// which leaves out time other processes took the CPU away, but also the GC's
// background workers (on other threads). With -quiet S, each rep first waits
// up to S seconds until the machine's other CPU use (from /proc/stat) stays
// below 10%.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// Stats summarises one benchmark over all reps: wall clock, and the CPU
// time of the thread that ran the loop.
type Stats struct {
	RepsMs           []float64 `json:"reps_ms"`
	MinMs            float64   `json:"min_ms"`
	MedianMs         float64   `json:"median_ms"`
	MinNsPerOp       float64   `json:"min_ns_per_op"`
	MedianNsPerOp    float64   `json:"median_ns_per_op"`
	CPURepsMs        []float64 `json:"thread_cpu_reps_ms"`
	CPUMinMs         float64   `json:"thread_cpu_min_ms"`
	CPUMedianMs      float64   `json:"thread_cpu_median_ms"`
	CPUMinNsPerOp    float64   `json:"thread_cpu_min_ns_per_op"`
	CPUMedianNsPerOp float64   `json:"thread_cpu_median_ns_per_op"`
}

// span is one timed loop: wall clock and thread CPU time.
type span struct{ wall, cpu time.Duration }

type mark struct {
	wall time.Time
	cpu  int64
}

// threadCPU is the CPU time of the calling OS thread, in ns.
func threadCPU() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func start() mark { return mark{time.Now(), threadCPU()} }

func (m mark) stop() span {
	c := threadCPU()
	return span{time.Since(m.wall), time.Duration(c - m.cpu)}
}

func readProcStat() (idle, total uint64, ok bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0, false
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, 0, false
	}
	for i := 1; i <= 8; i++ { // user nice system idle iowait irq softirq steal
		v, err := strconv.ParseUint(fields[i], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += v
		if i == 4 || i == 5 {
			idle += v
		}
	}
	return idle, total, true
}

var (
	quietWait  time.Duration
	gateBusy   []float64
	gateMisses int
)

// gate waits until two consecutive 0.5 s samples of /proc/stat show less
// than 10% of the CPUs busy (this process sleeps meanwhile), or quietWait
// has passed.
func gate() {
	if quietWait <= 0 {
		return
	}
	deadline := time.Now().Add(quietWait)
	calm := 0
	b := -1.0
	for {
		i0, t0, ok0 := readProcStat()
		time.Sleep(500 * time.Millisecond)
		i1, t1, ok1 := readProcStat()
		if !ok0 || !ok1 || t1 <= t0 {
			b = -1
			break
		}
		b = 1 - float64(i1-i0)/float64(t1-t0)
		if b < 0.10 {
			calm++
		} else {
			calm = 0
		}
		if calm >= 2 {
			break
		}
		if time.Now().After(deadline) {
			gateMisses++
			break
		}
	}
	gateBusy = append(gateBusy, b)
}

// Report is the -json output.
type Report struct {
	GoVersion  string           `json:"go_version"`
	GOOS       string           `json:"goos"`
	GOARCH     string           `json:"goarch"`
	NumCPU     int              `json:"num_cpu"`
	GOMAXPROCS int              `json:"gomaxprocs"`
	GOGC       string           `json:"gogc"`
	GCPercent  int              `json:"gc_percent"`
	N          int              `json:"n"`
	Reps       int              `json:"reps"`
	Warmup     int              `json:"warmup_rounds"`
	Benchmarks map[string]Stats `json:"benchmarks"`
	// GC cycles run inside the timed regions (total over all reps; forced
	// runtime.GC() calls between reps are excluded).
	GCCyclesInTimed uint32 `json:"gc_cycles_in_timed"`
	// The -quiet gate: busy fraction seen before each rep, and how many
	// waits gave up.
	QuietMaxWaitS float64   `json:"quiet_max_wait_s"`
	QuietBusy     []float64 `json:"quiet_busy_fraction_seen"`
	QuietTimeouts int       `json:"quiet_timeouts"`
}

var sink int64

func minMedian(xs []float64) (float64, float64) {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[0], med
}

func summarise(d []span, n int) Stats {
	var wall, cpu []float64
	for _, x := range d {
		wall = append(wall, float64(x.wall.Nanoseconds())/1e6)
		cpu = append(cpu, float64(x.cpu.Nanoseconds())/1e6)
	}
	wmin, wmed := minMedian(wall)
	cmin, cmed := minMedian(cpu)
	per := 1e6 / float64(n)
	return Stats{
		RepsMs: wall, MinMs: wmin, MedianMs: wmed, MinNsPerOp: wmin * per, MedianNsPerOp: wmed * per,
		CPURepsMs: cpu, CPUMinMs: cmin, CPUMedianMs: cmed, CPUMinNsPerOp: cmin * per, CPUMedianNsPerOp: cmed * per,
	}
}

func numGC() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}

func main() {
	n := flag.Int("n", 10_000_000, "number of keys")
	reps := flag.Int("reps", 5, "repetitions (fresh map each)")
	asJSON := flag.Bool("json", false, "print one JSON object instead of a table")
	warmup := flag.Int("warmup", 1, "untimed warm-up rounds before the reps")
	quiet := flag.Float64("quiet", 0, "before each rep, wait up to this many seconds for other CPU use < 10%")
	flag.Parse()
	if *n <= 0 || *reps <= 0 || *quiet < 0 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "map_insert: -n and -reps must be positive, -quiet and -warmup not negative")
		os.Exit(2)
	}
	quietWait = time.Duration(*quiet * float64(time.Second))
	runtime.LockOSThread()
	N := *n

	var insert, presized, lookup, del []span
	var gcInTimed uint32
	wantSum := int64(N) * int64(N-1) / 2

	// Warm-up: one untimed round of the growing and the presized insert, so
	// that the timed reps reuse heap pages the process has already touched
	// (the first touch of a page costs a page fault, which is much dearer
	// than clearing it, and would only ever be paid by the first rep).
	for w := 0; w < *warmup; w++ {
		m := make(map[int64]int64)
		for i := 0; i < N; i++ {
			m[int64(i)] = int64(i)
		}
		sink += int64(len(m))
		m = nil
		runtime.GC()
		mp := make(map[int64]int64, N)
		for i := 0; i < N; i++ {
			mp[int64(i)] = int64(i)
		}
		sink += int64(len(mp))
		mp = nil
		runtime.GC()
	}

	for r := 0; r < *reps; r++ {
		// insert: no hint, grows from B=0.
		runtime.GC()
		gate()
		g0 := numGC()
		m := make(map[int64]int64)
		t0 := start()
		for i := 0; i < N; i++ {
			m[int64(i)] = int64(i)
		}
		d := t0.stop()
		gcInTimed += numGC() - g0
		insert = append(insert, d)

		// lookup: N lookups of existing keys on the full map.
		g0 = numGC()
		var sum int64
		t0 = start()
		for i := 0; i < N; i++ {
			sum += m[int64(i)]
		}
		d = t0.stop()
		gcInTimed += numGC() - g0
		lookup = append(lookup, d)
		if sum != wantSum {
			fmt.Fprintf(os.Stderr, "map_insert: lookup sum %d, want %d\n", sum, wantSum)
			os.Exit(1)
		}
		sink += sum

		// delete: every key.
		g0 = numGC()
		t0 = start()
		for i := 0; i < N; i++ {
			delete(m, int64(i))
		}
		d = t0.stop()
		gcInTimed += numGC() - g0
		del = append(del, d)
		if len(m) != 0 {
			fmt.Fprintf(os.Stderr, "map_insert: %d keys left after delete\n", len(m))
			os.Exit(1)
		}
		m = nil

		// insert_presized: make(map, N), no growth.
		runtime.GC()
		gate()
		mp := make(map[int64]int64, N)
		g0 = numGC()
		t0 = start()
		for i := 0; i < N; i++ {
			mp[int64(i)] = int64(i)
		}
		d = t0.stop()
		gcInTimed += numGC() - g0
		presized = append(presized, d)
		sink += int64(len(mp))
		mp = nil
	}
	runtime.GC()

	gogc, ok := os.LookupEnv("GOGC")
	if !ok {
		gogc = "(unset)"
	}
	pct := debug.SetGCPercent(100)
	debug.SetGCPercent(pct)

	rep := Report{
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GOGC:       gogc,
		GCPercent:  pct,
		N:          N,
		Reps:       *reps,
		Warmup:     *warmup,
		Benchmarks: map[string]Stats{
			"insert":          summarise(insert, N),
			"insert_presized": summarise(presized, N),
			"lookup":          summarise(lookup, N),
			"delete":          summarise(del, N),
		},
		GCCyclesInTimed: gcInTimed,
		QuietMaxWaitS:   *quiet,
		QuietBusy:       gateBusy,
		QuietTimeouts:   gateMisses,
	}

	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(os.Stderr, "map_insert:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Printf("%s %s/%s GOMAXPROCS=%d GOGC=%s N=%d reps=%d (GC cycles in timed loops: %d)\n",
		rep.GoVersion, rep.GOOS, rep.GOARCH, rep.GOMAXPROCS, rep.GOGC, N, *reps, gcInTimed)
	fmt.Printf("%-16s %10s %10s %10s %10s | thread CPU: %8s %8s\n", "benchmark", "min ms", "median ms", "min ns/op", "med ns/op", "min ns/op", "med ns/op")
	for _, name := range []string{"insert", "insert_presized", "lookup", "delete"} {
		s := rep.Benchmarks[name]
		fmt.Printf("%-16s %10.1f %10.1f %10.1f %10.1f | %20.1f %8.1f\n", name, s.MinMs, s.MedianMs, s.MinNsPerOp, s.MedianNsPerOp, s.CPUMinNsPerOp, s.CPUMedianNsPerOp)
	}
	if quietWait > 0 {
		fmt.Printf("quiet gate: %d waits, %d timed out\n", len(gateBusy), gateMisses)
	}
}
