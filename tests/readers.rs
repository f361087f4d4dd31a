//! Trace readers through the public API: golden fixtures in three formats, the real Chameleon bare-metal
//! machine-event files, the real Bitbrains per-VM sample, bad inputs (each error names file, line and field),
//! lenient mode, and a property test that no input makes a reader panic.

use fleetsim::trace::{
    machine_events, read_instance_trace, read_machine_trace, starcompactor_csv, starcompactor_jsonl, Action, Flavor,
    HostCapacity, InstanceLayout, InstanceRecord, InstanceTrace, MachineEventKind, MachineLayout, ReadOptions,
};
use std::path::{Path, PathBuf};

const STRICT: ReadOptions = ReadOptions { lenient: false };
const LENIENT: ReadOptions = ReadOptions { lenient: true };

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traces").join(name)
}

/// Records with their line numbers cleared: the same event sits on different lines in different formats.
fn records_without_lines(trace: &InstanceTrace) -> Vec<InstanceRecord> {
    trace.records.iter().map(|record| InstanceRecord { line: 0, ..record.clone() }).collect()
}

mod golden {
    use super::*;

    const SMALL: Flavor = Flavor { vcpus: 1, memory_mb: 2048, disk_gb: 20 };
    const LARGE: Flavor = Flavor { vcpus: 4, memory_mb: 8192, disk_gb: 80 };
    const MEDIUM: Flavor = Flavor { vcpus: 2, memory_mb: 4096, disk_gb: 40 };
    const TINY: Flavor = Flavor { vcpus: 1, memory_mb: 512, disk_gb: 1 };

    #[test]
    fn three_formats_give_identical_traces() {
        let csv_2018 = read_instance_trace(&fixture("instances_2018.csv"), STRICT).unwrap();
        let csv_properties = read_instance_trace(&fixture("instances_properties.csv"), STRICT).unwrap();
        let json_lines = read_instance_trace(&fixture("instances.jsonl"), STRICT).unwrap();
        assert_eq!(csv_2018.layout, Some(InstanceLayout::Csv2018));
        assert_eq!(csv_properties.layout, Some(InstanceLayout::CsvProperties));
        assert_eq!(json_lines.layout, Some(InstanceLayout::JsonLines));
        for other in [&csv_properties, &json_lines] {
            assert_eq!(other.instances, csv_2018.instances);
            assert_eq!(other.event_names, csv_2018.event_names);
            assert_eq!(records_without_lines(other), records_without_lines(&csv_2018));
            assert!(other.skipped.is_empty());
        }
        // The two CSV files have the same lines, so their records are identical outright.
        assert_eq!(csv_properties.records, csv_2018.records);
    }

    #[test]
    fn records_are_sorted_by_finish_time_stably() {
        let trace = read_instance_trace(&fixture("instances_2018.csv"), STRICT).unwrap();
        assert_eq!(trace.records.len(), 14);
        assert!(trace.records.windows(2).all(|pair| pair[0].finish_ms <= pair[1].finish_ms));
        let lines: Vec<u64> = trace.records.iter().map(|record| record.line).collect();
        // Instance D's terminate (line 13) and B's (line 14) finish at the same time: file order breaks the tie.
        assert_eq!(lines, vec![2, 3, 7, 12, 5, 6, 8, 9, 10, 11, 15, 4, 13, 14]);
        assert_eq!(trace.span_ms(), Some((trace.records[0].finish_ms, trace.records[13].finish_ms)));
    }

