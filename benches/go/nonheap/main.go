// Command nonheap measures the runtime's non-heap memory, as GOMEMLIMIT's heap goal sees it
// (runtime/mgcpacer.go: memoryLimitHeapGoal counts mapped-and-ready memory less free heap
// pages and heap objects as non-heap): the `nonheap_base` and `nonheap_ratio` defaults,
// beside model::heap::HEAP_ARENA_METADATA.
//
// Run (inside benches/go/nonheap, Go 1.19):
//
//	./run.sh > ../results/nonheap.txt
//
// The workload is gomemsim's GC workload: retain L MiB in 4 KiB []byte chunks, then
// allocate G MiB of 4 KiB garbage, keeping L live. runtime/metrics is read at the start
// and eight times during the garbage phase. Per line: the heap's mapped memory (objects,
// unused span space, free pages), its address space (the same plus released pages), the
// non-heap memory (mapped-and-ready less free pages and objects: every other class of
// /memory/classes, which includes the span fragmentation in heap/unused), the heap goal
// and the GC cycles so far, in bytes.
package main

import (
	"flag"
	"fmt"
	"runtime/metrics"
)

var (
	sink []byte
	keep [][]byte
)

var names = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/total:bytes",
	"/gc/heap/goal:bytes",
	"/gc/cycles/total:gc-cycles",
}

func main() {
	live := flag.Int("live", 64, "MiB retained")
	garbage := flag.Int("garbage", 512, "MiB of garbage allocated after")
	flag.Parse()
	s := make([]metrics.Sample, len(names))
	for i := range s {
		s[i].Name = names[i]
	}
	report := func(tag string) {
		metrics.Read(s)
		v := make([]uint64, len(s))
		for i := range s {
			v[i] = s[i].Value.Uint64()
		}
		objects, unused, free, released, total := v[0], v[1], v[2], v[3], v[4]
		mapped := objects + unused + free
		nonheap := total - released - free - objects
		fmt.Printf("%-6s %5d %6d %12d %12d %10d %12d %7d\n", tag, *live, *garbage,
			mapped, mapped+released, nonheap, v[5], v[6])
	}
	keep = make([][]byte, 0, *live*256)
	for i := 0; i < *live*256; i++ {
		keep = append(keep, make([]byte, 4096))
	}
	report("start")
	n := *garbage * 256
	for i := 1; i <= n; i++ {
		sink = make([]byte, 4096)
		if i%(n/8) == 0 {
			report(fmt.Sprint(8 * i / n))
		}
	}
}
