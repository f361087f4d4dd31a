//! CPU and memory demand: Nova traces carry none, so each VM is bound to a usage source that gives its demand,
//! as a fraction of its vCPUs and of its flavor's RAM, at every monitoring tick (`interval`, 300 s by default).
//! Demand is constant between ticks.

pub mod bitbrains;
pub mod constant;
pub mod planetlab;
pub mod synthetic;

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::fleet::VmId;

/// `usage = { kind = "synthetic", ... }` in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum UsageConfig {
    /// Every running VM uses the same fraction of its vCPUs, and `memory_fraction` of its RAM.
    Constant {
        fraction: f64,
        #[serde(default = "default_memory_fraction")]
        memory_fraction: f64,
    },
    /// Seeded, temporally correlated demand: each VM draws a mean from Beta(mean_alpha, mean_beta) and moves
    /// around it as an AR(1) process with lag-one autocorrelation `autocorrelation` and stationary standard
    /// deviation `noise`, clamped to [0, 1]. Its memory does the same around a level from Beta(memory_alpha,
    /// memory_beta) with deviation `memory_noise` (see [`synthetic::default_memory_alpha`] for the defaults).
    Synthetic(synthetic::SyntheticParameters),
    /// PlanetLab CPU traces (`<dir>/<day>/`, one file per VM, 288 five-minute percentages), bound to VMs by a
    /// stable hash of the instance id and cycled over the VM's life (`binding = "hash"`), or VM i to the i-th
    /// file in name order and held at its last value (`binding = "index"`, CloudSim's PlanetLab experiment).
    Planetlab {
        /// Folder holding the day folders; relative paths are relative to the scenario file.
        #[serde(default = "planetlab::default_dir")]
        dir: PathBuf,
        #[serde(default = "planetlab::default_day", deserialize_with = "planetlab::day_from_text_or_number")]
        day: String,
        #[serde(default)]
        binding: planetlab::Binding,
        /// PlanetLab files give CPU only: every running VM uses this fraction of its RAM.
        #[serde(default = "default_memory_fraction")]
        memory_fraction: f64,
    },
    /// Bitbrains GWA-T-12 per-VM files (`<dir>/*.csv`): CPU and memory demand, resampled to the monitoring
    /// interval, each VM bound to a file and an offset in it by a stable hash of its instance id, cycled.
    Bitbrains {
        /// Folder holding the per-VM files; relative paths are relative to the scenario file.
        #[serde(default = "bitbrains::default_dir")]
        dir: PathBuf,
        #[serde(default)]
        binding: bitbrains::Binding,
    },
}

/// Sources that give no memory demand take the VM's whole flavor RAM: a guest touches its RAM over time and KVM
/// gives none of it back without ballooning.
pub fn default_memory_fraction() -> f64 {
    1.0
}

/// A VM's demand at a tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Demand {
    /// Fraction of its vCPUs' capacity.
    pub cpu: f64,
    /// Fraction of its flavor's RAM.
    pub memory: f64,
}

impl Default for UsageConfig {
    fn default() -> Self {
        UsageConfig::Synthetic(synthetic::SyntheticParameters::default())
    }
}

impl UsageConfig {
    pub fn name(&self) -> &'static str {
        match self {
            UsageConfig::Constant { .. } => "constant",
            UsageConfig::Synthetic(_) => "synthetic",
            UsageConfig::Planetlab { .. } => "planetlab",
            UsageConfig::Bitbrains { .. } => "bitbrains",
        }
    }

    /// Checks the parameters; messages name the field and the accepted range.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            UsageConfig::Constant { fraction, memory_fraction } => {
                if !(0.0..=1.0).contains(&fraction) {
                    return Err(format!("usage.fraction must be between 0 and 1, got {fraction}"));
                }
                if !(0.0..=1.0).contains(&memory_fraction) {
                    return Err(format!("usage.memory_fraction must be between 0 and 1, got {memory_fraction}"));
                }
            }
            UsageConfig::Synthetic(ref parameters) => parameters.validate()?,
            UsageConfig::Planetlab { ref day, memory_fraction, .. } => {
                if day.len() != 8 || !day.bytes().all(|byte| byte.is_ascii_digit()) {
                    return Err(format!("usage.day must be a PlanetLab day as YYYYMMDD (e.g. 20110303), got {day:?}"));
                }
                if !(0.0..=1.0).contains(&memory_fraction) {
                    return Err(format!("usage.memory_fraction must be between 0 and 1, got {memory_fraction}"));
                }
            }
            UsageConfig::Bitbrains { .. } => {}
        }
        Ok(())
    }
}