    #[test]
    fn field_values() {
        let trace = read_instance_trace(&fixture("instances_2018.csv"), STRICT).unwrap();
        let uuids: Vec<&str> = trace.instances.iter().map(|info| info.uuid.as_str()).collect();
        assert_eq!(
            uuids,
            vec![
                "a1b2c3d4000000000000000000000001",
                "b1b2c3d4000000000000000000000002",
                "c1b2c3d4000000000000000000000003",
                "d1b2c3d4000000000000000000000004",
                "e1b2c3d4000000000000000000000005",
            ]
        );
        let flavors: Vec<Option<Flavor>> = trace.instances.iter().map(|info| info.flavor).collect();
        assert_eq!(flavors, vec![Some(SMALL), Some(LARGE), Some(MEDIUM), None, Some(TINY)]);
        let hosts: Vec<Option<&str>> = trace.instances.iter().map(|info| info.host.as_deref()).collect();
        // B's last event names host4; C's only event (a failed build) names no host.
        assert_eq!(hosts, vec![Some("host1"), Some("host4"), None, Some("host3"), Some("host1")]);
        assert_eq!(trace.instances[3].project, "projZ");

        let first = &trace.records[0];
        assert_eq!(trace.event_name(first), "compute__do_build_and_run_instance");
        assert_eq!(first.action, Action::Create);
        assert_eq!(first.instance, 0);
        assert!(first.success);
        // 2015-09-17 18:25:06 UTC.
        assert_eq!(first.finish_ms, 1_442_514_306_000);
        assert_eq!(first.start_ms, Some(1_442_514_296_000));

        let failed_build = trace.records.iter().find(|record| record.line == 7).unwrap();
        assert!(!failed_build.success);
        assert_eq!(failed_build.instance, 2);

        let fractional = trace.records.iter().find(|record| record.line == 15).unwrap();
        assert_eq!(fractional.finish_ms % 1000, 250);

        let no_start = trace.records.iter().find(|record| record.line == 13).unwrap();
        assert_eq!(no_start.start_ms, None);
        assert_eq!(no_start.action, Action::Delete);

        let actions: Vec<Action> = trace.records.iter().map(|record| record.action).collect();
        assert_eq!(actions.iter().filter(|&&action| action == Action::Resize).count(), 4);
        assert_eq!(actions.iter().filter(|&&action| action == Action::Stop).count(), 1);
        assert_eq!(actions.iter().filter(|&&action| action == Action::Start).count(), 1);
        assert_eq!(trace.event_names.len(), 8);
    }

    #[test]
    fn machines_2018() {
        let trace = read_machine_trace(&fixture("machines_2018.csv"), STRICT).unwrap();
        assert_eq!(trace.layout, Some(MachineLayout::Csv2018));
        assert_eq!(trace.hosts, vec!["host1", "host2", "host3", "host4"]);
        let lines: Vec<u64> = trace.records.iter().map(|record| record.line).collect();
        assert_eq!(lines, vec![2, 3, 5, 9, 6, 4, 7, 8]);
        let kinds: Vec<MachineEventKind> = trace.records.iter().map(|record| record.kind).collect();
        use MachineEventKind::*;
        assert_eq!(kinds, vec![Create, Create, Create, Create, Update, Disable, Enable, Delete]);
        assert_eq!(
            trace.records[2].capacity,
            HostCapacity { vcpus: Some(40), memory_mb: Some(64156), disk_gb: Some(29689) }
        );
        assert_eq!(trace.records[2].rack.as_deref(), Some("c08"));
        assert_eq!(trace.records[4].capacity, HostCapacity { vcpus: Some(40), memory_mb: None, disk_gb: None });
    }
}

mod real_chameleon_files {
    use super::*;

