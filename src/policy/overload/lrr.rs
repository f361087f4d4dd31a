//! Robust local regression (LRR), Neat semantics. (Stub: to be implemented.)

use crate::policy::overload::{HostObservation, OverloadDetector};

#[derive(Clone, Debug)]
pub struct Lrr {
    pub s: f64,
    pub length: usize,
    pub threshold: f64,
}

impl OverloadDetector for Lrr {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, _observation: &HostObservation) -> bool {
        false
    }
}
