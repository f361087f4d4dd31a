//! `fleetsim sweep`, `merge` and `compare` through the binary: the same table for any thread count and any
//! sharding, a sweep killed by a real signal and resumed, failed runs as rows, and errors for bad axes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use arrow_array::{Array, StringArray, UInt64Array};
use assert_cmd::Command;
use predicates::prelude::*;

fn fleetsim() -> Command {
    Command::cargo_bin("fleetsim").unwrap()
}

/// A 12-run sweep of the bundled 5 %-scale trace (hourly ticks, so a debug-build run takes well under a
/// second): 3 CPU ratios × 2 placements × 2 replications, plus `extra` TOML at the end of `[sweep]`.
fn sweep_scenario(dir: &Path, extra: &str) -> PathBuf {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let text = format!(
        r#"name = "t"
[trace]
instances = {instances:?}
machines = {machines:?}
[usage]
kind = "synthetic"
[simulation]
interval_s = 3600
[sweep]
replications = 2
"oversubscription.cpu_allocation_ratio" = [1.0, 2.0, 4.0]
placement = [{{ kind = "filter_scheduler" }}, {{ kind = "first_fit" }}]
{extra}
"#,
        instances = data.join("chameleon-small-instances.csv"),
        machines = data.join("chameleon-small-machines.csv"),
    );
    let path = dir.join("sweep.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn sweep(scenario: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    fleetsim()
        .args(["sweep", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
        .args(extra)
        .assert()
}

fn same(a: &Path, b: &Path) {
    fleetsim()
        .args(["compare", a.to_str().unwrap(), b.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("same data"));
}

fn table(path: &Path) -> arrow_array::RecordBatch {
    fleetsim::output::format::read_table(path).unwrap()
}

#[test]
fn one_thread_two_threads_and_three_merged_shards_give_the_same_table() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = sweep_scenario(dir.path(), "");
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    sweep(&scenario, &one, &["--threads", "1"]).success().stdout(predicate::str::contains("12 run now"));
    sweep(&scenario, &two, &["--threads", "2", "--chunk", "5"]).success();
    same(&one.join("runs.arrow"), &two.join("runs.arrow"));

    let shards: Vec<PathBuf> = (0..3).map(|shard| dir.path().join(format!("shard-{shard}"))).collect();
    for (index, shard) in shards.iter().enumerate() {
        sweep(&scenario, shard, &["--shard", &format!("{index}/3"), "--threads", "1"])
            .success()
            .stdout(predicate::str::contains("owns 4"));
    }
    let merged = dir.path().join("merged");
    fleetsim()
        .arg("merge")
        .args(&shards)
        .args(["--out", merged.to_str().unwrap(), "--format", "parquet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("merged 12 of 12 runs (0 duplicate"));
    same(&merged.join("runs.parquet"), &one.join("runs.arrow"));

    // The table is what the sweep promises: runs in order, seeds and replications recorded, axes as columns.
    let runs = table(&one.join("runs.arrow"));
    let index = runs.column_by_name("run_index").unwrap().as_any().downcast_ref::<UInt64Array>().unwrap();
    assert_eq!(index.values().to_vec(), (0..12).collect::<Vec<u64>>());
    assert!(runs.column_by_name("replication").is_some() && runs.column_by_name("placement.kind").is_some());
    let label = runs.column_by_name("label").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(label.value(0), "t oversubscription.cpu_allocation_ratio=1.0 placement={ kind = \"filter_scheduler\" }");

    // A merge that lacks a shard says which runs are missing.
    fleetsim()
        .arg("merge")
        .args(&shards[..2])
        .args(["--out", dir.path().join("partial").to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("4 runs are missing: 2, 5, 8, 11"));
}

/// A sweep killed with SIGKILL part-way keeps its finished parts; `--resume` runs only the rest and the table
/// equals an uninterrupted sweep's, each run exactly once.
#[test]
fn a_killed_sweep_resumes_to_the_same_table() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = sweep_scenario(dir.path(), "");
    let killed = dir.path().join("killed");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("fleetsim"))
        .args(["sweep", scenario.to_str().unwrap(), "--quiet", "--threads", "1", "--chunk", "1"])
        .args(["--out", killed.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let parts = killed.join("parts");
    // Finished parts only: a part being written is a temporary file beside them until its rename.
    let count = || {
        std::fs::read_dir(&parts).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.path().extension().is_some_and(|extension| extension == "arrow"))
                .count()
        })
    };
    let started = Instant::now();
    while count() < 2 {
        assert!(started.elapsed() < Duration::from_secs(120), "no part written in two minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let finished = count();
    assert!(finished < 12, "the sweep finished before it could be killed ({finished} parts)");
    assert!(!killed.join("runs.arrow").exists(), "a killed sweep has no final table yet");

    sweep(&scenario, &killed, &["--threads", "2"]).code(2).stderr(predicate::str::contains("--resume"));
    // The kill may or may not have caught a part being written; plant one such temporary file for certain.
    std::fs::write(parts.join(".fleetsim-unfinished-planted"), b"half a part").unwrap();
    sweep(&scenario, &killed, &["--threads", "2", "--resume"])
        .success()
        .stdout(predicate::str::contains(format!("{finished} already done, {} run now", 12 - finished)))
        .stderr(predicate::str::contains("unfinished part file(s) that a killed sweep left"));
    let leftovers: Vec<_> = std::fs::read_dir(&parts)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(".fleetsim-unfinished-"))
        .collect();
    assert!(leftovers.is_empty(), "resume left unfinished part files: {leftovers:?}");
    let whole = dir.path().join("whole");
    sweep(&scenario, &whole, &["--threads", "2"]).success();
    same(&killed.join("runs.arrow"), &whole.join("runs.arrow"));
}

#[test]
fn a_failing_run_is_a_row_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // A negative ratio fails the scenario's checks: those 4 runs fail, the other 12 run.
    let scenario = sweep_scenario(dir.path(), "");
    let text = std::fs::read_to_string(&scenario).unwrap().replace("[1.0, 2.0, 4.0]", "[1.0, 2.0, 4.0, -1.0]");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    sweep(&scenario, &out, &[]).code(1).stderr(predicate::str::contains("4 of 16 runs failed"));
    let runs = table(&out.join("runs.arrow"));
    let status = runs.column_by_name("status").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    let error = runs.column_by_name("error").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    let failed: Vec<usize> = (0..runs.num_rows()).filter(|&row| status.value(row) == "failed").collect();
    assert_eq!(failed, vec![12, 13, 14, 15]);
    assert!(error.value(12).contains("cpu_allocation_ratio"), "{}", error.value(12));
    assert!(runs.column_by_name("energy_kwh").unwrap().is_null(12));
}

#[test]
fn bad_axes_name_the_path_and_what_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("\"placement.wieght\" = [1.0, 2.0]", "unknown field `wieght`"),
        ("\"consolidation.overlaod\" = [{ kind = \"thr\", threshold = 0.8 }]", "expected one of"),
        ("\"usage.noise\" = { from = 0.5, to = 0.1, step = 0.1 }", "sweep.usage.noise"),
        ("\"usage.noise\" = { from = 0.1, to = 0.5, step = 0 }", "step must be above 0"),
        ("zip = [[\"placement\", \"oversubscription.cpu_allocation_ratio\"]]", "as many values"),
    ];
    for (extra, hint) in cases {
        let scenario = sweep_scenario(dir.path(), extra);
        fleetsim()
            .args(["validate", scenario.to_str().unwrap()])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(hint));
    }
    // `--set` on an axis fixes it: 3 ratios × 2 placements × 2 replications become 2 placements × 2.
    let scenario = sweep_scenario(dir.path(), "");
    fleetsim()
        .args(["validate", scenario.to_str().unwrap(), "--set", "oversubscription.cpu_allocation_ratio=8.0"])
        .assert()
        .success()
        .stdout(predicate::str::contains("runs: 4"));
    fleetsim()
        .args(["sweep", scenario.to_str().unwrap(), "--shard", "3/3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("I/N"));
}

/// Every committed scenario is valid and plans the runs its header promises (PlanetLab ones need the shared
/// data beside the checkout; without it they are skipped).
#[test]
fn committed_sweep_scenarios_plan_their_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let planetlab = root.join("../shared/data/planetlab/20110303");
    for (file, runs) in [
        ("sweep-smoke.toml", 24),
        ("oversubscription-sweep.toml", 96),
        ("consolidation-sweep.toml", 1000),
        ("chameleon-consolidation.toml", 4),
        ("migration-precopy.toml", 32),
    ] {
        if (file.contains("consolidation") || file == "migration-precopy.toml") && !planetlab.is_dir() {
            eprintln!("skipped {file}: no PlanetLab data at {}", planetlab.display());
            continue;
        }
        fleetsim()
            .args(["validate", root.join("scenarios").join(file).to_str().unwrap()])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("runs: {runs}\n")));
    }
}