    /// The real files live beside the project, never in it; a checkout without them skips these tests.
    fn real_file(name: &str) -> Option<PathBuf> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/chameleon").join(name);
        if path.exists() {
            Some(path)
        } else {
            eprintln!("skipped: {} is not present", path.display());
            None
        }
    }

    #[test]
    fn chi_tacc() {
        let Some(path) = real_file("chi_tacc_baremetal_machine_events.csv") else {
            return;
        };
        let trace = read_machine_trace(&path, STRICT).unwrap();
        assert_eq!(trace.layout, Some(MachineLayout::CsvProperties));
        assert_eq!(trace.records.len(), 2229);
        assert_eq!(trace.hosts.len(), 398);
        assert!(trace.skipped.is_empty());
        assert!(trace.records.windows(2).all(|pair| pair[0].time_ms <= pair[1].time_ms));
        // Line 2: 48 threads, 134956859392 B of RAM (= 128704 MiB), a 250059350016 B disk (= 250 GB), rack 6.
        let host = trace.hosts.iter().position(|name| name == "2d034a38690aee196f770dd1a72e56c4").unwrap() as u32;
        let create = trace.records.iter().find(|record| record.host == host && record.line == 2).unwrap();
        assert_eq!(create.kind, MachineEventKind::Create);
        assert_eq!(create.capacity, HostCapacity { vcpus: Some(48), memory_mb: Some(128_704), disk_gb: Some(250) });
        assert_eq!(create.rack.as_deref(), Some("6"));
        // Line 3: the RAM grew to 137438953472 B = 128 GiB.
        let update = trace.records.iter().find(|record| record.line == 3).unwrap();
        assert_eq!(update.kind, MachineEventKind::Update);
        assert_eq!(update.capacity.memory_mb, Some(131_072));
        // Line 8: a CREATE with only a node type and `'placement.rack': None`.
        let bare = trace.records.iter().find(|record| record.line == 8).unwrap();
        assert_eq!(bare.capacity, HostCapacity::default());
        assert_eq!(bare.rack, None);
    }

    #[test]
    fn chi_uc() {
        let Some(path) = real_file("chi_uc_baremetal_machine_events.csv") else {
            return;
        };
        let trace = read_machine_trace(&path, STRICT).unwrap();
        assert_eq!(trace.records.len(), 1367);
        assert_eq!(trace.hosts.len(), 155);
        assert!(trace.skipped.is_empty());
        let kinds =
            [MachineEventKind::Create, MachineEventKind::Update, MachineEventKind::Enable, MachineEventKind::Disable];
        assert!(trace.records.iter().all(|record| kinds.contains(&record.kind)));
        let with_vcpus = trace.records.iter().filter(|record| record.capacity.vcpus.is_some()).count();
        assert!(with_vcpus > 1000, "{with_vcpus}");
    }
}

mod bitbrains_files {
    use fleetsim::usage::bitbrains::{self, BitbrainsSeries, TimestampUnit};
    use std::path::{Path, PathBuf};

    const HEADER: &str =
        "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tCPU usage [%];\t\
                          Memory capacity provisioned [KB];\tMemory usage [KB];\tDisk read throughput [KB/s]";
    const ROW: &str =
        "1376314846;\t1;\t2599.999309;\t19.06666159933333;\t0.7333333333333333;\t2097152.0;\t110448.5;\t0.0";

