//! `fleetsim sweep`: a scenario's planned runs ([`ScenarioPlan`]) in parallel, deterministic, sharded,
//! resumable.
//!
//! - Runs are built and simulated inside rayon workers; each run's inputs (trace, usage series) are loaded once
//!   per distinct input and shared by `Arc`.
//! - The runs this process owns (its [`Shard`]) run in any order; every `chunk` finished runs are written as
//!   one part ([`parts`]), so a killed sweep keeps what it finished (but the last, unwritten runs) and
//!   `--resume` runs only the missing runs.
//! - Every run's seed derives from (base seed, run index); results are assembled in run order, so the final
//!   table is the same for any thread count, chunk size or sharding, but for the `wall_s` column.
//! - A run that cannot be built or fails inside the simulation is a `failed` row; the sweep goes on.

pub mod compare;
pub mod parts;
pub mod shard;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context;
use rayon::prelude::*;

use crate::output::format::ResultFormat;
use crate::output::runs_table::{runs_batch_with, ParamColumns, RunRecord, RunStatus};
use crate::runner::{inputs_key, load_inputs, run_one, Inputs};
use crate::scenario::plan::ScenarioPlan;
use shard::Shard;

#[derive(Clone, Debug)]
pub struct SweepOptions {
    pub out: PathBuf,
    pub threads: usize,
    pub shard: Shard,
    pub resume: bool,
    pub format: ResultFormat,
    pub quiet: bool,
    /// Runs per written part.
    pub chunk: usize,
}

/// What a sweep did.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepOutcome {
    /// Runs in the whole sweep.
    pub planned: usize,
    /// Runs this shard owns.
    pub owned: usize,
    /// Owned runs already done (resumed).
    pub already_done: usize,
    /// Runs run now.
    pub ran: usize,
    /// Failed rows in this shard's table.
    pub failed: usize,
    /// Temporary files of parts a killed sweep was writing, removed before resuming.
    pub unfinished_removed: usize,
    pub table: PathBuf,
}

/// One distinct input, loaded by the first worker that needs it while the others wait.
type InputCell = Arc<OnceLock<Result<Arc<Inputs>, String>>>;

/// Each distinct input loaded once, on first use, by whichever worker needs it first.
#[derive(Default)]
struct SharedInputs {
    loaded: Mutex<HashMap<String, InputCell>>,
}

impl SharedInputs {
    fn get(&self, scenario: &crate::scenario::Scenario) -> Result<Arc<Inputs>, String> {
        let cell = {
            let mut loaded = self.loaded.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            loaded.entry(inputs_key(scenario)).or_default().clone()
        };
        cell.get_or_init(|| load_inputs(scenario, true).map(Arc::new).map_err(|error| format!("{error:#}"))).clone()
    }
}

/// The metadata of every file of the sweep.
fn sweep_metadata(plan: &ScenarioPlan) -> HashMap<String, String> {
    let mut metadata = crate::output::file_metadata(plan.hash);
    metadata.insert(parts::TOTAL_RUNS_KEY.to_string(), plan.runs.len().to_string());
    metadata
}

/// The parameter columns of the whole sweep (every shard computes the same), from every run that builds.
pub fn param_columns(plan: &ScenarioPlan) -> ParamColumns {
    let params: Vec<Option<Vec<_>>> =
        (0..plan.runs.len()).into_par_iter().map(|index| plan.scenario(index).ok().map(|run| run.params)).collect();
    let mut columns = ParamColumns::default();
    for run in params.iter().flatten() {
        columns.observe(run);
    }
    columns
}

