//! `gomemsim check FILE`: validate a scenario and say what it holds. A scenario that `run`
//! would refuse as too big for this machine's memory is refused here too.

use std::process::ExitCode;

use clap::Args;

use super::ScenarioArgs;

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
}

pub fn check(args: &CheckArgs) -> Result<ExitCode, gomemsim::Error> {
    let sc = args.scenario.load()?;
    let file = args.scenario.file.display().to_string();
    gomemsim::check_memory(&sc).map_err(|e| e.in_file(&file))?;
    let goroutines: u64 = sc.goroutines.iter().map(|g| u64::from(g.count)).sum();
    let arrivals = match sc.arrivals.len() {
        0 => String::new(),
        n => format!(", {n} arrival source(s)"),
    };
    let slices = match sc.slices.len() {
        0 => String::new(),
        n => format!(", {n} slice(s)"),
    };
    say!(
        "{}: ok — scenario `{}`, go {}, {} map(s){}, {} goroutine(s){}, seed {}",
        file,
        sc.name,
        sc.runtime.go,
        sc.maps.len(),
        slices,
        goroutines,
        arrivals,
        sc.seed
    );
    // The rough cost `run` checks before it starts (--max-ops).
    let work = sc.work_bound();
    let (cycles, _) = gomemsim::resources::gc_cycles_estimate(&sc, &work);
    // Counts to 10^6 in full, larger ones in exponent form.
    let n = |x: u64| {
        if x < 1_000_000 {
            x.to_string()
        } else {
            format!("{:.2e}", x as f64)
        }
    };
    say!(
        "  estimated, as upper bounds: {} operations, {} allocated, about {} GC cycles",
        n(work.ops),
        gomemsim::resources::binary_size(work.alloc_bytes),
        n(cycles),
    );
    if let Err(e) = gomemsim::check_work(&sc, gomemsim::resources::DEFAULT_MAX_OPS) {
        say!("  `run` would refuse it: {e}");
    }
    Ok(ExitCode::SUCCESS)
}
