//! Markov host overload detection (MHOD), Neat's default detector. (Stub: to be implemented.)

use crate::policy::overload::{HostObservation, OverloadDetector};

pub fn default_state_config() -> Vec<f64> {
    vec![0.8]
}
pub fn default_otf() -> f64 {
    0.1
}
pub fn default_window_sizes() -> Vec<usize> {
    (30..=100).step_by(10).collect()
}
pub fn default_bruteforce_step() -> f64 {
    0.5
}
pub fn default_learning_steps() -> usize {
    10
}

#[derive(Clone, Debug)]
pub struct Mhod {}

impl Mhod {
    pub fn new(
        _state_config: Vec<f64>,
        _otf: f64,
        _window_sizes: Vec<usize>,
        _bruteforce_step: f64,
        _learning_steps: usize,
    ) -> Mhod {
        Mhod {}
    }
}

impl OverloadDetector for Mhod {
    fn observe(&mut self, _observation: &HostObservation) -> bool {
        false
    }

    fn check(&self, _observation: &HostObservation) -> bool {
        false
    }
}

pub fn validate(
    _state_config: &[f64],
    _otf: f64,
    _window_sizes: &[usize],
    _bruteforce_step: f64,
    _learning_steps: usize,
) -> Result<(), String> {
    Ok(())
}
