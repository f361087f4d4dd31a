//! Power-aware placement of a VM being created, as CloudSim's `findHostForVm` places its VMs at the start of
//! the PlanetLab experiments: among the hosts with room, the one whose power grows least when the VM's full
//! MIPS are added to the CPU use it had at the last update. (CloudSim also skips hosts that would be
//! overloaded after the allocation, but only hosts with CPU use at their last update; at creation time no
//! host has been updated yet, so the check never applies there and is not made here. The consolidation
//! round's PABFD, [`crate::policy::reallocation::pabfd`], makes it.) Ties go to fleet order.

use crate::fleet::{Fleet, HostId, VmId};
use crate::policy::placement::{candidate_hosts, Placement};

pub struct PowerAware;

impl Placement for PowerAware {
    fn choose_host(&self, fleet: &Fleet, vm: VmId, exclude: Option<HostId>) -> Option<HostId> {
        let request = fleet.vm(vm).capacity_mips();
        let mut best: Option<(HostId, f64)> = None;
        for host in candidate_hosts(fleet, vm, exclude) {
            let entry = fleet.host(host);
            let total = entry.total_mips();
            let now = entry.utilization_mips / total;
            let increase = entry.power.watts(now + request / total) - entry.power.watts(now);
            if best.is_none_or(|(_, least)| increase < least) {
                best = Some((host, increase));
            }
        }
        best.map(|(host, _)| host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{Allocatable, Capacity, Fleet, Host};
    use crate::power::PowerModel;
    use crate::trace::Flavor;

    /// CloudSim's PlanetLab fleet: a G4 (2 × 1860 MIPS) and a G5 (2 × 2660 MIPS), both idle.
    fn fleet(vm_mips: f64) -> Fleet {
        let flavor = Flavor { vcpus: 1, memory_mb: 613, disk_gb: 0 };
        let mut fleet = Fleet::new([(flavor, vm_mips)]);
        fleet.mips_admission = true;
        for (name, core_mips, power) in
            [("g4", 1860.0, PowerModel::HpProliantMl110G4 {}), ("g5", 2660.0, PowerModel::HpProliantMl110G5 {})]
        {
            let mut host = Host::new(name.into(), Capacity { vcpus: 2, memory_mb: 4096, disk_gb: 0 }, core_mips, power);
            host.allocatable = Allocatable { vcpus: 1000.0, memory_mb: 4096.0, disk_gb: 0.0 };
            fleet.add_host(host);
        }
        fleet
    }

    #[test]
    fn picks_the_least_power_increase_and_respects_core_speed() {
        // A 500-MIPS VM: G4 u = 500/3720 = 0.134 → 89.4 + 0.344 · 3.2 = 90.50 W, +4.50 W over 86 W;
        // G5 u = 500/5320 = 0.094 → 93.7 + 0.940 · 3.3 = 96.80 W, +3.10 W over 93.7 W: the G5 wins.
        assert_eq!(PowerAware.choose_host(&fleet(500.0), 0, None), Some(1));
        assert_eq!(PowerAware.choose_host(&fleet(500.0), 0, Some(1)), Some(0));
        // A 2500-MIPS vCPU does not fit a 1860-MIPS core: only the G5 can take it.
        assert_eq!(PowerAware.choose_host(&fleet(2500.0), 0, Some(1)), None);
    }
}
