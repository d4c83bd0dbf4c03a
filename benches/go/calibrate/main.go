// Command calibrate measures, on the real Go runtime, the per-operation costs
// behind gomemsim's `[costs]` table for map[int64]int64 (Go 1.19, classic
// hmap/bmap maps): map_op, map_evacuate_entry, map_evacuate_bucket,
// alloc_per_kib, map_iter_entry and map_overflow_probe.
//
// Build and run (inside benches/go/calibrate, Go 1.19):
//
//	go build -o calibrate_go .
//	./calibrate_go -reps 5 -quiet 300 -json > ../results/calibrate.json 2> ../results/calibrate.txt
//	./calibrate_go -reps 3 -exp overflow        # one experiment, table output
//
// Experiments (-exp, comma separated; default all, run in this order):
//
//	alloc     make([]byte, n), n = 64 KiB .. 64 MiB, fresh and reused memory
//	mapop     insert into make(map, n) / lookup / delete, n = 1e3 .. 1e7
//	iter      for k, v := range m over a 1e6-entry map
//	overflow  lookups in maps with constructed 8-bucket overflow chains vs. none
//	evac      doubling growth of maps with controlled occupancy (regression)
//	growth    insert 1e7 keys with growth vs. presized, decomposed
//
// Every timed region is measured twice: wall clock (time.Now) and the CPU
// time of the OS thread running it (CLOCK_THREAD_CPUTIME_ID; the goroutine is
// locked to its thread). The thread CPU time leaves out time the thread was
// descheduled by other processes, so it is the primary figure on a shared
// machine; both are in the JSON. The cost of reading both clocks is measured
// at start and subtracted from every region.
//
// With -quiet S, each rep first waits (up to S seconds) until the machine's
// other CPU use, sampled from /proc/stat, is below 10%; the busy fraction
// seen is recorded.
//
// Before the map experiments the heap is primed (-prime MiB): that much is
// allocated, touched and freed, so timed regions do not pay first-touch page
// faults. The program turns the collector off (debug.SetGCPercent(-1)) and
// calls runtime.GC() only outside timed regions. The overflow, evac and growth
// experiments read the runtime's hmap/maptype through unsafe mirrors of the
// Go 1.19 layouts (runtime/map.go, runtime/type.go) and the program refuses
// to run on another release.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
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

// ---------------------------------------------------------------------------
// Mirrors of runtime types (Go 1.19).

// hmap mirrors runtime.hmap (runtime/map.go).
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

// rtype mirrors runtime._type (runtime/type.go).
type rtype struct {
	size       uintptr
	ptrdata    uintptr
	hash       uint32
	tflag      uint8
	align      uint8
	fieldAlign uint8
	kind       uint8
	equal      func(unsafe.Pointer, unsafe.Pointer) bool
	gcdata     *byte
	str        int32
	ptrToThis  int32
}

// maptype mirrors runtime.maptype (runtime/type.go).
type maptype struct {
	typ        rtype
	key        *rtype
	elem       *rtype
	bucket     *rtype
	hasher     func(unsafe.Pointer, uintptr) uintptr
	keysize    uint8
	elemsize   uint8
	bucketsize uint16
	flags      uint32
}

type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// M is the map type every experiment measures.
type M = map[int64]int64

const (
	bucketCnt  = 8
	bucketSize = 144 // tophash 8 + 8 keys*8 + 8 elems*8 + overflow ptr 8
)

func hmapOf(m M) *hmap { return *(**hmap)(unsafe.Pointer(&m)) }

func maptypeOf(m M) *maptype {
	var i interface{} = m
	return (*maptype)((*eface)(unsafe.Pointer(&i)).typ)
}

var mt *maptype

func hashOf(k int64, seed uint32) uintptr {
	return mt.hasher(unsafe.Pointer(&k), uintptr(seed))
}

// bucketAt returns the address of bucket i of the array at base.
func bucketAt(base unsafe.Pointer, i uintptr) unsafe.Pointer {
	return unsafe.Add(base, i*bucketSize)
}

func overflowOf(b unsafe.Pointer) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Add(b, bucketSize-8))
}

