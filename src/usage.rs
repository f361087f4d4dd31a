//! CPU and memory demand: Nova traces carry none, so each VM is bound to a usage source that gives its demand,
//! as a fraction of its vCPUs and of its flavor's RAM, at every monitoring tick (`interval`, 300 s by default).
//! Demand is constant between ticks.

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
    /// deviation `noise`, clamped to [0, 1].
    Synthetic {
        #[serde(default = "synthetic::default_mean_alpha")]
        mean_alpha: f64,
        #[serde(default = "synthetic::default_mean_beta")]
        mean_beta: f64,
        #[serde(default = "synthetic::default_autocorrelation")]
        autocorrelation: f64,
        #[serde(default = "synthetic::default_noise")]
        noise: f64,
    },
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
        UsageConfig::Synthetic {
            mean_alpha: synthetic::default_mean_alpha(),
            mean_beta: synthetic::default_mean_beta(),
            autocorrelation: synthetic::default_autocorrelation(),
            noise: synthetic::default_noise(),
        }
    }
}

impl UsageConfig {
    pub fn name(&self) -> &'static str {
        match self {
            UsageConfig::Constant { .. } => "constant",
            UsageConfig::Synthetic { .. } => "synthetic",
            UsageConfig::Planetlab { .. } => "planetlab",
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
            UsageConfig::Synthetic { mean_alpha, mean_beta, autocorrelation, noise } => {
                for (name, value) in [("mean_alpha", mean_alpha), ("mean_beta", mean_beta)] {
                    if !(value.is_finite() && value > 0.0) {
                        return Err(format!("usage.{name} must be a positive number (a Beta shape), got {value}"));
                    }
                }
                if !(0.0..1.0).contains(&autocorrelation) {
                    return Err(format!("usage.autocorrelation must be in [0, 1), got {autocorrelation}"));
                }
                if !(0.0..=1.0).contains(&noise) {
                    return Err(format!("usage.noise must be between 0 and 1, got {noise}"));
                }
            }
            UsageConfig::Planetlab { ref day, .. } => {
                if day.len() != 8 || !day.bytes().all(|byte| byte.is_ascii_digit()) {
                    return Err(format!("usage.day must be a PlanetLab day as YYYYMMDD (e.g. 20110303), got {day:?}"));
                }
            }
        }
        Ok(())
    }
}

/// A run's demand generator. Enum dispatch keeps the per-tick loop free of virtual calls.
pub enum DemandModel {
    Constant(constant::ConstantDemand),
    Synthetic(synthetic::SyntheticDemand),
    PlanetLab(planetlab::PlanetLabDemand),
}

impl DemandModel {
    /// Builds the model for a run with `vm_count` VMs. `planetlab` must be the loaded series when the config
    /// asks for PlanetLab demand (the caller loads them once and shares them between runs).
    pub fn new(
        config: &UsageConfig,
        vm_count: usize,
        seed: u64,
        planetlab: Option<Arc<planetlab::PlanetLabSeries>>,
    ) -> Result<DemandModel, String> {
        Ok(match *config {
            UsageConfig::Constant { fraction, memory_fraction } => {
                DemandModel::Constant(constant::ConstantDemand { fraction, memory_fraction })
            }
            UsageConfig::Synthetic { mean_alpha, mean_beta, autocorrelation, noise } => DemandModel::Synthetic(
                synthetic::SyntheticDemand::new(vm_count, seed, mean_alpha, mean_beta, autocorrelation, noise)?,
            ),
            UsageConfig::Planetlab { binding, .. } => {
                let series = planetlab.ok_or("PlanetLab demand asked for but no PlanetLab series were loaded")?;
                DemandModel::PlanetLab(planetlab::PlanetLabDemand::new(vm_count, series, binding))
            }
        })
    }

    /// The VM starts (or resumes) running at monitoring tick `tick`; returns its demand now.
    pub fn start(&mut self, vm: VmId, instance_uuid: &str, tick: u64) -> Demand {
        match self {
            DemandModel::Constant(model) => model.demand(),
            DemandModel::Synthetic(model) => Demand { cpu: model.start(vm), memory: default_memory_fraction() },
            DemandModel::PlanetLab(model) => {
                Demand { cpu: model.start(vm, instance_uuid, tick), memory: default_memory_fraction() }
            }
        }
    }

    /// The VM's demand at monitoring tick `tick` (called once per tick while it runs).
    pub fn sample(&mut self, vm: VmId, tick: u64) -> Demand {
        match self {
            DemandModel::Constant(model) => model.demand(),
            DemandModel::Synthetic(model) => Demand { cpu: model.sample(vm), memory: default_memory_fraction() },
            DemandModel::PlanetLab(model) => Demand { cpu: model.sample(vm, tick), memory: default_memory_fraction() },
        }
    }

    /// The demand a fraction `between` (in [0, 1)) of the way from tick `tick` to the next, for sources that
    /// define one: PlanetLab series, linearly interpolated as CloudSim's `UtilizationModelPlanetLabInMemory`.
    /// `None` for the others (their demand is constant between ticks).
    pub fn interpolated(&self, vm: VmId, tick: u64, between: f64) -> Option<f64> {
        match self {
            DemandModel::PlanetLab(model) => Some(model.interpolated(vm, tick, between)),
            _ => None,
        }
    }
}
