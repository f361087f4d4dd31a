//! Local regression (LR). (Stub: to be implemented.)

use crate::policy::overload::{HostObservation, OverloadDetector};
use crate::policy::Semantics;

#[derive(Clone, Debug)]
pub struct Lr {
    pub s: f64,
    pub length: usize,
    pub threshold: f64,
    pub semantics: Semantics,
}

impl OverloadDetector for Lr {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, _observation: &HostObservation) -> bool {
        false
    }
}

/// Shared by LR and LRR.
pub fn validate(_s: f64, _length: usize, _threshold: f64) -> Result<(), String> {
    Ok(())
}
