//! fleetsim against the real CloudSim 3.0.3 on PlanetLab day 20110303 (`../shared/reference/cloudsim/`, whose
//! README defines every file and column): `scenarios/planetlab-cloudsim.toml`, CloudSim's whole example set,
//! must reproduce
//! - the initial placement VM by VM (power-aware best fit for the consolidating policies, first fit for DVFS);
//! - the per-round trace of THR-MMT-0.8, LR-MMT-1.2, MAD-MMT-2.5, THR-MU-0.8, THR-MC-0.8 and DVFS: every
//!   count of every round identical (active hosts, overloaded hosts, VMs selected, migrations by reason,
//!   hosts evacuated and tried, VMs alive and removed, VMs moved twice), energy and SLA time to 1e-9;
//! - every migration of THR-MMT-0.8 and LR-MMT-1.2 (time, VM, source, target, reason);
//! - every deterministic policy's result within the tolerances (1 % energy, 2 % migrations, 5 %
//!   SLATAH, relative; CloudSim prints 2 decimals). RS draws from CloudSim's unseeded `java.util.Random`, so its
//!   rows are only reported.
//!
//! One run of the whole set, shared by the tests. Skipped, with a message, when `../shared` is absent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fleetsim::output::runs_table::RunRecord;
use fleetsim::scenario::Scenario;
use fleetsim::simulation::TimeSeries;

const POLICIES_WITH_ROUNDS: [&str; 6] =
    ["THR-MMT-0.8", "LR-MMT-1.2", "MAD-MMT-2.5", "THR-MU-0.8", "THR-MC-0.8", "DVFS"];

fn reference_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/cloudsim");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/planetlab/20110303");
    (dir.is_dir() && data.is_dir()).then_some(dir)
}

/// A reference CSV as rows of column → text.
fn read_csv(name: &str) -> Vec<HashMap<String, String>> {
    let path = reference_dir().expect("the reference is present").join(name);
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            headers.iter().zip(record.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}

struct Runs {
    records: Vec<RunRecord>,
    series: Vec<TimeSeries>,
}

impl Runs {
    fn index(&self, label: &str) -> usize {
        self.records.iter().position(|record| record.label == label).unwrap_or_else(|| panic!("no run {label}"))
    }

    fn series(&self, label: &str) -> &TimeSeries {
        &self.series[self.index(label)]
    }
}

/// Every policy of the scenario on 20110303, with rounds, migrations and VMs recorded; `None` without the data.
fn runs() -> Option<&'static Runs> {
    static RUNS: OnceLock<Option<Runs>> = OnceLock::new();
    RUNS.get_or_init(|| {
        if reference_dir().is_none() {
            eprintln!("../shared/reference/cloudsim or ../shared/data/planetlab/20110303 is absent: skipped");
            return None;
        }
        let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/planetlab-cloudsim.toml");
        let overrides: Vec<String> =
            ["workload.day=20110303", "output.rounds=true", "output.migrations=true", "output.vms=true"]
                .iter()
                .map(|text| text.to_string())
                .collect();
        let scenarios = Scenario::load_runs(&scenario, &overrides).unwrap();
        let results = fleetsim::runner::run_all(&scenarios, true, &|_| {}).unwrap();
        let (records, series): (Vec<_>, Vec<_>) =
            results.into_iter().map(|(record, series)| (record, series.expect("the runs record series"))).unzip();
        assert!(records.iter().all(|record| record.error.is_none()), "a run failed");
        Some(Runs { records, series })
    })
    .as_ref()
}

#[test]
fn the_initial_placement_is_cloudsims_vm_by_vm() {
    let Some(runs) = runs() else { return };
    for (policy, label) in [("pabfd", "THR-MMT-0.8"), ("pabfd", "LR-MMT-1.2"), ("first_fit", "DVFS")] {
        let reference: HashMap<u32, u32> = read_csv("initial-placement-20110303.csv")
            .iter()
            .filter(|row| row["policy"] == policy)
            .map(|row| (row["vm_id"].parse().unwrap(), row["host_id"].parse().unwrap()))
            .collect();
        let vms = &runs.series(label).vms;
        assert_eq!(vms.len(), reference.len(), "{label}");
        for vm in vms {
            assert_eq!(
                vm.first_host,
                Some(reference[&vm.vm]),
                "{label}: VM {} placed elsewhere than in CloudSim",
                vm.vm
            );
        }
    }
}

