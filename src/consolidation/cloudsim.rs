//! CloudSim 3.0.3's `PowerVmAllocationPolicyMigrationAbstract.optimizeAllocation`, step by step:
//!
//! 1. every host is tested by the overload detector;
//! 2. from each overloaded host, the selector picks VMs (not already migrating) one at a time, each removed from
//!    the host, until the host is no longer overloaded;
//! 3. the selected VMs are placed by the placement policy (PABFD), the overloaded hosts excluded; VMs that fit
//!    nowhere stay;
//! 4. with `underload = least_utilized`: repeatedly the active host with the lowest CPU use (not overloaded, not
//!    switched off, not all of its VMs leaving, none arriving) is evacuated if all its VMs fit elsewhere
//!    (all or nothing), until every host has been tried. As in CloudSim, hosts that received VMs in step 3 are
//!    not excluded from this search (CloudSim passes an empty map where it meant the step-3 map), so a VM can
//!    be placed in step 3 and moved again in step 4: both migrations are issued and counted.

use crate::consolidation::round::Round;
use crate::consolidation::Consolidator;
use crate::fleet::{HostId, VmId};
use crate::policy::reallocation::PlacementRequest;
use crate::policy::selection::VmCandidate;

pub fn plan(consolidator: &mut Consolidator, round: &mut Round) -> Vec<(VmId, HostId)> {
    let host_count = round.hosts.len();
    let present: Vec<bool> = round.fleet.hosts.iter().map(|host| host.present).collect();

    let mut overloaded = vec![false; host_count];
    for host in 0..host_count {
        if present[host] {
            let observation = round.observe(host as HostId);
            overloaded[host] = consolidator.detector.observe(&observation);
        }
    }

    let mut selected = Vec::new();
    for host in (0..host_count as HostId).filter(|&host| overloaded[host as usize]) {
        while let Some(vm) = select_one(consolidator, round, host) {
            selected.push(vm);
            round.remove(host, vm);
            let observation = round.observe(host);
            if !consolidator.detector.check(&observation) {
                break;
            }
        }
    }

    let request =
        PlacementRequest { excluded: &overloaded, all_or_nothing: false, may_activate: true, idle_excluded: false };
    let mut migrations = consolidator.placement.place(round, consolidator.detector.as_ref(), &selected, request);

    if consolidator.least_utilized {
        evacuate_underloaded(consolidator, round, &overloaded, &mut migrations);
    }
    migrations
}

/// One VM picked by the selector among `host`'s VMs that are not migrating, or `None`.
fn select_one(consolidator: &mut Consolidator, round: &Round, host: HostId) -> Option<VmId> {
    let fleet = round.fleet;
    let candidates: Vec<VmCandidate> = round.hosts[host as usize]
        .list
        .iter()
        .filter(|&&vm| !fleet.vm(vm).is_migrating())
        .map(|&vm| {
            let entry = fleet.vm(vm);
            VmCandidate {
                vm,
                memory_mb: entry.flavor.memory_mb,
                capacity_mips: entry.capacity_mips(),
                utilization: entry.demand_fraction,
                history: &entry.history,
            }
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let index = consolidator.selector.select(&candidates, &mut consolidator.rng)?;
    candidates.get(index).map(|candidate| candidate.vm)
}

fn evacuate_underloaded(
    consolidator: &mut Consolidator,
    round: &mut Round,
    overloaded: &[bool],
    migrations: &mut Vec<(VmId, HostId)>,
) {
    let fleet = round.fleet;
    let host_count = round.hosts.len();
    let utilization: Vec<f64> = (0..host_count)
        .map(|host| {
            let total = fleet.hosts[host].total_mips();
            if total > 0.0 {
                round.hosts[host].utilization_mips / total
            } else {
                0.0
            }
        })
        .collect();
    // Switched off: no CPU use at the last update (CloudSim's `getUtilizationOfCpu() == 0`), or absent.
    let switched_off: Vec<bool> =
        (0..host_count).map(|host| utilization[host] == 0.0 || !fleet.hosts[host].present).collect();
    let mut excluded_from_search: Vec<bool> =
        (0..host_count).map(|host| overloaded[host] || switched_off[host]).collect();
    let mut excluded_as_target = excluded_from_search.clone();
    let mut searched = excluded_from_search.iter().filter(|&&excluded| excluded).count();

    while searched < host_count {
        let mut least: Option<(f64, usize)> = None;
        for host in 0..host_count {
            let value = utilization[host];
            if excluded_from_search[host] || !(value > 0.0 && value < least.map_or(1.0, |(min, _)| min)) {
                continue;
            }
            if all_leaving_or_any_arriving(round, host as HostId) {
                continue;
            }
            least = Some((value, host));
        }
        let Some((_, host)) = least else { break };
        excluded_from_search[host] = true;
        excluded_as_target[host] = true;
        searched += 1;
        let vms: Vec<VmId> =
            round.hosts[host].list.iter().copied().filter(|&vm| !fleet.vm(vm).is_migrating()).collect();
        if vms.is_empty() {
            continue;
        }
        // Switched-off hosts (no CPU use at the last update) include every idle host.
        let request = PlacementRequest {
            excluded: &excluded_as_target,
            all_or_nothing: true,
            may_activate: true,
            idle_excluded: true,
        };
        let placed = consolidator.placement.place(round, consolidator.detector.as_ref(), &vms, request);
        // As in CloudSim, the VMs stay listed on the evacuated host (which takes no further part in the round).
        for &(_, target) in &placed {
            if !excluded_from_search[target as usize] {
                excluded_from_search[target as usize] = true;
                searched += 1;
            }
        }
        migrations.extend(placed);
    }
}

/// CloudSim's `areAllVmsMigratingOutOrAnyVmMigratingIn`, walking the VM list in order.
fn all_leaving_or_any_arriving(round: &Round, host: HostId) -> bool {
    for &vm in &round.hosts[host as usize].list {
        if !round.fleet.vm(vm).is_migrating() {
            return false;
        }
        if round.is_incoming(host, vm) {
            return true;
        }
    }
    true
}
