//! CloudSim's PlanetLab experiment on one real day (20110303: 800 hosts, 1052 VMs, 24 h, 300 s interval) under
//! LR-MMT-1.2, the base policy of `scenarios/planetlab-cloudsim.toml`: the simulation alone, and reading the day.
//!
//! Needs the PlanetLab data in `../shared/data/planetlab` (relative to the crate, as the scenario file names it);
//! without it the benchmarks are skipped with a message.
//!
//! `cargo bench --bench planetlab`; results and the whole-process figure: docs/benchmarks.md.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use fleetsim::runner::{load_inputs, run_seed};
use fleetsim::scenario::Scenario;
use fleetsim::usage::DemandModel;

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/planetlab-cloudsim.toml");
/// The scenario file's variants replaced by a single LR-MMT-1.2 run, as the whole-process figure runs it.
const ONLY_LR_MMT: &str = r#"variants=[{label="LR-MMT-1.2", set=[]}]"#;

/// The LR-MMT-1.2 run of the scenario file on day 20110303, or `None` (with a message) if the day is absent.
fn lr_mmt_scenario() -> Option<Scenario> {
    let overrides = [ONLY_LR_MMT.to_string(), "workload.day=\"20110303\"".to_string()];
    let mut runs = Scenario::load_runs(Path::new(SCENARIO), &overrides).expect("the PlanetLab scenario is valid");
    assert_eq!(runs.len(), 1, "one run: LR-MMT-1.2");
    let scenario = runs.remove(0);
    let workload = scenario.planetlab_workload.as_ref().expect("the scenario runs a PlanetLab day");
    let day = workload.dir.join(&workload.day);
    if !day.is_dir() {
        eprintln!(
            "skipping the PlanetLab benchmarks: {} is absent (the PlanetLab data belongs in ../shared/data/planetlab \
             relative to the crate)",
            day.display()
        );
        return None;
    }
    Some(scenario)
}

fn planetlab(c: &mut Criterion) {
    let Some(scenario) = lr_mmt_scenario() else { return };
    let inputs = load_inputs(&scenario, true).expect("read the PlanetLab day");
    assert_eq!(inputs.workload.instances.instances.len(), 1052, "day 20110303 has 1052 VMs");
    // As `fleetsim run` does for its single run (runner::run_one with index 0).
    let seed = run_seed(scenario.seed, 0);

    let mut group = c.benchmark_group("planetlab_20110303");
    group.sample_size(10).measurement_time(Duration::from_secs(12)).warm_up_time(Duration::from_secs(2));
    group.bench_function("planetlab_lr_mmt_1.2_day", |b| {
        b.iter(|| {
            let demand = DemandModel::new(
                &scenario.usage,
                inputs.workload.instances.instances.len(),
                seed,
                inputs.usage.clone(),
            )
            .expect("PlanetLab demand");
            fleetsim::simulation::run(&inputs.workload, &scenario, demand, seed, &|_| {})
        })
    });
    group.bench_function("planetlab_load_day", |b| b.iter(|| load_inputs(&scenario, true).expect("read the day")));
    group.finish();
}

criterion_group!(benches, planetlab);
criterion_main!(benches);
