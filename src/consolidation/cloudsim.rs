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
use crate::migration::MigrationReason;
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
        // The candidates once per host: each selection leaves the others as they were, in the same order.
        let mut candidates = movable(round, host);
        while let Some(vm) = select_one(consolidator, &mut candidates) {
            selected.push(vm);
            round.remove(host, vm);
            if !round.overloaded(host, consolidator.detector.as_ref()) {
                break;
            }
        }
    }

    let request =
        PlacementRequest { excluded: &overloaded, all_or_nothing: false, may_activate: true, idle_excluded: false };
    let mut migrations = consolidator.placement.place(round, consolidator.detector.as_ref(), &selected, request);
    let stats = &mut consolidator.last_round;
    stats.overloaded_hosts = overloaded.iter().filter(|&&flagged| flagged).count() as u32;
    stats.vms_selected_overload = selected.len() as u32;
    stats.migrations_overload = migrations.len() as u32;
    consolidator.last_reasons.resize(migrations.len(), MigrationReason::Overload);

    if consolidator.least_utilized {
        evacuate_underloaded(consolidator, round, &overloaded, &mut migrations);
    }
    migrations
}

/// The selector's candidates on `host`: its listed VMs that are not migrating, in list order.
fn movable<'a>(round: &Round<'a>, host: HostId) -> Vec<VmCandidate<'a>> {
    let fleet = round.fleet;
    let list = &round.hosts[host as usize].list;
    // Sized up front: collecting from a filter would grow the vector step by step.
    let mut candidates: Vec<VmCandidate> = Vec::with_capacity(list.len());
    candidates.extend(
        list.iter()
            .filter(|&&vm| !fleet.vm(vm).is_migrating())
            .map(|&vm| VmCandidate::of(vm, fleet.vm(vm), round.migration)),
    );
    candidates
}

