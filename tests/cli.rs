//! Command-line tests: exit codes, output files and the text of errors for bad input.

use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::{Array, RecordBatch};
use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traces").join(name)
}

fn fleetsim() -> Command {
    Command::cargo_bin("fleetsim").unwrap()
}

/// Writes a scenario replaying `trace` on two declared hosts into `dir`, with `extra` appended.
fn scenario(dir: &Path, trace: &Path, extra: &str) -> PathBuf {
    let path = dir.join("scenario.toml");
    let text = format!(
        "[trace]\ninstances = {trace:?}\n[hosts]\ntypes = [{{ name = \"kvm\", count = 2, vcpus = 48, memory_mb = 128536, disk_gb = 2000 }}]\n{extra}"
    );
    fs::write(&path, text).unwrap();
    path
}

fn read_runs(path: &Path) -> RecordBatch {
    let file = fs::File::open(path).unwrap();
    let reader = arrow_ipc::reader::FileReader::try_new(file, None).unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    assert_eq!(batches.len(), 1);
    batches.into_iter().next().unwrap()
}

fn u64_column(batch: &RecordBatch, name: &str) -> u64 {
    let column = batch.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
    column.as_any().downcast_ref::<arrow_array::UInt64Array>().unwrap().value(0)
}

#[test]
fn run_writes_runs_arrow_with_the_promised_columns() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario(dir.path(), &fixture("instances_2018.csv"), "[output]\ntimeseries = true\n");
    let out = dir.path().join("out");
    fleetsim()
        .args(["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("runs.arrow").and(predicate::str::contains("VMs arrived")));
    let runs = read_runs(&out.join("runs.arrow"));
    assert_eq!(runs.num_rows(), 1);
    for column in [
        "run_index",
        "label",
        "status",
        "seed",
        "vms_arrived",
        "vms_placed",
        "vms_rejected",
        "energy_kwh",
        "mean_active_hosts",
        "overload_time_fraction",
        "events",
        "wall_s",
        "placement.kind",
        "oversubscription.cpu_allocation_ratio",
    ] {
        assert!(runs.column_by_name(column).is_some(), "runs.arrow lacks {column}");
    }
    let arrived = u64_column(&runs, "vms_arrived");
    assert!(arrived > 0);
    assert_eq!(arrived, u64_column(&runs, "vms_placed") + u64_column(&runs, "vms_rejected"));
    assert!(runs.schema().metadata().contains_key("scenario_hash"));
    let names: Vec<&String> = runs.schema_ref().fields().iter().map(|field| field.name()).collect();
    let unique: std::collections::HashSet<&&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "column names are unique: {names:?}");
    assert!(names.iter().any(|name| *name == "base_seed"));
    assert!(out.join("timeseries.arrow").exists());
}

#[test]
fn same_scenario_and_seed_give_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario(dir.path(), &fixture("instances_2018.csv"), "");
    let mut tables = Vec::new();
    for attempt in 0..2 {
        let out = dir.path().join(format!("out{attempt}"));
        fleetsim().args(["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"]).assert().success();
        let runs = read_runs(&out.join("runs.arrow"));
        let keep: Vec<usize> =
            (0..runs.num_columns()).filter(|&index| runs.schema().field(index).name() != "wall_s").collect();
        tables.push(runs.project(&keep).unwrap());
    }
    assert_eq!(tables[0], tables[1], "every column but wall_s is identical");
}

