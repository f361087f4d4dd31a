//! From a resolved scenario to result rows: load the inputs once, run, catch failures as rows, write files.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::output::runs_table::{RunRecord, RunStatus};
use crate::output::timeseries_table::timeseries_batch;
use crate::scenario::{InputFile, Scenario};
use crate::simulation::{RunOutcome, TimeSeries};
use crate::trace::synth_chameleon::{self, SynthOptions};
use crate::trace::{self, ReadOptions};
use crate::usage::bitbrains::BitbrainsSeries;
use crate::usage::planetlab::PlanetLabSeries;
use crate::usage::{DemandModel, UsageConfig, UsageSeries};
use crate::workload::Workload;

/// Inputs read once and shared by every run that uses them.
#[derive(Debug)]
pub struct Inputs {
    pub workload: Arc<Workload>,
    /// The usage source's series (PlanetLab or Bitbrains), if it reads any.
    pub usage: Option<UsageSeries>,
}

/// Reads the scenario's workload (its traces, generated first if the scenario says so and they are missing; or
/// its PlanetLab day) and its usage data (Bitbrains files resampled to the scenario's monitoring interval).
pub fn load_inputs(scenario: &Scenario, quiet: bool) -> anyhow::Result<Inputs> {
    if let Some(planetlab) = &scenario.planetlab_workload {
        let spinner = crate::progress::spinner("reading the PlanetLab day", quiet);
        let series = PlanetLabSeries::load(&planetlab.dir, &planetlab.day)
            .map_err(|message| anyhow::anyhow!("workload: {message}"))?;
        let workload = crate::workload::planetlab::workload(
            &series,
            &planetlab.vm_types,
            planetlab.duration,
            planetlab.ram_utilization,
            planetlab.zero_demand,
        );
        spinner.finish_and_clear();
        return Ok(Inputs { workload: Arc::new(workload), usage: Some(UsageSeries::PlanetLab(Arc::new(series))) });
    }
    let inputs = scenario.trace.as_ref().ok_or_else(|| anyhow::anyhow!("{}: no workload", scenario.origin))?;
    if let (Some(synthesize), InputFile::Disk(instances)) = (&inputs.synthesize, &inputs.instances) {
        let machines = match &inputs.machines {
            Some(InputFile::Disk(path)) => path.clone(),
            _ => synth_machines_path(instances),
        };
        if !instances.exists() || !machines.exists() {
            let spinner = crate::progress::spinner("generating the synthetic trace", quiet);
            let options = SynthOptions { seed: synthesize.seed, scale: synthesize.scale };
            let generated = synth_chameleon::generate(&options)
                .map_err(|message| anyhow::anyhow!("trace.synthesize: {message}"))?;
            synth_chameleon::write_files(&generated, instances, &machines)?;
            spinner.finish_and_clear();
        }
    }
    let spinner = crate::progress::spinner("reading the trace", quiet);
    let options = ReadOptions { lenient: inputs.lenient };
    let instance_trace = match &inputs.instances {
        InputFile::Disk(path) => trace::read_instance_trace(path, options)?,
        InputFile::Embedded { name, bytes } => trace::parse_instance_trace(Path::new(name), bytes, options)?,
    };
    let machine_trace = match &inputs.machines {
        None => None,
        Some(InputFile::Disk(path)) => Some(trace::read_machine_trace(path, options)?),
        Some(InputFile::Embedded { name, bytes }) => {
            Some(trace::machine_events::parse(Path::new(name), bytes, options)?)
        }
    };
    let workload = Workload::new(instance_trace, machine_trace, inputs.preexisting);
    let usage = match &scenario.usage {
        UsageConfig::Planetlab { dir, day, .. } => Some(UsageSeries::PlanetLab(Arc::new(
            PlanetLabSeries::load(dir, day).map_err(|message| anyhow::anyhow!("usage: {message}"))?,
        ))),
        UsageConfig::Bitbrains { dir, .. } => {
            spinner.set_message("reading the Bitbrains files");
            let interval_s = (scenario.interval.as_ms() / 1000) as u64;
            Some(UsageSeries::Bitbrains(Arc::new(
                BitbrainsSeries::load(dir, interval_s).map_err(|message| anyhow::anyhow!("usage: {message}"))?,
            )))
        }
        _ => None,
    };
    spinner.finish_and_clear();
    Ok(Inputs { workload: Arc::new(workload), usage })
}