/// One VM picked by the selector among `candidates` and taken out of them (the host's list, which has each VM
/// once, loses the same one), or `None`.
fn select_one(consolidator: &mut Consolidator, candidates: &mut Vec<VmCandidate>) -> Option<VmId> {
    if candidates.is_empty() {
        return None;
    }
    let index = consolidator.selector.select(candidates, &mut consolidator.rng)?;
    (index < candidates.len()).then(|| candidates.remove(index).vm)
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

    // CloudSim searches all hosts for the least utilised one (strictly below 1, ties to the lowest id) each time.
    // The hosts it may pick are fixed when the search starts (exclusions only grow; a host still searchable has
    // the list it had, placements on it being undone or excluding it), so one pass over them in that order picks
    // the same hosts.
    let mut order: Vec<usize> = (0..host_count)
        .filter(|&host| !excluded_from_search[host] && utilization[host] > 0.0 && utilization[host] < 1.0)
        .collect();
    order.sort_by(|&a, &b| utilization[a].total_cmp(&utilization[b]).then(a.cmp(&b)));
    let mut vms = Vec::new();
    for host in order {
        if searched >= host_count {
            break;
        }
        if excluded_from_search[host] || all_leaving_or_any_arriving(round, host as HostId) {
            continue;
        }
        excluded_from_search[host] = true;
        excluded_as_target[host] = true;
        searched += 1;
        consolidator.last_round.hosts_underload_tried += 1;
        vms.clear();
        vms.extend(round.hosts[host].list.iter().copied().filter(|&vm| !fleet.vm(vm).is_migrating()));
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
        if !placed.is_empty() {
            let stats = &mut consolidator.last_round;
            stats.hosts_underload_evacuated += 1;
            stats.migrations_underload += placed.len() as u32;
            consolidator
                .last_reasons
                .resize(consolidator.last_reasons.len() + placed.len(), MigrationReason::Underload);
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

#[cfg(test)]
mod tests {
    use crate::consolidation::testing::{add_vm, consolidator, fleet, g4, g5, utilization_mips};
    use crate::fleet::Fleet;
    use crate::migration::MigrationConfig;
    use crate::policy::reallocation::ReallocationConfig;
    use crate::policy::underload::UnderloadConfig;
    use crate::policy::Semantics;

    // THR 0.8, MMT, PABFD. Power tables (reference §2.1), watts at 0, 10, ..., 100 %:
    //   G4 (3720 MIPS): 86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117;
    //   G5 (5320 MIPS): 93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135.

    fn plan(fleet: &Fleet, underload: UnderloadConfig) -> Vec<(u32, u32)> {
        let mut consolidator = consolidator(Semantics::Cloudsim, underload, ReallocationConfig::Pabfd {});
        consolidator.plan(fleet, &utilization_mips(fleet), &MigrationConfig::default(), 300.0)
    }

    #[test]
    fn an_overloaded_host_sheds_vms_until_it_is_no_longer_overloaded() {
        // h0: a G5 asking 2000 + 500 + 1900 + 600 = 5000 of 5320 MIPS: u = 0.940 > 0.8.
        // h1: a G4 at 1000 MIPS (u 0.2688, 94.940 W); h2: a G5 at 2660 MIPS (u 0.5, 116 W).
        let mut fleet = fleet([g5(), g4(), g5()]);
        add_vm(&mut fleet, Some(0), 1, 2000.0, 1024, 1.0);
        let v0 = add_vm(&mut fleet, Some(0), 1, 500.0, 512, 1.0);
        add_vm(&mut fleet, Some(0), 1, 1900.0, 1536, 1.0);
        let v1 = add_vm(&mut fleet, Some(0), 1, 600.0, 768, 1.0);
        add_vm(&mut fleet, Some(1), 1, 1000.0, 1024, 1.0);
        add_vm(&mut fleet, Some(2), 1, 2660.0, 1024, 1.0);
        // MMT takes the least RAM: v0 (512 MB): 4500 / 5320 = 0.846, still > 0.8; then v1 (768 MB): 3900 / 5320
        // = 0.733: done. (Moving the 2000-MIPS VM alone would have sufficed; Neat would move one VM only.)
        // PABFD, larger first, h0 excluded:
        //   v1 (600): h1 1000 → 1600 MIPS, u 0.4301: 100.253 W, +5.313 W; h2 2660 → 3260, u 0.6128: 121.511 W,
        //             +5.511 W. h1.
        //   v0 (500): h1 has now allocated 1000 + 600 (CloudSim's `getUtilizationOfCpuMips` counts the round's
        //             placements), so 1600 → 2100, u 0.5645: 104.581 W, +9.641 W over its power at the last
        //             update (94.940 W); h2 → 3160, u 0.5940: 120.699 W, +4.699 W. h2.
        assert_eq!(plan(&fleet, UnderloadConfig::Never {}), vec![(v1, 1), (v0, 2)]);
    }

    /// h0: a G5 at 2660 MIPS (u 0.5, 1536 MB booked); h1: a G4 with two small VMs (300 + 200 MIPS, u 0.134);
    /// h2: an idle G4 (switched off).
    fn with_underloaded_host() -> (Fleet, u32, u32) {
        let mut fleet = fleet([g5(), g4(), g4()]);
        add_vm(&mut fleet, Some(0), 1, 2660.0, 1536, 1.0);
        let a = add_vm(&mut fleet, Some(1), 1, 300.0, 512, 1.0);
        let b = add_vm(&mut fleet, Some(1), 1, 200.0, 512, 1.0);
        (fleet, a, b)
    }

    #[test]
    fn the_least_utilised_host_is_evacuated_when_all_its_vms_fit() {
        let (fleet, a, b) = with_underloaded_host();
        // No host is overloaded. The sweep tries h1 first (u 0.134 < 0.5); the idle h2 is switched off, so
        // neither searched nor a target. a and b go to h0: (2660 + 300 + 200) / 5320 = 0.594, not overloaded;
        // 1024 MB of its 2560 free. h0 has received VMs: no longer searched. Every host has been tried.
        assert_eq!(plan(&fleet, UnderloadConfig::LeastUtilized {}), vec![(a, 0), (b, 0)]);
        // Without the sweep nothing moves.
        assert_eq!(plan(&fleet, UnderloadConfig::Never {}), vec![]);
    }

    #[test]
    fn the_least_utilised_host_is_not_evacuated_at_all_when_one_vm_does_not_fit() {
        let (mut fleet, _, _) = with_underloaded_host();
        // A third VM on h1, the smallest CPU ask (placed last) but 3000 MB: h0 has 2560 − 1024 left once a and
        // b are placed, and h2, which could take it, is switched off. a's and b's placements are undone.
        add_vm(&mut fleet, Some(1), 1, 100.0, 3000, 1.0);
        // Then h0 (u 0.5) is tried: its VM could only go to h1 (already tried) or h2 (off). Nothing moves.
        assert_eq!(plan(&fleet, UnderloadConfig::LeastUtilized {}), vec![]);
    }

    #[test]
    fn a_vm_placed_off_an_overloaded_host_can_move_again_in_the_sweep() {
        // h0: a G5 asking 2660 + 1800 = 4460 MIPS (u 0.838 > 0.8); h1: a G4 at 200 MIPS (u 0.054, 87.828 W);
        // h2: a G5 at 1000 MIPS (u 0.188, 100.519 W).
        let mut fleet = fleet([g5(), g4(), g5()]);
        add_vm(&mut fleet, Some(0), 1, 2660.0, 1024, 1.0);
        let v = add_vm(&mut fleet, Some(0), 1, 1800.0, 512, 1.0);
        let w = add_vm(&mut fleet, Some(1), 1, 200.0, 512, 1.0);
        add_vm(&mut fleet, Some(2), 1, 1000.0, 1024, 1.0);
        // Step 3: MMT takes v (512 MB), leaving h0 at 0.5. v on h1: u 0.538, 103.505 W, +15.677 W; on h2: u 0.526,
        // 117.316 W, +16.797 W. h1.
        // Step 4: h1 is the least utilised at the last update (0.054 < 0.188) and, as in CloudSim, was not
        // excluded for having received v: its list [w, v] is evacuated to h2 (h0 overloaded, h1 itself), v first:
        // (1000 + 1800) / 5320 = 0.526, then w: 3000 / 5320 = 0.564. Both of v's moves are issued.
        assert_eq!(plan(&fleet, UnderloadConfig::LeastUtilized {}), vec![(v, 1), (v, 2), (w, 2)]);
    }

    #[test]
    fn equally_utilised_hosts_are_evacuated_lowest_id_first() {
        // h0: a G5 at 2660 MIPS (u 0.5); h1 and h2: G4s with one 300-MIPS VM each (u 0.0806, 88.741 W); h3 idle.
        let mut fleet = fleet([g5(), g4(), g4(), g4()]);
        add_vm(&mut fleet, Some(0), 1, 2660.0, 1024, 1.0);
        let a = add_vm(&mut fleet, Some(1), 1, 300.0, 512, 1.0);
        add_vm(&mut fleet, Some(2), 1, 300.0, 512, 1.0);
        // h1 first (the tie goes to the lower id). a on h2: u 0.1613, 91.361 W, +2.620 W; on h0: u 0.5564,
        // 118.820 W, +2.820 W. h2, which then takes no further part. h0 is tried last: its VM would take h2 to
        // (600 + 2660) / 3720 = 0.876 > 0.8, and h1 (evacuated) and h3 (off) take nothing. Starting from h2
        // would have moved h2's VM to h1 instead.
        assert_eq!(plan(&fleet, UnderloadConfig::LeastUtilized {}), vec![(a, 2)]);
    }
}