    /// The real sample lives beside the project, never in it; a checkout without it skips this test.
    fn real_dir() -> Option<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bitbrains");
        if dir.join("bitbrains_gwa_t12_vm_sample.csv").exists() {
            Some(dir)
        } else {
            eprintln!("skipped: {} holds no Bitbrains sample", dir.display());
            None
        }
    }

    #[test]
    fn the_real_sample() {
        let Some(dir) = real_dir() else {
            return;
        };
        let file = bitbrains::read_file(&dir.join("bitbrains_gwa_t12_vm_sample.csv")).unwrap();
        let samples = &file.samples;
        assert_eq!(samples.len(), 8_619);
        // The header says [ms]; the values are seconds: 1376314846 = 2013-08-12 13:40:46 UTC.
        assert_eq!(file.unit, TimestampUnit::Seconds);
        assert_eq!(samples[0].time_ms, 1_376_314_846_000);
        assert_eq!(samples[samples.len() - 1].time_ms, 1_378_906_798_000); // 2013-09-11 13:39:58 UTC.
        assert!(samples.iter().all(|sample| sample.cpu_cores == Some(1.0)));
        assert!(samples.iter().all(|sample| (sample.cpu_capacity_mhz - 2600.0).abs() < 0.01));
        assert!(samples.iter().all(|sample| sample.memory_capacity_kb == 2_097_152.0)); // 2 GiB.
        let mean = |of: fn(&bitbrains::Sample) -> f64| samples.iter().map(of).sum::<f64>() / samples.len() as f64;
        // A nearly idle VM: 0.28 % of its core (at most 12.6 %) and 5.9 % of its RAM (2.3 % to 40.3 %).
        let (cpu, memory) = (mean(|sample| sample.demand.cpu), mean(|sample| sample.demand.memory));
        assert!((cpu - 0.002_799).abs() < 1e-6, "mean CPU fraction {cpu}");
        assert!((memory - 0.058_522).abs() < 1e-6, "mean memory fraction {memory}");
        let peak = samples.iter().map(|sample| sample.demand.cpu).fold(0.0, f64::max);
        assert!((peak - 0.126).abs() < 1e-9, "peak CPU fraction {peak}");

        // Mostly 300 s apart, with 21 samples missing: 8,640 grid points at 300 s, 43,200 at 60 s.
        let at_300 = BitbrainsSeries::load(&dir, 300).unwrap();
        assert_eq!(at_300.names, vec!["bitbrains_gwa_t12_vm_sample.csv"], "SOURCE.txt is not a trace");
        assert_eq!(at_300.series[0].len(), 8_640);
        assert_eq!(at_300.series[0][0], samples[0].demand);
        let at_60 = BitbrainsSeries::load(&dir, 60).unwrap();
        assert_eq!(at_60.series[0].len(), 43_200);
        let grid_mean = at_60.series[0].iter().map(|demand| demand.memory).sum::<f64>() / 43_200.0;
        assert!((grid_mean - memory).abs() < 0.001, "resampling keeps the mean memory: {grid_mean}");
    }

    /// Writes `text` as `vm.csv` in a fresh folder and reads it; returns the error and the file's path.
    fn error_of(text: &str) -> (String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vm.csv");
        std::fs::write(&path, text).unwrap();
        let error = BitbrainsSeries::load(dir.path(), 300).unwrap_err();
        (error, path.display().to_string())
    }

    #[test]
    fn missing_column() {
        let header = HEADER.replace("Memory usage [KB];\t", "");
        let (error, path) = error_of(&format!("{header}\n{ROW}\n"));
        assert!(
            error.starts_with(&format!("{path}, line 1: the header has no column \"Memory usage [KB]\"")),
            "{error}"
        );
        assert!(error.contains("found:"), "{error}");
    }

    #[test]
    fn non_numeric_value() {
        let bad = ROW.replace("19.06666159933333", "n/a");
        let (error, path) = error_of(&format!("{HEADER}\n{ROW}\n{bad}\n"));
        assert!(
            error.starts_with(&format!("{path}, line 3, field \"CPU usage [MHZ]\": \"n/a\" is not a number")),
            "{error}"
        );
        assert!(error.contains("fix or remove the row"), "{error}");
    }

    #[test]
    fn short_row() {
        let (error, path) = error_of(&format!("{HEADER}\n{ROW}\n1376315146;\t1;\t2600\n"));
        assert!(error.starts_with(&format!("{path}, line 3, field \"CPU usage [MHZ]\": missing")), "{error}");
    }

    #[test]
    fn empty_file_and_header_only() {
        let (error, path) = error_of("");
        assert!(error.starts_with(&format!("{path}: the file is empty")), "{error}");
        let (error, path) = error_of(&format!("{HEADER}\n"));
        assert!(error.starts_with(&format!("{path}: no samples after the header")), "{error}");
    }

    #[test]
    fn empty_and_unreadable_folders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("README.txt"), "no traces here").unwrap();
        let error = BitbrainsSeries::load(dir.path(), 300).unwrap_err();
        assert!(error.contains(&dir.path().display().to_string()) && error.contains("holds no .csv files"), "{error}");
        assert!(error.contains("usage.dir"), "{error}");
        let missing = dir.path().join("absent");
        let error = BitbrainsSeries::load(&missing, 300).unwrap_err();
        assert!(error.starts_with(&format!("cannot read the Bitbrains folder {}", missing.display())), "{error}");
        assert!(error.contains("set usage.dir"), "{error}");
    }

    #[test]
    fn the_first_bad_file_in_name_order_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["1.csv", "2.csv", "3.csv"] {
            let row = if name == "1.csv" { ROW.to_string() } else { ROW.replace("2097152.0", "lots") };
            std::fs::write(dir.path().join(name), format!("{HEADER}\n{row}\n")).unwrap();
        }
        let error = BitbrainsSeries::load(dir.path(), 300).unwrap_err();
        assert!(error.contains("2.csv, line 2, field \"Memory capacity provisioned [KB]\""), "{error}");
    }
}

mod bad_inputs {
    use super::*;
    use fleetsim::trace::TraceError;

    const HEADER_2018: &str = starcompactor_csv::HEADER_2018;
    const BUILD: &str = "u1,compute__do_build_and_run_instance,2015-09-17 18:24:56,66296.0,2015-09-17 18:25:06,66306.0,10.0,Success,512,1,1,vm,user,proj,host1";

    /// Writes `bytes` to a temporary file named `name` and reads it as an instance trace.
    fn read_instances(name: &str, bytes: &[u8], options: ReadOptions) -> (Result<InstanceTrace, TraceError>, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        (read_instance_trace(&path, options), path.display().to_string())
    }

