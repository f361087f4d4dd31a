//! Replay of the full-scale synthetic Chameleon trace (scale 1.0: ~115,600 instances, ~236,500 rows,
//! 2015-09 to 2018-11) with 300 s monitoring ticks, against the floor of only reading the trace.
//!
//! `cargo bench --bench replay`; results and how to read them: docs/benchmarks.md.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use fleetsim::scenario::Scenario;
use fleetsim::trace::synth_chameleon::{generate, write_files, SynthOptions};
use fleetsim::trace::{read_instance_trace, read_machine_trace, ReadOptions};
use fleetsim::usage::DemandModel;
use fleetsim::workload::Workload;

/// Writes the scale-1.0 trace (seed 1) into a temporary folder once.
fn full_scale_trace() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (instances, machines) = (dir.path().join("full-instances.csv"), dir.path().join("full-machines.csv"));
    let trace = generate(&SynthOptions { seed: 1, scale: 1.0 }).expect("scale 1.0 is valid");
    write_files(&trace, &instances, &machines).expect("write the trace");
    (dir, instances, machines)
}

fn scenario(instances: &std::path::Path, machines: &std::path::Path) -> Scenario {
    let text = format!(
        "[trace]\ninstances = {instances:?}\nmachines = {machines:?}\n[usage]\nkind = \"synthetic\"\n[simulation]\ninterval_s = 300\n"
    );
    Scenario::from_text(&text, "bench", Some(std::path::Path::new("/")), &[]).expect("valid scenario")
}

fn replay(c: &mut Criterion) {
    let (_dir, instances, machines) = full_scale_trace();
    let scenario = scenario(&instances, &machines);
    let options = ReadOptions::default();
    let read = || (read_instance_trace(&instances, options).unwrap(), read_machine_trace(&machines, options).unwrap());

    let mut group = c.benchmark_group("chameleon_full_scale");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(2));
    group.bench_function("read_trace (floor)", |b| b.iter(read));
    group.bench_function("replay (read + simulate)", |b| {
        b.iter(|| {
            let (instance_trace, machine_trace) = read();
            let workload = Workload::new(
                instance_trace,
                Some(machine_trace),
                scenario.trace.as_ref().expect("the default scenario replays a trace").preexisting,
            );
            let demand = DemandModel::new(&scenario.usage, workload.instances.instances.len(), 1, None).unwrap();
            fleetsim::simulation::run(&workload, &scenario, demand, 1, &|_| {})
        })
    });
    let (instance_trace, machine_trace) = read();
    let workload = Workload::new(
        instance_trace,
        Some(machine_trace),
        scenario.trace.as_ref().expect("the default scenario replays a trace").preexisting,
    );
    group.bench_function("simulate only", |b| {
        b.iter(|| {
            let demand = DemandModel::new(&scenario.usage, workload.instances.instances.len(), 1, None).unwrap();
            fleetsim::simulation::run(&workload, &scenario, demand, 1, &|_| {})
        })
    });
    group.bench_function("inspect (read + analyse)", |b| {
        b.iter(|| fleetsim::inspect::analyse(&read_instance_trace(&instances, options).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
