//! Static threshold (THR), and the detector that never fires.

use crate::policy::overload::{HostObservation, OverloadDetector};

/// Overloaded when `utilization > threshold` (CloudSim's `PowerVmAllocationPolicyMigrationStaticThreshold`,
/// Neat's `trivial.threshold`).
#[derive(Clone, Debug)]
pub struct Threshold {
    pub threshold: f64,
}

impl OverloadDetector for Threshold {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, observation: &HostObservation) -> bool {
        observation.utilization > self.threshold
    }

    fn reads_history(&self) -> bool {
        false
    }
}

/// Never overloaded.
#[derive(Clone, Debug)]
pub struct Never;

impl OverloadDetector for Never {
    fn observe(&mut self, _: &HostObservation) -> bool {
        false
    }

    fn check(&self, _: &HostObservation) -> bool {
        false
    }

    fn reads_history(&self) -> bool {
        false
    }
}

pub fn validate(threshold: f64) -> Result<(), String> {
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(format!("overload.threshold must be a positive utilisation fraction (e.g. 0.8), got {threshold}"));
    }
    Ok(())
}
