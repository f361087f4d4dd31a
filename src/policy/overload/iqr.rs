//! Interquartile range (IQR). (Stub: to be implemented.)

use crate::policy::overload::{HostObservation, OverloadDetector};
use crate::policy::Semantics;

#[derive(Clone, Debug)]
pub struct Iqr {
    pub s: f64,
    pub limit: usize,
    pub semantics: Semantics,
}

impl OverloadDetector for Iqr {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, _observation: &HostObservation) -> bool {
        false
    }
}