/// Runs `index` of `plan`; never fails: problems become a failed row.
fn run_planned(plan: &ScenarioPlan, index: usize, inputs: &SharedInputs) -> RunRecord {
    let failed = |label: String, error: String| RunRecord {
        index: index as u64,
        label,
        day: None,
        seed: crate::runner::run_seed(plan.base_seed, index as u64),
        replication: plan.runs[index].replication,
        status: RunStatus::Failed,
        error: Some(error),
        params: Vec::new(),
        metrics: None,
    };
    let scenario = match plan.scenario(index) {
        Ok(scenario) => scenario,
        Err(error) => {
            let run = &plan.runs[index];
            let label = run.base_label.clone().unwrap_or_else(|| format!("run {index}"));
            return failed(format!("{label} {}", run.point).trim().to_string(), error.to_string());
        }
    };
    match inputs.get(&scenario) {
        Ok(loaded) => run_one(index as u64, &scenario, &loaded, &|_| {}).0,
        Err(error) => {
            let mut record = failed(scenario.label.clone(), error);
            record.seed = crate::runner::run_seed(scenario.seed, index as u64);
            record.params = scenario.params;
            record
        }
    }
}

/// Runs the runs of `plan` that `options.shard` owns and writes the shard's table.
pub fn run_sweep(plan: &ScenarioPlan, options: &SweepOptions) -> anyhow::Result<SweepOutcome> {
    let out = &options.out;
    crate::runner::prepare_output_dir(out)?;
    let hash = format!("{:016x}", plan.hash);
    let existing = parts::read_parts(out)?;
    if !existing.is_empty() && !options.resume {
        anyhow::bail!(
            "--out {} already holds {} finished part(s) of a sweep: pass --resume to run only what is missing, or \
             choose another --out (nothing was changed)",
            out.display(),
            existing.len()
        );
    }
    parts::check_same_sweep(&existing, &hash)?;
    let done = parts::done_runs(&existing)?;
    drop(existing);
    // A sweep killed while writing a part leaves its temporary file; the runs in it are run again.
    let unfinished_removed = if options.resume { parts::remove_unfinished(out)? } else { 0 };

    let owned: Vec<usize> = (0..plan.runs.len()).filter(|&run| options.shard.owns(run as u64)).collect();
    let todo: Vec<usize> = owned.iter().copied().filter(|run| !done.contains(&(*run as u64))).collect();
    let already_done = owned.len() - todo.len();

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .context("cannot start the worker threads")?;
    let columns = pool.install(|| param_columns(plan));
    let metadata = sweep_metadata(plan);
    let inputs = SharedInputs::default();
    let bar = crate::progress::bar(todo.len() as u64, "runs", options.quiet);
    // Workers send finished runs to this thread, which writes a part every `chunk` runs, in the order they
    // finish. No worker waits for a chunk's slowest run (runs differ tenfold in length), and the final table
    // sorts by run index, so what a part holds does not change any result.
    let (sender, receiver) = std::sync::mpsc::channel::<RunRecord>();
    let written = std::thread::scope(|scope| -> anyhow::Result<()> {
        let inputs = &inputs;
        let todo = &todo;
        let pool = &pool;
        scope.spawn(move || {
            pool.install(|| {
                // One run per rayon job: runs differ tenfold in length, and rayon's default splitting lets a
                // worker keep a range of runs to itself while the other, with nothing left to steal, sits idle
                // (the last quarter of the 1,000-run sweep's wall time on two threads).
                todo.par_iter().with_max_len(1).for_each_with(sender, |sender, &index| {
                    // A closed channel means the writer failed; its error is reported below.
                    let _ = sender.send(run_planned(plan, index, inputs));
                })
            })
        });
        let mut pending: Vec<RunRecord> = Vec::with_capacity(options.chunk);
        let mut failed = 0u64;
        let write = |records: &mut Vec<RunRecord>| -> anyhow::Result<()> {
            if records.is_empty() {
                return Ok(());
            }
            let first = records.iter().map(|record| record.index).min().unwrap_or(0);
            let batch = runs_batch_with(records, &columns, metadata.clone())?;
            crate::output::write_ipc_file(&parts::part_path(out, first), &batch)?;
            records.clear();
            Ok(())
        };
        for record in receiver {
            if record.status == RunStatus::Failed {
                failed += 1;
                bar.set_message(format!("{failed} failed"));
            }
            bar.inc(1);
            pending.push(record);
            if pending.len() >= options.chunk.max(1) {
                write(&mut pending)?;
            }
        }
        write(&mut pending)
    });
    written?;
    bar.finish_and_clear();

    let all = parts::read_parts(out)?;
    parts::check_same_sweep(&all, &hash)?;
    let batches: Vec<_> = all.into_iter().map(|(_, batch)| batch).collect();
    let table = options.format.runs_path(out);
    let failed = if batches.is_empty() {
        // A shard that owns no run (more shards than runs) writes an empty table of the sweep's schema, and an
        // empty part, so that `merge` knows the shard and its sweep.
        let empty = runs_batch_with(&[], &columns, metadata)?;
        crate::output::write_ipc_file(&parts::empty_part_path(out, options.shard), &empty)?;
        options.format.write(&table, &empty)?;
        0
    } else {
        let (assembled, _) = parts::assemble(&batches, |run| options.shard.owns(run))?;
        options.format.write(&table, &assembled)?;
        count_failed(&assembled)
    };
    Ok(SweepOutcome {
        planned: plan.runs.len(),
        owned: owned.len(),
        already_done,
        ran: todo.len(),
        failed,
        unfinished_removed,
        table,
    })
}

