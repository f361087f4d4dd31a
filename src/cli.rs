//! The command line (clap): `run`, `inspect`, `synth`, `validate`. Errors are printed once, as
//! `error: <message with its causes>`, and the exit code says what went wrong: 0 success, 1 a run failed,
//! 2 bad input or usage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::output::runs_table::RunStatus;
use crate::scenario::Scenario;
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
    /// Run a scenario (the embedded default when none is given) and write DIR/runs.arrow.
    Run(RunArgs),
    /// Print a trace's statistics (what the Chameleon notebooks compute).
    Inspect(InspectArgs),
    /// Generate synthetic traces.
    #[command(subcommand)]
    Synth(SynthCommand),
    /// Check a scenario (and its overrides) without running it.
    Validate(ValidateArgs),
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
    let trace = trace::read_instance_trace(&args.trace, ReadOptions { lenient: args.lenient })?;
    report_skipped(&trace.source, trace.skipped.len());
    let report = crate::inspect::analyse(&trace);
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
    let scenarios = Scenario::load_runs(&args.scenario, &args.overrides)?;
    for scenario in &scenarios {
        check_inputs_exist(scenario)?;
    }
    println!("{}: valid", args.scenario.display());
    println!("runs: {}", scenarios.len());
    for (index, scenario) in scenarios.iter().enumerate().take(10) {
        println!("  {index}  {}  seed {}", scenario.label, crate::runner::run_seed(scenario.seed, index as u64));
    }
    if scenarios.len() > 10 {
        println!("  ... {} more", scenarios.len() - 10);
    }
    Ok(())
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
