//! Greedy: ScroogeVM's original estimator (its commit 3368caf), stability-gated.
//!
//! P is the highest per-occurrence p-th percentile in the window, rounded up to 0.1 core (to 1 MB). When usage
//! is stable, T = P. When it is not: with no previous threshold T is the booking (1:1); otherwise T keeps its
//! previous value, raised when P has grown past it by the larger of that growth and the growth of the booking.

use crate::metrics::oversubscription::percentile_unsorted;
use crate::policy::oversubscription::stability::StabilityAssessor;
use crate::policy::oversubscription::window::SliceStates;
use crate::policy::oversubscription::{HostObservation, OversubscriptionStrategy, PerResource, Resource};

/// ScroogeVM's original tolerance: 0.1 % of the host's config.
pub fn default_stability() -> crate::policy::oversubscription::stability::StabilityConfig {
    crate::policy::oversubscription::stability::StabilityConfig::Ar1 { tolerance: 0.001 }
}

/// What greedy remembers of a slice position: its last threshold and the booking it saw.
#[derive(Clone, Copy, Debug)]
struct Previous {
    threshold: PerResource,
    booked: PerResource,
}

pub struct Greedy {
    percentile: f64,
    stability: Box<dyn StabilityAssessor>,
    previous: SliceStates<Previous>,
    scratch: Vec<f64>,
}

impl Greedy {
    pub fn new(percentile: f64, stability: Box<dyn StabilityAssessor>) -> Greedy {
        Greedy { percentile, stability, previous: SliceStates::default(), scratch: Vec::new() }
    }
}

/// Rounds up to a multiple of `step`.
pub(crate) fn ceil_to(value: f64, step: f64) -> f64 {
    (value / step).ceil() * step
}

impl OversubscriptionStrategy for Greedy {
    fn thresholds(&mut self, host: &HostObservation) -> PerResource {
        let booked = host.booked();
        let previous = *self.previous.get_mut(host.host, host.slice);
        let scratch = &mut self.scratch;
        let threshold = PerResource::from_fn(|resource| {
            let step = if resource == Resource::Cpu { 0.1 } else { 1.0 };
            let peak = host
                .window
                .occurrences()
                .map(|occurrence| {
                    scratch.clear();
                    scratch.extend_from_slice(occurrence.samples(resource));
                    percentile_unsorted(scratch, self.percentile)
                })
                .fold(0.0, f64::max);
            let peak = ceil_to(peak, step);
            if self.stability.is_stable(host.window, resource, host.config.get(resource)) {
                return peak;
            }
            let Some(previous) = previous else { return booked.get(resource) };
            let (last, growth) = (previous.threshold.get(resource), peak - previous.threshold.get(resource));
            if growth > 0.0 {
                last + growth.max(booked.get(resource) - previous.booked.get(resource))
            } else {
                last
            }
        });
        *self.previous.get_mut(host.host, host.slice) = Some(Previous { threshold, booked });
        threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oversubscription::stability::Ar1Stability;
    use crate::policy::oversubscription::testing::{host, window};

    fn greedy() -> Greedy {
        Greedy::new(90.0, Box::new(Ar1Stability { tolerance: 0.001 }))
    }

    #[test]
    fn stable_usage_takes_the_highest_occurrence_percentile_rounded_up() {
        let flat: &[f64] = &[2.0; 6];
        let peaked: &[f64] = &[2.0, 2.0, 2.0, 2.0, 2.0, 3.0];
        // Four flat occurrences: stable, every per-occurrence P90 is 2: T = 2 cores (200 MB).
        let stable = window(&[flat, flat, flat, flat], PerResource { cpu: 6.0, memory: 600.0 });
        assert_eq!(greedy().thresholds(&host(&stable, &[])), PerResource { cpu: 2.0, memory: 200.0 });
        // Unstable with no history: T = booking.
        let unstable = window(&[flat, peaked], PerResource { cpu: 6.0, memory: 600.0 });
        assert_eq!(greedy().thresholds(&host(&unstable, &[])), PerResource { cpu: 6.0, memory: 600.0 });
    }

    #[test]
    fn unstable_growth_raises_the_previous_threshold_by_the_larger_growth() {
        let mut greedy = greedy();
        // Two-sample occurrences give the AR(1) fit too few pairs: every call below is unstable.
        let start = window(&[&[1.0, 1.0], &[1.0, 5.0]], PerResource { cpu: 2.0, memory: 200.0 });
        // The newest occurrence jumps: unstable, no previous: T = booking (2 cores, 200 MB).
        assert_eq!(greedy.thresholds(&host(&start, &[])), PerResource { cpu: 2.0, memory: 200.0 });
        // Next: per-occurrence P90s 1 + 0.9 × 4 = 4.6 and 1 + 0.9 × 7 = 7.3: P = 7.3 (memory 730). Its growth
        // over T = 2 is 5.3; the booking grew 2 → 5 (3): T = 2 + max(5.3, 3) = 7.3; memory 200 + max(530, 300).
        let grown = window(&[&[1.0, 5.0], &[1.0, 8.0]], PerResource { cpu: 5.0, memory: 500.0 });
        let thresholds = greedy.thresholds(&host(&grown, &[]));
        assert!((thresholds.cpu - 7.3).abs() < 1e-9 && (thresholds.memory - 730.0).abs() < 1e-9, "{thresholds:?}");
        // Then usage falls (P = 7.3 still, from the older occurrence) and stays unstable: T holds at 7.3.
        let fallen = window(&[&[1.0, 8.0], &[0.0, 1.0]], PerResource { cpu: 5.0, memory: 500.0 });
        assert!((greedy.thresholds(&host(&fallen, &[])).cpu - 7.3).abs() < 1e-9);
    }

    #[test]
    fn ceil_to_rounds_up_to_the_step() {
        assert!((ceil_to(2.01, 0.1) - 2.1).abs() < 1e-12);
        assert_eq!(ceil_to(700.2, 1.0), 701.0);
    }
}