#[test]
fn every_round_counts_what_cloudsims_round_counts() {
    let Some(runs) = runs() else { return };
    for label in POLICIES_WITH_ROUNDS {
        let reference = read_csv(&format!("rounds-20110303-{label}.csv"));
        let rounds = &runs.series(label).rounds;
        assert_eq!(rounds.len(), reference.len(), "{label}: rounds");
        for (row, round) in reference.iter().zip(rounds) {
            let time = row["time_s"].parse::<f64>().unwrap();
            assert!((round.time_s - time).abs() < 1e-9, "{label}: round at {} against {time}", round.time_s);
            let counts = [
                ("active_hosts", round.active_hosts),
                ("overloaded_hosts", round.round.overloaded_hosts),
                ("vms_selected_overload", round.round.vms_selected_overload),
                ("migrations_overload", round.round.migrations_overload),
                ("hosts_underload_evacuated", round.round.hosts_underload_evacuated),
                ("migrations_underload", round.round.migrations_underload),
                ("hosts_with_vms", round.hosts_with_vms),
                ("vms_alive", round.vms_alive),
                ("vms_removed_zero_demand", round.vms_removed_zero_demand),
                ("hosts_underload_tried", round.round.hosts_underload_tried),
                ("vms_migrated_twice", round.round.vms_migrated_twice),
            ];
            for (column, value) in counts {
                assert_eq!(value, row[column].parse::<u32>().unwrap(), "{label} at {time} s: {column}");
            }
            let sums = [
                ("cumulative_energy_kwh", round.cumulative_energy_kwh),
                ("interval_energy_kwh", round.interval_energy_kwh),
                ("sla_time_cumulative_s", round.sla_time_cumulative_s),
                ("active_host_time_cumulative_s", round.active_host_time_cumulative_s),
            ];
            for (column, value) in sums {
                let expected = row[column].parse::<f64>().unwrap();
                assert!(
                    (value - expected).abs() <= 1e-9 * expected.abs().max(1.0),
                    "{label} at {time} s: {column} {value} against CloudSim's {expected}"
                );
            }
        }
    }
}

#[test]
fn every_migration_is_cloudsims() {
    let Some(runs) = runs() else { return };
    for label in ["THR-MMT-0.8", "LR-MMT-1.2"] {
        let key = |time: f64, vm: u32, source: u32, target: u32, reason: &str| {
            ((time * 10.0).round() as i64, vm, source, target, reason.to_string())
        };
        let mut reference: Vec<_> = read_csv(&format!("migrations-20110303-{label}.csv"))
            .iter()
            .map(|row| {
                let number = |column: &str| row[column].parse::<u32>().unwrap();
                let time = row["time_s"].parse::<f64>().unwrap();
                key(time, number("vm_id"), number("source_host"), number("target_host"), &row["reason"])
            })
            .collect();
        // fleetsim logs migrations as they end: compare them as sets of issued migrations.
        let mut ours: Vec<_> = runs
            .series(label)
            .migrations
            .iter()
            .map(|row| key(row.requested_s, row.vm, row.source, row.target, row.reason.as_str()))
            .collect();
        reference.sort();
        ours.sort();
        assert_eq!(ours.len(), reference.len(), "{label}: migrations");
        assert!(ours == reference, "{label}: the migrations differ from CloudSim's");
    }
}

#[test]
fn every_deterministic_policy_is_within_tolerance_of_cloudsim() {
    let Some(runs) = runs() else { return };
    let mut report =
        String::from("\npolicy          energy kWh (CloudSim)   migrations (CloudSim)   SLATAH % (CloudSim)\n");
    for row in read_csv("results-20110303.csv") {
        let label = match row["policy"].as_str() {
            "npa" => "NPA".to_string(),
            "dvfs" => "DVFS".to_string(),
            policy => format!("{}-{}-{}", policy.to_uppercase(), row["selection"].to_uppercase(), row["param"]),
        };
        let metrics = runs.records[runs.index(&label)].metrics.as_ref().unwrap();
        let (energy, migrations, slatah) =
            (metrics.energy_kwh, metrics.counters.migrations, metrics.sla.slatah * 100.0);
        let reference_energy: f64 = row["energy_kwh"].parse().unwrap();
        let reference_migrations: f64 = row["migrations"].parse().unwrap();
        let reference_slatah: f64 = row["slatah_pct"].parse().unwrap();
        report += &format!(
            "{label:15} {energy:8.2} ({reference_energy:8.2})   {migrations:7} ({reference_migrations:7})     {slatah:5.2} ({reference_slatah:5.2})\n"
        );
        if row["selection"] == "rs" {
            continue; // an unseeded generator in CloudSim: reported, not compared
        }
        let relative =
            |ours: f64, theirs: f64| if theirs == 0.0 { ours.abs() } else { ((ours - theirs) / theirs).abs() };
        assert!(relative(energy, reference_energy) <= 0.01, "{label}: energy {energy} against {reference_energy}");
        assert!(
            relative(migrations as f64, reference_migrations) <= 0.02,
            "{label}: {migrations} migrations against {reference_migrations}"
        );
        assert!(relative(slatah, reference_slatah) <= 0.05, "{label}: SLATAH {slatah} % against {reference_slatah} %");
        assert_eq!(metrics.sla.host_shutdowns, row["host_shutdowns"].parse::<u64>().unwrap(), "{label}: shutdowns");
    }
    eprintln!("{report}");
}
