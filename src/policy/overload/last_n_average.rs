//! Neat's last-n average threshold. (Stub: to be implemented.)

use crate::policy::overload::{HostObservation, OverloadDetector};

#[derive(Clone, Debug)]
pub struct LastNAverage {
    pub threshold: f64,
    pub n: usize,
}

impl OverloadDetector for LastNAverage {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, _observation: &HostObservation) -> bool {
        false
    }
}

pub fn validate(_threshold: f64, _n: usize) -> Result<(), String> {
    Ok(())
}
