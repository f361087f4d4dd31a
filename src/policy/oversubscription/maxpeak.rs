//! Max-peak: the larger of nsigma's and rclike's thresholds, per resource.

use crate::policy::oversubscription::nsigma::Nsigma;
use crate::policy::oversubscription::rclike::Rclike;
use crate::policy::oversubscription::{HostObservation, OversubscriptionStrategy, PerResource};

#[derive(Clone, Debug, PartialEq)]
pub struct Maxpeak {
    pub nsigma: Nsigma,
    pub rclike: Rclike,
}

impl OversubscriptionStrategy for Maxpeak {
    fn thresholds(&mut self, host: &HostObservation) -> PerResource {
        let (sigma, central) = (self.nsigma.thresholds(host), self.rclike.thresholds(host));
        PerResource { cpu: sigma.cpu.max(central.cpu), memory: sigma.memory.max(central.memory) }
    }

    fn needs_vm_windows(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oversubscription::testing::{host, window};
    use crate::policy::oversubscription::VmObservation;

    #[test]
    fn takes_the_larger_threshold_per_resource() {
        // Host samples 2, 4 (mean 3, std 1): nsigma T = 8 cores, 800 MB. One new 1-vCPU, 2000 MB VM: rclike T =
        // 1 core, 2000 MB. Max-peak: 8 cores, 2000 MB.
        let host_window = window(&[&[2.0, 4.0]], PerResource::default());
        let vms = [VmObservation { vcpus: 1.0, memory_mb: 2000.0, window: None }];
        let mut maxpeak = Maxpeak { nsigma: Nsigma { n: 5.0 }, rclike: Rclike::new(99.0, 100.0) };
        assert_eq!(maxpeak.thresholds(&host(&host_window, &vms)), PerResource { cpu: 8.0, memory: 2000.0 });
    }
}
