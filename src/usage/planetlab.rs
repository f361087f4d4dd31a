//! PlanetLab CPU traces as VM demand.
//!
//! A day folder holds one file per PlanetLab VM: 288 integers, the VM's CPU utilisation in percent at 5-minute
//! steps. Files are read in sorted name order (listing order would make results depend on the file system). A
//! VM is bound to series `fnv1a(instance uuid) mod n`, so the binding is stable across runs, fleets and
//! policies, and series value `(tick - start tick) mod 288` is its demand at a tick: the trace is cycled over
//! lives longer than a day. The files give no memory: every running VM uses `memory_fraction` of its RAM.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fleet::VmId;
use crate::usage::Demand;

pub fn default_dir() -> PathBuf {
    PathBuf::from("../../shared/data/planetlab")
}

pub fn default_day() -> String {
    "20110303".to_string()
}

/// Reads a day given as text (`"20110303"`) or as a bare number (`--set workload.day=20110303`, which TOML reads
/// as an integer).
pub fn day_from_text_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Day {
        Text(String),
        Number(u64),
    }
    Ok(match <Day as serde::Deserialize>::deserialize(deserializer)? {
        Day::Text(text) => text,
        Day::Number(number) => number.to_string(),
    })
}

/// How VMs are bound to series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    /// Series `fnv1a(instance uuid) mod n`, cycled over lives longer than a day (Nova replay).
    #[default]
    Hash,
    /// VM i gets series i (name order), held at its last value past the end (CloudSim's experiment).
    Index,
}

/// All series of one day, as fractions.
#[derive(Debug)]
pub struct PlanetLabSeries {
    pub names: Vec<String>,
    pub series: Vec<Vec<f64>>,
}

impl PlanetLabSeries {
    /// Reads every file of `dir/day`. Errors name the file, the line and the fix.
    pub fn load(dir: &Path, day: &str) -> Result<PlanetLabSeries, String> {
        let folder = dir.join(day);
        let entries = std::fs::read_dir(&folder).map_err(|error| {
            format!(
                "cannot read the PlanetLab folder {}: {error}; set usage.dir to the folder holding the day folders \
                 (e.g. ../shared/data/planetlab) and usage.day to one of its days",
                folder.display()
            )
        })?;
        let mut paths: Vec<PathBuf> =
            entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).filter(|path| path.is_file()).collect();
        paths.sort();
        if paths.is_empty() {
            return Err(format!("the PlanetLab folder {} holds no files", folder.display()));
        }
        let mut names = Vec::with_capacity(paths.len());
        let mut series = Vec::with_capacity(paths.len());
        for path in paths {
            series.push(read_series(&path)?);
            names.push(path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default());
        }
        Ok(PlanetLabSeries { names, series })
    }
}

fn read_series(path: &Path) -> Result<Vec<f64>, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("{}: cannot read: {error}", path.display()))?;
    let mut values = Vec::with_capacity(288);
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let percent: f64 = line.parse().map_err(|_| {
            format!(
                "{}, line {}: {line:?} is not a CPU percentage; each line must hold one number 0..100",
                path.display(),
                index + 1
            )
        })?;
        if !(0.0..=100.0).contains(&percent) {
            return Err(format!("{}, line {}: CPU percentage {percent} is outside 0..100", path.display(), index + 1));
        }
        values.push(percent / 100.0);
    }
    if values.is_empty() {
        return Err(format!("{}: no values; a PlanetLab file holds one percentage per line", path.display()));
    }
    Ok(values)
}

/// Stable 64-bit FNV-1a hash of an instance id.
pub fn stable_hash(text: &str) -> u64 {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(text.as_bytes());
    hasher.finish()
}

pub struct PlanetLabDemand {
    series: Arc<PlanetLabSeries>,
    binding: Binding,
    memory_fraction: f64,
    /// Per VM: (bound series, tick at which it first started).
    bindings: Vec<Option<(u32, u64)>>,
}

impl PlanetLabDemand {
    pub fn new(
        vm_count: usize,
        series: Arc<PlanetLabSeries>,
        binding: Binding,
        memory_fraction: f64,
    ) -> PlanetLabDemand {
        PlanetLabDemand { series, binding, memory_fraction, bindings: vec![None; vm_count] }
    }

