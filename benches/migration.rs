//! The cost of the pre-copy migration model: CloudSim's PlanetLab day (20110303: 800 hosts, 1052 VMs, 24 h)
//! under LR-MMT-1.2, simulated with RAM over bandwidth and with pre-copy (KVM's and Nova's defaults), on the
//! same read day. Issue target: pre-copy at most 1.5 times RAM over bandwidth.
//!
//! The two runs differ in what they simulate, not only in the model's cost: under pre-copy, migrations wait for
//! their hosts' links, some are aborted and retried, and consolidation decides more of them (the run prints
//! both runs' migration counts). The machine's speed drifts for seconds at a time, so the runs are interleaved
//! (RAM over bandwidth, pre-copy, RAM over bandwidth, ...) and the figure that counts is the median of the
//! per-pair ratios, beside each side's median (as `benches/oversubscription.rs`).
//!
//! Needs the PlanetLab data in `../shared/data/planetlab`; without it the benchmark prints a message and stops.
//!
//! `taskset -c 0 cargo bench --bench migration [-- PAIRS]` (default 9 pairs); results: docs/benchmarks.md.

mod common;

use std::path::Path;
use std::time::Instant;

use fleetsim::runner::{load_inputs, run_seed, Inputs};
use fleetsim::scenario::Scenario;
use fleetsim::usage::DemandModel;

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/planetlab-cloudsim.toml");

/// The scenario file's LR-MMT-1.2 run on day 20110303 with migration model `migration` (a `--set` value).
fn scenario(migration: &str) -> Scenario {
    let overrides = [
        r#"variants=[{label="LR-MMT-1.2", set=[]}]"#.to_string(),
        "workload.day=\"20110303\"".to_string(),
        format!("migration={migration}"),
    ];
    let mut runs = Scenario::load_runs(Path::new(SCENARIO), &overrides).expect("the PlanetLab scenario is valid");
    runs.remove(0)
}

/// Simulates `scenario` on `inputs` (as `fleetsim run` does its single run); seconds and migrations.
fn simulate(scenario: &Scenario, inputs: &Inputs) -> (f64, u64) {
    let seed = run_seed(scenario.seed, 0);
    let vms = inputs.workload.instances.instances.len();
    let demand = DemandModel::new(&scenario.usage, vms, seed, inputs.usage.clone()).expect("PlanetLab demand");
    let started = Instant::now();
    let outcome = std::hint::black_box(fleetsim::simulation::run(&inputs.workload, scenario, demand, seed, &|_| {}));
    (started.elapsed().as_secs_f64(), outcome.metrics.counters.migrations)
}

fn main() {
    let pairs = common::pairs_from_args();
    let (ram, pre_copy) = (scenario("{kind=\"ram_over_bandwidth\"}"), scenario("{kind=\"pre_copy\"}"));
    let workload = ram.planetlab_workload.as_ref().expect("a PlanetLab day");
    if !workload.dir.join(&workload.day).is_dir() {
        eprintln!(
            "skipping: {} is absent (the PlanetLab data belongs in ../shared/data/planetlab)",
            workload.dir.display()
        );
        return;
    }
    let inputs = load_inputs(&ram, true).expect("read the PlanetLab day");
    let (_, ram_migrations) = simulate(&ram, &inputs); // warm-up
    let (_, pre_copy_migrations) = simulate(&pre_copy, &inputs);
    println!("migrations: ram-over-bandwidth {ram_migrations}, pre-copy {pre_copy_migrations}");
    let (mut rams, mut pre_copies, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for pair in 0..pairs {
        let ((a, _), (b, _)) = (simulate(&ram, &inputs), simulate(&pre_copy, &inputs));
        println!("pair {pair}: ram-over-bandwidth {a:.3} s, pre-copy {b:.3} s, ratio {:.3}", b / a);
        rams.push(a);
        pre_copies.push(b);
        ratios.push(b / a);
    }
    println!(
        "median: ram-over-bandwidth {:.3} s, pre-copy {:.3} s; median per-pair ratio {:.3} (target at most 1.5)",
        common::median(&mut rams),
        common::median(&mut pre_copies),
        common::median(&mut ratios)
    );
}
