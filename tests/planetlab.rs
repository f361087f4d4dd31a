//! The CloudSim PlanetLab experiment end to end: every policy of `scenarios/planetlab-cloudsim.toml` on all ten
//! PlanetLab days, run on one thread and on two, must give byte-identical result tables (every column but the
//! wall-clock time). Debug builds are slow, so the days are cut to their first hour (13 ticks: MAD and IQR leave
//! their 12-value fallback at the last one; hundreds of migrations per run); the full-day table in
//! `docs/validation.md` comes from the release binary, and `docs/validation.md` gives the command that checks
//! it across thread counts.

use std::path::Path;

use fleetsim::output::runs_table::{runs_batch, RunRecord};
use fleetsim::scenario::Scenario;

const DAYS: [&str; 10] = [
    "20110303", "20110306", "20110309", "20110322", "20110325", "20110403", "20110409", "20110411", "20110412",
    "20110420",
];

fn planetlab_dir() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/planetlab");
    dir.is_dir().then_some(dir)
}

/// Every policy on every day, on `threads` worker threads; the runs table as Arrow IPC bytes, without `wall_s`.
fn table_bytes(threads: usize) -> Vec<u8> {
    let scenario_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/planetlab-cloudsim.toml");
    let mut scenarios = Vec::new();
    for day in DAYS {
        let overrides = vec![format!("workload.day={day}"), "workload.duration_s=3600".to_string()];
        scenarios.extend(Scenario::load_runs(&scenario_path, &overrides).unwrap());
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let results = pool.install(|| fleetsim::runner::run_all(&scenarios, true, &|_| {}).unwrap());
    let records: Vec<RunRecord> = results.into_iter().map(|(record, _)| record).collect();
    assert!(records.iter().all(|record| record.error.is_none()), "a run failed");
    let batch = runs_batch(&records, Default::default()).unwrap();
    let wall = batch.schema().index_of("wall_s").unwrap();
    let mut batch = batch;
    batch.remove_column(wall);
    let mut bytes = Vec::new();
    let mut writer = arrow_ipc::writer::FileWriter::try_new(&mut bytes, &batch.schema()).unwrap();
    writer.write(&batch).unwrap();
    writer.finish().unwrap();
    drop(writer);
    bytes
}

#[test]
fn ten_day_table_is_identical_on_one_and_two_threads() {
    if planetlab_dir().is_none() {
        eprintln!("../shared/data/planetlab is absent: skipped");
        return;
    }
    let one = table_bytes(1);
    let two = table_bytes(2);
    assert!(one.len() > 10_000, "the table holds 110 runs");
    assert!(one == two, "the runs table differs between 1 and 2 threads");
}
