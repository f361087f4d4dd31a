//! Seeded synthetic demand, temporally correlated.
//!
//! Each VM draws its long-run mean μ from Beta(α, β) (statrs) the first time it runs, then follows an AR(1)
//! process around it: x' = μ + φ·(x − μ) + σ·√(1 − φ²)·ε, ε ~ N(0, 1), clamped to [0, 1]. φ is the lag-one
//! autocorrelation between ticks and σ the stationary standard deviation. Each VM has its own PCG stream seeded
//! from (run seed, VM id), so a VM's demand does not depend on what other VMs do or on event order.
//!
//! Memory follows the same recipe with its own level (Beta(memory_alpha, memory_beta)), its own σ
//! (`memory_noise`) and the same φ, drawn from a second per-VM stream: adding memory left every CPU series
//! exactly as it was, so results from before memory demand existed still reproduce.

use rand::distr::Distribution;
use rand_pcg::Pcg64Mcg;
use statrs::distribution::{Beta, Normal};

use crate::fleet::VmId;
use crate::usage::Demand;

/// Keys XORed into a VM's (VM id, run seed) state to start its streams. The CPU key is the one CPU demand
/// has always used; the memory key differs in about half its bits, so the two streams share nothing.
const CPU_STREAM_KEY: u128 = 0x5851_f42d_4c95_7f2d_1405_7b7e_f767_814f;
const MEMORY_STREAM_KEY: u128 = 0x243f_6a88_85a3_08d3_1319_8a2e_0370_7344;

pub fn default_mean_alpha() -> f64 {
    2.0
}
pub fn default_mean_beta() -> f64 {
    5.0
}
pub fn default_autocorrelation() -> f64 {
    0.9
}
pub fn default_noise() -> f64 {
    0.1
}

/// With [`default_memory_beta`], Beta(6, 4): a mean memory level of 0.6 of the flavor's RAM, standard deviation
/// 0.15 between VMs. A guest's resident memory is its working set plus page cache, which grows over its life
/// and is not handed back to KVM without a balloon, so it sits higher than CPU demand (Beta(2, 5), mean 0.29)
/// and spreads less. This is an assumption, not a measurement: `kind = "bitbrains"` gives measured memory.
pub fn default_memory_alpha() -> f64 {
    6.0
}
pub fn default_memory_beta() -> f64 {
    4.0
}
/// Memory moves far less between ticks than CPU (allocations and frees are slow next to CPU bursts): a fifth
/// of the CPU's default stationary deviation.
pub fn default_memory_noise() -> f64 {
    0.02
}

/// The synthetic model's parameters, as in `usage = { kind = "synthetic", ... }`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticParameters {
    #[serde(default = "default_mean_alpha")]
    pub mean_alpha: f64,
    #[serde(default = "default_mean_beta")]
    pub mean_beta: f64,
    #[serde(default = "default_autocorrelation")]
    pub autocorrelation: f64,
    #[serde(default = "default_noise")]
    pub noise: f64,
    #[serde(default = "default_memory_alpha")]
    pub memory_alpha: f64,
    #[serde(default = "default_memory_beta")]
    pub memory_beta: f64,
    #[serde(default = "default_memory_noise")]
    pub memory_noise: f64,
}

impl SyntheticParameters {
    /// Checks the parameters; messages name the field and the accepted range.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("mean_alpha", self.mean_alpha),
            ("mean_beta", self.mean_beta),
            ("memory_alpha", self.memory_alpha),
            ("memory_beta", self.memory_beta),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("usage.{name} must be a positive number (a Beta shape), got {value}"));
            }
        }
        let autocorrelation = self.autocorrelation;
        if !(0.0..1.0).contains(&autocorrelation) {
            return Err(format!("usage.autocorrelation must be in [0, 1), got {autocorrelation}"));
        }
        if !(0.0..=1.0).contains(&self.noise) {
            return Err(format!("usage.noise must be between 0 and 1, got {}", self.noise));
        }
        if !(0.0..=1.0).contains(&self.memory_noise) {
            return Err(format!(
                "usage.memory_noise must be between 0 and 1 (a standard deviation of a RAM fraction), got {}",
                self.memory_noise
            ));
        }
        Ok(())
    }
}

impl Default for SyntheticParameters {
    fn default() -> Self {
        SyntheticParameters {
            mean_alpha: default_mean_alpha(),
            mean_beta: default_mean_beta(),
            autocorrelation: default_autocorrelation(),
            noise: default_noise(),
            memory_alpha: default_memory_alpha(),
            memory_beta: default_memory_beta(),
            memory_noise: default_memory_noise(),
        }
    }
}