    fn instance_error(bytes: &[u8]) -> String {
        let (result, path) = read_instances("bad.csv", bytes, STRICT);
        let message = result.unwrap_err().to_string();
        assert!(message.starts_with(&path), "the message names the file: {message}");
        message
    }

    fn with_rows(rows: &[&str]) -> Vec<u8> {
        let mut text = format!("{HEADER_2018}\n");
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        text.into_bytes()
    }

    #[test]
    fn empty_file() {
        assert!(instance_error(b"").contains("the file is empty"));
        assert!(instance_error(b"\n  \n").contains("the file is empty"));
        let error = machine_events::parse(Path::new("m.csv"), b"", STRICT).unwrap_err().to_string();
        assert!(error.contains("m.csv: the file is empty"), "{error}");
    }

    #[test]
    fn header_only() {
        let error = instance_error(&with_rows(&[]));
        assert!(error.contains("no events"), "{error}");
        let error = starcompactor_jsonl::parse(Path::new("i.jsonl"), b"\n", STRICT).unwrap_err().to_string();
        assert!(error.contains("no events"), "{error}");
    }

    #[test]
    fn wrong_header_lists_both_layouts() {
        let error = instance_error(b"UUID,EVENT,TIME\nu1,e,2015-09-17 18:24:56\n");
        assert!(error.contains("line 1: the header is not a StarCompactor instance-event header"), "{error}");
        assert!(error.contains("found:    UUID,EVENT,TIME"), "{error}");
        assert!(error.contains(starcompactor_csv::HEADER_2018), "{error}");
        assert!(error.contains(starcompactor_csv::HEADER_PROPERTIES), "{error}");
        let error =
            machine_events::parse(Path::new("m.csv"), b"HOST,EVENT\nh,CREATE\n", STRICT).unwrap_err().to_string();
        assert!(error.contains(machine_events::HEADER_2018) && error.contains(machine_events::HEADER_PROPERTIES));
    }

    #[test]
    fn non_numeric_vcpus() {
        let error = instance_error(&with_rows(&[BUILD, &BUILD.replace("512,1,1,", "512,1,four,")]));
        assert!(error.contains(", line 3, field VCPUS: \"four\" is not a whole number"), "{error}");
        assert!(error.contains("write the size as a whole number"), "{error}");
    }

    #[test]
    fn negative_size() {
        let error = instance_error(&with_rows(&[&BUILD.replace("512,1,1,", "-512,1,1,")]));
        assert!(error.contains(", line 2, field MEMORY_MB: size \"-512\" is negative"), "{error}");
    }

    #[test]
    fn none_sizes_are_not_an_error() {
        let (result, _) =
            read_instances("ok.csv", &with_rows(&[&BUILD.replace("512,1,1,", "None,None,None,")]), STRICT);
        let trace = result.unwrap();
        assert_eq!(trace.instances[0].flavor, None);
        // A partly known size is no flavor either.
        let (result, _) = read_instances("ok.csv", &with_rows(&[&BUILD.replace("512,1,1,", "512,,1,")]), STRICT);
        assert_eq!(result.unwrap().instances[0].flavor, None);
    }

    #[test]
    fn truncated_last_line() {
        let mut bytes = with_rows(&[BUILD]);
        bytes.extend_from_slice(b"u2,compute_stop_instance,2015-09-17 18:24:56,66296.0,2015-09-17 18:2");
        let error = instance_error(&bytes);
        assert!(error.contains(", line 3, field FINISH_SEC: the row has 5 fields but the header has 15"), "{error}");
    }

    #[test]
    fn non_utf8_bytes() {
        let mut bytes = with_rows(&[BUILD]);
        // A Latin-1 "é" (0xE9) in INSTANCE_NAME, a column the reader does not otherwise use.
        bytes.extend_from_slice(&BUILD.replace(",vm,", ",caf\u{1},").into_bytes());
        let marker = bytes.iter().position(|&byte| byte == 1).unwrap();
        bytes[marker] = 0xE9;
        let error = instance_error(&bytes);
        assert!(error.contains(", line 3, field INSTANCE_NAME: not valid UTF-8 (bad byte at offset 3)"), "{error}");
        let mut header = b"\xFF".to_vec();
        header.extend_from_slice(&with_rows(&[BUILD]));
        assert!(instance_error(&header).contains("line 1: header field 1 is not valid UTF-8"));
    }

