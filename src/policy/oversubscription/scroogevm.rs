//! ScroogeVM (its HEAD's strategy; the paper's "greedy" approach): T = mean + r·std of the window's samples.
//!
//! r starts at 3.5 and adapts each occurrence, per resource: lowered by 0.1 when usage is stable, raised by 0.2
//! when it is not and the window's mean exceeds the previous occurrence's mean (rounded up to 0.1), left alone
//! otherwise; always kept within [2, 5]. Stability comes from a [`StabilityAssessor`].

use crate::policy::oversubscription::greedy::ceil_to;
use crate::policy::oversubscription::stability::{StabilityAssessor, StabilityConfig};
use crate::policy::oversubscription::window::SliceStates;
use crate::policy::oversubscription::{HostObservation, OversubscriptionStrategy, PerResource};

pub fn default_r_initial() -> f64 {
    3.5
}
pub fn default_r_min() -> f64 {
    2.0
}
pub fn default_r_max() -> f64 {
    5.0
}
pub fn default_r_decrease() -> f64 {
    0.1
}
pub fn default_r_increase() -> f64 {
    0.2
}
/// ScroogeVM's tolerance: 1 % of the host's config.
pub fn default_stability() -> StabilityConfig {
    StabilityConfig::Ar1 { tolerance: 0.01 }
}

/// How r moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RAdaptation {
    pub initial: f64,
    pub min: f64,
    pub max: f64,
    pub decrease: f64,
    pub increase: f64,
}

impl RAdaptation {
    /// The next r: down when stable, up when unstable and growing, clamped.
    pub fn next(&self, r: f64, stable: bool, growing: bool) -> f64 {
        let next = if stable {
            r - self.decrease
        } else if growing {
            r + self.increase
        } else {
            r
        };
        next.clamp(self.min, self.max)
    }
}

pub struct Scroogevm {
    adaptation: RAdaptation,
    stability: Box<dyn StabilityAssessor>,
    r: SliceStates<PerResource>,
}

impl Scroogevm {
    pub fn new(adaptation: RAdaptation, stability: Box<dyn StabilityAssessor>) -> Scroogevm {
        Scroogevm { adaptation, stability, r: SliceStates::default() }
    }

    /// The current r of a host's slice position (the initial r before its first occurrence).
    pub fn r(&mut self, host: crate::fleet::HostId, slice: usize) -> PerResource {
        let initial = self.adaptation.initial;
        self.r.get_mut(host, slice).unwrap_or(PerResource { cpu: initial, memory: initial })
    }
}

impl OversubscriptionStrategy for Scroogevm {
    fn thresholds(&mut self, host: &HostObservation) -> PerResource {
        let current = self.r(host.host, host.slice);
        let previous_mean = host.window.previous();
        let mut r = PerResource::default();
        let thresholds = PerResource::from_fn(|resource| {
            let Some((mean, std)) = host.window.mean_std(resource) else { return 0.0 };
            let stable = self.stability.is_stable(host.window, resource, host.config.get(resource));
            let growing = previous_mean.is_some_and(|previous| mean > ceil_to(previous.mean(resource), 0.1));
            let next = self.adaptation.next(current.get(resource), stable, growing);
            match resource {
                crate::policy::oversubscription::Resource::Cpu => r.cpu = next,
                crate::policy::oversubscription::Resource::Memory => r.memory = next,
            }
            mean + next * std
        });
        *self.r.get_mut(host.host, host.slice) = Some(r);
        thresholds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oversubscription::stability::Ar1Stability;
    use crate::policy::oversubscription::testing::{host, window};

    fn adaptation() -> RAdaptation {
        RAdaptation {
            initial: default_r_initial(),
            min: default_r_min(),
            max: default_r_max(),
            decrease: default_r_decrease(),
            increase: default_r_increase(),
        }
    }

    fn scroogevm() -> Scroogevm {
        Scroogevm::new(adaptation(), Box::new(Ar1Stability { tolerance: 0.01 }))
    }

    #[test]
    fn r_moves_by_its_steps_and_is_clamped() {
        let adaptation = adaptation();
        assert!((adaptation.next(3.5, true, true) - 3.4).abs() < 1e-12, "stable wins over growing");
        assert!((adaptation.next(3.5, false, true) - 3.7).abs() < 1e-12);
        assert_eq!(adaptation.next(3.5, false, false), 3.5);
        assert_eq!(adaptation.next(2.05, true, false), 2.0, "clamped at r_min");
        assert_eq!(adaptation.next(4.9, false, true), 5.0, "clamped at r_max");
    }

    #[test]
    fn stable_usage_lowers_r_and_the_threshold_is_mean_plus_r_std() {
        let mut strategy = scroogevm();
        let pattern: &[f64] = &[2.0, 4.0, 2.0, 4.0, 2.0, 4.0];
        let stable = window(&[pattern, pattern, pattern, pattern], PerResource::default());
        // Mean 3, std 1. Stable (perfectly predictable): r 3.5 → 3.4, T = 3 + 3.4 = 6.4; twice more: 6.2.
        let first = strategy.thresholds(&host(&stable, &[]));
        assert!((first.cpu - 6.4).abs() < 1e-9 && (first.memory - 640.0).abs() < 1e-9, "{first:?}");
        strategy.thresholds(&host(&stable, &[]));
        let third = strategy.thresholds(&host(&stable, &[]));
        assert!((third.cpu - 6.2).abs() < 1e-9, "{third:?}");
        // Fifteen more stable occurrences bring r to its floor, 2: T = 5.
        for _ in 0..15 {
            strategy.thresholds(&host(&stable, &[]));
        }
        assert!((strategy.thresholds(&host(&stable, &[])).cpu - 5.0).abs() < 1e-9);
    }

    #[test]
    fn unstable_growth_raises_r() {
        let mut strategy = scroogevm();
        // A window that is not full is unstable; its mean (2.5) is above the previous occurrence's (1, rounded
        // up: 1.0): growing, r 3.5 → 3.7. Samples 1, 1, 4, 4: std 1.5, T = 2.5 + 3.7 × 1.5 = 8.05.
        let growing = crate::policy::oversubscription::window::Window::of(vec![
            crate::policy::oversubscription::testing::occurrence(&[1.0, 1.0], PerResource::default()),
            crate::policy::oversubscription::testing::occurrence(&[4.0, 4.0], PerResource::default()),
        ]);
        let thresholds = strategy.thresholds(&host(&growing, &[]));
        assert!((thresholds.cpu - 8.05).abs() < 1e-9, "{thresholds:?}");
        assert!((strategy.r(0, 0).cpu - 3.7).abs() < 1e-12);
    }
}