/// One AR(1) series: its stream, its long-run level and its current value.
struct Walk {
    rng: Pcg64Mcg,
    mean: f64,
    current: f64,
}

impl Walk {
    /// Starts a walk at its level, drawn from `level` with a stream keyed by (VM, seed, key).
    fn start(vm: VmId, seed: u64, key: u128, level: &Beta) -> Walk {
        // Distinct, well-mixed stream per (seed, VM): the VM id goes into the high half of the state.
        let mut rng = Pcg64Mcg::new((u128::from(vm) << 64 | u128::from(seed)) ^ key);
        let mean = level.sample(&mut rng);
        Walk { rng, mean, current: mean }
    }

    fn step(&mut self, autocorrelation: f64, innovation: f64) -> f64 {
        let next = self.mean + autocorrelation * (self.current - self.mean) + innovation;
        self.current = next.clamp(0.0, 1.0);
        self.current
    }
}

struct VmState {
    cpu: Walk,
    memory: Walk,
}

pub struct SyntheticDemand {
    seed: u64,
    mean: Beta,
    innovation: Normal,
    memory_level: Beta,
    /// Standard deviation of memory's innovations, σ_m·√(1 − φ²); zero (a flat level) is allowed.
    memory_innovation_sd: f64,
    autocorrelation: f64,
    vms: Vec<Option<VmState>>,
}

impl SyntheticDemand {
    pub fn new(vm_count: usize, seed: u64, parameters: &SyntheticParameters) -> Result<SyntheticDemand, String> {
        let SyntheticParameters {
            mean_alpha,
            mean_beta,
            autocorrelation,
            noise,
            memory_alpha,
            memory_beta,
            memory_noise,
        } = *parameters;
        let mean = Beta::new(mean_alpha, mean_beta).map_err(|error| format!("usage.mean_alpha/mean_beta: {error}"))?;
        let innovation_sd = noise * (1.0 - autocorrelation * autocorrelation).sqrt();
        let innovation = Normal::new(0.0, innovation_sd).map_err(|error| format!("usage.noise: {error}"))?;
        let memory_level =
            Beta::new(memory_alpha, memory_beta).map_err(|error| format!("usage.memory_alpha/memory_beta: {error}"))?;
        let memory_innovation_sd = memory_noise * (1.0 - autocorrelation * autocorrelation).sqrt();
        let mut vms = Vec::new();
        vms.resize_with(vm_count, || None);
        Ok(SyntheticDemand { seed, mean, innovation, memory_level, memory_innovation_sd, autocorrelation, vms })
    }

    pub fn start(&mut self, vm: VmId) -> Demand {
        let (seed, mean, memory_level) = (self.seed, &self.mean, &self.memory_level);
        let state = self.vms[vm as usize].get_or_insert_with(|| VmState {
            cpu: Walk::start(vm, seed, CPU_STREAM_KEY, mean),
            memory: Walk::start(vm, seed, MEMORY_STREAM_KEY, memory_level),
        });
        Demand { cpu: state.cpu.current, memory: state.memory.current }
    }