/// Where `synth` writes the machine events beside an instance trace: `x-instances.csv` → `x-machines.csv`,
/// any other `x.csv` → `x-machines.csv`.
pub fn synth_machines_path(instances: &Path) -> std::path::PathBuf {
    let stem = instances.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    let base = stem.strip_suffix("-instances").unwrap_or(&stem);
    instances.with_file_name(format!("{base}-machines.csv"))
}

/// The seed of run `index` of a scenario with base seed `base`: SplitMix64 of both, so neighbouring runs get
/// unrelated streams and the same (base, index) always gives the same seed.
pub fn run_seed(base: u64, index: u64) -> u64 {
    let mut z = base ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of a scenario's synthetic demand: one per (base seed, replication), shared by all runs of that
/// replication, so that variants and sweep points are compared on the same demand (common random numbers);
/// only the policies' own randomness follows the run seed.
pub fn demand_seed(base: u64, replication: u32) -> u64 {
    run_seed(base, u64::MAX - u64::from(replication))
}

/// Runs one scenario as run `index`. A failure (bad parameter combination, a panic inside a policy) becomes a
/// failed row; it never aborts the caller.
pub fn run_one(
    index: u64,
    scenario: &Scenario,
    inputs: &Inputs,
    on_progress: &dyn Fn(u64),
) -> (RunRecord, Option<TimeSeries>) {
    let seed = run_seed(scenario.seed, index);
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<RunOutcome, String> {
        let demand = DemandModel::new(
            &scenario.usage,
            inputs.workload.instances.instances.len(),
            demand_seed(scenario.seed, scenario.replication),
            inputs.usage.clone(),
        )?;
        Ok(crate::simulation::run(&inputs.workload, scenario, demand, seed, on_progress))
    }));
    let result = match attempt {
        Ok(result) => result,
        Err(panic) => Err(format!(
            "internal error (please report it): {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
                .unwrap_or_default()
        )),
    };
    let mut record = RunRecord {
        index,
        label: scenario.label.clone(),
        day: scenario.day.clone(),
        seed,
        replication: scenario.replication,
        status: RunStatus::Ok,
        error: None,
        params: scenario.params.clone(),
        metrics: None,
    };
    match result {
        Ok(outcome) => {
            record.metrics = Some(outcome.metrics);
            (record, outcome.timeseries)
        }
        Err(message) => {
            record.status = RunStatus::Failed;
            record.error = Some(message);
            (record, None)
        }
    }
}

/// What decides a run's inputs: runs with equal keys share one loaded copy. (Compared as text: the inputs'
/// settings are few and their Debug forms exact.)
pub fn inputs_key(scenario: &Scenario) -> String {
    let mut key = format!("{:?}|{:?}|{:?}", scenario.trace, scenario.planetlab_workload, scenario.usage);
    if let UsageConfig::Bitbrains { .. } = scenario.usage {
        // Bitbrains series are resampled to the monitoring interval at load time.
        key.push_str(&format!("|{:?}", scenario.interval));
    }
    key
}

/// Runs every scenario (a scenario file's variants) in parallel, sharing inputs read once between runs that
/// name the same ones. Results come back in run order, whatever the thread count. `on_run_done` is called as
/// each run finishes.
pub fn run_all(
    scenarios: &[Scenario],
    quiet: bool,
    on_run_done: &(dyn Fn(&RunRecord) + Sync),
) -> anyhow::Result<Vec<(RunRecord, Option<TimeSeries>)>> {
    use rayon::prelude::*;
    let mut inputs: Vec<(String, Arc<Inputs>)> = Vec::new();
    let mut run_inputs = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        let key = inputs_key(scenario);
        let shared = match inputs.iter().find(|(known, _)| *known == key) {
            Some((_, shared)) => shared.clone(),
            None => {
                let loaded = Arc::new(load_inputs(scenario, quiet)?);
                inputs.push((key, loaded.clone()));
                loaded
            }
        };
        run_inputs.push(shared);
    }
    Ok(scenarios
        .par_iter()
        .zip(run_inputs.par_iter())
        .enumerate()
        // One run per job, so that no worker idles while the other works through a range of long runs.
        .with_max_len(1)
        .map(|(index, (scenario, inputs))| {
            let result = run_one(index as u64, scenario, inputs, &|_| {});
            on_run_done(&result.0);
            result
        })
        .collect())
}

