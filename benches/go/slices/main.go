// Command slices measures the `[costs] slice_append` and `memmove_per_kib` defaults:
// what one `s = append(s, x)` that fits in the capacity costs, and what growslice's copy
// of the old array into the new one costs per KiB; then it checks the two against whole
// runs of appends from a nil slice and to a presized one.
//
// Build and run (inside benches/go/slices, Go 1.19):
//
//	go run . > ../results/slices.txt
//
// It takes a few seconds.
//
// The program sets GOMAXPROCS=1 (runtime.GOMAXPROCS), locks its goroutine to its OS
// thread and turns the collector off (debug.SetGCPercent(-1)), so no GC cycle and no
// other P share a timed region; it frees memory itself (runtime.GC, debug.FreeOSMemory)
// only outside timed regions. Every figure is the median over 15 reps after one warm-up
// rep, timed with the wall clock and with the CPU time of the thread
// (CLOCK_THREAD_CPUTIME_ID; it leaves out time the thread was descheduled, so the two
// agree on a quiet machine). A rep repeats its loop until it has done about 2^20 appends
// (or 16 MiB of copying), so no timed region is shorter than about a third of a
// millisecond; part 1 interleaves the reps of the loops it compares. Before and after
// each part a "clock check" times a chain of 1-cycle instructions, so a slow spell of the
// CPU (or of the host under a virtual machine) shows, and ns convert to cycles.
//
//  1. slice_append: n = 1e3, 1e4, 1e5, 1e6 appends of int64 to a slice made with
//     make([]int64, 0, n) once and touched by the warm-up; each pass re-slices it to
//     length 0 (s := buf[:0]) and appends n, so every append fits and the memory is
//     resident. The slice is stored in a package-level variable after each pass so the
//     compiler cannot drop the loop. ns per append. The same loop is compiled eight
//     times at different places in the code (appendReused0..7), because where it lands
//     against the CPU's 64-byte instruction fetch blocks changes its speed up to about
//     3x (on the reference machine's AMD EPYC at 3.6 GHz, 1.2 cycles an append at some
//     placements, 2 at others, 3.5 in some builds and runs); all eight are printed, with
//     their smallest, median and largest.
//  2. memmove_per_kib: copy(dst, src) between two []byte buffers of 4 KiB, 64 KiB,
//     1 MiB and 16 MiB, both allocated and written before timing. ns per KiB.
//  3. the whole: n int64 appended one at a time to a nil slice (var s []int64), which
//     grows through growslice, against n appended to make([]int64, 0, n) made in the
//     timed loop, ns per append, in two memory regimes: "released" (debug.FreeOSMemory()
//     before each rep frees the previous rep's arrays and returns them to the OS, so every
//     array page-faults in as it is first written, as a growing heap's new memory does)
//     and "reused" (runtime.GC() before each rep frees them and they stay resident). For
//     the nil slice it also counts growslice's allocations and the KiB they copy (old
//     length × 8 B, from an untimed pass) and prices that copying at part 2's rates (each
//     copy at the rate of the smallest measured size at least as large), so nil −
//     presized − memmove is what the allocations themselves (and their page faults) cost.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"syscall"
	"time"
	"unsafe"
)

const (
	reps        = 15      // timed reps, after one warm-up rep
	appendsPerR = 1 << 20 // appends per rep (whole passes of n)
	bytesPerR   = 1 << 24 // bytes copied per rep
)

var (
	sink     []int64 // every appended slice ends here, so the loops are not dead
	sinkByte byte
)

func threadCPU() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// stat is a median over the reps, per unit (append or KiB), on both clocks, with the
// smallest and largest wall-clock rep.
type stat struct{ wall, cpu, min, max float64 }

// measure times each of bodies reps+1 times, interleaved (rep 0 of every body, then rep
// 1 of every body, ...), so a slow spell of the machine falls on all of them alike. It
// runs setup (untimed) before every timed body, drops rep 0 as the warm-up, and returns
// each body's medians of the time per unit.
func measure(units float64, setup func(), bodies ...func()) []stat {
	ws := make([][]float64, len(bodies))
	cs := make([][]float64, len(bodies))
	for rep := 0; rep <= reps; rep++ {
		for b, body := range bodies {
			if setup != nil {
				setup()
			}
			t, c := time.Now(), threadCPU()
			body()
			dc, dw := threadCPU()-c, time.Since(t)
			if rep > 0 {
				ws[b] = append(ws[b], float64(dw.Nanoseconds())/units)
				cs[b] = append(cs[b], float64(dc)/units)
			}
		}
	}
	out := make([]stat, len(bodies))
	for b := range bodies {
		sort.Float64s(ws[b])
		sort.Float64s(cs[b])
		out[b] = stat{ws[b][reps/2], cs[b][reps/2], ws[b][0], ws[b][reps-1]}
	}
	return out
}

