//! A sweep's output folder. `DIR/parts/` holds one Arrow IPC file per finished chunk of runs, each written
//! atomically, so a killed sweep leaves only whole parts behind and `--resume` knows exactly what is done. The
//! final table (`DIR/runs.arrow` or `.parquet`) is assembled from the parts: run order, one row per run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use arrow_array::{Array, RecordBatch, UInt64Array};

/// Schema metadata naming the sweep a file belongs to, and how many runs the whole sweep has.
pub const HASH_KEY: &str = "scenario_hash";
pub const TOTAL_RUNS_KEY: &str = "sweep_runs";

pub fn parts_dir(dir: &Path) -> PathBuf {
    dir.join("parts")
}

/// The file of a part whose first run is `first`.
pub fn part_path(dir: &Path, first: u64) -> PathBuf {
    parts_dir(dir).join(format!("runs-{first:09}.arrow"))
}

/// The (empty) part of a shard that owns no run.
pub fn empty_part_path(dir: &Path, shard: crate::sweep::shard::Shard) -> PathBuf {
    parts_dir(dir).join(format!("empty-shard-{}-of-{}.arrow", shard.index, shard.count))
}

/// Every part in `dir`, in file-name order; none when there is no parts folder.
pub fn read_parts(dir: &Path) -> anyhow::Result<Vec<(PathBuf, RecordBatch)>> {
    let folder = parts_dir(dir);
    if !folder.exists() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .with_context(|| format!("cannot list {}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "arrow"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let batch = crate::output::format::read_table(&path)
                .with_context(|| format!("{}: not a part of a fleetsim sweep", path.display()))?;
            Ok((path, batch))
        })
        .collect()
}

/// Removes the temporary files that writes killed part-way left in `dir`'s parts folder (a sweep killed while
/// writing a part) and returns how many there were. Only safe when no other sweep writes into `dir` at the same
/// time, which a sweep's folder never has: resuming it while it runs would run its missing runs twice.
pub fn remove_unfinished(dir: &Path) -> anyhow::Result<usize> {
    let folder = parts_dir(dir);
    if !folder.exists() {
        return Ok(0);
    }
    let mut removed = 0;
    for entry in std::fs::read_dir(&folder).with_context(|| format!("cannot list {}", folder.display()))? {
        let path = entry.with_context(|| format!("cannot list {}", folder.display()))?.path();
        let unfinished = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with(crate::output::atomic::UNFINISHED_PREFIX));
        if unfinished {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}, an unfinished part of a killed sweep", path.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The value of metadata `key` in `batch`'s schema.
pub fn metadata<'a>(batch: &'a RecordBatch, key: &str) -> Option<&'a str> {
    batch.schema_ref().metadata().get(key).map(String::as_str)
}

/// The `run_index` column of a runs table.
pub fn run_indices(batch: &RecordBatch) -> anyhow::Result<&UInt64Array> {
    batch
        .column_by_name("run_index")
        .and_then(|column| column.as_any().downcast_ref::<UInt64Array>())
        .context("not a fleetsim runs table: no run_index column")
}

/// Checks that every part belongs to the sweep of hash `hash` (hex, as in the metadata).
pub fn check_same_sweep(parts: &[(PathBuf, RecordBatch)], hash: &str) -> anyhow::Result<()> {
    for (path, batch) in parts {
        let found = metadata(batch, HASH_KEY).unwrap_or("none");
        if found != hash {
            anyhow::bail!(
                "{} belongs to another sweep (scenario hash {found}, this one is {hash}): the scenario or its --set \
                 overrides changed since it was written; use another --out, or remove that folder to start afresh",
                path.display()
            );
        }
    }
    Ok(())
}

/// Runs present in `parts`.
pub fn done_runs(parts: &[(PathBuf, RecordBatch)]) -> anyhow::Result<BTreeSet<u64>> {
    let mut done = BTreeSet::new();
    for (_, batch) in parts {
        done.extend(run_indices(batch)?.values().iter().copied());
    }
    Ok(done)
}

/// One table of the parts' rows for which `keep(run)` holds, in run order, each run once. Returns it with the
/// number of duplicate rows dropped (a run found in two parts).
pub fn assemble(batches: &[RecordBatch], keep: impl Fn(u64) -> bool) -> anyhow::Result<(RecordBatch, usize)> {
    let schema = batches.first().context("no results to assemble")?.schema();
    let all = arrow_select::concat::concat_batches(&schema, batches)
        .context("the parts do not share one schema: they come from different fleetsim versions or sweeps")?;
    let runs = run_indices(&all)?;
    let mut order: Vec<u32> = (0..all.num_rows() as u32).filter(|&row| keep(runs.value(row as usize))).collect();
    order.sort_by_key(|&row| runs.value(row as usize));
    let before = order.len();
    order.dedup_by_key(|row| runs.value(*row as usize));
    let indices = arrow_array::UInt32Array::from(order);
    let table = arrow_select::take::take_record_batch(&all, &indices)?;
    Ok((table, before - indices.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_unfinished_removes_only_the_temporary_files_of_killed_writes() {
        let dir = tempfile::tempdir().unwrap();
        let folder = parts_dir(dir.path());
        std::fs::create_dir_all(&folder).unwrap();
        let finished = part_path(dir.path(), 0);
        std::fs::write(&finished, b"a finished part").unwrap();
        let unfinished = folder.join(format!("{}abc123", crate::output::atomic::UNFINISHED_PREFIX));
        std::fs::write(&unfinished, b"half a part").unwrap();
        let other = folder.join("notes.txt");
        std::fs::write(&other, b"the user's").unwrap();

        assert_eq!(remove_unfinished(dir.path()).unwrap(), 1);
        assert!(!unfinished.exists());
        assert!(finished.exists() && other.exists());
        assert_eq!(remove_unfinished(dir.path()).unwrap(), 0);
    }

    #[test]
    fn remove_unfinished_without_a_parts_folder_removes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(remove_unfinished(dir.path()).unwrap(), 0);
    }
}