/// Checks that `dir` can hold results before any work starts, so a bad `--out` fails at once.
pub fn prepare_output_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("--out {}: cannot create the output directory", dir.display()))?;
    tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("--out {}: the directory is not writable", dir.display()))?;
    Ok(())
}

/// Writes `runs.arrow` and, when any run recorded them, `timeseries.arrow`, `hosts.arrow`, `migrations.arrow` and
/// `rounds.arrow` and `vms.arrow` into `dir`.
pub fn write_results(
    dir: &Path,
    records: &[RunRecord],
    series: &[(u64, TimeSeries)],
    scenario_hash: u64,
) -> anyhow::Result<()> {
    let metadata = crate::output::file_metadata(scenario_hash);
    let runs = crate::output::runs_table::runs_batch(records, metadata.clone())?;
    crate::output::write_ipc_file(&dir.join("runs.arrow"), &runs)?;
    let ticks: Vec<(u64, &[_])> = series
        .iter()
        .filter(|(_, series)| !series.ticks.is_empty())
        .map(|(run, series)| (*run, series.ticks.as_slice()))
        .collect();
    if !ticks.is_empty() {
        let batch = timeseries_batch(&ticks, metadata.clone())?;
        crate::output::write_ipc_file(&dir.join("timeseries.arrow"), &batch)?;
    }
    let hosts: Vec<(u64, &[_])> = series
        .iter()
        .filter(|(_, series)| !series.hosts.is_empty())
        .map(|(run, series)| (*run, series.hosts.as_slice()))
        .collect();
    if !hosts.is_empty() {
        let batch = crate::output::hosts_table::hosts_batch(&hosts, metadata.clone())?;
        crate::output::write_ipc_file(&dir.join("hosts.arrow"), &batch)?;
    }
    if series.iter().any(|(_, series)| series.migrations_recorded) {
        let migrations: Vec<(u64, &[_])> =
            series.iter().map(|(run, series)| (*run, series.migrations.as_slice())).collect();
        let batch = crate::output::migrations_table::migrations_batch(&migrations, metadata.clone())?;
        crate::output::write_ipc_file(&dir.join("migrations.arrow"), &batch)?;
    }
    let rounds: Vec<(u64, &[_])> = series
        .iter()
        .filter(|(_, series)| !series.rounds.is_empty())
        .map(|(run, series)| (*run, series.rounds.as_slice()))
        .collect();
    if !rounds.is_empty() {
        let batch = crate::output::rounds_table::rounds_batch(&rounds, metadata.clone())?;
        crate::output::write_ipc_file(&dir.join("rounds.arrow"), &batch)?;
    }
    let vms: Vec<(u64, &[_])> = series
        .iter()
        .filter(|(_, series)| !series.vms.is_empty())
        .map(|(run, series)| (*run, series.vms.as_slice()))
        .collect();
    if !vms.is_empty() {
        let batch = crate::output::vms_table::vms_batch(&vms, metadata)?;
        crate::output::write_ipc_file(&dir.join("vms.arrow"), &batch)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_per_run_and_are_stable() {
        assert_eq!(run_seed(1, 0), run_seed(1, 0));
        assert_ne!(run_seed(1, 0), run_seed(1, 1));
        assert_ne!(run_seed(1, 0), run_seed(2, 0));
    }

    /// Two variants that differ only in their label get different run seeds but the same synthetic demand,
    /// hence the same results (common random numbers).
    #[test]
    fn every_run_of_a_scenario_sees_the_same_demand() {
        let text = format!(
            "{}\n[[variants]]\nlabel = \"a\"\nset = []\n[[variants]]\nlabel = \"b\"\nset = []\n",
            crate::scenario::embedded::SCENARIO
        );
        let runs = Scenario::runs_from_text(&text, "test", None, &[]).unwrap();
        let results = run_all(&runs, true, &|_| {}).unwrap();
        let (a, b) = (&results[0].0, &results[1].0);
        assert_ne!(a.seed, b.seed);
        let metrics = |record: &RunRecord| {
            let mut metrics = record.metrics.clone().unwrap();
            metrics.wall_s = 0.0;
            metrics
        };
        assert_eq!(metrics(a), metrics(b));
    }

    #[test]
    fn machine_file_sits_beside_the_instances() {
        assert_eq!(synth_machines_path(Path::new("data/x-instances.csv")), Path::new("data/x-machines.csv"));
        assert_eq!(synth_machines_path(Path::new("trace.csv")), Path::new("trace-machines.csv"));
    }
}
