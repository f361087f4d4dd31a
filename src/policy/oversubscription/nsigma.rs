//! N-sigma: T = mean + n·std of the window's samples (population standard deviation). ScroogeVM's baseline
//! hard-codes n = 5.

use crate::policy::oversubscription::{HostObservation, OversubscriptionStrategy, PerResource};

pub fn default_n() -> f64 {
    5.0
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nsigma {
    pub n: f64,
}

impl OversubscriptionStrategy for Nsigma {
    fn thresholds(&mut self, host: &HostObservation) -> PerResource {
        PerResource::from_fn(|resource| host.window.mean_std(resource).map_or(0.0, |(mean, std)| mean + self.n * std))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oversubscription::testing::{host, window};

    #[test]
    fn mean_plus_n_standard_deviations() {
        // Samples 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population std 2. T = 5 + 5 × 2 = 15 cores.
        let window = window(&[&[2.0, 4.0, 4.0, 4.0], &[5.0, 5.0, 7.0, 9.0]], PerResource::default());
        let thresholds = Nsigma { n: 5.0 }.thresholds(&host(&window, &[]));
        assert_eq!(thresholds, PerResource { cpu: 15.0, memory: 1500.0 });
    }
}
