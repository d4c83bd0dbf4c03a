#!/usr/bin/env python3
"""Real Go (median of the runs) against gomemsim, per configuration of run.sh.

Reads results/<config>.go.<n>.txt and results/<config>.sim.json; writes
results/comparison.csv and results/comparison.md. Run from the repository root.
"""
import csv
import glob
import json
import os
import statistics

HERE = os.path.join("benches", "go", "service_latency", "results")
METRICS = ["throughput_rps", "p50_ns", "p99_ns", "p999_ns", "gc_cycles"]
# Also in comparison.csv: GC cycles per GiB allocated, STW pauses in all, GC CPU share.
EXTRA = ["cycles_per_gib", "stw_total_ns", "gc_cpu_fraction"]


def fields(line):
    return {k: float(v) for k, v in (w.split("=", 1) for w in line.split()[1:] if "=" in w)}


def real_run(path):
    """The request line of `req` and the run line of one real run."""
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("request req "):
                out.update(fields(line[len("request req"):]))
            elif line.startswith("run "):
                out.update(fields(line))
    if "total_alloc_bytes" in out:
        out["cycles_per_gib"] = out["gc_cycles"] / (out["total_alloc_bytes"] / 2**30)
    out["stw_total_ns"] = out.get("gc_pause_total_ns", float("nan"))
    out.setdefault("gc_cpu_fraction", float("nan"))
    return out


def main():
    configs = sorted(
        {os.path.basename(p).split(".")[0] for p in glob.glob(os.path.join(HERE, "*.sim.json"))},
        key=lambda c: (int(c.split("_")[0][1:]), c.split("_")[1].startswith("limit"), c),
    )
    rows = []
    for c in configs:
        runs = [real_run(p) for p in sorted(glob.glob(os.path.join(HERE, f"{c}.go.*.txt")))]
        with open(os.path.join(HERE, f"{c}.sim.json")) as f:
            s = json.load(f)
        sim = dict(
            s["requests"]["req"],
            gc_cycles=s["gc_cycles"],
            cycles_per_gib=s["gc_cycles"] / (s["total_alloc_bytes"] / 2**30),
            stw_total_ns=s["stw_total_ns"],
            gc_cpu_fraction=s["gc_cpu_fraction"],
        )
        row = {"config": c, "runs": len(runs)}
        for m in METRICS + EXTRA:
            row[f"go_{m}"] = statistics.median(r[m] for r in runs)
            row[f"sim_{m}"] = float(sim[m])
            row[f"ratio_{m}"] = row[f"sim_{m}"] / row[f"go_{m}"] if row[f"go_{m}"] else float("nan")
        rows.append(row)
    with open(os.path.join(HERE, "comparison.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})
    with open(os.path.join(HERE, "comparison.md"), "w") as f:
        f.write(
            "| config | rps Go / sim | p50 us Go / sim | p99 us Go / sim | p99.9 us Go / sim "
            "| GC cycles Go / sim | cycles/GiB Go / sim | STW ms Go / sim |\n"
        )
        f.write("|---|---:|---:|---:|---:|---:|---:|---:|\n")
        for r in rows:
            cell = lambda m, k=1.0, d=0: f"{r['go_' + m] / k:.{d}f} / {r['sim_' + m] / k:.{d}f}"
            f.write(
                f"| {r['config']} | {cell('throughput_rps')} | {cell('p50_ns', 1e3, 1)} | "
                f"{cell('p99_ns', 1e3, 1)} | {cell('p999_ns', 1e3)} | {cell('gc_cycles')} | "
                f"{cell('cycles_per_gib', 1, 1)} | {cell('stw_total_ns', 1e6, 1)} |\n"
            )


if __name__ == "__main__":
    main()
