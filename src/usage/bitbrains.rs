//! Bitbrains (GWA-T-12) per-VM files as CPU and memory demand.
//!
//! The trace is one CSV file per VM, `;` then a tab between fields, a header naming the columns and one row
//! per sample (every 300 s). Demand at a sample: CPU = `CPU usage [MHZ]` / `CPU capacity provisioned [MHZ]`
//! (`CPU usage [%]` / 100 when the capacity is 0), memory = `Memory usage [KB]` / `Memory capacity provisioned
//! [KB]` (0 when the capacity is 0), both clamped to [0, 1].
//!
//! The header says `Timestamp [ms]` but the published files hold Unix seconds (1376314846 is 2013-08-12), so the
//! unit is read from the values, per file: below 10¹¹ they are seconds (10¹¹ s is the year 5138), otherwise
//! milliseconds (10¹¹ ms is 1973), and every row of a file must agree.
//!
//! Each file is resampled to the run's monitoring interval by time: grid point k is the file's first timestamp
//! plus k intervals, and its demand is that of the last sample at or before it, so gaps hold the last value and
//! any interval works. Files are read in sorted name order, and only `*.csv` ones (the folder may hold a README).
//! A VM is bound to file `fnv1a(instance uuid) mod n` and enters it at grid point `(fnv1a >> 32) mod length`,
//! so VMs sharing a file (a folder may hold a single one) do not move in step; the series is cycled over lives
//! longer than it. Wall-clock dates are not aligned with the trace's: only the shape of the series is used.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fleet::VmId;
use crate::usage::planetlab::stable_hash;
use crate::usage::Demand;

pub fn default_dir() -> PathBuf {
    PathBuf::from("../../shared/data/bitbrains")
}

/// How VMs are bound to files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    /// File `fnv1a(instance uuid) mod n`, entered at an offset from the same hash, cycled.
    #[default]
    Hash,
}

/// Columns read, as the GWA-T-12 header names them (matched ignoring case and surrounding blanks).
const TIMESTAMP: &str = "Timestamp [ms]";
const CPU_CORES: &str = "CPU cores";
const CPU_CAPACITY: &str = "CPU capacity provisioned [MHZ]";
const CPU_USAGE_MHZ: &str = "CPU usage [MHZ]";
const CPU_USAGE_PERCENT: &str = "CPU usage [%]";
const MEMORY_CAPACITY: &str = "Memory capacity provisioned [KB]";
const MEMORY_USAGE: &str = "Memory usage [KB]";

/// Timestamps at or above this are milliseconds, below it seconds.
const MILLISECONDS_FROM: f64 = 1e11;

/// Grid points one file may resample to: a guard against a stray timestamp years away (or a tiny interval)
/// asking for gigabytes.
const MAX_GRID_POINTS: u64 = 10_000_000;

/// The unit a file's timestamps are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampUnit {
    Seconds,
    Milliseconds,
}

impl TimestampUnit {
    /// The unit a timestamp value is in: below 10¹¹ seconds, otherwise milliseconds.
    pub fn of(value: f64) -> TimestampUnit {
        if value < MILLISECONDS_FROM {
            TimestampUnit::Seconds
        } else {
            TimestampUnit::Milliseconds
        }
    }

    fn to_ms(self, value: f64) -> i64 {
        match self {
            TimestampUnit::Seconds => (value * 1000.0).round() as i64,
            TimestampUnit::Milliseconds => value.round() as i64,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TimestampUnit::Seconds => "seconds",
            TimestampUnit::Milliseconds => "milliseconds",
        }
    }
}

/// One row of a file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Unix time in milliseconds, whatever unit the file wrote.
    pub time_ms: i64,
    /// `CPU cores`, when the file has that column.
    pub cpu_cores: Option<f64>,
    pub cpu_capacity_mhz: f64,
    pub memory_capacity_kb: f64,
    pub demand: Demand,
}

/// One file as read, before resampling.
#[derive(Clone, Debug)]
pub struct BitbrainsFile {
    pub unit: TimestampUnit,
    pub samples: Vec<Sample>,
}

