//! Neat's underload threshold. (Stub: to be implemented.)

use crate::policy::overload::HostObservation;
use crate::policy::underload::UnderloadDetector;

#[derive(Clone, Debug)]
pub struct Threshold {
    pub threshold: f64,
}

impl UnderloadDetector for Threshold {
    fn is_underloaded(&mut self, _observation: &HostObservation) -> bool {
        false
    }
}

pub fn validate(_threshold: f64) -> Result<(), String> {
    Ok(())
}