// chain is a dependency chain of 4 one-cycle instructions (LEAQ, XORQ, LEAQ, XORQ on
// amd64) per iteration; the loop counter runs beside it.
//
//go:noinline
func chain(n int, k uint64) uint64 {
	x := k
	for i := 0; i < n; i++ {
		x = (x + uint64(i)) ^ k
		x = (x + k) ^ uint64(i)
	}
	return x
}

var sinkU uint64

// clockGHz is the rate at which chain's instructions retire, a check on the speed the
// core is running at (its clock, less any share the host took): the median of 9 runs of
// 2^20 iterations, 4 cycles each, in cycles per ns of thread CPU time.
func clockGHz() float64 {
	const n = 1 << 20
	ghz := make([]float64, 0, 9)
	for r := 0; r < 9; r++ {
		c := threadCPU()
		sinkU = chain(n, uint64(r))
		ghz = append(ghz, 4*n/float64(threadCPU()-c))
	}
	sort.Float64s(ghz)
	return ghz[4]
}

func passesFor(n int) int { return (appendsPerR + n - 1) / n }

// appendReused0..7 append n int64 to buf re-sliced to length 0, passes times. They are
// the same 23-byte loop, placed differently: each also increments pad 0..7 times (7 bytes
// of code each), which changes the size of the function and so where its loop and the
// loops after it land against the 64-byte blocks the CPU fetches and caches decoded
// instructions in. On an AMD Zen core that alone takes the loop from 1 cycle an append to
// 2 or more, so part 1 reports every placement.
var appendReused = []func(buf []int64, n, passes int){
	appendReused0, appendReused1, appendReused2, appendReused3,
	appendReused4, appendReused5, appendReused6, appendReused7,
}

var pad int