/// Column positions in a file's header.
struct Columns {
    timestamp: usize,
    cpu_cores: Option<usize>,
    cpu_capacity: usize,
    cpu_usage_mhz: usize,
    cpu_usage_percent: usize,
    memory_capacity: usize,
    memory_usage: usize,
}

impl Columns {
    fn find(path: &Path, header: &csv::StringRecord) -> Result<Columns, String> {
        // A byte-order mark (files saved by spreadsheet tools) would otherwise hide the first column's name.
        let position = |name: &str| {
            header.iter().position(|field| field.trim_start_matches('\u{feff}').trim().eq_ignore_ascii_case(name))
        };
        let required = |name: &str| {
            position(name).ok_or_else(|| {
                format!(
                    "{}, line 1: the header has no column {name:?}; a Bitbrains GWA-T-12 file's header names \
                     {TIMESTAMP:?}, {CPU_CAPACITY:?}, {CPU_USAGE_MHZ:?}, {CPU_USAGE_PERCENT:?}, {MEMORY_CAPACITY:?} \
                     and {MEMORY_USAGE:?}, separated by \";\" (found: {:?})",
                    path.display(),
                    header.iter().collect::<Vec<_>>()
                )
            })
        };
        Ok(Columns {
            timestamp: required(TIMESTAMP)?,
            cpu_cores: position(CPU_CORES),
            cpu_capacity: required(CPU_CAPACITY)?,
            cpu_usage_mhz: required(CPU_USAGE_MHZ)?,
            cpu_usage_percent: required(CPU_USAGE_PERCENT)?,
            memory_capacity: required(MEMORY_CAPACITY)?,
            memory_usage: required(MEMORY_USAGE)?,
        })
    }
}

/// Reads one GWA-T-12 file. Errors name the file, the line, the field and the fix.
pub fn read_file(path: &Path) -> Result<BitbrainsFile, String> {
    let file = std::fs::File::open(path).map_err(|error| format!("{}: cannot read: {error}", path.display()))?;
    read_from(path, std::io::BufReader::new(file))
}

/// [`read_file`] on bytes already in memory; `path` names them in messages.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<BitbrainsFile, String> {
    read_from(path, bytes)
}

