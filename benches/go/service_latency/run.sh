#!/bin/sh
# Runs the service grid on a real Go toolchain and in gomemsim; writes results/.
#
#   cargo build --release
#   GO=go benches/go/service_latency/run.sh [RUNS]     # from the repository root
#   python3 benches/go/service_latency/compare.py      # results/comparison.{csv,md}
#
# Each configuration is exported with `gomemsim export-go`, built once and run RUNS times
# (default 3). The workload uses GOMAXPROCS=2 on the machine's cores, so anything else
# running skews it: before each run the script waits (up to 10 minutes) until the machine
# has been at most 10% busy for a second, and after it, it works out how much CPU other
# processes took meanwhile (the machine's busy time less the program's own, from
# /proc/stat and /usr/bin/time). A run during which others took more than 5% of a core is
# run again, up to 5 times. Each output starts with `# others_cpu_pct=…`.
set -eu
GO=${GO:-go}
RUNS=${1:-3}
here=benches/go/service_latency
out=$here/results
sim=./target/release/gomemsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# The busy share of all CPUs over one second, in percent.
busy() {
	a=$(head -n 1 /proc/stat)
	sleep 1
	b=$(head -n 1 /proc/stat)
	printf '%s\n%s\n' "$a" "$b" | awk '{
		idle = $5 + $6; total = 0
		for (i = 2; i <= NF; i++) total += $i
		if (NR == 1) { idle0 = idle; total0 = total }
		else printf "%d\n", 100 * (1 - (idle - idle0) / (total - total0)) + 0.5
	}'
}

quiet() {
	waited=0
	while b=$(busy) && [ "$b" -gt 10 ] && [ "$waited" -lt 600 ]; do
		waited=$((waited + 1))
	done
}

# Total and idle jiffies of all CPUs.
jiffies() {
	head -n 1 /proc/stat | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }'
}

# Runs program $1 into file $2 and prints the CPU share of one core (percent) that other
# processes took meanwhile.
measure() {
	hz=$(getconf CLK_TCK)
	cpus=$(getconf _NPROCESSORS_ONLN)
	jiffies > "$work/before"
	/usr/bin/time -f '%U %S' -o "$work/cpu" "$1" > "$2" 2>&1
	jiffies > "$work/after"
	cat "$work/before" "$work/after" "$work/cpu" | awk -v hz="$hz" -v cpus="$cpus" '
		NR == 1 { t0 = $1; i0 = $2 }
		NR == 2 { t1 = $1; i1 = $2 }
		NR == 3 { own = $1 + $2 }
		END {
			wall = (t1 - t0) / hz / cpus
			others = ((t1 - t0) - (i1 - i0)) / hz - own
			if (others < 0) others = 0
			printf "%d\n", 100 * others / wall + 0.5
		}'
}

"$GO" version > "$out/go_version.txt"
for config in \
	w1_gogc25 w1_gogc100 w1_gogc400 w1_limit192 \
	w2_gogc25 w2_gogc100 w2_gogc400 w2_limit192 \
	w4_gogc25 w4_gogc100 w4_gogc400 w4_limit192 \
	w8_gogc25 w8_gogc100 w8_gogc400 w8_limit192; do
	w=${config%%_*}
	w=${w#w}
	case $config in
	*_limit192) knobs="--set runtime.gogc=off --set runtime.gomemlimit=192MiB" ;;
	*) knobs="--set runtime.gogc=${config#*_gogc}" ;;
	esac
	# shellcheck disable=SC2086 # knobs are separate words
	set -- --set "goroutines[0].count=$w" $knobs
	mkdir -p "$work/$config"
	"$sim" export-go "$here/service.toml" "$@" --out "$work/$config/main.go"
	(cd "$work/$config" && GOFLAGS= "$GO" build -o prog main.go)
	for r in $(seq 1 "$RUNS"); do
		f="$out/$config.go.$r.txt"
		for attempt in 1 2 3 4 5; do
			quiet
			others=$(measure "$work/$config/prog" "$work/run.txt")
			[ "$others" -le 5 ] && break
		done
		{
			echo "# others_cpu_pct=$others attempt=$attempt"
			cat "$work/run.txt"
		} > "$f"
	done
	"$sim" run "$here/service.toml" "$@" --out "$work/$config/sim" -q --no-plots
	cp "$work/$config/sim/summary.json" "$out/$config.sim.json"
	echo "$config done"
done
