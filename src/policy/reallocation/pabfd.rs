//! Power-aware best fit decreasing (PABFD), as CloudSim's `PowerVmAllocationPolicyMigrationAbstract` codes it.
//!
//! VMs are taken by current CPU request, descending (ties: the given order). Each goes to the host with the
//! least power increase `P(u_after) - P(u_now)`, among hosts that are suitable (a vCPU's request fits a core,
//! the request fits the free MIPS, the RAM fits) and not overloaded after the allocation; hosts whose CPU use at
//! the last update was 0 are exempt from the overload check. As in CloudSim, `u_now` and the base of `u_after`
//! are the host's use at the last update, not counting the round's earlier placements (those only show in the
//! free MIPS, the RAM and the overload check), plus nine times the 10 % reserved for each VM migrating in.
//! Because `P(0)` is the idle power, waking an empty host looks cheap: CloudSim's behaviour, kept.

use crate::consolidation::round::{Round, INCOMING_SHARE};
use crate::fleet::{HostId, VmId};
use crate::policy::overload::OverloadDetector;
use crate::policy::reallocation::{PlacementRequest, Reallocation};

#[derive(Clone, Debug)]
pub struct PowerAwareBestFitDecreasing;

impl PowerAwareBestFitDecreasing {
    /// CloudSim's `findHostForVm(vm, excludedHosts)`.
    pub fn find_host(
        round: &mut Round,
        detector: &dyn OverloadDetector,
        vm: VmId,
        excluded: &[bool],
        may_activate: bool,
    ) -> Option<HostId> {
        let requested = round.requested_mips(vm);
        let mut best: Option<(f64, HostId)> = None;
        for host in 0..round.hosts.len() as HostId {
            if excluded.get(host as usize).copied().unwrap_or(false) || !round.is_suitable(host, vm) {
                continue;
            }
            let base_mips = round.hosts[host as usize].utilization_mips;
            if base_mips == 0.0 && !may_activate && round.hosts[host as usize].list.is_empty() {
                continue;
            }
            if base_mips != 0.0 && round.overloaded_with(host, vm, detector) {
                continue;
            }
            let host_entry = round.fleet.host(host);
            let total = host_entry.total_mips();
            let incoming_extra: f64 = round.hosts[host as usize]
                .list
                .iter()
                .filter(|&&listed| round.is_incoming(host, listed))
                .map(|&listed| round.requested_mips(listed) * INCOMING_SHARE * (1.0 - INCOMING_SHARE) / INCOMING_SHARE)
                .sum();
            let after = (base_mips + incoming_extra + requested) / total;
            let increase = host_entry.power.watts(after) - host_entry.power.watts(base_mips / total);
            if best.is_none_or(|(least, _)| increase < least) {
                best = Some((increase, host));
            }
        }
        best.map(|(_, host)| host)
    }
}

impl Reallocation for PowerAwareBestFitDecreasing {
    fn place(
        &self,
        round: &mut Round,
        detector: &dyn OverloadDetector,
        vms: &[VmId],
        request: PlacementRequest,
    ) -> Vec<(VmId, HostId)> {
        let mut order = vms.to_vec();
        // CloudSim's `PowerVmList.sortByCpuUtilization`: current MIPS, descending (a stable sort).
        order.sort_by(|&a, &b| round.requested_mips(b).total_cmp(&round.requested_mips(a)));
        let mut placed = Vec::with_capacity(order.len());
        for vm in order {
            match Self::find_host(round, detector, vm, request.excluded, request.may_activate) {
                Some(host) => {
                    round.add(host, vm);
                    placed.push((vm, host));
                }
                None if request.all_or_nothing => {
                    for &(vm, host) in &placed {
                        round.remove(host, vm);
                    }
                    return Vec::new();
                }
                None => {}
            }
        }
        placed
    }
}
