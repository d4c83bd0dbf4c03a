// Command slices measures the `[costs] slice_append` and `memmove_per_kib` defaults: one
// `s = append(s, x)` that fits in the capacity, and growslice's copy of the old array into
// the new one, per KiB.
//
// Run (inside benches/go/slices, Go 1.19):
//
//	go run . > ../results/slices.txt
//
// GOMAXPROCS=1 and the GC off (debug.SetGCPercent(-1)), so neither the other P nor a GC
// cycle shares the measured loops. Each figure is the median of 15 reps after a warm-up.
//   - slice_append: n appends of int64 to make([]int64, 0, n), n = 1e3..1e6, ns per append.
//   - memmove_per_kib: copy(dst, src) between two touched []byte buffers, 4 KiB..16 MiB,
//     ns per KiB.
//   - the whole: n appends from a nil []int64 against a presized one, ns per append, with
//     the GC off (fresh memory: page faults) and at GOGC=100 (memory reused), to check what
//     the two costs and the allocation costs predict.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"time"
)

var sink []int64

func median(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

// appendNs is the time per append of n int64 to a slice made with capacity capacity.
func appendNs(n, capacity int) float64 {
	const reps = 15
	per := make([]float64, 0, reps)
	for rep := 0; rep <= reps; rep++ {
		s := make([]int64, 0, capacity)
		t := time.Now()
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		d := time.Since(t)
		sink = s
		if rep > 0 {
			per = append(per, float64(d.Nanoseconds())/float64(n))
		}
	}
	return median(per)
}

func main() {
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(-1)
	fmt.Println("# go", runtime.Version(), "GOMAXPROCS=1, GC off")
	fmt.Println("# slice_append: appends that fit (make([]int64, 0, n)), ns per append")
	for _, n := range []int{1e3, 1e4, 1e5, 1e6} {
		fmt.Printf("n=%-8d %.3f\n", n, appendNs(n, n))
	}
	fmt.Println("# memmove_per_kib: copy between touched buffers, ns per KiB")
	for _, kib := range []int{4, 64, 1024, 16384} {
		src := make([]byte, kib<<10)
		dst := make([]byte, kib<<10)
		for i := range src {
			src[i] = byte(i)
			dst[i] = byte(i)
		}
		const reps = 15
		per := make([]float64, 0, reps)
		for rep := 0; rep <= reps; rep++ {
			iters := 1 + (1<<24)/(kib<<10)
			t := time.Now()
			for k := 0; k < iters; k++ {
				copy(dst, src)
			}
			d := time.Since(t)
			if rep > 0 {
				per = append(per, float64(d.Nanoseconds())/float64(iters*kib))
			}
		}
		fmt.Printf("%6d KiB %.2f\n", kib, median(per))
	}
	for _, gogc := range []int{-1, 100} {
		debug.SetGCPercent(gogc)
		fmt.Printf("# the whole, GOGC=%d: ns per append from nil and presized\n", gogc)
		for _, n := range []int{1e3, 1e4, 1e5, 1e6} {
			grown, pre := appendNs(n, 0), appendNs(n, n)
			fmt.Printf("n=%-8d nil %.3f presized %.3f\n", n, grown, pre)
		}
	}
}
