//! OpenStack Neat's managers in one round.
//!
//! First every active host's local manager decides, from the host as it stood at the tick: it runs both
//! detectors (so stateful ones update every time); an underloaded host asks for all its VMs to be placed
//! elsewhere (all or nothing, sleeping hosts not woken) so that it can sleep; otherwise an overloaded host asks
//! for one VM, chosen by the selector, to be placed (sleeping hosts may be woken). Then the global manager serves
//! the requests in host order, each on the fleet as the earlier ones left it. A host that has received VMs
//! earlier in the round no longer matches what its manager measured: its request is dropped, and it decides
//! again at the next tick (Neat's managers would see the new VMs only in their next measurement).

use crate::consolidation::round::Round;
use crate::consolidation::Consolidator;
use crate::fleet::{HostId, VmId};
use crate::policy::reallocation::PlacementRequest;
use crate::policy::selection::VmCandidate;

/// What a host's local manager asks for.
enum Request {
    Evacuate(Vec<VmId>),
    Relieve(VmId),
}

pub fn plan(consolidator: &mut Consolidator, round: &mut Round) -> Vec<(VmId, HostId)> {
    let fleet = round.fleet;
    let host_count = round.hosts.len();
    let mut requests: Vec<(HostId, Request)> = Vec::new();
    for host in 0..host_count as HostId {
        let index = host as usize;
        if !fleet.hosts[index].present || fleet.hosts[index].vms.is_empty() {
            continue;
        }
        let (underloaded, overloaded) = {
            let observation = round.observe(host);
            let underloaded =
                consolidator.underload.as_mut().is_some_and(|detector| detector.is_underloaded(&observation));
            (underloaded, consolidator.detector.observe(&observation))
        };
        let movable: Vec<VmId> =
            fleet.hosts[index].vms.iter().copied().filter(|&vm| !fleet.vm(vm).is_migrating()).collect();
        if movable.is_empty() {
            continue;
        }
        if underloaded {
            requests.push((host, Request::Evacuate(movable)));
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
            if let Some(chosen) = consolidator.selector.select(&candidates, &mut consolidator.rng) {
                requests.push((host, Request::Relieve(candidates[chosen].vm)));
            }
        }
    }

    let mut migrations = Vec::new();
    let mut received = vec![false; host_count];
    // Hosts being emptied take no VMs.
    let mut excluded = vec![false; host_count];
    for (host, request) in requests {
        let index = host as usize;
        if received[index] {
            continue;
        }
        let (vms, may_activate, emptying) = match request {
            Request::Evacuate(vms) => (vms, false, true),
            Request::Relieve(vm) => (vec![vm], true, false),
        };
        excluded[index] = true;
        let request =
            PlacementRequest { excluded: &excluded, all_or_nothing: true, may_activate, idle_excluded: false };
        let placed = consolidator.placement.place(round, consolidator.detector.as_ref(), &vms, request);
        for &(vm, target) in &placed {
            round.remove(host, vm);
            received[target as usize] = true;
        }
        excluded[index] = emptying && !placed.is_empty();
        migrations.extend(placed);
    }
    migrations
}