fn read_from(path: &Path, input: impl std::io::Read) -> Result<BitbrainsFile, String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .trim(csv::Trim::All)
        // Row lengths are checked below, with a message that names the missing field.
        .flexible(true)
        .from_reader(input);
    let csv_error = |error: csv::Error| {
        let line = error.position().map_or(String::new(), |position| format!(", line {}", position.line()));
        format!("{}{line}: {error}; a Bitbrains file is UTF-8 text with \";\"-separated fields", path.display())
    };
    let header = reader.headers().map_err(csv_error)?.clone();
    if header.iter().all(str::is_empty) {
        return Err(format!(
            "{}: the file is empty; a Bitbrains GWA-T-12 file starts with its header ({TIMESTAMP}; CPU cores; ...) \
             and holds one row per sample",
            path.display()
        ));
    }
    let columns = Columns::find(path, &header)?;
    let mut unit = None;
    let mut samples: Vec<Sample> = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |position| position.line());
        let field = |index: usize, name: &str| -> Result<f64, String> {
            let text = record.get(index).ok_or_else(|| {
                format!(
                    "{}, line {line}, field {name:?}: missing, the row has {} fields and the header {}; complete or \
                     remove the row",
                    path.display(),
                    record.len(),
                    header.len()
                )
            })?;
            match text.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(value),
                _ => Err(format!(
                    "{}, line {line}, field {name:?}: {text:?} is not a number; each field holds a decimal number \
                     (fix or remove the row)",
                    path.display()
                )),
            }
        };
        let timestamp = field(columns.timestamp, TIMESTAMP)?;
        if timestamp < 0.0 {
            return Err(format!(
                "{}, line {line}, field {TIMESTAMP:?}: {timestamp} is negative; timestamps are Unix times (seconds or \
                 milliseconds)",
                path.display()
            ));
        }
        let row_unit = TimestampUnit::of(timestamp);
        let file_unit = *unit.get_or_insert(row_unit);
        if row_unit != file_unit {
            return Err(format!(
                "{}, line {line}, field {TIMESTAMP:?}: {timestamp} is in {} but the file's first timestamp is in {}; \
                 write every timestamp of a file in one unit",
                path.display(),
                row_unit.name(),
                file_unit.name()
            ));
        }
        let time_ms = file_unit.to_ms(timestamp);
        if let Some(previous) = samples.last() {
            if time_ms < previous.time_ms {
                return Err(format!(
                    "{}, line {line}, field {TIMESTAMP:?}: {timestamp} is before the previous row's; sort the rows by \
                     time",
                    path.display()
                ));
            }
        }
        let cpu_capacity_mhz = field(columns.cpu_capacity, CPU_CAPACITY)?;
        let cpu_usage_mhz = field(columns.cpu_usage_mhz, CPU_USAGE_MHZ)?;
        let cpu_usage_percent = field(columns.cpu_usage_percent, CPU_USAGE_PERCENT)?;
        let memory_capacity_kb = field(columns.memory_capacity, MEMORY_CAPACITY)?;
        let memory_usage_kb = field(columns.memory_usage, MEMORY_USAGE)?;
        let cpu_cores = columns.cpu_cores.map(|index| field(index, CPU_CORES)).transpose()?;
        // Some rows give no provisioned capacity; their percentage is then the only measure of CPU.
        let cpu = if cpu_capacity_mhz > 0.0 { cpu_usage_mhz / cpu_capacity_mhz } else { cpu_usage_percent / 100.0 };
        let memory = if memory_capacity_kb > 0.0 { memory_usage_kb / memory_capacity_kb } else { 0.0 };
        samples.push(Sample {
            time_ms,
            cpu_cores,
            cpu_capacity_mhz,
            memory_capacity_kb,
            demand: Demand { cpu: cpu.clamp(0.0, 1.0), memory: memory.clamp(0.0, 1.0) },
        });
    }
    let Some(unit) = unit else {
        return Err(format!(
            "{}: no samples after the header; a Bitbrains file holds one row per sample (every 300 s)",
            path.display()
        ));
    };
    Ok(BitbrainsFile { unit, samples })
}

/// `samples` (in time order) on a grid of `interval_ms` steps from the first: each point takes the last sample
/// at or before it.
pub fn resample(samples: &[Sample], interval_ms: i64) -> Vec<Demand> {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else { return Vec::new() };
    let points = (last.time_ms - first.time_ms) / interval_ms + 1;
    let mut values = Vec::with_capacity(points as usize);
    let mut current = 0;
    for point in 0..points {
        let time = first.time_ms + point * interval_ms;
        while current + 1 < samples.len() && samples[current + 1].time_ms <= time {
            current += 1;
        }
        values.push(samples[current].demand);
    }
    values
}

/// Every file of a folder, resampled to one monitoring interval.
#[derive(Debug)]
pub struct BitbrainsSeries {
    pub names: Vec<String>,
    /// The interval the series are sampled at.
    pub interval_s: u64,
    pub series: Vec<Vec<Demand>>,
}

impl BitbrainsSeries {
    /// Reads every `*.csv` file of `dir` (in parallel, errors reported for the first bad file in name order) and
    /// resamples it to `interval_s`.
    pub fn load(dir: &Path, interval_s: u64) -> Result<BitbrainsSeries, String> {
        use rayon::prelude::*;
        let entries = std::fs::read_dir(dir).map_err(|error| {
            format!(
                "cannot read the Bitbrains folder {}: {error}; set usage.dir to a folder of GWA-T-12 per-VM files \
                 (e.g. ../shared/data/bitbrains)",
                dir.display()
            )
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.is_file() && path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("csv"))
            })
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(format!(
                "the Bitbrains folder {} holds no .csv files; set usage.dir to a folder of GWA-T-12 per-VM files \
                 (one <vm>.csv per VM, e.g. ../shared/data/bitbrains)",
                dir.display()
            ));
        }
        let read: Vec<Result<Vec<Demand>, String>> =
            paths.par_iter().map(|path| read_file(path).and_then(|file| grid(path, &file, interval_s))).collect();
        let mut series = Vec::with_capacity(paths.len());
        for values in read {
            series.push(values?);
        }
        let names = paths
            .iter()
            .map(|path| path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default());
        Ok(BitbrainsSeries { names: names.collect(), interval_s, series })
    }
}

