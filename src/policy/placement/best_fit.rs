//! Best fit: the host left with the fewest free vCPUs after placement; ties go to the host with the least
//! free RAM, then to fleet order. Packs VMs tightly, so fewer hosts are active.

use crate::fleet::{Fleet, HostId, VmId};
use crate::policy::placement::{candidate_hosts, Placement};

pub struct BestFit;

impl Placement for BestFit {
    fn choose_host(&self, fleet: &Fleet, vm: VmId, exclude: Option<HostId>) -> Option<HostId> {
        let flavor = fleet.vm(vm).flavor;
        let mut best: Option<(HostId, f64, f64)> = None;
        for host in candidate_hosts(fleet, vm, exclude) {
            let entry = fleet.host(host);
            let free_vcpus = entry.free_vcpus() - f64::from(flavor.vcpus);
            let free_memory = entry.free_memory_mb() - flavor.memory_mb as f64;
            let better = match best {
                None => true,
                Some((_, best_vcpus, best_memory)) => (free_vcpus, free_memory) < (best_vcpus, best_memory),
            };
            if better {
                best = Some((host, free_vcpus, free_memory));
            }
        }
        best.map(|(host, _, _)| host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::placement::test_fleet::fleet;

    #[test]
    fn picks_the_tightest_host() {
        // Free vCPUs after placement: h0 7, h1 1, h2 1 with less RAM left -> h2.
        let fleet = fleet(&[(8, 8192), (2, 8192), (2, 4096)], 1);
        assert_eq!(BestFit.choose_host(&fleet, 0, None), Some(2));
        assert_eq!(BestFit.choose_host(&fleet, 0, Some(2)), Some(1));
    }
}
