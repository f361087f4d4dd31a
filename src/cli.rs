//! The command line (clap): `run`, `inspect`, `synth`, `validate`. Errors are printed once, as
//! `error: <message with its causes>`, and the exit code says what went wrong: 0 success, 1 a run failed,
//! 2 bad input or usage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::output::format::ResultFormat;
use crate::output::runs_table::RunStatus;
use crate::scenario::plan::ScenarioPlan;
use crate::scenario::Scenario;
use crate::sweep::shard::Shard;
use crate::sweep::SweepOptions;
use crate::trace::synth_chameleon::{self, SynthOptions};
use crate::trace::{self, ReadOptions};

#[derive(Debug, Parser)]
#[command(name = "fleetsim", version, about = "Trace-driven simulator of an OpenStack/KVM host fleet")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (the embedded default when none is given) and write DIR/runs.arrow (and the opt-in
    /// timeseries.arrow, hosts.arrow and migrations.arrow).
    Run(RunArgs),
    /// Print a trace's statistics (what the Chameleon notebooks compute).
    Inspect(InspectArgs),
    /// Generate synthetic traces.
    #[command(subcommand)]
    Synth(SynthCommand),
    /// Check a scenario (and its overrides) without running it; print how many runs it has and the first.
    Validate(ValidateArgs),
    /// Run a scenario's sweep (variants × [sweep] points × replications) in parallel, sharded and resumable,
    /// writing finished chunks to DIR/parts/ and the runs in run order to DIR/runs.arrow (or .parquet).
    Sweep(SweepArgs),
    /// Merge the output folders of a sweep's shards into one run-ordered table; report missing and duplicate
    /// runs.
    Merge(MergeArgs),
    /// Do two runs tables hold the same data (every column but wall-clock timings)? Exit 0 if so, 1 if not.
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    pub scenario: PathBuf,
    /// Output directory.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Override a scenario field (repeatable); a field that is a sweep axis is then fixed to this value.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Worker threads [default: SLURM_CPUS_PER_TASK inside a Slurm job, else one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run every N-th run starting at I (0-based) [default: the Slurm array task's share inside an array job,
    /// else all runs].
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Run only the runs missing from DIR/parts/ (after a killed or preempted sweep).
    #[arg(long)]
    pub resume: bool,
    /// Format of the final table.
    #[arg(long, value_enum, default_value_t = ResultFormat::Arrow)]
    pub format: ResultFormat,
    /// Runs per part written to DIR/parts/ [default: 4 per thread].
    #[arg(long)]
    pub chunk: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Output folders of the shards (each holding parts/).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = ResultFormat::Arrow)]
    pub format: ResultFormat,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// A runs table (.arrow or .parquet).
    pub first: PathBuf,
    pub second: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML). Without one, the embedded default scenario runs on the bundled data.
    pub scenario: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Override a scenario field by its dotted path, e.g. --set placement.kind=first_fit (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Skip (and count) malformed trace rows instead of stopping at the first.
    #[arg(long)]
    pub lenient: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Worker threads for scenarios with several runs [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Instance-event trace (StarCompactor CSV in either layout, or JSON lines).
    pub trace: PathBuf,
    /// Machine-event trace of the same cloud: adds the fleet's vCPU capacity per day.
    #[arg(long)]
    pub machines: Option<PathBuf>,
    /// Also write the tables as one Arrow IPC file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip (and count) malformed rows instead of stopping at the first.
    #[arg(long)]
    pub lenient: bool,
}

#[derive(Debug, Subcommand)]
pub enum SynthCommand {
    /// A StarCompactor-format trace (2018 layout) following the published KVM@TACC statistics, plus its
    /// machine events.
    Chameleon(SynthChameleonArgs),
}

#[derive(Debug, Args)]
pub struct SynthChameleonArgs {
    /// Instance-event CSV to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Machine-event CSV to write [default: beside --out, `x-instances.csv` → `x-machines.csv`].
    #[arg(long)]
    pub machines_out: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Size relative to the real trace (1.0: about 115,000 instances and 237,000 events).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub scenario: PathBuf,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// An error together with the exit code it deserves.
struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    /// Anything that goes wrong before or around a run is bad input (file, flag, path): exit code 2.
    fn from(error: E) -> Self {
        Failure { code: 2, error: error.into() }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Inspect(args) => inspect(args),
        Command::Synth(SynthCommand::Chameleon(args)) => synth_chameleon(args),
        Command::Validate(args) => validate(args),
        Command::Sweep(args) => sweep(args),
        Command::Merge(args) => merge(args),
        Command::Compare(args) => compare(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, error }) => {
            eprintln!("error: {error:#}");
            ExitCode::from(code)
        }
    }
}