/// Series a usage source reads from disk, loaded once (`runner::load_inputs`) and shared by every run that uses
/// them.
#[derive(Clone, Debug)]
pub enum UsageSeries {
    PlanetLab(Arc<planetlab::PlanetLabSeries>),
    Bitbrains(Arc<bitbrains::BitbrainsSeries>),
}

/// A run's demand generator. Enum dispatch keeps the per-tick loop free of virtual calls.
pub enum DemandModel {
    Constant(constant::ConstantDemand),
    Synthetic(synthetic::SyntheticDemand),
    PlanetLab(planetlab::PlanetLabDemand),
    Bitbrains(bitbrains::BitbrainsDemand),
}

impl DemandModel {
    /// Builds the model for a run with `vm_count` VMs. `series` must be the loaded series when the config asks
    /// for PlanetLab or Bitbrains demand (the caller loads them once and shares them between runs).
    pub fn new(
        config: &UsageConfig,
        vm_count: usize,
        seed: u64,
        series: Option<UsageSeries>,
    ) -> Result<DemandModel, String> {
        Ok(match *config {
            UsageConfig::Constant { fraction, memory_fraction } => {
                DemandModel::Constant(constant::ConstantDemand { fraction, memory_fraction })
            }
            UsageConfig::Synthetic(ref parameters) => {
                DemandModel::Synthetic(synthetic::SyntheticDemand::new(vm_count, seed, parameters)?)
            }
            UsageConfig::Planetlab { binding, memory_fraction, .. } => {
                let Some(UsageSeries::PlanetLab(series)) = series else {
                    return Err("PlanetLab demand asked for but no PlanetLab series were loaded".to_string());
                };
                DemandModel::PlanetLab(planetlab::PlanetLabDemand::new(vm_count, series, binding, memory_fraction))
            }
            UsageConfig::Bitbrains { binding: bitbrains::Binding::Hash, .. } => {
                let Some(UsageSeries::Bitbrains(series)) = series else {
                    return Err("Bitbrains demand asked for but no Bitbrains series were loaded".to_string());
                };
                DemandModel::Bitbrains(bitbrains::BitbrainsDemand::new(vm_count, series))
            }
        })
    }

    /// The VM starts (or resumes) running at monitoring tick `tick`; returns its demand now.
    pub fn start(&mut self, vm: VmId, instance_uuid: &str, tick: u64) -> Demand {
        match self {
            DemandModel::Constant(model) => model.demand(),
            DemandModel::Synthetic(model) => model.start(vm),
            DemandModel::PlanetLab(model) => model.start(vm, instance_uuid, tick),
            DemandModel::Bitbrains(model) => model.start(vm, instance_uuid, tick),
        }
    }

    /// The VM's demand at monitoring tick `tick` (called once per tick while it runs).
    pub fn sample(&mut self, vm: VmId, tick: u64) -> Demand {
        match self {
            DemandModel::Constant(model) => model.demand(),
            DemandModel::Synthetic(model) => model.sample(vm),
            DemandModel::PlanetLab(model) => model.sample(vm, tick),
            DemandModel::Bitbrains(model) => model.sample(vm, tick),
        }
    }

