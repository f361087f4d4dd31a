//! Seeded synthetic demand, temporally correlated.
//!
//! Each VM draws its long-run mean μ from Beta(α, β) (statrs) the first time it runs, then follows an AR(1)
//! process around it: x' = μ + φ·(x − μ) + σ·√(1 − φ²)·ε, ε ~ N(0, 1), clamped to [0, 1]. φ is the lag-one
//! autocorrelation between ticks and σ the stationary standard deviation. Each VM has its own PCG stream seeded
//! from (run seed, VM id), so a VM's demand does not depend on what other VMs do or on event order.

use rand::distr::Distribution;
use rand_pcg::Pcg64Mcg;
use statrs::distribution::{Beta, Normal};

use crate::fleet::VmId;

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

struct VmState {
    rng: Pcg64Mcg,
    mean: f64,
    current: f64,
}

pub struct SyntheticDemand {
    seed: u64,
    mean: Beta,
    innovation: Normal,
    autocorrelation: f64,
    vms: Vec<Option<VmState>>,
}

impl SyntheticDemand {
    pub fn new(
        vm_count: usize,
        seed: u64,
        mean_alpha: f64,
        mean_beta: f64,
        autocorrelation: f64,
        noise: f64,
    ) -> Result<SyntheticDemand, String> {
        let mean = Beta::new(mean_alpha, mean_beta).map_err(|error| format!("usage.mean_alpha/mean_beta: {error}"))?;
        let innovation_sd = noise * (1.0 - autocorrelation * autocorrelation).sqrt();
        let innovation = Normal::new(0.0, innovation_sd).map_err(|error| format!("usage.noise: {error}"))?;
        let mut vms = Vec::new();
        vms.resize_with(vm_count, || None);
        Ok(SyntheticDemand { seed, mean, innovation, autocorrelation, vms })
    }

    pub fn start(&mut self, vm: VmId) -> f64 {
        let state = self.vms[vm as usize].get_or_insert_with(|| {
            // Distinct, well-mixed stream per (seed, VM): the VM id goes into the high half of the state.
            let mut rng = Pcg64Mcg::new(
                (u128::from(vm) << 64 | u128::from(self.seed)) ^ 0x5851_f42d_4c95_7f2d_1405_7b7e_f767_814f,
            );
            let mean = self.mean.sample(&mut rng);
            VmState { rng, mean, current: mean }
        });
        state.current
    }

    pub fn sample(&mut self, vm: VmId) -> f64 {
        let Some(state) = self.vms[vm as usize].as_mut() else {
            return self.start(vm);
        };
        let next =
            state.mean + self.autocorrelation * (state.current - state.mean) + self.innovation.sample(&mut state.rng);
        state.current = next.clamp(0.0, 1.0);
        state.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(seed: u64, vm: VmId, ticks: usize) -> Vec<f64> {
        let mut model = SyntheticDemand::new(4, seed, 2.0, 5.0, 0.9, 0.1).unwrap();
        let mut values = vec![model.start(vm)];
        values.extend((1..ticks).map(|_| model.sample(vm)));
        values
    }

    #[test]
    fn deterministic_per_seed_and_vm() {
        assert_eq!(series(7, 1, 50), series(7, 1, 50));
        assert_ne!(series(7, 1, 50), series(8, 1, 50));
        assert_ne!(series(7, 1, 50), series(7, 2, 50));
    }

    #[test]
    fn stays_in_range_and_is_autocorrelated() {
        let values = series(3, 0, 20_000);
        assert!(values.iter().all(|value| (0.0..=1.0).contains(value)));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let (mut lag_one, mut variance) = (0.0, 0.0);
        for pair in values.windows(2) {
            lag_one += (pair[0] - mean) * (pair[1] - mean);
            variance += (pair[0] - mean) * (pair[0] - mean);
        }
        // With φ = 0.9 the sample lag-one autocorrelation is near 0.9 (clamping pulls it down a little).
        let autocorrelation = lag_one / variance;
        assert!(autocorrelation > 0.8 && autocorrelation < 0.95, "autocorrelation {autocorrelation}");
    }
}