    pub fn start(&mut self, vm: VmId, instance_uuid: &str, tick: u64) -> Demand {
        let count = self.series.series.len() as u64;
        let series = match self.binding {
            Binding::Hash => stable_hash(instance_uuid) % count,
            Binding::Index => u64::from(vm) % count,
        };
        let binding = *self.bindings[vm as usize].get_or_insert((series as u32, tick));
        Demand { cpu: self.value(binding, tick), memory: self.memory_fraction }
    }

    pub fn sample(&mut self, vm: VmId, tick: u64) -> Demand {
        match self.bindings[vm as usize] {
            Some(binding) => Demand { cpu: self.value(binding, tick), memory: self.memory_fraction },
            None => Demand { cpu: 0.0, memory: 0.0 },
        }
    }

    /// The demand at `time_s`, as CloudSim's `UtilizationModelPlanetLabInMemory.getUtilization` computes it (its
    /// arithmetic, so that its rounding is reproduced): the sample itself at a multiple of the interval, else the
    /// two samples around it linearly interpolated.
    ///
    /// `time_ms` (whole milliseconds) places the time between samples: CloudSim's `time % interval == 0`, `floor`
    /// and `ceil` of `time / interval` are exact integer operations on it (a time that is not a whole number of
    /// intervals is at least a millisecond from one). `clock_s` is the same time as CloudSim's clock holds it
    /// (a sum of event delays in seconds, which may differ from `time_ms / 1000` in its last bit), for the
    /// interpolation's arithmetic.
    pub fn at_time(&self, vm: VmId, time_ms: i64, interval_ms: i64, clock_s: f64) -> f64 {
        let Some(binding) = self.bindings[vm as usize] else { return 0.0 };
        let tick1 = (time_ms / interval_ms) as u64;
        if time_ms % interval_ms == 0 {
            return self.value(binding, tick1);
        }
        let (time_s, interval_s) = (clock_s, interval_ms as f64 / 1000.0);
        let (value1, value2) = (self.value(binding, tick1), self.value(binding, tick1 + 1));
        // (tick2 − tick1) · interval = 1 · interval.
        let delta = (value2 - value1) / interval_s;
        value1 + delta * (time_s - tick1 as f64 * interval_s)
    }

    fn value(&self, (series, start): (u32, u64), tick: u64) -> f64 {
        let values = &self.series.series[series as usize];
        let step = tick.saturating_sub(start) as usize;
        let index = match self.binding {
            Binding::Hash => step % values.len(),
            Binding::Index => step.min(values.len() - 1),
        };
        values[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_is_stable_and_cycles() {
        let series = Arc::new(PlanetLabSeries {
            names: vec!["a".into(), "b".into()],
            series: vec![vec![0.1, 0.2, 0.3], vec![0.5, 0.6, 0.7]],
        });
        let mut demand = PlanetLabDemand::new(1, series, Binding::Hash, 0.75);
        let uuid = "467af885-0000";
        let expected_series = (stable_hash(uuid) % 2) as usize;
        let first = demand.start(0, uuid, 10);
        let values = [[0.1, 0.2, 0.3], [0.5, 0.6, 0.7]][expected_series];
        assert_eq!(first, Demand { cpu: values[0], memory: 0.75 });
        assert_eq!(demand.sample(0, 12).cpu, values[2]);
        assert_eq!(demand.sample(0, 13).cpu, values[0], "cycles after the last value");
        // FNV-1a of the empty string is its offset basis: the hash is the standard one, hence stable.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn reads_the_real_day_in_sorted_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/planetlab");
        if !dir.exists() {
            return; // ../shared is absent: nothing to read.
        }
        let day = PlanetLabSeries::load(&dir, "20110303").unwrap();
        assert_eq!(day.series.len(), 1052);
        assert!(day.names.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(day.series.iter().all(|values| values.len() == 288));
    }

    #[test]
    fn missing_folder_names_the_fix() {
        let error = PlanetLabSeries::load(Path::new("/nonexistent"), "20110303").unwrap_err();
        assert!(error.contains("/nonexistent/20110303") && error.contains("usage.dir"), "{error}");
    }
}
