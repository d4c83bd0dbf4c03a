// Command burst measures how a second P takes goroutines that main starts one after another:
// the scheduler behind how often 100 unsynchronised one-key writers crash (race_minimal).
//
// main starts n goroutines with `go` in a loop and waits for them; each records when it
// started (ns after main's first `go`) and the P it ran on (runtime.procPin, reached through
// go:linkname as package sync does), then writes its slot of an array. Run one process per
// line set, as a crash rate is measured: a fresh process has touched none of its stacks.
//
//	go build -o burst . && for i in $(seq 100); do GOMAXPROCS=2 ./burst; done > ../results/burst.txt
//
// Output of one process: "spawned NS" (when main's last `go` returned), then one line per
// goroutine: index, start (ns), P.
package main

import (
	"flag"
	"fmt"
	"sync"
	"time"
	_ "unsafe" // go:linkname
)

//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

var sink [1 << 16]int

func main() {
	n := flag.Int("n", 100, "goroutines")
	flag.Parse()
	var wg sync.WaitGroup
	start := make([]time.Duration, *n)
	pid := make([]int, *n)
	began := time.Now()
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			start[i] = time.Since(began)
			pid[i] = procPin()
			procUnpin()
			sink[i%len(sink)] = i
		}(i)
	}
	spawned := time.Since(began)
	wg.Wait()
	fmt.Printf("spawned %d\n", spawned.Nanoseconds())
	for i := 0; i < *n; i++ {
		fmt.Printf("%d %d %d\n", i, start[i].Nanoseconds(), pid[i])
	}
}
