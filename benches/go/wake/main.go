// Command wake measures when two goroutines that main starts together really run: the
// scheduler behaviour behind how often two unsynchronised map writers crash
// (tests/data/measured/concurrent_map_writers2.csv: 2 writers × K keys, GOMAXPROCS=2).
//
// It has the shape of the program `gomemsim export-go` wrote for such a scenario (a
// `start = "together"` group of 2 writers) when these results were taken: for each writer
// main makes its random source and starts it (export-go now makes it on first use, so its
// `go` statements follow each other closely); each waits at a channel main closes after
// starting both. Here each writer
// inserts its K keys into a map of its own, so that no run dies, and records, relative to
// the close, when it got past the channel and when it finished. The two overlap — the
// crash window of the shared-map program — when each started before the other finished.
//
// Run (inside benches/go/wake, Go 1.19), one process per run as the crash rates were
// measured: a fresh process has not yet started the threads that later wake-ups reuse.
//
//	go build -o wake . && for k in 10 100 1000; do for i in $(seq 200); do GOMAXPROCS=2 ./wake -k $k; done; done > ../results/wake.txt
//
// Each line: k, GOMAXPROCS, then start and end (ns after the close) of writer 0 and writer 1
// (0 0 for a writer not started). With -writers 1, the first writer alone (results/wake_one.txt):
//
//	for p in 2 1; do for k in 10 100 1000; do for i in $(seq 60); do GOMAXPROCS=$p ./wake -k $k -writers 1; done; done; done > ../results/wake_one.txt
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"runtime"
	"sync"
	"time"
)

var sink int64

func main() {
	k := flag.Int("k", 10, "keys per writer")
	writers := flag.Int("writers", 2, "writers (1: the first writer's inserts with no second goroutine)")
	flag.Parse()
	line := make(chan struct{})
	var wg sync.WaitGroup
	var start, end [2]time.Duration
	var opened time.Time
	for g := 0; g < *writers; g++ {
		rng := rand.New(rand.NewSource(int64(g)))
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			m := make(map[int]int)
			<-line
			start[g] = time.Since(opened)
			for i := 0; i < *k; i++ {
				m[g**k+i] = i
			}
			end[g] = time.Since(opened)
			sink += rng.Int63() + int64(len(m))
		}(g)
	}
	opened = time.Now()
	close(line)
	wg.Wait()
	fmt.Printf("%d %d %d %d %d %d\n", *k, runtime.GOMAXPROCS(0), start[0], end[0], start[1], end[1])
}