    /// The demand at `time_ms` (`clock_s` in CloudSim's clock: see [`planetlab::PlanetLabDemand::at_time`])
    /// between ticks `interval_ms` apart, for sources that define one: PlanetLab series,
    /// linearly interpolated as CloudSim's `UtilizationModelPlanetLabInMemory` does. `None` for the others
    /// (their demand is constant between ticks).
    pub fn at_time(&self, vm: VmId, time_ms: i64, interval_ms: i64, clock_s: f64) -> Option<f64> {
        match self {
            DemandModel::PlanetLab(model) => Some(model.at_time(vm, time_ms, interval_ms, clock_s)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<UsageConfig, String> {
        toml::from_str::<UsageConfig>(text).map_err(|error| error.to_string())
    }

    #[test]
    fn new_fields_take_their_defaults() {
        let synthetic = config("kind = \"synthetic\"").unwrap();
        assert_eq!(synthetic, UsageConfig::default());
        let UsageConfig::Synthetic(parameters) = synthetic else { unreachable!() };
        assert_eq!((parameters.memory_alpha, parameters.memory_beta, parameters.memory_noise), (6.0, 4.0, 0.02));
        let UsageConfig::Planetlab { memory_fraction, .. } = config("kind = \"planetlab\"").unwrap() else {
            unreachable!()
        };
        assert_eq!(memory_fraction, default_memory_fraction());
        assert_eq!(
            config("kind = \"bitbrains\"").unwrap(),
            UsageConfig::Bitbrains { dir: bitbrains::default_dir(), binding: bitbrains::Binding::Hash }
        );
    }

    #[test]
    fn bad_values_name_the_field_and_range() {
        let cases = [
            ("kind = \"synthetic\"\nmemory_alpha = 0.0", "usage.memory_alpha must be a positive number"),
            ("kind = \"synthetic\"\nmemory_beta = -1.0", "usage.memory_beta must be a positive number"),
            ("kind = \"synthetic\"\nmemory_noise = 1.5", "usage.memory_noise must be between 0 and 1"),
            ("kind = \"planetlab\"\nmemory_fraction = 1.2", "usage.memory_fraction must be between 0 and 1"),
        ];
        for (text, expected) in cases {
            let error = config(text).unwrap().validate().unwrap_err();
            assert!(error.starts_with(expected), "{text}: {error}");
        }
        let error = config("kind = \"bitbrains\"\nbinding = \"index\"").unwrap_err();
        assert!(error.contains("unknown variant `index`, expected `hash`"), "{error}");
        let error = config("kind = \"bitbrains\"\nday = \"20110303\"").unwrap_err();
        assert!(error.contains("unknown field `day`, expected `dir` or `binding`"), "{error}");
    }

    #[test]
    fn sources_that_read_files_need_their_series() {
        let planetlab = config("kind = \"planetlab\"").unwrap();
        let bitbrains = config("kind = \"bitbrains\"").unwrap();
        let error = DemandModel::new(&bitbrains, 1, 1, None).err().unwrap();
        assert!(error.contains("no Bitbrains series were loaded"), "{error}");
        let wrong = UsageSeries::Bitbrains(Arc::new(bitbrains::BitbrainsSeries {
            names: vec!["1.csv".into()],
            interval_s: 300,
            series: vec![vec![Demand { cpu: 0.2, memory: 0.3 }]],
        }));
        let error = DemandModel::new(&planetlab, 1, 1, Some(wrong.clone())).err().unwrap();
        assert!(error.contains("no PlanetLab series were loaded"), "{error}");
        let mut model = DemandModel::new(&bitbrains, 1, 1, Some(wrong)).unwrap();
        assert_eq!(model.start(0, "any", 0), Demand { cpu: 0.2, memory: 0.3 });
        assert_eq!(model.at_time(0, 150_000, 300_000, 150.0), None, "Bitbrains demand is constant between ticks");
    }

    #[test]
    fn synthetic_demand_gives_memory_beside_cpu() {
        let mut model = DemandModel::new(&UsageConfig::default(), 2, 42, None).unwrap();
        let first = model.start(0, "uuid", 0);
        // The CPU value the default model gave VM 0 with seed 42 before memory demand existed.
        assert_eq!(first.cpu, 0.5604495222009207);
        assert!((0.0..=1.0).contains(&first.memory) && first.memory != default_memory_fraction());
        let later = model.sample(0, 1);
        assert_eq!(later.cpu, 0.5569164551403208);
        assert!((later.memory - first.memory).abs() < 0.1, "memory moves slowly");
    }
}
