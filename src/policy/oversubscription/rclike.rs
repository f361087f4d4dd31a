//! Resource Central-like: T = the sum over the host's VMs of each VM's own high percentile of usage.
//!
//! CPU: Σ min(P99(VM CPU, as a fraction of its vCPUs) × vCPUs, vCPUs); memory: Σ P100(VM memory in MB). A VM whose
//! window is not yet full counts at its flavor (vCPUs, MB), as in ScroogeVM.

use crate::policy::oversubscription::{HostObservation, OversubscriptionStrategy, PerResource, Resource};

pub fn default_cpu_percentile() -> f64 {
    99.0
}
pub fn default_memory_percentile() -> f64 {
    100.0
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rclike {
    cpu_percentile: f64,
    memory_percentile: f64,
    scratch: Vec<f64>,
}

impl Rclike {
    pub fn new(cpu_percentile: f64, memory_percentile: f64) -> Rclike {
        Rclike { cpu_percentile, memory_percentile, scratch: Vec::new() }
    }
}

impl OversubscriptionStrategy for Rclike {
    fn thresholds(&mut self, host: &HostObservation) -> PerResource {
        let mut total = PerResource::default();
        for vm in host.vms {
            match vm.window.filter(|window| window.is_full()) {
                Some(window) => {
                    let cpu = window.percentile_in(Resource::Cpu, self.cpu_percentile, &mut self.scratch);
                    total.cpu += (cpu.unwrap_or(1.0) * vm.vcpus).min(vm.vcpus);
                    let memory = window.percentile_in(Resource::Memory, self.memory_percentile, &mut self.scratch);
                    total.memory += memory.unwrap_or(vm.memory_mb);
                }
                None => {
                    total.cpu += vm.vcpus;
                    total.memory += vm.memory_mb;
                }
            }
        }
        total
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
    fn sums_each_vms_percentile_and_counts_new_vms_at_their_flavor() {
        // VM a: 4 vCPUs, CPU fractions 0.1..0.5 (memory 100× the fraction: 10..50 MB); P99 = 0.496 → 1.984
        // cores; P100 memory = 50 MB. VM b: 2 vCPUs, 2048 MB, no full window yet: counted at its flavor.
        let history = window(&[&[0.1, 0.2], &[0.3, 0.4, 0.5]], PerResource::default());
        let mut partial = crate::policy::oversubscription::window::Window::new(4);
        partial.push(&mut crate::policy::oversubscription::testing::occurrence(&[0.9], PerResource::default()));
        let vms = [
            VmObservation { vcpus: 4.0, memory_mb: 4096.0, window: Some(&history) },
            VmObservation { vcpus: 2.0, memory_mb: 2048.0, window: Some(&partial) },
        ];
        let empty = window(&[&[0.0]], PerResource::default());
        let thresholds = Rclike::new(99.0, 100.0).thresholds(&host(&empty, &vms));
        assert!((thresholds.cpu - (0.496 * 4.0 + 2.0)).abs() < 1e-9, "{thresholds:?}");
        assert!((thresholds.memory - (50.0 + 2048.0)).abs() < 1e-9, "{thresholds:?}");
    }

    #[test]
    fn a_vm_over_its_vcpus_counts_at_most_its_vcpus() {
        let history = window(&[&[1.5, 1.5]], PerResource::default());
        let vms = [VmObservation { vcpus: 2.0, memory_mb: 100.0, window: Some(&history) }];
        let empty = window(&[&[0.0]], PerResource::default());
        let thresholds = Rclike::new(99.0, 100.0).thresholds(&host(&empty, &vms));
        assert_eq!(thresholds.cpu, 2.0);
    }
}
