// Command scavenge measures the `[costs]` of memory the runtime returns to the OS:
// `scavenge_per_kib`, what releasing free heap memory costs (runtime/mgcscavenge.go:
// sysUnused, an madvise(MADV_DONTNEED) per run of free pages), and `fault_per_kib`, what
// allocating from released memory costs over allocating from resident free memory (the
// allocation zeroes the object, and the first touch of each released page faults a
// fresh zeroed page in).
//
// Run (inside benches/go/scavenge, Go 1.19):
//
//	go run . > ../results/scavenge.txt
//
// The collector is off (debug.SetGCPercent(-1)), so no background scavenging and no
// reuse happen inside a timed region. Each rep frees 256 MiB of 4 KiB objects with
// runtime.GC(), then either times debug.FreeOSMemory (a GC plus releasing every free
// page) against a second runtime.GC() (the same GC, nothing to release), or times
// allocating 256 MiB of 4 KiB objects into memory that is resident or was released.
// Each is measured with the other P idle and with a goroutine spinning on it, as the GC's
// workers and the program's other goroutines do when the runtime scavenges on the
// allocation path: the kernel must then shoot down the other CPU's TLB entries on each
// release.
//
// FreeOSMemory releases the whole free heap in a few large runs. On the allocation path
// under a memory limit (runtime/mheap.go: allocSpan, go1.19) the runtime releases about
// one span at a time, so the second part repeats what go1.19's sysUnusedOS
// (runtime/mem_linux.go) does for one run of pages — madvise(MADV_NOHUGEPAGE) on the huge
// page holding it, then madvise(MADV_DONTNEED) — on memory mapped by this program, per
// 8 KiB run (the span of 4 KiB objects), 64 KiB and 4 MiB, and the first touch of each
// released page after it.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

const (
	madvDontneed   = 4  // MADV_DONTNEED
	madvNohugepage = 15 // MADV_NOHUGEPAGE
	hugePage       = 2 << 20
)

func madvise(b []byte, advice int) {
	if err := syscall.Madvise(b, advice); err != nil {
		panic(err)
	}
}

// releaseRuns releases mem in runs of run bytes as sysUnusedOS does, then touches every
// page again; returns ns per KiB released, µs per run, and ns per KiB faulted back in.
func releaseRuns(mem []byte, run int) (float64, float64, float64) {
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 1
	}
	base := uintptr(unsafe.Pointer(&mem[0]))
	t := time.Now()
	for off := 0; off < len(mem); off += run {
		head := int((base+uintptr(off))&^(hugePage-1) - base)
		if head >= 0 && head+hugePage <= len(mem) {
			madvise(mem[head:head+hugePage], madvNohugepage)
		}
		madvise(mem[off:off+run], madvDontneed)
	}
	rel := time.Since(t)
	t = time.Now()
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 1
	}
	flt := time.Since(t)
	kib := float64(len(mem) >> 10)
	return float64(rel) / kib, float64(rel) / float64(len(mem)/run) / 1e3, float64(flt) / kib
}

func syscalls(reps int) {
	const total = 64 << 20
	fmt.Printf("\n== sysUnusedOS per run of pages on %d MiB mapped by the program, median of %d reps\n", total>>20, reps)
	fmt.Printf("%-6s %8s %16s %16s %16s\n", "busy", "run", "release ns/KiB", "release us/run", "fault ns/KiB")
	mem, err := syscall.Mmap(-1, 0, total+hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		panic(err)
	}
	// Align to a huge page, as the heap's arenas are.
	skip := int(hugePage - uintptr(unsafe.Pointer(&mem[0]))&(hugePage-1))
	mem = mem[skip : skip+total]
	for _, busy := range []bool{false, true} {
		stop := spin(busy)
		for _, run := range []int{8 << 10, 64 << 10, 4 << 20} {
			var a, b, c []float64
			for r := 0; r < reps; r++ {
				x, y, z := releaseRuns(mem, run)
				a, b, c = append(a, x), append(b, y), append(c, z)
			}
			fmt.Printf("%-6v %7dK %16.1f %16.2f %16.1f\n", busy, run>>10, median(a), median(b), median(c))
		}
		stop()
	}
}

// spin keeps the other P busy until the returned stop is called (if busy).
func spin(busy bool) func() {
	var stop int32
	if busy {
		go func() {
			for atomic.LoadInt32(&stop) == 0 {
			}
		}()
		time.Sleep(10 * time.Millisecond)
	}
	return func() { atomic.StoreInt32(&stop, 1) }
}

const (
	total = 256 << 20
	size  = 4096
)

var sink []byte
var keep [][]byte

// fill allocates total bytes in 4 KiB objects, all kept reachable until drop.
func fill() time.Duration {
	keep = make([][]byte, 0, total/size)
	start := time.Now()
	for i := 0; i < total/size; i++ {
		keep = append(keep, make([]byte, size))
	}
	return time.Since(start)
}

func drop() {
	keep = nil
	runtime.GC()
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

func main() {
	reps := flag.Int("reps", 7, "reps per measurement")
	flag.Parse()
	runtime.GOMAXPROCS(2)
	debug.SetGCPercent(-1)
	fmt.Printf("== heap: FreeOSMemory and allocation after it\n")
	fmt.Printf("%s %s/%s GOMAXPROCS=2, GC off, %d MiB of %d B objects, median of %d reps\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, total>>20, size, *reps)
	fmt.Printf("%-6s %22s %22s %22s %22s\n", "busy", "release ns/KiB", "alloc resident ns/KiB",
		"alloc released ns/KiB", "fault ns/KiB")
	for _, busy := range []bool{false, true} {
		stop := spin(busy)
		kib := float64(total >> 10)
		var release, resident, released []float64
		for r := 0; r < *reps; r++ {
			// Release: FreeOSMemory's GC and release against a plain GC.
			fill()
			drop()
			fill()
			keep = nil
			t := time.Now()
			runtime.GC()
			gcOnly := time.Since(t)
			t = time.Now()
			debug.FreeOSMemory()
			both := time.Since(t)
			release = append(release, float64(both-gcOnly)/kib)
			// Allocation into released memory (everything free was just released) ...
			released = append(released, float64(fill())/kib)
			drop()
			// ... and into resident memory (freed by the GC, not released).
			resident = append(resident, float64(fill())/kib)
			drop()
			debug.FreeOSMemory()
		}
		stop()
		rel, res, rld := median(release), median(resident), median(released)
		fmt.Printf("%-6v %22.1f %22.1f %22.1f %22.1f\n", busy, rel, res, rld, rld-res)
	}
	syscalls(*reps)
}
