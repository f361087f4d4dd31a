//! The cost of dynamic oversubscription: the full-scale synthetic Chameleon replay (scale 1.0, its machine
//! events' fleet, synthetic CPU and memory demand, 300 s ticks) simulated with Nova's static ratios and with
//! ScroogeVM's estimator (30-minute occurrences, windows of 4, AR(1) stability), on the same read trace.
//! Issue target: scroogevm at most 30 % slower than static.
//!
//! This machine's speed drifts between a fast and a slow mode for seconds at a time, so two benchmarks run one
//! after the other can land in different modes. The runs are therefore interleaved (static, scroogevm, static,
//! ...) and the figure that counts is the median of the per-pair ratios, beside each side's median.
//!
//! `cargo bench --bench oversubscription [-- PAIRS]` (default 9 pairs); results: docs/benchmarks.md.

mod common;

use std::time::Instant;

use fleetsim::scenario::Scenario;
use fleetsim::trace::lifecycle::Preexisting;
use fleetsim::trace::synth_chameleon::{generate, write_files, SynthOptions};
use fleetsim::trace::{read_instance_trace, read_machine_trace, ReadOptions};
use fleetsim::usage::DemandModel;
use fleetsim::workload::Workload;

fn scenario(instances: &std::path::Path, machines: &std::path::Path, oversubscription: &str) -> Scenario {
    let text = format!(
        "[trace]\ninstances = {instances:?}\nmachines = {machines:?}\n[usage]\nkind = \"synthetic\"\n\
         [simulation]\ninterval_s = 300\n[oversubscription]\nkind = \"{oversubscription}\"\n"
    );
    Scenario::from_text(&text, "bench", Some(std::path::Path::new("/")), &[]).expect("valid scenario")
}

fn main() {
    let pairs = common::pairs_from_args();
    let dir = tempfile::tempdir().expect("temporary folder");
    let (instances, machines) = (dir.path().join("full-instances.csv"), dir.path().join("full-machines.csv"));
    let trace = generate(&SynthOptions { seed: 1, scale: 1.0 }).expect("scale 1.0 is valid");
    write_files(&trace, &instances, &machines).expect("write the trace");
    let options = ReadOptions::default();
    let workload = Workload::new(
        read_instance_trace(&instances, options).expect("read the instances"),
        Some(read_machine_trace(&machines, options).expect("read the machines")),
        Preexisting::Materialize,
    );
    let simulate = |scenario: &Scenario| {
        let demand = DemandModel::new(&scenario.usage, workload.instances.instances.len(), 1, None).unwrap();
        let started = Instant::now();
        std::hint::black_box(fleetsim::simulation::run(&workload, scenario, demand, 1, &|_| {}));
        started.elapsed().as_secs_f64()
    };
    let (fixed, dynamic) = (scenario(&instances, &machines, "static"), scenario(&instances, &machines, "scroogevm"));
    simulate(&fixed); // warm-up
    let (mut statics, mut scroogevms, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for pair in 0..pairs {
        let (a, b) = (simulate(&fixed), simulate(&dynamic));
        println!("pair {pair}: static {a:.3} s, scroogevm {b:.3} s, ratio {:.3}", b / a);
        statics.push(a);
        scroogevms.push(b);
        ratios.push(b / a);
    }
    println!(
        "median: static {:.3} s, scroogevm {:.3} s; median per-pair ratio {:.3} (target at most 1.30)",
        common::median(&mut statics),
        common::median(&mut scroogevms),
        common::median(&mut ratios)
    );
}
