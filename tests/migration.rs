//! The two migration models end to end: `scenarios/migration-precopy.toml` (CloudSim's PlanetLab policies under
//! RAM over bandwidth and three pre-copy settings) on the first half hour of a day. Its RAM-over-bandwidth rows must
//! be exactly `scenarios/planetlab-cloudsim.toml`'s (the old model is unchanged); its pre-copy rows must show the
//! new model at work. Needs the PlanetLab data in `../shared/data/planetlab` (skipped without it).

use std::path::Path;

use arrow_array::{Array, Float64Array, RecordBatch, StringArray, UInt64Array};
use fleetsim::output::runs_table::{runs_batch, RunRecord};
use fleetsim::scenario::Scenario;

fn planetlab_day() -> bool {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/planetlab/20110303").is_dir()
}

/// Runs every run of `scenario` (a file under scenarios/) on the first half hour of day 20110303.
fn first_half_hour(scenario: &str) -> RecordBatch {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(scenario);
    let overrides = ["workload.day=20110303".to_string(), "workload.duration_s=1800".to_string()];
    let scenarios = Scenario::load_runs(&path, &overrides).unwrap();
    let results = fleetsim::runner::run_all(&scenarios, true, &|_| {}).unwrap();
    let records: Vec<RunRecord> = results.into_iter().map(|(record, _)| record).collect();
    assert!(records.iter().all(|record| record.error.is_none()), "a run failed");
    runs_batch(&records, Default::default()).unwrap()
}

fn text(batch: &RecordBatch, column: &str) -> Vec<String> {
    let array = batch.column_by_name(column).unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    (0..array.len()).map(|row| array.value(row).to_string()).collect()
}

fn reals(batch: &RecordBatch, column: &str) -> Vec<f64> {
    batch.column_by_name(column).unwrap().as_any().downcast_ref::<Float64Array>().unwrap().values().to_vec()
}

fn counts(batch: &RecordBatch, column: &str) -> Vec<u64> {
    batch.column_by_name(column).unwrap().as_any().downcast_ref::<UInt64Array>().unwrap().values().to_vec()
}

#[test]
fn ram_over_bandwidth_rows_are_the_cloudsim_experiments_and_pre_copy_rows_show_the_new_model() {
    if !planetlab_day() {
        eprintln!("../shared/data/planetlab is absent: skipped");
        return;
    }
    let both = first_half_hour("migration-precopy.toml");
    let cloudsim = first_half_hour("planetlab-cloudsim.toml");
    assert_eq!(both.num_rows(), 32);
    let models = text(&both, "migration_model");
    let labels = text(&both, "label");
    let cloudsim_labels = text(&cloudsim, "label");

    // Every metric of a RAM-over-bandwidth row equals the CloudSim experiment's row of the same policy (but
    // THR-RS, whose random choices follow the run's seed, itself derived from the run's index in its file).
    let metrics: Vec<String> = fleetsim::metrics::RunMetrics::default()
        .columns()
        .iter()
        .map(|(name, _)| name.to_string())
        .filter(|name| name != "wall_s")
        .collect();
    let mut compared = 0;
    for row in (0..both.num_rows()).filter(|&row| models[row] == "ram-over-bandwidth") {
        let policy = labels[row].split(' ').next().unwrap();
        if policy == "THR-RS-0.8" {
            continue;
        }
        let other = cloudsim_labels.iter().position(|label| label == policy).unwrap();
        for name in &metrics {
            let (a, b) = (both.column_by_name(name).unwrap(), cloudsim.column_by_name(name).unwrap());
            assert_eq!(a.slice(row, 1).to_data(), b.slice(other, 1).to_data(), "{policy}: {name}");
        }
        compared += 1;
    }
    assert_eq!(compared, 7);

    // Pre-copy: downtimes, never above the 300 ms budget when nothing was forced; Nova's one migration per host
    // makes some wait; CloudSim's model never pauses a VM and never waits.
    let (p99, wait) = (reals(&both, "p99_downtime_ms"), reals(&both, "mean_migration_wait_s"));
    let (forced, converged) = (counts(&both, "migrations_forced"), counts(&both, "migrations_converged"));
    let limits = both.column_by_name("migration.max_concurrent_per_host").unwrap();
    let limit = limits.as_any().downcast_ref::<arrow_array::Int64Array>().unwrap();
    for row in 0..both.num_rows() {
        match models[row].as_str() {
            "ram-over-bandwidth" => assert_eq!((p99[row], wait[row]), (0.0, 0.0), "{}", labels[row]),
            "pre-copy" => {
                assert!(converged[row] > 0 && p99[row] > 0.0, "{}", labels[row]);
                if forced[row] == 0 {
                    assert!(p99[row] <= 300.0, "{}: {}", labels[row], p99[row]);
                }
                assert_eq!(wait[row] > 0.0, limit.value(row) == 1, "{}: {}", labels[row], wait[row]);
            }
            other => panic!("unexpected migration_model {other}"),
        }
    }
}