/// Rows with `status = "failed"`.
pub fn count_failed(table: &arrow_array::RecordBatch) -> usize {
    table
        .column_by_name("status")
        .and_then(|column| column.as_any().downcast_ref::<arrow_array::StringArray>())
        .map_or(0, |status| status.iter().filter(|value| *value == Some("failed")).count())
}

/// What `fleetsim merge` found.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeOutcome {
    pub runs: usize,
    pub planned: usize,
    pub missing: Vec<u64>,
    pub duplicates: usize,
    pub failed: usize,
    pub table: PathBuf,
}

/// Merges the parts of shard output folders `dirs` into one run-ordered table in `out`.
pub fn merge(dirs: &[PathBuf], out: &Path, format: ResultFormat) -> anyhow::Result<MergeOutcome> {
    let mut batches = Vec::new();
    let mut sweep: Option<(String, String, PathBuf)> = None;
    for dir in dirs {
        let found = parts::read_parts(dir)?;
        if found.is_empty() {
            anyhow::bail!("{} holds no sweep parts (no {} folder with results)", dir.display(), "parts");
        }
        for (path, batch) in found {
            let hash = parts::metadata(&batch, parts::HASH_KEY).unwrap_or("none").to_string();
            let total = parts::metadata(&batch, parts::TOTAL_RUNS_KEY).unwrap_or("?").to_string();
            match &sweep {
                None => sweep = Some((hash, total, path.clone())),
                Some((known_hash, known_total, first)) if *known_hash != hash || *known_total != total => {
                    anyhow::bail!(
                        "{} and {} come from different sweeps (scenario hash {known_hash} of {known_total} runs, and \
                         {hash} of {total}): merge only the shards of one sweep",
                        first.display(),
                        path.display()
                    );
                }
                Some(_) => {}
            }
            batches.push(batch);
        }
    }
    let (_, total, _) = sweep.context("nothing to merge")?;
    let planned: usize = total.parse().context("the parts do not say how many runs their sweep has")?;
    let (table, duplicates) = parts::assemble(&batches, |_| true)?;
    let present: std::collections::BTreeSet<u64> = parts::run_indices(&table)?.values().iter().copied().collect();
    let missing: Vec<u64> = (0..planned as u64).filter(|run| !present.contains(run)).collect();
    crate::runner::prepare_output_dir(out)?;
    let path = format.runs_path(out);
    format.write(&path, &table)?;
    Ok(MergeOutcome { runs: table.num_rows(), planned, missing, duplicates, failed: count_failed(&table), table: path })
}
