// Command map_insert is the Go counterpart of gomemsim's `map_insert` benchmark:
// it times map[int64]int64 insert (growing from B=0 and presized), lookup and
// delete on the real Go runtime.
//
// Build and run (inside benches/go/map_insert, Go 1.19):
//
//	go build -o map_insert_go .
//	./map_insert_go -n 10000000 -reps 5 -json > ../results/map_insert_gogc100.json
//	GOGC=off ./map_insert_go -n 10000000 -reps 5 -json > ../results/map_insert_gogcoff.json
//
// Without -json it prints a table. Only the operation loops are timed
// (time.Now before and after); every rep uses a fresh map and runtime.GC()
// runs between reps, outside the timed region.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"time"
)

// Stats summarises one benchmark over all reps.
type Stats struct {
	RepsMs        []float64 `json:"reps_ms"`
	MinMs         float64   `json:"min_ms"`
	MedianMs      float64   `json:"median_ms"`
	MinNsPerOp    float64   `json:"min_ns_per_op"`
	MedianNsPerOp float64   `json:"median_ns_per_op"`
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
	Benchmarks map[string]Stats `json:"benchmarks"`
	// GC cycles run inside the timed regions (total over all reps; forced
	// runtime.GC() calls between reps are excluded).
	GCCyclesInTimed uint32 `json:"gc_cycles_in_timed"`
}

var sink int64

func summarise(d []time.Duration, n int) Stats {
	ms := make([]float64, len(d))
	for i, x := range d {
		ms[i] = float64(x.Nanoseconds()) / 1e6
	}
	s := append([]float64(nil), ms...)
	sort.Float64s(s)
	var med float64
	if len(s)%2 == 1 {
		med = s[len(s)/2]
	} else {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stats{
		RepsMs:        ms,
		MinMs:         s[0],
		MedianMs:      med,
		MinNsPerOp:    s[0] * 1e6 / float64(n),
		MedianNsPerOp: med * 1e6 / float64(n),
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
	flag.Parse()
	if *n <= 0 || *reps <= 0 {
		fmt.Fprintln(os.Stderr, "map_insert: -n and -reps must be positive")
		os.Exit(2)
	}
	N := *n

	var insert, presized, lookup, del []time.Duration
	var gcInTimed uint32
	wantSum := int64(N) * int64(N-1) / 2

	for r := 0; r < *reps; r++ {
		// insert: no hint, grows from B=0.
		runtime.GC()
		g0 := numGC()
		m := make(map[int64]int64)
		t0 := time.Now()
		for i := 0; i < N; i++ {
			m[int64(i)] = int64(i)
		}
		t1 := time.Now()
		gcInTimed += numGC() - g0
		insert = append(insert, t1.Sub(t0))

		// lookup: N lookups of existing keys on the full map.
		g0 = numGC()
		var sum int64
		t0 = time.Now()
		for i := 0; i < N; i++ {
			sum += m[int64(i)]
		}
		t1 = time.Now()
		gcInTimed += numGC() - g0
		lookup = append(lookup, t1.Sub(t0))
		if sum != wantSum {
			fmt.Fprintf(os.Stderr, "map_insert: lookup sum %d, want %d\n", sum, wantSum)
			os.Exit(1)
		}
		sink += sum

		// delete: every key.
		g0 = numGC()
		t0 = time.Now()
		for i := 0; i < N; i++ {
			delete(m, int64(i))
		}
		t1 = time.Now()
		gcInTimed += numGC() - g0
		del = append(del, t1.Sub(t0))
		if len(m) != 0 {
			fmt.Fprintf(os.Stderr, "map_insert: %d keys left after delete\n", len(m))
			os.Exit(1)
		}
		m = nil

		// insert_presized: make(map, N), no growth.
		runtime.GC()
		mp := make(map[int64]int64, N)
		g0 = numGC()
		t0 = time.Now()
		for i := 0; i < N; i++ {
			mp[int64(i)] = int64(i)
		}
		t1 = time.Now()
		gcInTimed += numGC() - g0
		presized = append(presized, t1.Sub(t0))
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
		Benchmarks: map[string]Stats{
			"insert":          summarise(insert, N),
			"insert_presized": summarise(presized, N),
			"lookup":          summarise(lookup, N),
			"delete":          summarise(del, N),
		},
		GCCyclesInTimed: gcInTimed,
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
	fmt.Printf("%-16s %10s %10s %10s %10s\n", "benchmark", "min ms", "median ms", "min ns/op", "med ns/op")
	for _, name := range []string{"insert", "insert_presized", "lookup", "delete"} {
		s := rep.Benchmarks[name]
		fmt.Printf("%-16s %10.1f %10.1f %10.1f %10.1f\n", name, s.MinMs, s.MedianMs, s.MinNsPerOp, s.MedianNsPerOp)
	}
}