//go:noinline
func appendReused0(buf []int64, n, passes int) {
	for p := 0; p < passes; p++ {
		s := buf[:0]
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

//go:noinline
func appendReused1(buf []int64, n, passes int) {
	pad++
	for p := 0; p < passes; p++ {
		s := buf[:0]
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

//go:noinline
func appendReused2(buf []int64, n, passes int) {
	pad++
	pad++
	for p := 0; p < passes; p++ {
		s := buf[:0]
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

//go:noinline
func appendReused3(buf []int64, n, passes int) {
	pad++
	pad++
	pad++
	for p := 0; p < passes; p++ {
		s := buf[:0]
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

//go:noinline
func appendReused4(buf []int64, n, passes int) {
	pad++
	pad++
	pad++
	pad++
	for p := 0; p < passes; p++ {
		s := buf[:0]
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

//go:noinline
func appendReused5(buf []int64, n, passes int) {
	pad++
	pad++
	pad++
	pad++
	pad++
	for p := 0; p < passes; p++ {
		s := buf[:0]
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

//go:noinline
func appendReused6(buf []int64, n, passes int) {
	pad++
	pad++
	pad++
	pad++
	pad++
	pad++
	for p := 0; p < passes; p++ {
		s := buf[:0]
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

//go:noinline
func appendReused7(buf []int64, n, passes int) {
	pad++
	pad++
	pad++
	pad++
	pad++
	pad++
	pad++
	for p := 0; p < passes; p++ {
		s := buf[:0]
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

// appendPresized appends n int64 to a slice made with capacity n, passes times.
func appendPresized(n, passes int) {
	for p := 0; p < passes; p++ {
		s := make([]int64, 0, n)
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

// appendNil appends n int64 to a nil slice, passes times.
func appendNil(n, passes int) {
	for p := 0; p < passes; p++ {
		var s []int64
		for i := 0; i < n; i++ {
			s = append(s, int64(i))
		}
		sink = s
	}
}

// growths returns the sizes in bytes growslice copies while n int64 are appended to a
// nil slice (the old length × 8 at each growth; the first growth, from nil, copies 0).
func growths(n int) []int {
	var s []int64
	var copies []int
	for i := 0; i < n; i++ {
		old := cap(s)
		s = append(s, int64(i))
		if cap(s) != old {
			copies = append(copies, 8*(len(s)-1))
		}
	}
	return copies
}

func main() {
	runtime.GOMAXPROCS(1)
	runtime.LockOSThread()
	debug.SetGCPercent(-1)
	ns := []int{1e3, 1e4, 1e5, 1e6}

	fmt.Printf("# %s %s/%s, GOMAXPROCS=%d, GC off (debug.SetGCPercent(-1)); median of %d reps after a warm-up\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), reps)
	fmt.Println("# wall and cpu: medians of the wall clock and of the thread's CPU time; min, max: wall, over the reps")
	fmt.Println("# clock check: the speed of a chain of 1-cycle instructions, in GHz, before and after each part")
	fmt.Println()

	fmt.Println("== slice_append: an append that fits, make([]int64, 0, n) reused (resident), ns per append")
	fmt.Println("# thread cpu, median of the reps, for each of the 8 placements of the same loop (v0..v7);")
	fmt.Println("# then the smallest, the median and the largest of the 8")
	fmt.Printf("%-9s %7s", "n", "passes")
	for v := range appendReused {
		fmt.Printf(" %6s", fmt.Sprintf("v%d", v))
	}
	fmt.Printf(" %7s %7s %7s\n", "min", "median", "max")
	ghz := clockGHz()
	for _, n := range ns {
		buf := make([]int64, 0, n)
		passes := passesFor(n)
		fmt.Printf("%-9d %7d", n, passes)
		var bodies []func()
		for _, f := range appendReused {
			f := f
			bodies = append(bodies, func() { f(buf, n, passes) })
		}
		var meds []float64
		for _, st := range measure(float64(n*passes), nil, bodies...) {
			fmt.Printf(" %6.3f", st.cpu)
			meds = append(meds, st.cpu)
		}
		sort.Float64s(meds)
		fmt.Printf(" %7.3f %7.3f %7.3f\n", meds[0], (meds[3]+meds[4])/2, meds[7])
	}
	fmt.Printf("# clock check: %.2f GHz before, %.2f GHz after\n", ghz, clockGHz())
	fmt.Println()

	fmt.Println("== memmove_per_kib: copy(dst, src) between two written []byte buffers, ns per KiB")
	fmt.Printf("%-9s %8s %8s %8s %8s %8s %8s\n", "size", "copies", "wall", "cpu", "min", "max", "GB/s")
	sizes := []int{4 << 10, 64 << 10, 1 << 20, 16 << 20}
	rate := make([]float64, len(sizes)) // ns per KiB (thread CPU), for part 3
	ghz = clockGHz()
	for j, size := range sizes {
		src := make([]byte, size)
		dst := make([]byte, size)
		for i := range src {
			src[i] = byte(i)
			dst[i] = byte(i >> 8)
		}
		copies := bytesPerR / size
		st := measure(float64(copies*size>>10), nil, func() {
			for k := 0; k < copies; k++ {
				copy(dst, src)
			}
		})[0]
		sinkByte = dst[size-1]
		rate[j] = st.cpu
		fmt.Printf("%-9s %8d %8.2f %8.2f %8.2f %8.2f %8.1f\n",
			fmt.Sprintf("%dK", size>>10), copies, st.wall, st.cpu, st.min, st.max, 1024/st.wall)
	}
	fmt.Printf("# clock check: %.2f GHz before, %.2f GHz after\n", ghz, clockGHz())
	fmt.Println()

	// The growslice copies of a nil slice grown to n, priced at part 2's rates.
	memmoveNs := func(n int) (count int, kib, est float64) {
		for _, b := range growths(n) {
			count++
			kib += float64(b) / 1024
			j := sort.SearchInts(sizes, b)
			if j == len(sizes) {
				j--
			}
			est += float64(b) / 1024 * rate[j]
		}
		return count, kib, est
	}

	for _, regime := range []string{"released", "reused"} {
		setup := debug.FreeOSMemory
		what := "debug.FreeOSMemory() before each rep: every array faults in as it is written"
		if regime == "reused" {
			setup = runtime.GC
			what = "runtime.GC() before each rep: the arrays reuse freed, resident memory"
		}
		fmt.Printf("== the whole, GC off, %s memory (%s), ns per append (thread cpu; wall in brackets)\n", regime, what)
		fmt.Printf("%-9s %8s %18s %18s %8s %8s %10s %9s %12s\n",
			"n", "passes", "nil", "presized", "nil-pre", "growths", "KiB copied", "memmove", "nil-pre-mm")
		ghz = clockGHz()
		for _, n := range ns {
			passes := passesFor(n)
			units := float64(n * passes)
			// Not interleaved: each loop's reps follow one another, so in the reused
			// regime each rep reuses the memory of the same loop's previous rep.
			grown := measure(units, setup, func() { appendNil(n, passes) })[0]
			pre := measure(units, setup, func() { appendPresized(n, passes) })[0]
			count, kib, est := memmoveNs(n)
			mm := est / float64(n)
			fmt.Printf("%-9d %8d %7.3f [%7.3f] %7.3f [%7.3f] %8.3f %8d %10.1f %9.3f %12.3f\n",
				n, passes, grown.cpu, grown.wall, pre.cpu, pre.wall, grown.cpu-pre.cpu, count, kib, mm, grown.cpu-pre.cpu-mm)
		}
		fmt.Printf("# clock check: %.2f GHz before, %.2f GHz after\n", ghz, clockGHz())
		fmt.Println()
	}
	fmt.Println("# growths: growslice calls for one nil slice grown to n; KiB copied: what they copy (old length x 8 B);")
	fmt.Println("# memmove: that copying at the memmove_per_kib rates above, per append; nil-pre-mm: the rest of the growth cost")
}
