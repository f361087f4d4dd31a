//! Neat's default underload detector, last-n average threshold. (Stub: to be implemented.)

use crate::policy::overload::HostObservation;
use crate::policy::underload::UnderloadDetector;

#[derive(Clone, Debug)]
pub struct LastNAverage {
    pub threshold: f64,
    pub n: usize,
}

impl UnderloadDetector for LastNAverage {
    fn is_underloaded(&mut self, _observation: &HostObservation) -> bool {
        false
    }
}

pub fn validate(_threshold: f64, _n: usize) -> Result<(), String> {
    Ok(())
}