    pub fn sample(&mut self, vm: VmId) -> Demand {
        let Some(state) = self.vms[vm as usize].as_mut() else {
            return self.start(vm);
        };
        let cpu_innovation = self.innovation.sample(&mut state.cpu.rng);
        let cpu = state.cpu.step(self.autocorrelation, cpu_innovation);
        let memory_innovation = self.memory_innovation_sd * Normal::standard().sample(&mut state.memory.rng);
        let memory = state.memory.step(self.autocorrelation, memory_innovation);
        Demand { cpu, memory }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(seed: u64, vm: VmId, ticks: usize) -> Vec<Demand> {
        let mut model = SyntheticDemand::new(4, seed, &SyntheticParameters::default()).unwrap();
        let mut values = vec![model.start(vm)];
        values.extend((1..ticks).map(|_| model.sample(vm)));
        values
    }

    fn cpu(values: &[Demand]) -> Vec<f64> {
        values.iter().map(|demand| demand.cpu).collect()
    }

    fn memory(values: &[Demand]) -> Vec<f64> {
        values.iter().map(|demand| demand.memory).collect()
    }

    fn lag_one_autocorrelation(values: &[f64]) -> f64 {
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let (mut lag_one, mut variance) = (0.0, 0.0);
        for pair in values.windows(2) {
            lag_one += (pair[0] - mean) * (pair[1] - mean);
            variance += (pair[0] - mean) * (pair[0] - mean);
        }
        lag_one / variance
    }

    #[test]
    fn deterministic_per_seed_and_vm() {
        assert_eq!(series(7, 1, 50), series(7, 1, 50));
        assert_ne!(cpu(&series(7, 1, 50)), cpu(&series(8, 1, 50)));
        assert_ne!(cpu(&series(7, 1, 50)), cpu(&series(7, 2, 50)));
        assert_ne!(memory(&series(7, 1, 50)), memory(&series(8, 1, 50)));
        assert_ne!(memory(&series(7, 1, 50)), memory(&series(7, 2, 50)));
    }

    /// Values printed by the model before memory demand existed (default parameters): the CPU stream must not
    /// move, or every earlier result would change.
    #[test]
    fn cpu_series_are_those_from_before_memory_demand() {
        let before: [(u64, VmId, [f64; 6]); 3] = [
            (
                7,
                1,
                [
                    0.402456226220369,
                    0.40451251794823684,
                    0.4121324374491866,
                    0.45737033084227063,
                    0.42187216383049936,
                    0.4803228192734905,
                ],
            ),
            (
                42,
                0,
                [
                    0.5604495222009207,
                    0.5569164551403208,
                    0.5520790812709312,
                    0.4914285326148856,
                    0.4601667749959842,
                    0.4662517055519626,
                ],
            ),
            (
                1,
                3,
                [
                    0.6230043451706071,
                    0.6629929341676267,
                    0.5838000926780349,
                    0.5507098712493153,
                    0.5440054118945171,
                    0.553971706277989,
                ],
            ),
        ];
        for (seed, vm, expected) in before {
            assert_eq!(cpu(&series(seed, vm, 6)), expected, "seed {seed}, VM {vm}");
        }
    }

    #[test]
    fn stays_in_range_and_is_autocorrelated() {
        let values = series(3, 0, 20_000);
        assert!(values.iter().all(|value| (0.0..=1.0).contains(&value.cpu)));
        // With φ = 0.9 the sample lag-one autocorrelation is near 0.9 (clamping pulls it down a little).
        let autocorrelation = lag_one_autocorrelation(&cpu(&values));
        assert!(autocorrelation > 0.8 && autocorrelation < 0.95, "autocorrelation {autocorrelation}");
    }

    #[test]
    fn memory_stays_in_range_near_its_level_and_is_autocorrelated() {
        let values = memory(&series(3, 0, 20_000));
        assert!(values.iter().all(|value| (0.0..=1.0).contains(value)));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let deviation = (values.iter().map(|value| (value - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
        // Stationary deviation is memory_noise = 0.02 (this VM's level is far from the bounds, so no clamping).
        assert!((deviation - 0.02).abs() < 0.004, "deviation {deviation}");
        let autocorrelation = lag_one_autocorrelation(&values);
        assert!(autocorrelation > 0.85 && autocorrelation < 0.95, "autocorrelation {autocorrelation}");
    }

    #[test]
    fn memory_levels_follow_their_beta() {
        let mut model = SyntheticDemand::new(2_000, 11, &SyntheticParameters::default()).unwrap();
        let levels: Vec<f64> = (0..2_000).map(|vm| model.start(vm).memory).collect();
        let mean = levels.iter().sum::<f64>() / levels.len() as f64;
        // Beta(6, 4) has mean 0.6 and standard deviation 0.148: 2000 draws put the sample mean within 0.01.
        assert!((mean - 0.6).abs() < 0.01, "mean level {mean}");
    }

    #[test]
    fn memory_extremes_stay_clamped_and_zero_noise_is_flat() {
        let parameters =
            SyntheticParameters { memory_alpha: 50.0, memory_beta: 0.5, memory_noise: 1.0, ..Default::default() };
        let mut model = SyntheticDemand::new(1, 5, &parameters).unwrap();
        model.start(0);
        assert!((0..5_000).all(|_| (0.0..=1.0).contains(&model.sample(0).memory)));

        let flat = SyntheticParameters { memory_noise: 0.0, ..Default::default() };
        let mut model = SyntheticDemand::new(1, 5, &flat).unwrap();
        let level = model.start(0).memory;
        assert!((0..100).all(|_| model.sample(0).memory == level));
    }
}