// checkLayout verifies the mirrors against a live map: every key must be
// found in the chain of the bucket its hash selects.
func checkLayout() error {
	if !strings.HasPrefix(runtime.Version(), "go1.19") {
		return fmt.Errorf("unsafe mirrors are for go1.19, running %s", runtime.Version())
	}
	m := make(M, 100)
	mt = maptypeOf(m)
	if mt.keysize != 8 || mt.elemsize != 8 || mt.bucketsize != bucketSize || mt.bucket.size != bucketSize {
		return fmt.Errorf("maptype mismatch: keysize %d elemsize %d bucketsize %d", mt.keysize, mt.elemsize, mt.bucketsize)
	}
	h := hmapOf(m)
	for k := int64(1); k <= 50; k++ {
		m[k*7919] = k
	}
	if h.count != 50 || h.B != 4 {
		return fmt.Errorf("hmap mismatch: count %d B %d", h.count, h.B)
	}
	for k := int64(1); k <= 50; k++ {
		key := k * 7919
		found := false
		for b := bucketAt(h.buckets, hashOf(key, h.hash0)&(1<<h.B-1)); b != nil && !found; b = overflowOf(b) {
			for i := uintptr(0); i < bucketCnt; i++ {
				if *(*int64)(unsafe.Add(b, 8+i*8)) == key {
					found = true
				}
			}
		}
		if !found {
			return fmt.Errorf("key %d not in the bucket its hash selects", key)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Clocks.

// threadCPU is the CPU time of the calling OS thread, in ns.
func threadCPU() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

type clk struct {
	w time.Time
	c int64
}

// dur is an elapsed time on both clocks, in ns.
type dur struct {
	W float64 `json:"wall"`
	C float64 `json:"thread_cpu"`
}

func (a dur) add(b dur) dur       { return dur{a.W + b.W, a.C + b.C} }
func (a dur) sub(b dur) dur       { return dur{a.W - b.W, a.C - b.C} }
func (a dur) scale(f float64) dur { return dur{a.W * f, a.C * f} }
func (a dur) div(f float64) dur   { return dur{a.W / f, a.C / f} }

var overhead dur

func now() clk { return clk{time.Now(), threadCPU()} }

func since(t clk) dur {
	c := threadCPU()
	w := time.Since(t.w)
	return dur{float64(w.Nanoseconds()), float64(c - t.c)}.sub(overhead)
}

func measureOverhead() {
	const k = 2001
	ws := make([]float64, k)
	cs := make([]float64, k)
	for i := 0; i < k; i++ {
		t := now()
		d := since(t)
		ws[i], cs[i] = d.W, d.C
	}
	sort.Float64s(ws)
	sort.Float64s(cs)
	overhead = dur{ws[k/2], cs[k/2]}
}

// ---------------------------------------------------------------------------
// Waiting for a quiet machine.

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

// busyFraction samples the share of all CPUs that was busy over d (this
// process sleeps meanwhile, so it is other processes' use).
func busyFraction(d time.Duration) float64 {
	i0, t0, ok0 := readProcStat()
	time.Sleep(d)
	i1, t1, ok1 := readProcStat()
	if !ok0 || !ok1 || t1 <= t0 {
		return -1 // unknown: treated as quiet
	}
	return 1 - float64(i1-i0)/float64(t1-t0)
}

var (
	quietWait  time.Duration
	gateBusy   []float64
	gateMisses int
)

// gate waits until two consecutive 0.5 s samples show less than 10% busy,
// or quietWait has passed. It records the last busy fraction seen.
func gate() {
	if quietWait <= 0 {
		return
	}
	deadline := time.Now().Add(quietWait)
	calm := 0
	var b float64
	for {
		b = busyFraction(500 * time.Millisecond)
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

// ---------------------------------------------------------------------------
// Statistics and output.

// Stat is a summary over reps of one quantity.
type Stat struct {
	Reps   []float64 `json:"reps"`
	Min    float64   `json:"min"`
	Median float64   `json:"median"`
}

// DStat is a Stat on both clocks.
type DStat struct {
	CPU  Stat `json:"thread_cpu"`
	Wall Stat `json:"wall"`
}

func stat(xs []float64) Stat {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Reps: xs, Min: s[0], Median: med}
}

func dstat(ds []dur) DStat {
	var w, c []float64
	for _, d := range ds {
		w = append(w, d.W)
		c = append(c, d.C)
	}
	return DStat{CPU: stat(c), Wall: stat(w)}
}

// cell formats a DStat as "cpu min / cpu median (wall median)".
func cell(s DStat, scale float64, prec int) string {
	return fmt.Sprintf("%*.*f /%*.*f (%*.*f)", 7, prec, s.CPU.Min*scale, 7, prec, s.CPU.Median*scale, 7, prec, s.Wall.Median*scale)
}

const cellW = 27

var (
	results = map[string]interface{}{}
	asJSON  bool
	sink    int64
	keep    [][]byte
)

// dropKeep releases every slice held in keep (clearing the entries, so the
// backing array no longer references them).
func dropKeep() {
	for i := range keep {
		keep[i] = nil
	}
	keep = keep[:0]
}

func logf(format string, a ...interface{}) {
	if asJSON {
		fmt.Fprintf(os.Stderr, format, a...)
	} else {
		fmt.Printf(format, a...)
	}
}

// ---------------------------------------------------------------------------
// alloc: make([]byte, n) for large n.

type allocRow struct {
	Bytes     int   `json:"bytes"`
	Make      DStat `json:"make_ns_per_kib"`
	MakeTouch DStat `json:"make_touch_ns_per_kib"`
}

func expAlloc(reps int) {
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20}
	out := map[string]interface{}{}

	// Fresh memory: every batch stays live, so the heap keeps growing and each
	// allocation gets pages the process never used: the runtime does not
	// clear them, the kernel (and, in a VM, the host) supplies zero pages on
	// first touch. Measured first, before anything else grew the heap.
	const freshBatch = 64 << 20
	freshReps := reps
	if freshReps > 2 {
		freshReps = 2 // every fresh batch stays live: 6 sizes x 2 variants x 2 x 64 MiB
	}
	logf("\n== alloc, fresh memory (batches of %d MiB kept live): ns per KiB, cpu min / cpu median (wall median) over %d reps\n", freshBatch>>20, freshReps)
	logf("%10s %*s %*s\n", "size", cellW, "make", cellW, "make + write 1 B per 4 KiB")
	var freshRows []allocRow
	runtime.GC()
	for _, n := range sizes {
		var mk, mkt []dur
		for r := 0; r < freshReps; r++ {
			gate()
			k := freshBatch / n
			t0 := now()
			for i := 0; i < k; i++ {
				keep = append(keep, make([]byte, n))
			}
			mk = append(mk, since(t0).div(freshBatch>>10))
			// Touch what was just allocated (untimed), so that no page of the
			// heap is still untouched when the reused-memory part runs.
			for _, b := range keep[len(keep)-k:] {
				for j := 0; j < n; j += 4096 {
					b[j] = 1
				}
			}
			t0 = now()
			for i := 0; i < k; i++ {
				b := make([]byte, n)
				for j := 0; j < n; j += 4096 {
					b[j] = 1
				}
				keep = append(keep, b)
			}
			mkt = append(mkt, since(t0).div(freshBatch>>10))
		}
		row := allocRow{Bytes: n, Make: dstat(mk), MakeTouch: dstat(mkt)}
		freshRows = append(freshRows, row)
		logf("%9dK %s %s\n", n>>10, cell(row.Make, 1, 1), cell(row.MakeTouch, 1, 1))
	}
	dropKeep()
	runtime.GC()
	out["fresh"] = freshRows

	// Reused memory: the heap already holds enough free, touched pages (freed
	// by GC, kept by the runtime with GOGC=off), so mallocgc clears each
	// allocation and no page faults.
	const batch = 256 << 20
	logf("\n== alloc, reused memory (batches of %d MiB, GC between batches): ns per KiB, cpu min / cpu median (wall median) over %d reps\n", batch>>20, reps)
	logf("%10s %*s %*s\n", "size", cellW, "make", cellW, "make + write 1 B per 4 KiB")
	// Prime: make sure the heap holds two batches of touched free pages.
	for i := 0; i < 2*batch/(64<<20); i++ {
		b := make([]byte, 64<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
	}
	dropKeep()
	var rows []allocRow
	for _, n := range sizes {
		var mk, mkt []dur
		for r := 0; r < reps; r++ {
			k := batch / n
			runtime.GC()
			gate()
			t0 := now()
			for i := 0; i < k; i++ {
				keep = append(keep, make([]byte, n))
			}
			mk = append(mk, since(t0).div(batch>>10))
			dropKeep()
			runtime.GC()
			t0 = now()
			for i := 0; i < k; i++ {
				b := make([]byte, n)
				for j := 0; j < n; j += 4096 {
					b[j] = 1
				}
				keep = append(keep, b)
			}
			mkt = append(mkt, since(t0).div(batch>>10))
			dropKeep()
		}
		row := allocRow{Bytes: n, Make: dstat(mk), MakeTouch: dstat(mkt)}
		rows = append(rows, row)
		logf("%9dK %s %s\n", n>>10, cell(row.Make, 1, 1), cell(row.MakeTouch, 1, 1))
	}
	dropKeep()
	runtime.GC()
	out["reused"] = rows
	results["alloc"] = out
}

// prime grows the heap to mib MiB of touched pages and frees them, so that
// later experiments reuse pages the process has already faulted in (a first
// touch costs a page fault, far dearer than clearing, and would otherwise
// fall on whichever rep first needs the memory).
func prime(mib int) {
	const chunk = 64 << 20
	for i := 0; i < (mib<<20)/chunk; i++ {
		b := make([]byte, chunk)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
	}
	dropKeep()
	runtime.GC()
}

// anonHugeKiB reads AnonHugePages from /proc/self/smaps_rollup: how much of
// the process's memory is backed by transparent huge pages (-1 if unknown).
func anonHugeKiB() int {
	f, err := os.Open("/proc/self/smaps_rollup")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "AnonHugePages:" {
			if v, err := strconv.Atoi(fs[1]); err == nil {
				return v
			}
		}
	}
	return -1
}

// ---------------------------------------------------------------------------
// mapop: per-op cost of insert (presized), lookup and delete at several sizes.

type mapOpRow struct {
	N          int   `json:"n"`
	B          int   `json:"b"`
	MapsPerRep int   `json:"maps_per_rep"`
	Insert     DStat `json:"insert_presized_ns_per_op"`
	Lookup     DStat `json:"lookup_ns_per_op"`
	Delete     DStat `json:"delete_ns_per_op"`
	InsertGrow DStat `json:"insert_growing_ns_per_op"`
}

func expMapOp(reps int, maxN int) {
	logf("\n== mapop: ns per op, map[int64]int64; cpu min / cpu median (wall median) over %d reps\n", reps)
	logf("%9s %3s %5s %*s %*s %*s %*s\n", "n", "B", "maps", cellW, "insert into make(map, n)", cellW, "lookup", cellW, "delete", cellW, "insert into make(map)")
	var rows []mapOpRow
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000, 10_000_000} {
		if n > maxN {
			continue
		}
		maps := 10_000_000 / n
		var ins, look, del, grow []dur
		var b int
		for r := 0; r < reps; r++ {
			var tIns, tLook, tDel, tGrow dur
			runtime.GC()
			gate()
			for j := 0; j < maps; j++ {
				if j > 0 && j%(maps/4+1) == 0 {
					runtime.GC()
				}
				m := make(M, n)
				b = int(hmapOf(m).B)
				t0 := now()
				for i := 0; i < n; i++ {
					m[int64(i)] = int64(i)
				}
				tIns = tIns.add(since(t0))
				var s int64
				t0 = now()
				for i := 0; i < n; i++ {
					s += m[int64(i)]
				}
				tLook = tLook.add(since(t0))
				sink += s
				t0 = now()
				for i := 0; i < n; i++ {
					delete(m, int64(i))
				}
				tDel = tDel.add(since(t0))
				if len(m) != 0 {
					panic("delete left keys")
				}
			}
			runtime.GC()
			for j := 0; j < maps; j++ {
				if j > 0 && j%(maps/4+1) == 0 {
					runtime.GC()
				}
				m := make(M)
				t0 := now()
				for i := 0; i < n; i++ {
					m[int64(i)] = int64(i)
				}
				tGrow = tGrow.add(since(t0))
				sink += int64(len(m))
			}
			ops := float64(n) * float64(maps)
			ins = append(ins, tIns.div(ops))
			look = append(look, tLook.div(ops))
			del = append(del, tDel.div(ops))
			grow = append(grow, tGrow.div(ops))
		}
		row := mapOpRow{N: n, B: b, MapsPerRep: maps, Insert: dstat(ins), Lookup: dstat(look), Delete: dstat(del), InsertGrow: dstat(grow)}
		rows = append(rows, row)
		logf("%9d %3d %5d %s %s %s %s\n", n, b, maps, cell(row.Insert, 1, 1), cell(row.Lookup, 1, 1), cell(row.Delete, 1, 1), cell(row.InsertGrow, 1, 1))
	}
	results["mapop"] = rows
}

// ---------------------------------------------------------------------------
// iter: range over a 1e6-entry map.

func expIter(reps int) {
	const n = 1_000_000
	logf("\n== iter: for k, v := range m, n = %d: ns per entry, cpu min / cpu median (wall median) over %d reps\n", n, reps)
	out := map[string]interface{}{"n": n}
	for _, presized := range []bool{false, true} {
		runtime.GC()
		var m M
		if presized {
			m = make(M, n)
		} else {
			m = make(M)
		}
		for i := 0; i < n; i++ {
			m[int64(i)] = int64(i)
		}
		h := hmapOf(m)
		var per []dur
		for r := 0; r < reps; r++ {
			gate()
			var s int64
			t0 := now()
			for k, v := range m {
				s += k ^ v
			}
			per = append(per, since(t0).div(n))
			sink += s
		}
		name := "grown"
		if presized {
			name = "presized"
		}
		st := dstat(per)
		out[name] = map[string]interface{}{"b": h.B, "noverflow": h.noverflow, "ns_per_entry": st}
		logf("%-9s B=%d noverflow=%d: %s\n", name, h.B, h.noverflow, cell(st, 1, 2))
	}
	results["iter"] = out
}

// ---------------------------------------------------------------------------
// overflow: lookups where every key sits in an 8-bucket chain (64 keys per
// chain) vs. lookups where every key sits in a main bucket (8 keys per
// bucket, no overflow). A key at position j of a chain is found after
// visiting j/8 overflow buckets, each fully scanned (8 key compares) before
// the next; over j = 0..63 that is 3.5 overflow buckets per lookup, while the
// scan inside the final bucket is the same as in the flat map.
// probe = (chained - flat) / 3.5.

// placedKeys returns quota keys for each of the buckets t*stride (t <
// targets) of a map with 2^B buckets and seed hash0.
func placedKeys(B uint8, seed uint32, targets, stride, quota int) [][]int64 {
	mask := uintptr(1)<<B - 1
	lists := make([][]int64, targets)
	for i := range lists {
		lists[i] = make([]int64, 0, quota)
	}
	need := targets * quota
	for k := int64(1); need > 0; k++ {
		b := hashOf(k, seed) & mask
		if b%uintptr(stride) != 0 {
			continue
		}
		t := int(b / uintptr(stride))
		if t < targets && len(lists[t]) < quota {
			lists[t] = append(lists[t], k)
			need--
		}
	}
	return lists
}

type placedMap struct {
	m         M
	order     []int64
	noverflow int
	chainLen  int
}

func buildPlaced(B uint8, targets, stride, quota int, rng *rand.Rand) placedMap {
	m := make(M, 13<<(B-1))
	h := hmapOf(m)
	if h.B != B {
		panic(fmt.Sprintf("make gave B=%d, want %d", h.B, B))
	}
	lists := placedKeys(B, h.hash0, targets, stride, quota)
	for q := 0; q < quota; q++ { // round robin: the chains interleave in memory
		for t := 0; t < targets; t++ {
			k := lists[t][q]
			m[k] = k
		}
	}
	if h.B != B || h.oldbuckets != nil || h.count != targets*quota {
		panic(fmt.Sprintf("placed map grew: B=%d growing=%v count=%d", h.B, h.oldbuckets != nil, h.count))
	}
	chain := 0
	for b := bucketAt(h.buckets, 0); b != nil; b = overflowOf(b) {
		chain++
	}
	order := make([]int64, 0, targets*quota)
	for _, l := range lists {
		order = append(order, l...)
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	return placedMap{m: m, order: order, noverflow: int(h.noverflow), chainLen: chain}
}

type overflowRow struct {
	B              int   `json:"b"`
	Chains         int   `json:"chains"`
	Keys           int   `json:"keys"`
	ChainBuckets   int   `json:"chain_buckets"`
	NoverflowChain int   `json:"noverflow_chained_approx"`
	NoverflowFlat  int   `json:"noverflow_flat_approx"`
	Flat           DStat `json:"flat_ns_per_lookup"`
	Chained        DStat `json:"chained_ns_per_lookup"`
	Probe          DStat `json:"probe_ns"`
}

func expOverflow(reps int) {
	logf("\n== overflow: lookups, 64 keys per 8-bucket chain vs. 8 keys per bucket: ns per lookup, cpu min / cpu median (wall median) over %d reps\n", reps)
	logf("%3s %6s %8s %*s %*s %*s\n", "B", "chains", "keys", cellW, "flat", cellW, "chained", cellW, "probe = (chained-flat)/3.5")
	var rows []overflowRow
	rng := rand.New(rand.NewSource(1))
	for _, B := range []uint8{10, 16, 20} {
		const stride = 16
		targets := (1 << B) / stride
		keys := targets * 64
		passes := 1
		if keys < 1<<20 {
			passes = (1 << 20) / keys
		}
		runtime.GC()
		chained := buildPlaced(B, targets, stride, 64, rng)
		flat := buildPlaced(B, targets*8, 2, 8, rng)
		if chained.chainLen != 8 || flat.chainLen != 1 {
			panic(fmt.Sprintf("chain lengths %d/%d, want 8/1", chained.chainLen, flat.chainLen))
		}
		measure := func(pm placedMap) dur {
			var s int64
			t0 := now()
			for p := 0; p < passes; p++ {
				for _, k := range pm.order {
					s += pm.m[k]
				}
			}
			d := since(t0)
			sink += s
			return d.div(float64(passes * len(pm.order)))
		}
		var fl, ch, pr []dur
		for r := 0; r < reps; r++ {
			gate()
			f := measure(flat)
			c := measure(chained)
			fl = append(fl, f)
			ch = append(ch, c)
			pr = append(pr, c.sub(f).div(3.5))
		}
		row := overflowRow{B: int(B), Chains: targets, Keys: keys, ChainBuckets: chained.chainLen,
			NoverflowChain: chained.noverflow, NoverflowFlat: flat.noverflow,
			Flat: dstat(fl), Chained: dstat(ch), Probe: dstat(pr)}
		rows = append(rows, row)
		logf("%3d %6d %8d %s %s %s\n", B, targets, keys, cell(row.Flat, 1, 1), cell(row.Chained, 1, 1), cell(row.Probe, 1, 1))
	}
	results["overflow"] = rows
}

// ---------------------------------------------------------------------------
// evac: doubling growth of a map with 2^B old buckets holding c = occ*2^B
// entries. The map is made with B buckets and filled with c keys; then
// h.count is raised to the load-factor threshold 6.5*2^B so that the next
// fresh insert starts a real doubling growth (hashGrow), and the c real
// entries are evacuated by the runtime's own growWork/evacuate_fast64,
// driven by overwrites of random existing keys (each write evacuates the
// key's old bucket and then the next unevacuated one, as inserts do). The
// same overwrite sequence is then replayed on the grown map and subtracted,
// so what remains is what growth adds to the writes. Fit per old bucket:
// evac/2^B = beta + alpha*occ.

type evacPoint struct {
	B             int     `json:"b_old"`
	Occupancy     float64 `json:"entries_per_old_bucket"`
	Trials        int     `json:"trials_per_rep"`
	OldOverflow   float64 `json:"old_overflow_buckets_per_trial"`
	WritesPerTrl  float64 `json:"driver_writes_per_trial"`
	EvacPerBucket DStat   `json:"evac_ns_per_old_bucket"`
	Trigger       DStat   `json:"trigger_insert_ns"`
	NewArrayBytes int     `json:"new_array_bytes"`
}

type evacFit struct {
	B           int     `json:"b_old"`
	AlphaEntry  float64 `json:"alpha_ns_per_entry"`
	BetaBucket  float64 `json:"beta_ns_per_old_bucket"`
	MaxResidual float64 `json:"max_abs_residual_ns_per_bucket"`
	AllocNsKiB  float64 `json:"trigger_ns_per_kib_of_new_array"`
}

func roundupsize(size int) int {
	classes := []int{0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}
	if size < 32768 {
		for _, c := range classes {
			if c >= size {
				return c
			}
		}
	}
	return (size + 8191) &^ 8191
}

// bucketArrayBytes is the size of the allocation makeBucketArray makes for b.
func bucketArrayBytes(b int) int {
	n := 1 << b
	if b >= 4 {
		n += 1 << (b - 4)
		up := roundupsize(n * bucketSize)
		n = up / bucketSize
	}
	return roundupsize(n * bucketSize)
}

type xorshift uint64

func (x *xorshift) next() uint64 {
	*x ^= *x << 13
	*x ^= *x >> 7
	*x ^= *x << 17
	return uint64(*x)
}

func evacTrial(B uint8, c int, seed uint64) (evac, trigger dur, oldOvf int, writes int) {
	if c <= 0 {
		panic("evac: need at least one entry")
	}
	threshold := 13 << (B - 1)
	m := make(M, threshold)
	h := hmapOf(m)
	if h.B != B {
		panic("evac: wrong B")
	}
	for i := 0; i < c; i++ {
		m[int64(i)] = int64(i)
	}
	if h.B != B || h.oldbuckets != nil {
		panic("evac: grew while filling")
	}
	oldOvf = int(h.noverflow)
	fake := threshold - c
	h.count += fake
	t0 := now()
	m[-1] = -1 // fresh key: count+1 > 6.5*2^B starts a doubling growth
	trigger = since(t0)
	if h.B != B+1 {
		panic("evac: trigger did not grow")
	}
	x := xorshift(seed)
	nk := uint64(c)
	t0 = now()
	for h.oldbuckets != nil {
		k := int64(x.next() % nk)
		m[k] = k
		writes++
	}
	grow := since(t0)
	h.count -= fake
	x = xorshift(seed)
	t0 = now()
	for i := 0; i < writes; i++ {
		k := int64(x.next() % nk)
		m[k] = k
	}
	base := since(t0)
	if h.count != c+1 {
		panic(fmt.Sprintf("evac: count %d after growth, want %d", h.count, c+1))
	}
	return grow.sub(base), trigger, oldOvf, writes
}

func linfit(x, y []float64) (a, b, maxres float64) {
	// y = a + b*x
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	b = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	a = (sy - b*sx) / n
	for i := range x {
		maxres = math.Max(maxres, math.Abs(y[i]-(a+b*x[i])))
	}
	return
}

// evacFits holds the thread-CPU fits by old B, for the growth experiment.
var evacFits = map[int]evacFit{}

func expEvac(reps int, bs []uint8) {
	logf("\n== evac: doubling growth with controlled occupancy: ns per old bucket, cpu min / cpu median (wall median) over %d reps\n", reps)
	logf("%5s %4s %6s %7s %7s %*s %*s\n", "B_old", "occ", "trials", "ovf/trl", "wr/trl", cellW, "evac ns per old bucket", cellW, "trigger insert, us")
	var points []evacPoint
	var fits []evacFit
	for _, B := range bs {
		trials := (1 << 21) >> B
		if trials < 1 {
			trials = 1
		}
		perTrialBytes := 3 * bucketSize << B
		var xs, ysC, ysW []float64
		var trigKiB []float64
		for _, occ := range []float64{0.5, 1, 2, 4, 6.5} {
			c := int(occ * float64(int(1)<<B))
			var per, trig []dur
			var ovf, wr float64
			for r := 0; r < reps; r++ {
				runtime.GC()
				gate()
				var tot, ttot dur
				allocated := 0
				for t := 0; t < trials; t++ {
					if allocated > 256<<20 {
						runtime.GC()
						allocated = 0
					}
					e, tr, o, w := evacTrial(B, c, uint64(0x9E3779B97F4A7C15)^uint64(t+1))
					allocated += perTrialBytes
					tot = tot.add(e)
					ttot = ttot.add(tr)
					ovf += float64(o)
					wr += float64(w)
				}
				per = append(per, tot.div(float64(trials)).div(float64(int(1)<<B)))
				trig = append(trig, ttot.div(float64(trials)))
			}
			p := evacPoint{B: int(B), Occupancy: occ, Trials: trials,
				OldOverflow:   ovf / float64(trials*reps),
				WritesPerTrl:  wr / float64(trials*reps),
				EvacPerBucket: dstat(per), Trigger: dstat(trig), NewArrayBytes: bucketArrayBytes(int(B) + 1)}
			points = append(points, p)
			xs = append(xs, occ)
			ysC = append(ysC, p.EvacPerBucket.CPU.Median)
			ysW = append(ysW, p.EvacPerBucket.Wall.Median)
			trigKiB = append(trigKiB, p.Trigger.CPU.Median/(float64(p.NewArrayBytes)/1024))
			logf("%5d %4.1f %6d %7.0f %7.0f %s %s\n", B, occ, trials, p.OldOverflow, p.WritesPerTrl,
				cell(p.EvacPerBucket, 1, 1), cell(p.Trigger, 1e-3, 1))
		}
		beta, alpha, res := linfit(xs, ysC)
		betaW, alphaW, resW := linfit(xs, ysW)
		sort.Float64s(trigKiB)
		f := evacFit{B: int(B), AlphaEntry: alpha, BetaBucket: beta, MaxResidual: res, AllocNsKiB: trigKiB[len(trigKiB)/2]}
		fits = append(fits, f)
		evacFits[int(B)] = f
		logf("      fit B_old=%d (cpu medians): evac per old bucket = %.1f ns + %.1f ns x entries (max residual %.1f ns); wall: %.1f + %.1f x entries (max residual %.1f)\n",
			B, beta, alpha, res, betaW, alphaW, resW)
		logf("      trigger insert (hashGrow: new %d-byte array) %.1f ns per KiB of new array (cpu, median over occupancies)\n",
			bucketArrayBytes(int(B)+1), f.AllocNsKiB)
	}
	results["evac"] = map[string]interface{}{"points": points, "fits_thread_cpu": fits}
}

// ---------------------------------------------------------------------------
// growth: 1e7 inserts with growth vs. presized, and the exact growth schedule.

type growth struct {
	BOld          int `json:"b_old"`
	AtInsert      int `json:"at_insert"`
	EntriesMoved  int `json:"entries_moved"`
	OldBuckets    int `json:"old_buckets"`
	OldOverflow   int `json:"old_overflow_approx"`
	NewArrayBytes int `json:"new_array_bytes"`
	DoneAtInsert  int `json:"done_at_insert"`
}

// growthSchedule inserts keys 0..n-1 into make(map) and records each growth,
// reading the hmap after every insert.
func growthSchedule(n int) []growth {
	m := make(M)
	h := hmapOf(m)
	var gs []growth
	for i := 0; i < n; i++ {
		prevB := int(h.B)
		prevOvf := int(h.noverflow)
		count := h.count
		growing := h.oldbuckets != nil
		m[int64(i)] = int64(i)
		if int(h.B) != prevB {
			gs = append(gs, growth{BOld: prevB, AtInsert: i + 1, EntriesMoved: count, OldBuckets: 1 << prevB,
				OldOverflow: prevOvf, NewArrayBytes: bucketArrayBytes(int(h.B))})
		}
		if (growing || int(h.B) != prevB) && h.oldbuckets == nil {
			gs[len(gs)-1].DoneAtInsert = i + 1 // may be the insert that started it
		}
	}
	return gs
}

func expGrowth(reps, n int) {
	logf("\n== growth: %d inserts, make(map) vs make(map, n): ms, cpu min / cpu median (wall median) over %d reps\n", n, reps)
	gs := growthSchedule(n)
	var E, Bk, ovf int
	allocB := bucketSize // the first bucket, allocated by the first insert
	for _, g := range gs {
		E += g.EntriesMoved
		Bk += g.OldBuckets
		ovf += g.OldOverflow
		allocB += g.NewArrayBytes
	}
	logf("growths: %d; entries moved %d; old buckets evacuated %d; old overflow buckets (approx) %d; bucket arrays allocated %d bytes\n",
		len(gs), E, Bk, ovf, allocB)
	for _, g := range gs {
		logf("  B %2d->%2d at insert %9d (moved %8d, old overflow ~%5d, new array %10d B, done at insert %9d)\n",
			g.BOld, g.BOld+1, g.AtInsert, g.EntriesMoved, g.OldOverflow, g.NewArrayBytes, g.DoneAtInsert)
	}
	var tg, tp, d []dur
	for r := 0; r < reps; r++ {
		runtime.GC()
		gate()
		m := make(M)
		t0 := now()
		for i := 0; i < n; i++ {
			m[int64(i)] = int64(i)
		}
		g := since(t0)
		sink += int64(len(m))
		m = nil
		runtime.GC()
		mp := make(M, n)
		t0 = now()
		for i := 0; i < n; i++ {
			mp[int64(i)] = int64(i)
		}
		p := since(t0)
		sink += int64(len(mp))
		mp = nil
		tg = append(tg, g.div(1e6))
		tp = append(tp, p.div(1e6))
		d = append(d, g.sub(p).div(1e6))
	}
	sg, sp, sd := dstat(tg), dstat(tp), dstat(d)
	logf("insert growing   %s\ninsert presized  %s\ndelta (paired)   %s\n", cell(sg, 1, 1), cell(sp, 1, 1), cell(sd, 1, 1))
	out := map[string]interface{}{
		"n": n, "growths": gs, "entries_moved": E, "old_buckets_evacuated": Bk,
		"old_overflow_buckets_approx": ovf, "bucket_array_bytes": allocB,
		"insert_growing_ms": sg, "insert_presized_ms": sp, "delta_ms": sd,
	}
	if len(evacFits) > 0 {
		// Predict the delta from the evac fits (thread CPU), each growth
		// using the fit of the nearest measured B_old.
		var pe, pb, pa float64
		for _, g := range gs {
			f := nearestFit(g.BOld)
			pe += f.AlphaEntry * float64(g.EntriesMoved)
			pb += f.BetaBucket * float64(g.OldBuckets)
			pa += f.AllocNsKiB * float64(g.NewArrayBytes) / 1024
		}
		logf("predicted from evac fits: entries %.1f ms + old buckets %.1f ms + new arrays %.1f ms = %.1f ms (measured delta, cpu median: %.1f ms)\n",
			pe/1e6, pb/1e6, pa/1e6, (pe+pb+pa)/1e6, sd.CPU.Median)
		out["predicted_from_evac_ms"] = map[string]float64{"entries": pe / 1e6, "buckets": pb / 1e6, "arrays": pa / 1e6, "total": (pe + pb + pa) / 1e6}
	}
	results["growth"] = out
}

func nearestFit(b int) evacFit {
	best, bd := evacFit{}, 1<<30
	for k, f := range evacFits {
		d := k - b
		if d < 0 {
			d = -d
		}
		if d < bd || (d == bd && k > best.B) {
			best, bd = f, d
		}
	}
	return best
}

// ---------------------------------------------------------------------------

func main() {
	runtime.LockOSThread()
	reps := flag.Int("reps", 5, "repetitions per measurement")
	exps := flag.String("exp", "alloc,mapop,iter,overflow,evac,growth", "experiments to run, comma separated")
	maxN := flag.Int("maxn", 10_000_000, "largest map size for mapop")
	growthN := flag.Int("growthn", 10_000_000, "keys for the growth experiment")
	evacBs := flag.String("evacb", "10,16,20", "old B values for the evac experiment")
	primeMiB := flag.Int("prime", 1536, "MiB of heap to allocate, touch and free before the map experiments")
	quiet := flag.Float64("quiet", 0, "before each rep, wait up to this many seconds for other CPU use < 10%")
	flag.BoolVar(&asJSON, "json", false, "print one JSON object (the tables go to stderr)")
	flag.Parse()
	if *reps <= 0 || *quiet < 0 {
		fmt.Fprintln(os.Stderr, "calibrate: -reps must be positive and -quiet not negative")
		os.Exit(2)
	}
	quietWait = time.Duration(*quiet * float64(time.Second))
	if err := checkLayout(); err != nil {
		fmt.Fprintln(os.Stderr, "calibrate:", err)
		os.Exit(1)
	}
	debug.SetGCPercent(-1)

	want := map[string]bool{}
	for _, e := range strings.Split(*exps, ",") {
		e = strings.TrimSpace(e)
		switch e {
		case "mapop", "iter", "alloc", "overflow", "evac", "growth":
			want[e] = true
		case "":
		default:
			fmt.Fprintf(os.Stderr, "calibrate: unknown experiment %q\n", e)
			os.Exit(2)
		}
	}
	var bs []uint8
	for _, s := range strings.Split(*evacBs, ",") {
		b, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || b < 4 || b > 24 {
			fmt.Fprintf(os.Stderr, "calibrate: bad -evacb value %q (4..24)\n", s)
			os.Exit(2)
		}
		bs = append(bs, uint8(b))
	}

	measureOverhead()
	results["go_version"] = runtime.Version()
	results["goos_goarch"] = runtime.GOOS + "/" + runtime.GOARCH
	results["num_cpu"] = runtime.NumCPU()
	results["gomaxprocs"] = runtime.GOMAXPROCS(0)
	results["gc_percent"] = -1
	results["reps"] = *reps
	results["clock_overhead_ns"] = overhead
	logf("%s %s/%s GOMAXPROCS=%d, GC off, reps=%d, clock overhead subtracted: wall %.0f ns, thread cpu %.0f ns\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), *reps, overhead.W, overhead.C)

	start := time.Now()
	// alloc first: its fresh-memory part needs a heap that has not grown yet.
	if want["alloc"] {
		expAlloc(*reps)
	}
	prime(*primeMiB)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	results["after_prime"] = map[string]int{"heap_sys_mib": int(ms.HeapSys >> 20), "anon_huge_pages_mib": anonHugeKiB() >> 10}
	logf("\nafter priming: heap %d MiB mapped, of the process %d MiB in transparent huge pages\n", ms.HeapSys>>20, anonHugeKiB()>>10)
	if want["mapop"] {
		expMapOp(*reps, *maxN)
	}
	if want["iter"] {
		expIter(*reps)
	}
	if want["overflow"] {
		expOverflow(*reps)
	}
	if want["evac"] {
		expEvac(*reps, bs)
	}
	if want["growth"] {
		expGrowth(*reps, *growthN)
	}
	results["wall_s"] = time.Since(start).Seconds()
	results["quiet_gate"] = map[string]interface{}{"max_wait_s": *quiet, "busy_fraction_seen": gateBusy, "timeouts": gateMisses}
	if quietWait > 0 {
		logf("\nquiet gate: %d waits, %d timed out\n", len(gateBusy), gateMisses)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintln(os.Stderr, "calibrate:", err)
			os.Exit(1)
		}
	}
}
