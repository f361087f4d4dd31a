//! Neat's overload time fraction (OTF) detector. (Stub: to be implemented.)

use crate::policy::overload::{HostObservation, OverloadDetector};

#[derive(Clone, Debug)]
pub struct Otf {
    pub otf: f64,
    pub threshold: f64,
    pub limit: usize,
}

impl Otf {
    pub fn new(otf: f64, threshold: f64, limit: usize) -> Otf {
        Otf { otf, threshold, limit }
    }
}

impl OverloadDetector for Otf {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, _observation: &HostObservation) -> bool {
        false
    }
}

pub fn validate(_otf: f64, _threshold: f64, _limit: usize) -> Result<(), String> {
    Ok(())
}