/// Every run the scenario (the embedded default when none is given) describes: one, or one per variant.
fn load_scenarios(path: Option<&Path>, overrides: &[String]) -> anyhow::Result<Vec<Scenario>> {
    Ok(match path {
        Some(path) => Scenario::load_runs(path, overrides)?,
        None => vec![Scenario::embedded_default(overrides)?],
    })
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let mut overrides = args.overrides.clone();
    if args.lenient {
        overrides.push("trace.lenient=true".to_string());
    }
    let scenarios = load_scenarios(args.scenario.as_deref(), &overrides)?;
    crate::runner::prepare_output_dir(&args.out)?;
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|error| anyhow::anyhow!("--threads {threads}: {error}"))?;
    }

    let results = if let [scenario] = scenarios.as_slice() {
        // One run: a progress bar over its trace events.
        let inputs = crate::runner::load_inputs(scenario, args.quiet)?;
        let workload = &inputs.workload;
        report_skipped(&workload.instances.source, workload.instances.skipped.len());
        let bar = crate::progress::bar(workload.vm_events.len() as u64, "replaying", args.quiet);
        let result = crate::runner::run_one(0, scenario, &inputs, &|done| bar.set_position(done));
        bar.finish_and_clear();
        vec![result]
    } else {
        // Several runs: a progress bar over runs.
        let bar = crate::progress::bar(scenarios.len() as u64, "runs", args.quiet);
        let results = crate::runner::run_all(&scenarios, args.quiet, &|_| bar.inc(1))?;
        bar.finish_and_clear();
        results
    };
    let (records, series): (Vec<_>, Vec<_>) = results.into_iter().unzip();
    let series: Vec<(u64, crate::simulation::TimeSeries)> = series
        .into_iter()
        .enumerate()
        .filter_map(|(index, samples)| samples.map(|samples| (index as u64, samples)))
        .collect();
    let hash = scenarios.first().map_or(0, |scenario| scenario.hash);
    crate::runner::write_results(&args.out, &records, &series, hash)?;

    println!("{}", crate::output::summary::summary_table(&records));
    println!("results: {}", args.out.join("runs.arrow").display());
    if series.iter().any(|(_, series)| !series.ticks.is_empty()) {
        println!("time series: {}", args.out.join("timeseries.arrow").display());
    }
    if series.iter().any(|(_, series)| !series.hosts.is_empty()) {
        println!("host time series: {}", args.out.join("hosts.arrow").display());
    }
    if series.iter().any(|(_, series)| series.migrations_recorded) {
        println!("migrations: {}", args.out.join("migrations.arrow").display());
    }
    if series.iter().any(|(_, series)| !series.rounds.is_empty()) {
        println!("rounds: {}", args.out.join("rounds.arrow").display());
    }
    if series.iter().any(|(_, series)| !series.vms.is_empty()) {
        println!("VMs: {}", args.out.join("vms.arrow").display());
    }
    let failed: Vec<&str> = records
        .iter()
        .filter(|record| record.status == RunStatus::Failed)
        .map(|record| record.error.as_deref().unwrap_or_default())
        .collect();
    if !failed.is_empty() {
        return Err(Failure {
            code: 1,
            error: anyhow::anyhow!("{} of {} runs failed; first: {}", failed.len(), records.len(), failed[0]),
        });
    }
    Ok(())
}

