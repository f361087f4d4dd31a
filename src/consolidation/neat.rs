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
use crate::migration::MigrationReason;
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
        consolidator.last_round.overloaded_hosts += u32::from(overloaded && !underloaded);
        if underloaded {
            requests.push((host, Request::Evacuate(movable)));
        } else if overloaded {
            let candidates: Vec<VmCandidate> =
                movable.iter().map(|&vm| VmCandidate::of(vm, fleet.vm(vm), round.migration)).collect();
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
        let stats = &mut consolidator.last_round;
        if emptying {
            stats.hosts_underload_tried += 1;
        } else {
            stats.vms_selected_overload += 1;
        }
        excluded[index] = true;
        let request =
            PlacementRequest { excluded: &excluded, all_or_nothing: true, may_activate, idle_excluded: false };
        let placed = consolidator.placement.place(round, consolidator.detector.as_ref(), &vms, request);
        for &(vm, target) in &placed {
            round.remove(host, vm);
            received[target as usize] = true;
        }
        excluded[index] = emptying && !placed.is_empty();
        let (stats, reason) = (
            &mut consolidator.last_round,
            if emptying { MigrationReason::Underload } else { MigrationReason::Overload },
        );
        if emptying {
            stats.hosts_underload_evacuated += u32::from(!placed.is_empty());
            stats.migrations_underload += placed.len() as u32;
        } else {
            stats.migrations_overload += placed.len() as u32;
        }
        consolidator.last_reasons.resize(consolidator.last_reasons.len() + placed.len(), reason);
        migrations.extend(placed);
    }
    migrations
}

#[cfg(test)]
mod tests {
    use crate::consolidation::testing::{add_vm, consolidator, fleet, host, utilization_mips};
    use crate::fleet::{Fleet, Host};
    use crate::migration::MigrationConfig;
    use crate::policy::reallocation::ReallocationConfig;
    use crate::policy::underload::UnderloadConfig;
    use crate::policy::Semantics;
    use crate::power::PowerModel;

    // THR 0.8 overload, MMT selection, BFD with Neat's defaults: free CPU = int(0.8 · capacity − use), free RAM
    // = int(0.95 · RAM − booked), VMs by the mean of their last 2 values.

    /// 4 cores × 1000 MIPS (free CPU 3200 when empty), 8192 MB (free RAM 7782 when empty).
    fn small() -> Host {
        host(4, 1000.0, 8192, PowerModel::default())
    }

    /// 8 cores × 1000 MIPS (free CPU 6400 when empty), 8192 MB.
    fn large() -> Host {
        host(8, 1000.0, 8192, PowerModel::default())
    }

    fn plan(fleet: &Fleet, underload: UnderloadConfig) -> Vec<(u32, u32)> {
        let bfd = ReallocationConfig::Bfd { cpu_threshold: 0.8, ram_threshold: 0.95, last_n: 2 };
        let mut consolidator = consolidator(Semantics::Neat, underload, bfd);
        consolidator.plan(fleet, &utilization_mips(fleet), &MigrationConfig::default(), 300.0)
    }

    #[test]
    fn one_vm_leaves_each_overloaded_host_per_round() {
        // h0 and h1: eight 500-MIPS VMs each, all busy: 4000 / 4000 MIPS, u = 1 > 0.8. Each has one 256-MB VM.
        // h2: large, one 1000-MIPS VM (u 0.125): 5400 MIPS free.
        let mut fleet = fleet([small(), small(), large()]);
        let mut smallest = Vec::new();
        for source in 0..2 {
            for index in 0..8 {
                let memory = if index == 2 { 256 } else { 512 };
                let vm = add_vm(&mut fleet, Some(source), 1, 500.0, memory, 1.0);
                if memory == 256 {
                    smallest.push(vm);
                }
            }
        }
        add_vm(&mut fleet, Some(2), 1, 1000.0, 1024, 1.0);
        // MMT picks each host's 256-MB VM. Without it, each host still asks 3500 / 4000 = 0.875 > 0.8: CloudSim
        // would take a second VM, Neat takes one per round. h0's VM: h1 has int(3200 − 4000) < 0 free, h2 5400:
        // h2. h1's VM: h0 has int(3200 − 3500) < 0, h2 4900: h2.
        assert_eq!(plan(&fleet, UnderloadConfig::Never {}), vec![(smallest[0], 2), (smallest[1], 2)]);
    }

    /// h0: two VMs asking 400 MIPS each (u 0.2, underloaded at 0.3), q booking `q_memory_mb`; h1: a 4-vCPU VM
    /// at 0.5 (u 0.5), free (1200, 7782 − 2048 = 5734); h2 empty (asleep).
    fn with_underloaded_host(q_memory_mb: u64) -> (Fleet, u32, u32) {
        let mut fleet = fleet([small(), small(), small()]);
        let p = add_vm(&mut fleet, Some(0), 1, 1000.0, 512, 0.4);
        let q = add_vm(&mut fleet, Some(0), 1, 1000.0, q_memory_mb, 0.4);
        add_vm(&mut fleet, Some(1), 4, 1000.0, 2048, 0.5);
        (fleet, p, q)
    }

    #[test]
    fn an_underloaded_host_is_emptied_when_all_its_vms_fit() {
        let (fleet, p, q) = with_underloaded_host(1024);
        // p and q both ask 400: q (more RAM) first. h1: 1200 → 800 → 400 MIPS free. Both go to h1.
        assert_eq!(plan(&fleet, UnderloadConfig::Threshold { threshold: 0.3 }), vec![(q, 1), (p, 1)]);
        assert_eq!(plan(&fleet, UnderloadConfig::Never {}), vec![]);
    }

    #[test]
    fn an_underloaded_host_is_not_emptied_at_all_when_one_vm_does_not_fit() {
        // q books 7000 MB: more than h1's 5734 free. h2 (7782 free) is asleep and the underload path does not
        // wake hosts. p would fit h1, but nothing moves.
        let (fleet, _, _) = with_underloaded_host(7000);
        assert_eq!(plan(&fleet, UnderloadConfig::Threshold { threshold: 0.3 }), vec![]);
    }

    #[test]
    fn a_host_that_received_vms_drops_its_own_request() {
        // h0: p (400 MIPS, 512 MB) and q (400 MIPS, 1024 MB), u 0.2; h1: r (1000 MIPS), u 0.25, free 2200;
        // h2: large, 3000 MIPS used (u 0.375, not underloaded at 0.3), free 3400. h0 and h1 are underloaded.
        let mut fleet = fleet([small(), small(), large()]);
        let p = add_vm(&mut fleet, Some(0), 1, 1000.0, 512, 0.4);
        let q = add_vm(&mut fleet, Some(0), 1, 1000.0, 1024, 0.4);
        let r = add_vm(&mut fleet, Some(1), 1, 1000.0, 1024, 1.0);
        add_vm(&mut fleet, Some(2), 4, 1000.0, 2048, 0.75);
        // h0's request first: best fit puts q and p on h1 (2200 free, less than h2's 3400). h1 now holds VMs its
        // manager did not measure: its request (r to h2, h0 being emptied) is dropped until the next round.
        let plan = plan(&fleet, UnderloadConfig::Threshold { threshold: 0.3 });
        assert_eq!(plan, vec![(q, 1), (p, 1)]);
        assert!(plan.iter().all(|&(vm, _)| vm != r));
    }
}
