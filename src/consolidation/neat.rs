//! OpenStack Neat's managers in one round: for each active host (in fleet order), the local manager runs both
//! detectors (so stateful ones update every time); an underloaded host asks for all its VMs to be placed
//! elsewhere (all or nothing, sleeping hosts not woken) so that it can sleep; otherwise an overloaded host asks
//! for one VM, chosen by the selector, to be placed (sleeping hosts may be woken). The global manager serves the
//! requests in order, each on the fleet as the earlier ones left it.

use crate::consolidation::round::Round;
use crate::consolidation::Consolidator;
use crate::fleet::{HostId, VmId};
use crate::policy::reallocation::PlacementRequest;
use crate::policy::selection::VmCandidate;

pub fn plan(consolidator: &mut Consolidator, round: &mut Round) -> Vec<(VmId, HostId)> {
    let fleet = round.fleet;
    let host_count = round.hosts.len();
    let mut migrations = Vec::new();
    // Hosts being emptied this round take no VMs.
    let mut excluded = vec![false; host_count];
    for host in 0..host_count as HostId {
        let index = host as usize;
        if !fleet.hosts[index].present || round.hosts[index].list.is_empty() || excluded[index] {
            continue;
        }
        let (underloaded, overloaded) = {
            let observation = round.observe(host);
            let underloaded =
                consolidator.underload.as_mut().is_some_and(|detector| detector.is_underloaded(&observation));
            (underloaded, consolidator.detector.observe(&observation))
        };
        let movable: Vec<VmId> =
            round.hosts[index].list.iter().copied().filter(|&vm| !fleet.vm(vm).is_migrating()).collect();
        if movable.is_empty() {
            continue;
        }
        let (vms, may_activate) = if underloaded {
            (movable, false)
        } else if overloaded {
            let candidates: Vec<VmCandidate> = movable
                .iter()
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
            let Some(index) = consolidator.selector.select(&candidates, &mut consolidator.rng) else { continue };
            (vec![candidates[index].vm], true)
        } else {
            continue;
        };
        excluded[index] = true;
        let request =
            PlacementRequest { excluded: &excluded, all_or_nothing: true, may_activate, idle_excluded: false };
        let placed = consolidator.placement.place(round, consolidator.detector.as_ref(), &vms, request);
        for &(vm, _) in &placed {
            round.remove(host, vm);
        }
        if !underloaded || placed.is_empty() {
            // Only a host that is being emptied stays out of the targets.
            excluded[index] = false;
        }
        migrations.extend(placed);
    }
    migrations
}