fn report_skipped(source: &Path, skipped: usize) {
    if skipped > 0 {
        eprintln!("warning: {}: {skipped} malformed rows skipped (--lenient)", source.display());
    }
}

fn inspect(args: InspectArgs) -> Result<(), Failure> {
    if let Some(out) = &args.out {
        crate::runner::prepare_output_dir(
            out.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new(".")),
        )?;
    }
    let options = ReadOptions { lenient: args.lenient };
    let trace = trace::read_instance_trace(&args.trace, options)?;
    report_skipped(&trace.source, trace.skipped.len());
    let machines = match &args.machines {
        Some(path) => {
            let machines = trace::read_machine_trace(path, options)?;
            report_skipped(&machines.source, machines.skipped.len());
            Some(machines)
        }
        None => None,
    };
    let report = crate::inspect::analyse_with_machines(&trace, machines.as_ref());
    println!("{report}");
    if let Some(out) = &args.out {
        report.write_arrow(out).with_context(|| format!("--out {}", out.display()))?;
        println!("tables: {}", out.display());
    }
    Ok(())
}

fn synth_chameleon(args: SynthChameleonArgs) -> Result<(), Failure> {
    let machines = args.machines_out.clone().unwrap_or_else(|| crate::runner::synth_machines_path(&args.out));
    let options = SynthOptions { seed: args.seed, scale: args.scale };
    let generated =
        synth_chameleon::generate(&options).map_err(|message| anyhow::anyhow!("--scale/--seed: {message}"))?;
    synth_chameleon::write_files(&generated, &args.out, &machines)?;
    println!("instance events: {}", args.out.display());
    println!("machine events:  {}", machines.display());
    Ok(())
}

fn validate(args: ValidateArgs) -> Result<(), Failure> {
    let plan = ScenarioPlan::load(&args.scenario, &args.overrides)?;
    // Every run is built and checked (a bad combination of sweep values fails here, not hours into a sweep).
    let mut first = Vec::new();
    for index in 0..plan.runs.len() {
        let scenario = plan.scenario(index)?;
        check_inputs_exist(&scenario)?;
        if index < 10 {
            first.push((scenario.label, crate::runner::run_seed(scenario.seed, index as u64)));
        }
    }
    println!("{}: valid", args.scenario.display());
    println!("runs: {}", plan.runs.len());
    for (index, (label, seed)) in first.iter().enumerate() {
        println!("  {index}  {label}  seed {seed}");
    }
    if plan.runs.len() > 10 {
        println!("  ... {} more", plan.runs.len() - 10);
    }
    Ok(())
}

/// Threads for a sweep: the flag, else Slurm's CPUs for the task, else one per core.
fn sweep_threads(flag: Option<usize>) -> anyhow::Result<usize> {
    if let Some(threads) = flag {
        anyhow::ensure!(threads > 0, "--threads must be at least 1");
        return Ok(threads);
    }
    if let Ok(cpus) = std::env::var("SLURM_CPUS_PER_TASK") {
        return cpus
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|cpus| *cpus > 0)
            .with_context(|| format!("SLURM_CPUS_PER_TASK={cpus:?} is not a number of CPUs; pass --threads N"));
    }
    Ok(std::thread::available_parallelism().map_or(1, |cores| cores.get()))
}