/// A file's samples resampled to `interval_s`, refusing grids too long to hold.
fn grid(path: &Path, file: &BitbrainsFile, interval_s: u64) -> Result<Vec<Demand>, String> {
    let interval_ms = interval_s.max(1) as i64 * 1000;
    let (first, last) = (file.samples[0].time_ms, file.samples[file.samples.len() - 1].time_ms);
    let points = ((last - first) / interval_ms) as u64 + 1;
    if points > MAX_GRID_POINTS {
        return Err(format!(
            "{}: its samples span {} days, {points} points at simulation.interval_s = {interval_s}, more than the \
             {MAX_GRID_POINTS} a file may give; check the file's timestamps or use a longer interval",
            path.display(),
            (last - first) / 86_400_000
        ));
    }
    Ok(resample(&file.samples, interval_ms))
}

pub struct BitbrainsDemand {
    series: Arc<BitbrainsSeries>,
    /// Per VM: (bound file, grid point it entered at, tick at which it first started).
    bindings: Vec<Option<(u32, u32, u64)>>,
}

impl BitbrainsDemand {
    pub fn new(vm_count: usize, series: Arc<BitbrainsSeries>) -> BitbrainsDemand {
        BitbrainsDemand { series, bindings: vec![None; vm_count] }
    }

    /// The file and grid offset an instance is bound to.
    pub fn binding_of(&self, instance_uuid: &str) -> (u32, u32) {
        let hash = stable_hash(instance_uuid);
        let file = hash % self.series.series.len() as u64;
        // The high half of the hash, so the offset does not follow the file index.
        let offset = (hash >> 32) % self.series.series[file as usize].len() as u64;
        (file as u32, offset as u32)
    }

    pub fn start(&mut self, vm: VmId, instance_uuid: &str, tick: u64) -> Demand {
        let (file, offset) = self.binding_of(instance_uuid);
        let binding = *self.bindings[vm as usize].get_or_insert((file, offset, tick));
        self.value(binding, tick)
    }

    pub fn sample(&mut self, vm: VmId, tick: u64) -> Demand {
        match self.bindings[vm as usize] {
            Some(binding) => self.value(binding, tick),
            None => Demand { cpu: 0.0, memory: 0.0 },
        }
    }

