//! Power-aware best fit decreasing (PABFD), as CloudSim's `PowerVmAllocationPolicyMigrationAbstract` codes it.
//!
//! VMs are taken by current CPU request, descending (ties: the given order). Each goes to the host with the
//! least power increase `P(u_after) - P(u_now)`, among hosts that are suitable (a vCPU's request fits a core,
//! the request fits the free MIPS, the RAM fits) and not overloaded after the allocation; hosts whose CPU use at
//! the last update was 0 are exempt from the overload check. As in CloudSim, `u_now` and the base of `u_after`
//! are the host's use at the last update, not counting the round's earlier placements (those only show in the
//! free MIPS, the RAM and the overload check), plus nine times the 10 % reserved for each VM migrating in.
//! Because `P(0)` is the idle power, waking an empty host looks cheap: CloudSim's behaviour, kept.

use crate::consolidation::round::Round;
use crate::fleet::{HostId, VmId};
use crate::policy::overload::OverloadDetector;
use crate::policy::reallocation::{PlacementRequest, Reallocation};

#[derive(Clone, Debug)]
pub struct PowerAwareBestFitDecreasing;

impl PowerAwareBestFitDecreasing {
    /// CloudSim's `findHostForVm(vm, excludedHosts)`. CloudSim tests "overloaded after allocation" before
    /// comparing the power increase; testing it only for hosts that would beat the best so far picks the same
    /// host, and skips most of the (costly) detector calls.
    pub fn find_host(
        round: &mut Round,
        detector: &dyn OverloadDetector,
        vm: VmId,
        excluded: &[bool],
        may_activate: bool,
        idle_excluded: bool,
    ) -> Option<HostId> {
        let requested = round.requested_mips(vm);
        let mut best: Option<(f64, HostId)> = None;
        // Candidates come in any order: the least increase wins, ties going to the lowest host id (CloudSim
        // scans in fleet order with a strict `<`).
        let mut candidates = std::mem::take(&mut round.candidates);
        round.placement_candidates(excluded, idle_excluded, &mut candidates);
        for &host in &candidates {
            if !round.is_suitable(host, vm) {
                continue;
            }
            let round_host = &round.hosts[host as usize];
            let empty = round_host.utilization_mips == 0.0;
            if empty && !may_activate && round_host.list.is_empty() {
                continue;
            }
            let host_entry = round.fleet.host(host);
            let after = (round.pabfd_base_mips(host) + requested) / host_entry.total_mips();
            let increase = host_entry.power.watts(after) - round_host.power_now_w;
            if best.is_some_and(|(least, best_host)| (increase, host) >= (least, best_host)) {
                continue;
            }
            if !empty && round.overloaded_with(host, vm, detector) {
                continue;
            }
            best = Some((increase, host));
        }
        round.candidates = candidates;
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
            match Self::find_host(round, detector, vm, request.excluded, request.may_activate, request.idle_excluded) {
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
