//! Median absolute deviation (MAD). (Stub: to be implemented.)

use crate::policy::overload::{HostObservation, OverloadDetector};
use crate::policy::Semantics;

#[derive(Clone, Debug)]
pub struct Mad {
    pub s: f64,
    pub limit: usize,
    pub semantics: Semantics,
}

impl OverloadDetector for Mad {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, _observation: &HostObservation) -> bool {
        false
    }
}

/// Shared by MAD and IQR.
pub fn validate(_s: f64, _limit: usize) -> Result<(), String> {
    Ok(())
}