    fn value(&self, (file, offset, start): (u32, u32, u64), tick: u64) -> Demand {
        let values = &self.series.series[file as usize];
        let step = tick.saturating_sub(start) as usize;
        values[(offset as usize + step) % values.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tCPU usage [%];\t\
                          Memory capacity provisioned [KB];\tMemory usage [KB];\tDisk read throughput [KB/s]\n";

    fn write(dir: &Path, name: &str, rows: &[&str]) -> PathBuf {
        let path = dir.join(name);
        let mut text = HEADER.to_string();
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    fn sample(time_s: i64, cpu: f64) -> Sample {
        Sample {
            time_ms: time_s * 1000,
            cpu_cores: None,
            cpu_capacity_mhz: 1.0,
            memory_capacity_kb: 1.0,
            demand: Demand { cpu, memory: 1.0 - cpu },
        }
    }

    fn cpu(values: &[Demand]) -> Vec<f64> {
        values.iter().map(|demand| demand.cpu).collect()
    }

    #[test]
    fn timestamp_unit_from_the_value() {
        assert_eq!(TimestampUnit::of(1_376_314_846.0), TimestampUnit::Seconds);
        assert_eq!(TimestampUnit::of(1_376_314_846_000.0), TimestampUnit::Milliseconds);
        assert_eq!(TimestampUnit::of(99_999_999_999.0), TimestampUnit::Seconds);
        assert_eq!(TimestampUnit::of(100_000_000_000.0), TimestampUnit::Milliseconds);
    }

    #[test]
    fn seconds_and_milliseconds_files_read_alike() {
        let dir = tempfile::tempdir().unwrap();
        let seconds = write(
            dir.path(),
            "s.csv",
            &[
                "1376314846;\t1;\t2600;\t1300;\t50;\t2097152;\t1048576;\t0",
                "1376315146;\t1;\t2600;\t650;\t25;\t1000;\t10;\t0",
            ],
        );
        let milliseconds = write(
            dir.path(),
            "ms.csv",
            &[
                "1376314846000;\t1;\t2600;\t1300;\t50;\t2097152;\t1048576;\t0",
                "1376315146000;\t1;\t2600;\t650;\t25;\t1000;\t10;\t0",
            ],
        );
        let (seconds, milliseconds) = (read_file(&seconds).unwrap(), read_file(&milliseconds).unwrap());
        assert_eq!(seconds.unit, TimestampUnit::Seconds);
        assert_eq!(milliseconds.unit, TimestampUnit::Milliseconds);
        assert_eq!(seconds.samples, milliseconds.samples);
        assert_eq!(seconds.samples[0].time_ms, 1_376_314_846_000);
        assert_eq!(seconds.samples[0].cpu_cores, Some(1.0));
        assert_eq!(seconds.samples[0].demand, Demand { cpu: 0.5, memory: 0.5 });
        assert_eq!(seconds.samples[1].demand, Demand { cpu: 0.25, memory: 0.01 });
    }

    #[test]
    fn fractions_fall_back_and_clamp() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "vm.csv",
            &[
                // No CPU capacity: the percentage; no memory capacity: no memory demand.
                "0;\t1;\t0;\t0;\t40;\t0;\t5;\t0",
                // Usage above capacity (turbo, accounting): clamped to 1; negative usage to 0.
                "300;\t1;\t2600;\t3000;\t115;\t1000;\t-5;\t0",
            ],
        );
        let samples = read_file(&path).unwrap().samples;
        assert_eq!(samples[0].demand, Demand { cpu: 0.4, memory: 0.0 });
        assert_eq!(samples[1].demand, Demand { cpu: 1.0, memory: 0.0 });
    }

    #[test]
    fn resampling_holds_the_last_sample_through_gaps() {
        // Samples at 0, 300, 1200 (900 s missing), 1500 seconds.
        let samples = [sample(0, 0.1), sample(300, 0.2), sample(1200, 0.3), sample(1500, 0.4)];
        assert_eq!(cpu(&resample(&samples, 300_000)), vec![0.1, 0.2, 0.2, 0.2, 0.3, 0.4]);
    }

    #[test]
    fn resampling_to_other_intervals_goes_by_time() {
        let samples = [sample(0, 0.1), sample(300, 0.2), sample(600, 0.3), sample(900, 0.4)];
        // 120 s: points at 0, 120, 240, 360, 480, 600, 720, 840.
        assert_eq!(cpu(&resample(&samples, 120_000)), vec![0.1, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.3]);
        // 600 s: points at 0, 600.
        assert_eq!(cpu(&resample(&samples, 600_000)), vec![0.1, 0.3]);
        // Off-grid samples: a point takes the last sample at or before it.
        let jittered = [sample(0, 0.1), sample(310, 0.2), sample(590, 0.3), sample(905, 0.4)];
        assert_eq!(cpu(&resample(&jittered, 300_000)), vec![0.1, 0.1, 0.3, 0.3]);
    }

    #[test]
    fn hash_binding_and_offset_are_stable_and_cycle() {
        let series = Arc::new(BitbrainsSeries {
            names: vec!["a.csv".into(), "b.csv".into(), "c.csv".into()],
            interval_s: 300,
            series: vec![
                (0..5).map(|step| Demand { cpu: step as f64 / 10.0, memory: 0.5 }).collect(),
                (0..7).map(|step| Demand { cpu: step as f64 / 10.0, memory: 0.6 }).collect(),
                (0..11).map(|step| Demand { cpu: step as f64 / 10.0, memory: 0.7 }).collect(),
            ],
        });
        let uuid = "467af885-e2b1-4f33-9a3c-000000000001";
        let hash = stable_hash(uuid);
        let file = (hash % 3) as usize;
        let length = series.series[file].len() as u64;
        let offset = ((hash >> 32) % length) as usize;
        let mut demand = BitbrainsDemand::new(2, series.clone());
        assert_eq!(demand.binding_of(uuid), (file as u32, offset as u32));
        let values = &series.series[file];
        assert_eq!(demand.start(0, uuid, 40), values[offset]);
        assert_eq!(demand.sample(0, 41), values[(offset + 1) % values.len()]);
        assert_eq!(demand.sample(0, 40 + length), values[offset], "cycles after the series' length");
        // A restart keeps the first binding and start: the series runs on by time.
        assert_eq!(demand.start(0, uuid, 43), values[(offset + 3) % values.len()]);
        // Another run (fresh model) binds the instance to the same point.
        assert_eq!(BitbrainsDemand::new(1, series.clone()).start(0, uuid, 7), values[offset]);
        assert_eq!(demand.sample(1, 41), Demand { cpu: 0.0, memory: 0.0 }, "a VM never started has no demand");
    }

    #[test]
    fn one_file_gives_different_offsets() {
        let series = Arc::new(BitbrainsSeries {
            names: vec!["only.csv".into()],
            interval_s: 300,
            series: vec![(0..8640).map(|step| Demand { cpu: step as f64 / 8640.0, memory: 0.5 }).collect()],
        });
        let demand = BitbrainsDemand::new(0, series);
        let offsets: std::collections::BTreeSet<u32> =
            (0..50).map(|index| demand.binding_of(&format!("vm-{index}")).1).collect();
        assert!(offsets.len() >= 45, "50 VMs on one file of 8640 points mostly start apart: {offsets:?}");
    }

    #[test]
    fn folder_reads_csv_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "2.csv", &["0;\t1;\t100;\t20;\t20;\t100;\t20;\t0"]);
        write(
            dir.path(),
            "10.csv",
            &["0;\t1;\t100;\t10;\t10;\t100;\t10;\t0", "600;\t1;\t100;\t30;\t30;\t100;\t30;\t0"],
        );
        std::fs::write(dir.path().join("SOURCE.txt"), "not a trace").unwrap();
        let loaded = BitbrainsSeries::load(dir.path(), 300).unwrap();
        assert_eq!(loaded.names, vec!["10.csv", "2.csv"]);
        assert_eq!(cpu(&loaded.series[0]), vec![0.1, 0.1, 0.3]);
        assert_eq!(cpu(&loaded.series[1]), vec![0.2]);
    }

    fn error_of(rows: &[&str]) -> (String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "vm.csv", rows);
        (read_file(&path).unwrap_err(), path.display().to_string())
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let text = format!("\u{feff}{HEADER}0;\t1;\t100;\t10;\t10;\t100;\t20;\t0\n");
        let file = parse(Path::new("bom.csv"), text.as_bytes()).unwrap();
        assert_eq!(file.samples[0].demand, Demand { cpu: 0.1, memory: 0.2 });
    }

    #[test]
    fn mixed_units_and_disorder_are_errors() {
        let (error, path) =
            error_of(&["1376314846;\t1;\t1;\t1;\t1;\t1;\t1;\t0", "1376315146000;\t1;\t1;\t1;\t1;\t1;\t1;\t0"]);
        assert!(error.starts_with(&format!("{path}, line 3, field \"Timestamp [ms]\"")), "{error}");
        assert!(error.contains("milliseconds") && error.contains("one unit"), "{error}");
        let (error, _) = error_of(&["600;\t1;\t1;\t1;\t1;\t1;\t1;\t0", "300;\t1;\t1;\t1;\t1;\t1;\t1;\t0"]);
        assert!(error.contains("line 3") && error.contains("sort the rows"), "{error}");
    }

    #[test]
    fn a_runaway_span_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "vm.csv", &["0;\t1;\t1;\t1;\t1;\t1;\t1;\t0", "90000000000;\t1;\t1;\t1;\t1;\t1;\t1;\t0"]);
        let error = BitbrainsSeries::load(dir.path(), 1).unwrap_err();
        assert!(error.contains("vm.csv") && error.contains("longer interval"), "{error}");
    }
}
