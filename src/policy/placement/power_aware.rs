//! Power-aware placement of a VM being created, as CloudSim's `PowerVmAllocationPolicyMigrationAbstract.
//! findHostForVm` places the VMs of its PlanetLab experiments (and as `pabfd` moves them, see
//! [`crate::policy::reallocation::pabfd`]):
//!
//! - among the hosts with room, the one with the least power increase `P(u_after) - P(u_now)`, ties going to
//!   fleet order (CloudSim scans in host order with a strict `<`);
//! - `u_now` is the host's CPU use at its last update (`PowerHost.getPower`);
//! - `u_after` adds the VM's full MIPS to what the host's scheduler has allocated
//!   (`getUtilizationOfCpuMips`): its VMs' allocations at the last update plus the full MIPS of every VM
//!   created on it since ([`crate::fleet::Host::reserved_mips`]). Before the first update, `u_now` is 0 on every
//!   host, so a host already holding a VM always costs more than an empty one of its type: CloudSim's initial
//!   placement spreads the VMs over every host that can take them;
//! - a host that has allocated anything is skipped when the detector would call it overloaded with the VM
//!   (`isHostOverUtilizedAfterAllocation`). No VM has a history at creation, so each CloudSim detector decides
//!   by a static threshold there (THR by its own, MAD, IQR, LR and LRR by their 0.7 fallback), on the host's
//!   current requests plus the VM's full MIPS: `overload_threshold`.

use crate::fleet::{Fleet, HostId, VmId};
use crate::policy::placement::{candidate_hosts, Placement};

pub struct PowerAware {
    /// The utilisation above which a host that has allocated MIPS is too loaded to take the VM; `None`: no check.
    pub overload_threshold: Option<f64>,
}

impl Placement for PowerAware {
    fn choose_host(&self, fleet: &Fleet, vm: VmId, exclude: Option<HostId>) -> Option<HostId> {
        let request = fleet.vm(vm).capacity_mips();
        let mut best: Option<(HostId, f64)> = None;
        for host in candidate_hosts(fleet, vm, exclude) {
            let entry = fleet.host(host);
            let total = entry.total_mips();
            let allocated = entry.reserved_mips;
            if let Some(threshold) = self.overload_threshold.filter(|_| allocated != 0.0) {
                if (entry.demand_mips + request) / total > threshold {
                    continue;
                }
            }
            let increase =
                entry.power.watts((allocated + request) / total) - entry.power.watts(entry.utilization_mips / total);
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

    const NO_CHECK: PowerAware = PowerAware { overload_threshold: None };

    /// CloudSim's PlanetLab fleet: a G4 (2 × 1860 MIPS) and a G5 (2 × 2660 MIPS), both idle, and VMs of
    /// `vm_mips` MIPS and 613 MB.
    fn fleet(vm_mips: &[f64]) -> Fleet {
        let flavor = Flavor { vcpus: 1, memory_mb: 613, disk_gb: 0 };
        let mut fleet = Fleet::new(vm_mips.iter().map(|&mips| (flavor, mips)));
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

    /// Creates `vm` on `host` as the simulation does: booked, its full MIPS reserved, no demand before the
    /// first update.
    fn create(fleet: &mut Fleet, vm: VmId, host: HostId) {
        fleet.book(vm, host);
        let full = fleet.vm(vm).capacity_mips();
        fleet.host_mut(host).reserved_mips += full;
    }

    #[test]
    fn picks_the_least_power_increase_and_respects_core_speed() {
        // A 500-MIPS VM: G4 u = 500/3720 = 0.134 → 89.4 + 0.344 · 3.2 = 90.50 W, +4.50 W over 86 W;
        // G5 u = 500/5320 = 0.094 → 93.7 + 0.940 · 3.3 = 96.80 W, +3.10 W over 93.7 W: the G5 wins.
        assert_eq!(NO_CHECK.choose_host(&fleet(&[500.0]), 0, None), Some(1));
        assert_eq!(NO_CHECK.choose_host(&fleet(&[500.0]), 0, Some(1)), Some(0));
        // A 2500-MIPS vCPU does not fit a 1860-MIPS core: only the G5 can take it.
        assert_eq!(NO_CHECK.choose_host(&fleet(&[2500.0]), 0, Some(1)), None);
    }

    #[test]
    fn before_the_first_update_a_host_holding_a_vm_costs_more_than_an_empty_one() {
        // vm0 (500) is created on the G5. For vm1 (500) both hosts are still at u_now = 0 (no update yet):
        //   G5: allocated 500 → (500 + 500) / 5320 = 0.188: 97 + 0.880 · 4 = 100.52 W, +6.82 W over 93.7 W;
        //   G4: +4.50 W (above). The empty G4, although the G5 was the cheaper host for vm0.
        let mut fleet = fleet(&[500.0, 500.0]);
        create(&mut fleet, 0, 1);
        assert_eq!(NO_CHECK.choose_host(&fleet, 1, None), Some(0));
        // Judged from its use at the last update instead (the G5 at 0 % also for vm1), the G5 would win again.
    }

    #[test]
    fn a_host_that_has_allocated_is_skipped_when_the_vm_would_overload_it() {
        // vm0 (2000) on the G5; vm1 (2500) fits only a G5 core. Before the first update vm0 requests nothing,
        // so THR 0.8 sees (0 + 2500) / 5320 = 0.47: the G5 takes vm1. At 0.4 it would be overloaded: no host.
        let mut fleet = fleet(&[2000.0, 2500.0]);
        create(&mut fleet, 0, 1);
        assert_eq!(PowerAware { overload_threshold: Some(0.8) }.choose_host(&fleet, 1, None), Some(1));
        assert_eq!(PowerAware { overload_threshold: Some(0.4) }.choose_host(&fleet, 1, None), None);
        // An empty host is never checked: 2500 / 5320 = 0.47 > 0.4, yet the empty G5 takes it.
        let empty = self::fleet(&[2500.0]);
        assert_eq!(PowerAware { overload_threshold: Some(0.4) }.choose_host(&empty, 0, None), Some(1));
    }
}
