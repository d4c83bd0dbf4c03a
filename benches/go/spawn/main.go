// Command spawn measures the `[costs] goroutine_spawn` default: what one `go`
// statement (runtime/proc.go: newproc) costs the goroutine that executes it.
//
// Run (inside benches/go/spawn, Go 1.19):
//
//	go run . > ../results/spawn.txt
//
// Each rep times a loop of 100 `go` statements whose goroutines do nothing but
// wg.Done, then waits for them outside the timed region. At GOMAXPROCS=1 the
// new goroutines cannot run before the loop ends (newproc only queues them);
// at GOMAXPROCS=2 the first one also wakes the idle P (wakep), on the
// spawner's time. It prints the 10th, 50th and 90th percentile over the reps
// of the time per `go` statement.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"
)

func main() {
	const spawns, reps = 100, 201
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		per := make([]float64, 0, reps)
		for rep := 0; rep < reps; rep++ {
			var wg sync.WaitGroup
			wg.Add(spawns)
			start := time.Now()
			for i := 0; i < spawns; i++ {
				go func() { wg.Done() }()
			}
			elapsed := time.Since(start)
			wg.Wait()
			per = append(per, float64(elapsed.Nanoseconds())/spawns)
		}
		sort.Float64s(per)
		fmt.Printf("GOMAXPROCS=%d: ns per go statement: p10 %.0f  p50 %.0f  p90 %.0f  (%d reps of %d)\n",
			procs, per[reps/10], per[reps/2], per[reps*9/10], reps, spawns)
	}
	fmt.Println(runtime.Version())
}