fn sweep(args: SweepArgs) -> Result<(), Failure> {
    let plan = ScenarioPlan::load(&args.scenario, &args.overrides)?;
    let shard = match &args.shard {
        Some(text) => Shard::parse(text).map_err(|message| anyhow::anyhow!(message))?,
        None => Shard::from_slurm(|name| std::env::var(name).ok())
            .map_err(|message| anyhow::anyhow!(message))?
            .unwrap_or(Shard::WHOLE),
    };
    let threads = sweep_threads(args.threads)?;
    let options = SweepOptions {
        out: args.out.clone(),
        threads,
        shard,
        resume: args.resume,
        format: args.format,
        quiet: args.quiet,
        chunk: args.chunk.unwrap_or(4 * threads).max(1),
    };
    let outcome = crate::sweep::run_sweep(&plan, &options)?;
    if outcome.unfinished_removed > 0 {
        eprintln!(
            "sweep: removed {} unfinished part file(s) that a killed sweep left in {}",
            outcome.unfinished_removed,
            crate::sweep::parts::parts_dir(&options.out).display()
        );
    }
    println!(
        "sweep: {} runs planned; shard {shard} owns {}: {} already done, {} run now, {} failed",
        outcome.planned, outcome.owned, outcome.already_done, outcome.ran, outcome.failed
    );
    println!("results: {}", outcome.table.display());
    if outcome.failed > 0 {
        return Err(Failure {
            code: 1,
            error: anyhow::anyhow!(
                "{} of {} runs failed (status = \"failed\", with their error, in {})",
                outcome.failed,
                outcome.owned,
                outcome.table.display()
            ),
        });
    }
    Ok(())
}

fn merge(args: MergeArgs) -> Result<(), Failure> {
    let outcome = crate::sweep::merge(&args.dirs, &args.out, args.format)?;
    println!(
        "merged {} of {} runs ({} duplicate rows dropped, {} failed runs)",
        outcome.runs, outcome.planned, outcome.duplicates, outcome.failed
    );
    println!("results: {}", outcome.table.display());
    if !outcome.missing.is_empty() {
        let shown: Vec<String> = outcome.missing.iter().take(20).map(u64::to_string).collect();
        return Err(Failure {
            code: 1,
            error: anyhow::anyhow!(
                "{} runs are missing: {}{} (run their shards again with --resume)",
                outcome.missing.len(),
                shown.join(", "),
                if outcome.missing.len() > 20 { ", ..." } else { "" }
            ),
        });
    }
    Ok(())
}

fn compare(args: CompareArgs) -> Result<(), Failure> {
    let first = crate::output::format::read_table(&args.first)?;
    let second = crate::output::format::read_table(&args.second)?;
    match crate::sweep::compare::compare_tables(&first, &second) {
        Ok(()) => {
            println!("same data: {} rows (wall-clock timings not compared)", first.num_rows());
            Ok(())
        }
        Err(difference) => Err(Failure { code: 1, error: anyhow::anyhow!("the tables differ: {difference}") }),
    }
}

/// The files a scenario names exist (or will be generated).
fn check_inputs_exist(scenario: &Scenario) -> anyhow::Result<()> {
    if let Some(trace) = &scenario.trace {
        for input in std::iter::once(&trace.instances).chain(trace.machines.as_ref()) {
            if let crate::scenario::InputFile::Disk(path) = input {
                if !path.exists() && trace.synthesize.is_none() {
                    anyhow::bail!(
                        "{}: trace file {} does not exist; fix the path (relative paths are relative to the scenario \
                         file)",
                        scenario.origin,
                        path.display()
                    );
                }
            }
        }
    }
    if let crate::usage::UsageConfig::Planetlab { dir, day, .. } = &scenario.usage {
        let folder = dir.join(day);
        if !folder.is_dir() {
            let field = if scenario.planetlab_workload.is_some() { "workload" } else { "usage" };
            anyhow::bail!(
                "{}, field {field}.dir/{field}.day: PlanetLab folder {} does not exist; set {field}.dir to the folder \
                 holding the day folders (e.g. ../shared/data/planetlab, relative to the scenario file) and \
                 {field}.day to one of its days",
                scenario.origin,
                folder.display()
            );
        }
    }
    Ok(())
}