    #[test]
    fn negative_duration() {
        let row = BUILD.replace(
            "2015-09-17 18:24:56,66296.0,2015-09-17 18:25:06",
            "2015-09-17 18:25:06,66306.0,2015-09-17 18:24:56",
        );
        let error = instance_error(&with_rows(&[&row]));
        assert!(error.contains(", line 2, field FINISH_TIME:"), "{error}");
        assert!(error.contains("\"2015-09-17 18:24:56\" is before START_TIME \"2015-09-17 18:25:06\""), "{error}");
    }

    #[test]
    fn bad_and_missing_timestamps() {
        let error = instance_error(&with_rows(&[&BUILD.replace("2015-09-17 18:25:06", "2015-13-45 18:25:06")]));
        assert!(error.contains(", line 2, field FINISH_TIME: \"2015-13-45 18:25:06\" is not a timestamp"), "{error}");
        let error = instance_error(&with_rows(&[&BUILD.replace("2015-09-17 18:25:06", "None")]));
        assert!(error.contains(", line 2, field FINISH_TIME: FINISH_TIME is empty"), "{error}");
        let error = instance_error(&with_rows(&[&BUILD.replace("2015-09-17 18:24:56", "soon")]));
        assert!(error.contains(", line 2, field START_TIME: \"soon\" is not a timestamp"), "{error}");
    }

    #[test]
    fn unknown_machine_event() {
        let text = format!("{}\n2015-09-17T00:00:00,0,h1,c07,REBOOT,48,1,1\n", machine_events::HEADER_2018);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("machines.csv");
        std::fs::write(&path, text).unwrap();
        let error = read_machine_trace(&path, STRICT).unwrap_err().to_string();
        assert!(error.starts_with(&path.display().to_string()), "{error}");
        assert!(error.contains(", line 2, field EVENT: \"REBOOT\" is not a machine event; use one of CREATE, DELETE, UPDATE, ENABLE, DISABLE"), "{error}");
    }