#[test]
fn unknown_scenario_field_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        scenario(dir.path(), &fixture("instances_2018.csv"), "[placement]\nkind = \"first_fit\"\nspread = true\n");
    fleetsim()
        .args(["validate", scenario.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error:"))
        .stderr(predicate::str::contains("scenario.toml"))
        .stderr(predicate::str::contains("line"))
        .stderr(predicate::str::contains("spread"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn bad_override_names_the_field_and_accepted_values() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario(dir.path(), &fixture("instances_2018.csv"), "");
    fleetsim()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--set",
            "placement.kind=worst_fit",
            "--out",
            dir.path().to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("placement.kind").and(predicate::str::contains("best_fit")));
    fleetsim()
        .args(["validate", scenario.to_str().unwrap(), "--set", "oversubscription.cpu_allocation_ratio=-2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cpu_allocation_ratio must be a positive number"));
}

#[test]
fn missing_trace_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario(dir.path(), Path::new("no-such-trace.csv"), "");
    fleetsim()
        .args(["run", scenario.to_str().unwrap(), "--out", dir.path().join("out").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-trace.csv"));
}

#[test]
fn malformed_trace_row_is_an_error_or_a_counted_skip_with_lenient() {
    let dir = tempfile::tempdir().unwrap();
    let original = fs::read_to_string(fixture("instances_2018.csv")).unwrap();
    // Line 3 gets a VCPUS value that is not a number.
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    let mut fields: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    fields[10] = "four".to_string();
    lines[2] = fields.join(",");
    let trace = dir.path().join("bad.csv");
    fs::write(&trace, lines.join("\n") + "\n").unwrap();
    let scenario = scenario(dir.path(), &trace, "");
    let out = dir.path().join("out");
    fleetsim().args(["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]).assert().code(2).stderr(
        predicate::str::contains("bad.csv")
            .and(predicate::str::contains("line 3"))
            .and(predicate::str::contains("VCPUS")),
    );
    fleetsim()
        .args(["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap(), "--lenient"])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 malformed rows skipped"));
}

#[test]
fn unwritable_output_fails_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario(dir.path(), &fixture("instances_2018.csv"), "");
    let blocker = dir.path().join("file");
    fs::write(&blocker, "not a directory").unwrap();
    fleetsim()
        .args(["run", scenario.to_str().unwrap(), "--out", blocker.join("out").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out"));
}

#[test]
fn usage_errors_exit_with_2() {
    fleetsim().args(["run", "--frobnicate"]).assert().code(2);
    fleetsim().args(["synth", "chameleon"]).assert().code(2).stderr(predicate::str::contains("--out"));
}

#[test]
fn embedded_default_runs_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    fleetsim()
        .current_dir(dir.path())
        .args(["run", "--out", "results", "--quiet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("default"));
    let runs = read_runs(&dir.path().join("results/runs.arrow"));
    let label = runs
        .column_by_name("label")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow_array::StringArray>()
        .unwrap()
        .value(0)
        .to_string();
    assert_eq!(label, "default");
    assert!(u64_column(&runs, "vms_arrived") > 1000, "the bundled trace has thousands of instances");
}

#[test]
fn synth_then_inspect_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("tiny-instances.csv");
    fleetsim()
        .args(["synth", "chameleon", "--out", trace.to_str().unwrap(), "--scale", "0.02", "--seed", "3"])
        .assert()
        .success();
    assert!(dir.path().join("tiny-machines.csv").exists());
    let tables = dir.path().join("tables.arrow");
    fleetsim()
        .args(["inspect", trace.to_str().unwrap(), "--out", tables.to_str().unwrap()])
        .args(["--machines", dir.path().join("tiny-machines.csv").to_str().unwrap()])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Flavor mix")
                .and(predicate::str::contains("m1.large"))
                .and(predicate::str::contains("Capacity"))
                .and(predicate::str::contains("2017-07-14")),
        );
    let batch = read_runs(&tables);
    assert!(batch.column_by_name("table").is_some() && batch.num_rows() > 20);
    fleetsim()
        .args(["synth", "chameleon", "--out", trace.to_str().unwrap(), "--scale=-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("scale"));
}

/// Real data beside the checkout (`../shared`), when it is there.
fn shared(path: &str) -> Option<PathBuf> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(path);
    full.exists().then_some(full)
}

#[test]
fn planetlab_demand_and_real_bare_metal_machine_events_run_end_to_end() {
    let (Some(planetlab), Some(machines)) =
        (shared("planetlab"), shared("chameleon/chi_tacc_baremetal_machine_events.csv"))
    else {
        eprintln!("../shared/data is absent: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let small = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/chameleon-small-instances.csv");
    fleetsim()
        .args(["run", "scenarios/default.toml", "--quiet", "--out", out.to_str().unwrap()])
        .args(["--set", &format!("trace.instances={:?}", small.to_str().unwrap())])
        .args(["--set", &format!("trace.machines={:?}", machines.to_str().unwrap())])
        .args(["--set", "usage.kind=planetlab", "--set", &format!("usage.dir={:?}", planetlab.to_str().unwrap())])
        // storage.medium VMs (2048 GB disk) fit no 250 GB bare-metal disk at Nova's disk ratio 1.0.
        .args(["--set", "oversubscription.disk_allocation_ratio=10.0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .assert()
        .success();
    let runs = read_runs(&out.join("runs.arrow"));
    assert_eq!(u64_column(&runs, "vms_rejected"), 0, "398 bare-metal hosts hold a 5 % trace");
    let demand = runs.column_by_name("demand_over_capacity").unwrap();
    let demand = demand.as_any().downcast_ref::<arrow_array::Float64Array>().unwrap().value(0);
    assert!(demand > 0.0, "PlanetLab demand reached the hosts");
}

#[test]
fn bitbrains_demand_runs_from_a_folder_beside_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("bitbrains");
    fs::create_dir(&traces).unwrap();
    // Two VMs' files, timestamps in seconds as in the published trace; 60 s ticks resample them.
    let header = "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tCPU usage [%];\t\
                  Memory capacity provisioned [KB];\tMemory usage [KB]\n";
    for (name, usage_mhz) in [("1.csv", 1300.0), ("2.csv", 650.0)] {
        let rows: String = (0..12)
            .map(|step| format!("{};\t1;\t2600;\t{usage_mhz};\t0;\t2097152;\t1048576\n", 1_376_314_846 + step * 300))
            .collect();
        fs::write(traces.join(name), format!("{header}{rows}")).unwrap();
    }
    let scenario = scenario(
        dir.path(),
        &fixture("instances_2018.csv"),
        "[usage]\nkind = \"bitbrains\"\ndir = \"bitbrains\"\n[simulation]\ninterval_s = 60\n",
    );
    let out = dir.path().join("out");
    fleetsim().args(["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]).assert().success();
    let runs = read_runs(&out.join("runs.arrow"));
    let demand = runs.column_by_name("demand_over_capacity").unwrap();
    let demand = demand.as_any().downcast_ref::<arrow_array::Float64Array>().unwrap().value(0);
    assert!(demand > 0.0, "Bitbrains demand reached the hosts");

    fs::remove_file(traces.join("1.csv")).unwrap();
    fs::remove_file(traces.join("2.csv")).unwrap();
    fleetsim()
        .args(["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
        .assert()
        .failure()
        .stderr(predicate::str::contains("holds no .csv files").and(predicate::str::contains("usage.dir")));
}

fn planetlab_scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/planetlab-cloudsim.toml")
}

#[test]
fn validate_lists_the_eleven_planetlab_policies() {
    if shared("data/planetlab/20110303").is_none() {
        return;
    }
    fleetsim()
        .args(["validate", planetlab_scenario().to_str().unwrap(), "--set", "workload.day=20110306"])
        .assert()
        .success()
        .stdout(predicate::str::contains("runs: 11"))
        .stdout(predicate::str::contains("NPA").and(predicate::str::contains("THR-MU-0.8")));
}

#[test]
fn bad_day_and_bad_detector_parameters_name_the_field() {
    fleetsim()
        .args(["validate", planetlab_scenario().to_str().unwrap(), "--set", "workload.day=2011"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("workload.day").and(predicate::str::contains("YYYYMMDD")));
    fleetsim()
        .args([
            "validate",
            planetlab_scenario().to_str().unwrap(),
            "--set",
            "consolidation.overload={ kind = \"mad\", s = -1.0 }",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("consolidation.overload"));
    fleetsim()
        .args([
            "validate",
            planetlab_scenario().to_str().unwrap(),
            "--set",
            "consolidation.underload={ kind = \"threshold\", threshold = 0.2 }",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("least_utilized"));
}

/// Two hours of the CloudSim experiment through the binary: every policy runs, the table has its labels and
/// days, NPA charges every host full power, and consolidation moves VMs.
#[test]
fn planetlab_experiment_runs_every_policy() {
    if shared("data/planetlab/20110303").is_none() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    fleetsim()
        .args(["run", planetlab_scenario().to_str().unwrap(), "--quiet", "--out"])
        .arg(out.path())
        .args(["--set", "workload.duration_s=7200", "--set", "workload.day=20110309"])
        .assert()
        .success();
    let batch = read_runs(&out.path().join("runs.arrow"));
    assert_eq!(batch.num_rows(), 11);
    let labels = batch.column_by_name("label").unwrap().as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
    let days = batch.column_by_name("day").unwrap().as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
    assert_eq!(labels.value(0), "NPA");
    assert_eq!(labels.value(10), "LRR-MMT-1.2");
    assert!((0..11).all(|row| days.value(row) == "20110309"));
    let energy =
        batch.column_by_name("energy_kwh").unwrap().as_any().downcast_ref::<arrow_array::Float64Array>().unwrap();
    // NPA: 400 G4 at 117 W and 400 G5 at 135 W for 2 h = 201.6 kWh.
    assert!((energy.value(0) - 201.6).abs() < 1e-6, "{}", energy.value(0));
    let migrations =
        batch.column_by_name("migrations").unwrap().as_any().downcast_ref::<arrow_array::UInt64Array>().unwrap();
    assert_eq!(migrations.value(1), 0, "DVFS never migrates");
    assert!(migrations.value(2) > 0, "THR-MMT-0.8 consolidates");
    assert!(energy.value(2) < energy.value(1), "consolidation saves energy over DVFS");
}

fn oversubscription_scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/oversubscription-chameleon.toml")
}

#[test]
fn validate_lists_every_oversubscription_strategy_by_name() {
    let assert = fleetsim().args(["validate", oversubscription_scenario().to_str().unwrap()]).assert().success();
    let output = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(output.contains("runs: 9"), "{output}");
    for label in ["static", "percentile", "doa", "greedy", "scroogevm", "nsigma", "borg", "rclike", "maxpeak"] {
        assert!(output.contains(&format!("  {label}  ")), "{label} missing from {output}");
    }
}

#[test]
fn bad_oversubscription_parameters_name_the_field_and_the_range() {
    for (set, field, hint) in [
        ("oversubscription={ kind = \"percentile\", cpu_percentile = 120 }", "cpu_percentile", "between 0 and 100"),
        ("oversubscription={ kind = \"doa\", step_down = -0.05 }", "step_down", "zero or more"),
        ("oversubscription={ kind = \"nsigma\", window = { scope_s = 600, slices = 4 } }", "window", "no samples"),
    ] {
        fleetsim()
            .args(["validate", oversubscription_scenario().to_str().unwrap(), "--set", set])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(field).and(predicate::str::contains(hint)));
    }
}

/// The default scenario under a dynamic strategy runs end to end and reports the oversubscription columns.
#[test]
fn a_dynamic_strategy_runs_and_reports_its_figures() {
    let out = tempfile::tempdir().unwrap();
    fleetsim()
        .args(["run", "--quiet", "--out", out.path().to_str().unwrap(), "--set", "oversubscription.kind=scroogevm"])
        .assert()
        .success();
    let runs = read_runs(&out.path().join("runs.arrow"));
    let real = |name: &str| {
        runs.column_by_name(name)
            .unwrap_or_else(|| panic!("no column {name}"))
            .as_any()
            .downcast_ref::<arrow_array::Float64Array>()
            .unwrap()
            .value(0)
    };
    assert!(real("oversubscription_ratio_mean") >= 1.0, "hosts start at 1:1 and never offer less than booked");
    assert!(real("oversubscription_ratio_p95") >= real("oversubscription_ratio_mean") - 1e-3);
    assert!(real("mispredictions") >= real("violations"));
    assert!(real("over_capacity_time_fraction") >= real("memory_overload_time_fraction"));
}

/// Three hosts of 6 cores, no CPU overcommit, first fit, every VM at full load, Neat's THR 0.8 consolidation:
/// the trace's first two VMs (1 and 4 vCPUs) share a host at 5 of 6 cores and one of them moves.
fn consolidating_scenario(dir: &Path, migration: &str) -> PathBuf {
    let path = dir.join("scenario.toml");
    let text = format!(
        "[trace]\ninstances = {:?}\n[hosts]\ntypes = [{{ name = \"kvm\", count = 3, vcpus = 6, memory_mb = 65536, \
         disk_gb = 2000 }}]\n[oversubscription]\nkind = \"static\"\ncpu_allocation_ratio = 1.0\n[placement]\nkind = \
         \"first_fit\"\n[usage]\nkind = \"constant\"\nfraction = 1.0\n[consolidation]\nsemantics = \"neat\"\noverload = \
         {{ kind = \"thr\", threshold = 0.8 }}\nplacement = {{ kind = \"bfd\" }}\n[migration]\n{migration}\n[output]\n\
         migrations = true\n",
        fixture("instances_2018.csv")
    );
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn migrations_arrow_has_one_row_per_ended_migration_under_both_models() {
    for (kind, model) in [("ram_over_bandwidth", "ram-over-bandwidth"), ("pre_copy", "pre-copy")] {
        let dir = tempfile::tempdir().unwrap();
        let scenario = consolidating_scenario(dir.path(), &format!("kind = \"{kind}\""));
        let out = dir.path().join("out");
        fleetsim()
            .args(["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
            .assert()
            .success()
            .stdout(predicate::str::contains("migrations.arrow"));
        let runs = read_runs(&out.join("runs.arrow"));
        let model_column = runs.column_by_name("migration_model").unwrap();
        let names = model_column.as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
        assert_eq!(names.value(0), model);
        let ended: u64 =
            ["migrations_converged", "migrations_forced", "migrations_auto_converged", "migrations_aborted"]
                .iter()
                .map(|name| u64_column(&runs, name))
                .sum();
        assert!(ended > 0, "{kind}: the scenario migrates");
        let migrations = read_runs(&out.join("migrations.arrow"));
        assert_eq!(migrations.num_rows() as u64, ended, "{kind}");
        for column in [
            "run_index",
            "vm",
            "source",
            "target",
            "requested_s",
            "start_s",
            "end_s",
            "duration_s",
            "rounds",
            "bytes",
            "downtime_ms",
            "outcome",
        ] {
            assert!(migrations.column_by_name(column).is_some(), "migrations.arrow lacks {column}");
        }
        let bytes = migrations.column_by_name("bytes").unwrap();
        let bytes = bytes.as_any().downcast_ref::<arrow_array::UInt64Array>().unwrap();
        assert_eq!(bytes.values().iter().sum::<u64>(), u64_column(&runs, "migration_bytes"), "{kind}");
    }
}

#[test]
fn bad_migration_parameters_name_the_field_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = consolidating_scenario(dir.path(), "kind = \"pre_copy\"");
    let validate = |set: &str| fleetsim().args(["validate", scenario.to_str().unwrap(), "--set", set]).assert().code(2);
    validate("migration.bandwidth_mbit_s=-100")
        .stderr(predicate::str::contains("migration.bandwidth_mbit_s must be a positive number"));
    validate("migration.on_non_convergence=retry").stderr(
        predicate::str::contains("unknown variant `retry`")
            .and(predicate::str::contains("`force`, `abort`, `auto_converge`")),
    );
    validate("migration.max_rounds=0").stderr(predicate::str::contains("migration.max_rounds must be between 1"));
    validate("migration.cpu_throttle_initial=20")
        .stderr(predicate::str::contains("migration.cpu_throttle_initial").and(predicate::str::contains("0.2")));
    validate("migration.max_downtime=300").stderr(predicate::str::contains("max_downtime_ms"));
    // A pre-copy field on the CloudSim model is an error too, not silently ignored.
    validate("migration={ kind = \"ram_over_bandwidth\", max_rounds = 30 }")
        .stderr(predicate::str::contains("unknown field `max_rounds`"));
}
