//! Percentile: T = the p-th percentile of the window's samples (NumPy's linear interpolation), per resource.

use crate::policy::oversubscription::{HostObservation, OversubscriptionStrategy, PerResource, Resource};

pub fn default_percentile() -> f64 {
    90.0
}

#[derive(Clone, Debug, PartialEq)]
pub struct Percentile {
    cpu: f64,
    memory: f64,
    scratch: Vec<f64>,
}

impl Percentile {
    pub fn new(cpu: f64, memory: f64) -> Percentile {
        Percentile { cpu, memory, scratch: Vec::new() }
    }
}

impl OversubscriptionStrategy for Percentile {
    fn thresholds(&mut self, host: &HostObservation) -> PerResource {
        let (cpu, memory) = (self.cpu, self.memory);
        let mut percentile =
            |resource: Resource, p: f64| host.window.percentile_in(resource, p, &mut self.scratch).unwrap_or(0.0);
        PerResource { cpu: percentile(Resource::Cpu, cpu), memory: percentile(Resource::Memory, memory) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oversubscription::testing::{host, window};

    #[test]
    fn interpolates_between_ranks() {
        // Samples 1..=10 cores over two occurrences: rank 0.9 × 9 = 8.1, so P90 = 9 + 0.1 × (10 − 9) = 9.1;
        // memory is 100× (910 MB). P50 = rank 4.5: 5.5.
        let window = window(&[&[3.0, 1.0, 4.0, 2.0, 5.0], &[10.0, 6.0, 9.0, 7.0, 8.0]], PerResource::default());
        let host = host(&window, &[]);
        let p90 = Percentile::new(90.0, 90.0).thresholds(&host);
        assert!((p90.cpu - 9.1).abs() < 1e-12 && (p90.memory - 910.0).abs() < 1e-9, "{p90:?}");
        let p50 = Percentile::new(50.0, 100.0).thresholds(&host);
        assert!((p50.cpu - 5.5).abs() < 1e-12 && p50.memory == 1000.0, "{p50:?}");
    }
}