    #[test]
    fn lenient_mode_skips_every_bad_row() {
        let negative = BUILD.replace(
            "2015-09-17 18:24:56,66296.0,2015-09-17 18:25:06",
            "2015-09-17 18:25:06,66306.0,2015-09-17 18:24:56",
        );
        let mut bytes = with_rows(&[
            &BUILD.replace("512,1,1,", "512,1,four,"),
            &BUILD.replace("2015-09-17 18:25:06", "2015-13-45 18:25:06"),
            &negative,
            BUILD,
            &BUILD.replace("u1,", "u2,").replace("512,1,1,", "None,None,None,"),
        ]);
        bytes.extend_from_slice(b"u3,compute_\xFFstop\n");
        bytes.extend_from_slice(b"u4,compute_stop_instance,2015");
        let (result, path) = read_instances("bad.csv", &bytes, LENIENT);
        let trace = result.unwrap();
        assert_eq!(trace.records.len(), 2);
        assert_eq!(trace.instances.len(), 2, "rows that fail add no instance");
        assert_eq!(trace.instances[1].flavor, None);
        let skipped: Vec<(u64, &str)> = trace.skipped.iter().map(|row| (row.line, row.reason.as_str())).collect();
        assert_eq!(skipped.iter().map(|(line, _)| *line).collect::<Vec<_>>(), vec![2, 3, 4, 7, 8]);
        assert!(skipped.iter().all(|(_, reason)| reason.starts_with(&path)));
        assert!(skipped[0].1.contains("field VCPUS"), "{skipped:?}");
        assert!(skipped[1].1.contains("field FINISH_TIME: \"2015-13-45"), "{skipped:?}");
        assert!(skipped[2].1.contains("is before START_TIME"), "{skipped:?}");
        assert!(skipped[3].1.contains("the row has 2 fields"), "{skipped:?}");
        assert!(skipped[4].1.contains("the row has 3 fields"), "{skipped:?}");

        // The same error in strict mode is the reason given in lenient mode.
        let (strict, strict_path) = read_instances("bad.csv", &bytes, STRICT);
        assert_eq!(
            strict.unwrap_err().to_string().replace(&strict_path, "bad.csv"),
            trace.skipped[0].reason.replace(&path, "bad.csv")
        );

        let machines = format!(
            "{}\n2015-09-17T00:00:00,0,h1,CREATE,\n2015-09-17T00:00:00,0,h2,REBOOT,\nnever,0,h3,CREATE,\n2015-09-17T00:00:00,0,,CREATE,\n",
            machine_events::HEADER_PROPERTIES
        );
        let trace = machine_events::parse(Path::new("m.csv"), machines.as_bytes(), LENIENT).unwrap();
        assert_eq!(trace.records.len(), 1);
        assert_eq!(trace.hosts, vec!["h1"]);
        assert_eq!(trace.skipped.iter().map(|row| row.line).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert!(trace.skipped[2].reason.contains("field HOST_NAME (PHYSICAL): the host name is empty"));
    }
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Pieces that make rows near-valid, so that the property reaches the checks past the CSV layer.
    const PIECES: [&str; 16] = [
        "u1",
        ",",
        "compute__do_build_and_run_instance",
        "2015-09-17 18:24:56",
        "2015-09-17T18:25:06.5",
        "None",
        "Success",
        "-1",
        "4",
        "\"",
        "\"{'vcpus': 'x', 'memory_mb': 1}\"",
        "{",
        "}",
        "\u{e9}",
        "CREATE",
        "\"{'architecture.smt_size': '48', 'placement.rack': None}\"",
    ];

    fn line() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(PIECES.to_vec()), 0..40).prop_map(|pieces| pieces.concat())
    }

    fn all_readers(bytes: &[u8]) {
        for options in [STRICT, LENIENT] {
            let _ = starcompactor_csv::parse(Path::new("p.csv"), bytes, options);
            let _ = starcompactor_jsonl::parse(Path::new("p.jsonl"), bytes, options);
            let _ = machine_events::parse(Path::new("p.csv"), bytes, options);
        }
        let _ = fleetsim::usage::bitbrains::parse(Path::new("p.csv"), bytes);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            all_readers(&bytes);
        }

        #[test]
        fn arbitrary_lines_after_a_valid_header(lines in proptest::collection::vec(line(), 0..12), header in 0..4_usize) {
            let header = [
                starcompactor_csv::HEADER_2018,
                starcompactor_csv::HEADER_PROPERTIES,
                machine_events::HEADER_2018,
                machine_events::HEADER_PROPERTIES,
            ][header];
            let text = format!("{header}\n{}", lines.join("\n"));
            all_readers(text.as_bytes());
            // In lenient mode every row either becomes a record or is skipped with its line.
            if let Ok(trace) = starcompactor_csv::parse(Path::new("p.csv"), text.as_bytes(), LENIENT) {
                prop_assert!(trace.records.windows(2).all(|pair| pair[0].finish_ms <= pair[1].finish_ms));
            }
        }
    }
}

/// Reads a generated 237,000-row 2018-layout file (the size of the KVM trace) and prints the time taken. Run
/// with `cargo test --release --test readers -- --ignored --nocapture`.
#[test]
#[ignore]
fn speed_of_a_full_size_trace() {
    let mut text = format!("{}\n", starcompactor_csv::HEADER_2018);
    for row in 0..237_000_u64 {
        let instance = row / 2;
        let (event, minute) =
            if row % 2 == 0 { ("compute__do_build_and_run_instance", 0) } else { ("compute_terminate_instance", 30) };
        let hour = (instance / 60) % 24;
        let day = 1 + (instance / 1440) % 28;
        text.push_str(&format!(
            "{instance:032x},{event},2016-02-{day:02} {hour:02}:{minute:02}:00,0.0,2016-02-{day:02} {hour:02}:{minute:02}:09,0.0,9.0,Success,4096,40,2,vm-{instance},user,project-{},host-{}\n",
            instance % 300,
            instance % 97
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(&path, &text).unwrap();
    let started = std::time::Instant::now();
    let trace = read_instance_trace(&path, STRICT).unwrap();
    let elapsed = started.elapsed();
    eprintln!("{} rows, {} instances in {elapsed:?}", trace.records.len(), trace.instances.len());
    assert_eq!(trace.records.len(), 237_000);
}
