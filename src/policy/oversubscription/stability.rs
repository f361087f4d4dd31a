//! Is a host's usage stable? ScroogeVM gates its estimators on the answer.
//!
//! ScroogeVM asks an LSTM (4 units, look-back 1) trained on the window's earlier occurrences to predict the
//! newest one, and calls the usage stable when its error on the newest occurrence is within a tolerance of its
//! training error (both RMSEs de-normalised by the host's config). fleetsim ships [`Ar1Stability`], the same
//! test with the LSTM replaced by the least-squares AR(1) predictor `x[t+1] ≈ a + b·x[t]`: it sees exactly the
//! LSTM's input (look-back 1), needs no training loop or random initialisation (so runs stay deterministic and
//! cheap), and asks the same question: does the newest occurrence follow the dynamics of the ones before it?
//! It is a stand-in, not a reproduction: where the LSTM captured non-linear dynamics the two may disagree. A
//! learned assessor plugs in by implementing [`StabilityAssessor`] and adding a [`StabilityConfig`] kind.

use serde::{Deserialize, Serialize};

use crate::policy::oversubscription::window::Window;
use crate::policy::oversubscription::Resource;

pub trait StabilityAssessor: Send {
    /// Does `window`'s newest occurrence of `resource` behave as its earlier ones did? `config` is the host's
    /// capacity of that resource (cores or MB), the unit of the tolerance.
    fn is_stable(&self, window: &Window, resource: Resource, config: f64) -> bool;
}

/// `stability = { kind = "ar1", tolerance = 0.01 }`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StabilityConfig {
    /// [`Ar1Stability`]: stable when |RMSE(newest) − RMSE(training)| < tolerance × config.
    Ar1 { tolerance: f64 },
}

impl StabilityConfig {
    pub fn validate(&self) -> Result<(), String> {
        let StabilityConfig::Ar1 { tolerance } = *self;
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Err(format!(
                "oversubscription.stability.tolerance must be zero or more (a fraction of the host's capacity), got \
                 {tolerance}"
            ));
        }
        Ok(())
    }

    pub fn build(&self) -> Box<dyn StabilityAssessor> {
        let StabilityConfig::Ar1 { tolerance } = *self;
        Box::new(Ar1Stability { tolerance })
    }
}

/// The AR(1) stand-in for ScroogeVM's LSTM assessor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ar1Stability {
    /// Fraction of the host's config (ScroogeVM: 0.01 for its scroogevm strategy, 0.001 for the original greedy).
    pub tolerance: f64,
}

impl StabilityAssessor for Ar1Stability {
    /// Unstable until the window is full (as ScroogeVM) or while it has too few pairs to fit and test.
    /// ScroogeVM normalises samples by config (rounded to 3 decimals) before fitting and de-normalises the
    /// errors; the fit is linear, so fleetsim fits the raw samples and compares the errors to `tolerance ×
    /// config` directly, without that rounding (a difference of at most 0.05 % of config per sample).
    fn is_stable(&self, window: &Window, resource: Resource, config: f64) -> bool {
        if !window.is_full() || config <= 0.0 {
            return false;
        }
        let Some(newest) = window.newest() else { return false };
        let (training, test) = (window.training_pairs(resource), newest.summary(resource).pairs);
        if training.n < 2.0 || test.n < 1.0 {
            return false;
        }
        let model = training.fit();
        (test.rmse(model) - training.rmse(model)).abs() < self.tolerance * config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oversubscription::testing::window;
    use crate::policy::oversubscription::PerResource;

    fn stable(occurrences: &[&[f64]], tolerance: f64) -> bool {
        Ar1Stability { tolerance }.is_stable(&window(occurrences, PerResource::default()), Resource::Cpu, 10.0)
    }

    #[test]
    fn a_repeating_pattern_is_stable_a_jump_is_not() {
        let pattern: &[f64] = &[2.0, 4.0, 2.0, 4.0, 2.0, 4.0];
        // Perfectly predictable (x' = 6 − x): both errors 0.
        assert!(stable(&[pattern, pattern, pattern, pattern], 0.01));
        // The newest occurrence swings 0 ↔ 8: the trained line predicts 6 − x, off by 2 cores at each step
        // (0.2 of config), far beyond 1 %.
        assert!(!stable(&[pattern, pattern, pattern, &[0.0, 8.0, 0.0, 8.0, 0.0, 8.0]], 0.01));
    }

    #[test]
    fn unstable_until_the_window_is_full() {
        let flat: &[f64] = &[3.0; 6];
        let assessor = Ar1Stability { tolerance: 0.01 };
        let mut growing = Window::new(4);
        for pushed in 1..=4 {
            growing.push(&mut crate::policy::oversubscription::testing::occurrence(flat, PerResource::default()));
            assert_eq!(assessor.is_stable(&growing, Resource::Cpu, 10.0), pushed == 4, "{pushed} occurrences");
        }
    }
}
