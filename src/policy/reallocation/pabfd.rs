//! Power-aware best fit decreasing (PABFD), as CloudSim's `PowerVmAllocationPolicyMigrationAbstract` codes it.
//!
//! VMs are taken by current CPU request, descending (ties: the given order). Each goes to the host with the
//! least power increase `P(u_after) - P(u_now)`, among hosts that are suitable (a vCPU's request fits a core,
//! the request fits the free MIPS, the RAM fits) and not overloaded after the allocation. As in CloudSim:
//! - `u_now` is the host's CPU use at the last update (`PowerHost.getPower`), fixed for the round;
//! - `u_after` adds the VM's request to what the host's scheduler has allocated (`getUtilizationOfCpuMips`):
//!   its use at the last update, nine times the 10 % reserved for each VM migrating in, and the requests of the
//!   VMs the round has already placed there ([`Round::allocated_mips`]);
//! - a host with nothing allocated is exempt from the overload check (`getUtilizationOfCpuMips(host) != 0`),
//!   so a switched-off host can be woken: `P(0)` is the idle power, and waking an empty host looks cheap.
//!
//! Power comes from the SPECpower tables in CloudSim's arithmetic ([`crate::power::spec_power`]): hosts of one
//! type often differ only by its rounding, which decides the tie.

use crate::consolidation::round::Round;
use crate::fleet::{HostId, VmId};
use crate::policy::overload::OverloadDetector;
use crate::policy::reallocation::{PlacementRequest, Reallocation};

#[derive(Clone, Debug)]
pub struct PowerAwareBestFitDecreasing;

impl PowerAwareBestFitDecreasing {
    /// CloudSim's `findHostForVm(vm, excludedHosts)`: the least power increase among suitable hosts not
    /// overloaded after the allocation, ties going to the lowest host id (CloudSim scans in fleet order with a
    /// strict `<`). CloudSim asks the (costly) detector of every suitable host; ranking the suitable hosts by
    /// (increase, id) first and asking the detector in that order until one accepts picks the same host with
    /// usually a few detector calls (and so takes only the first few hosts of the ranking).
    pub fn find_host(
        round: &mut Round,
        detector: &dyn OverloadDetector,
        vm: VmId,
        excluded: &[bool],
        may_activate: bool,
        idle_excluded: bool,
    ) -> Option<HostId> {
        let requested = round.requested_mips(vm);
        let fit = round.fit_of(vm);
        let mut candidates = std::mem::take(&mut round.candidates);
        round.placement_candidates(excluded, idle_excluded, &mut candidates);
        let mut scored = std::mem::take(&mut round.scored);
        scored.clear();
        // A plain loop rather than an iterator handed to the ranking, so that the scoring is compiled inline.
        for &host in &candidates {
            if !round.is_suitable(host, &fit) {
                continue;
            }
            if round.allocated_mips(host) != 0.0 {
                // CloudSim probes this host (creates the VM there and destroys it) whatever the ranking decides.
                round.note_probe(host);
            }
            let round_host = &round.hosts[host as usize];
            if round_host.utilization_mips == 0.0 && !may_activate && round_host.list.is_empty() {
                continue;
            }
            let host_entry = round.fleet.host(host);
            let after = (round.allocated_mips(host) + requested) / host_entry.total_mips();
            scored.push((host_entry.power.watts(after) - round_host.power_now_w, host));
        }
        let mut ranked = std::mem::take(&mut round.ranked);
        ranked.rank(scored.iter().copied());
        // Hosts with nothing allocated are exempt from the overload check.
        let found = std::iter::from_fn(|| ranked.take_best())
            .find(|&host| round.allocated_mips(host) == 0.0 || !round.overloaded_with(host, vm, detector));
        round.candidates = candidates;
        round.scored = scored;
        round.ranked = ranked;
        found
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consolidation::testing::{add_vm, fleet, g4, g5, utilization_mips};
    use crate::fleet::Fleet;
    use crate::migration::MigrationConfig;
    use crate::policy::overload::thr::Threshold;
    use crate::policy::Semantics;

    // Power tables (reference §2.1), watts at 0, 10, ..., 100 %:
    //   G4 (2 × 1860 = 3720 MIPS): 86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117;
    //   G5 (2 × 2660 = 5320 MIPS): 93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135.

    const THR: Threshold = Threshold { threshold: 0.8 };

    fn request(excluded: &[bool], all_or_nothing: bool) -> PlacementRequest<'_> {
        PlacementRequest { excluded, all_or_nothing, may_activate: true, idle_excluded: false }
    }

    /// Places `vms` on a fresh round of `fleet` (CPU use at the last update = the VMs' requests).
    fn place(fleet: &Fleet, detector: &Threshold, vms: &[VmId], excluded: &[bool]) -> Vec<(VmId, HostId)> {
        let migration = MigrationConfig::default();
        let utilization = utilization_mips(fleet);
        let mut round = Round::new(fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
        PowerAwareBestFitDecreasing.place(&mut round, detector, vms, request(excluded, false))
    }

    /// h0: G4 at 1860 MIPS (u = 0.5, 102 W); h1: G5 at 2660 MIPS (u = 0.5, 116 W).
    fn half_loaded() -> Fleet {
        let mut fleet = fleet([g4(), g5()]);
        add_vm(&mut fleet, Some(0), 1, 1860.0, 1024, 1.0);
        add_vm(&mut fleet, Some(1), 1, 2660.0, 1024, 1.0);
        fleet
    }

    #[test]
    fn picks_the_least_power_increase() {
        let mut fleet = half_loaded();
        let x = add_vm(&mut fleet, None, 1, 372.0, 512, 1.0);
        let y = add_vm(&mut fleet, None, 1, 532.0, 512, 1.0);
        // x (372 MIPS): G4 1860 → 2232 MIPS, u 0.5 → 0.6: 102 → 106 W, +4.000 W;
        //               G5 2660 → 3032 MIPS, u 0.5 → 0.5699: 116 → 116 + 0.699 · 5 = 119.496 W, +3.496 W. G5.
        assert_eq!(place(&fleet, &THR, &[x], &[]), vec![(x, 1)]);
        // y (532 MIPS): G4 → 2392 MIPS, u 0.6430: 106 + 0.430 · 2 = 106.860 W, +4.860 W;
        //               G5 → 3192 MIPS, u 0.6: 121 W, +5.000 W. G4: the answer depends on the VM, so it is the
        //               power increase that decides, not a preference for a host type.
        assert_eq!(place(&fleet, &THR, &[y], &[]), vec![(y, 0)]);
        // Both: the larger (y) first; x's increases are measured from the CPU use at the last update (CloudSim),
        // not counting y, so x still goes to the G5.
        assert_eq!(place(&fleet, &THR, &[x, y], &[]), vec![(y, 0), (x, 1)]);
    }

    #[test]
    fn skips_a_host_that_would_be_overloaded_after_the_allocation() {
        let mut fleet = fleet([g4(), g5()]);
        add_vm(&mut fleet, Some(0), 2, 1395.0, 1024, 1.0); // 2790 MIPS: u = 0.75
        add_vm(&mut fleet, Some(1), 1, 2660.0, 1024, 1.0); // u = 0.5
        let x = add_vm(&mut fleet, None, 1, 372.0, 512, 1.0);
        // G4: u 0.75 → (2790 + 372) / 3720 = 0.85: P 110 → 113 W, +3.000 W, the least, but 0.85 > 0.8.
        // G5: +3.496 W (as above), u after 0.57: the G5.
        assert_eq!(place(&fleet, &THR, &[x], &[]), vec![(x, 1)]);
        // With a threshold of 0.9 the G4 is not overloaded after the allocation and wins on power.
        assert_eq!(place(&fleet, &Threshold { threshold: 0.9 }, &[x], &[]), vec![(x, 0)]);
    }

    #[test]
    fn a_host_idle_at_the_last_update_is_exempt_from_the_overload_check() {
        let mut fleet = fleet([g4(), g4()]);
        add_vm(&mut fleet, Some(0), 1, 100.0, 1024, 1.0); // h0: 100 MIPS; h1: idle
        let z = add_vm(&mut fleet, None, 2, 1550.0, 1024, 1.0); // 3100 MIPS
                                                                // h0: u 0.0269 → 3200 / 3720 = 0.8602: 86.914 → 113.204 W, +26.290 W, but overloaded after (0.86 > 0.8).
                                                                // h1: u 0 → 3100 / 3720 = 0.8333: 86 → 112.667 W, +26.667 W; also above 0.8 after, but exempt.
        let migration = MigrationConfig::default();
        let utilization = utilization_mips(&fleet);
        let mut round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
        assert!(round.overloaded_with(1, z, &THR), "the detector alone would refuse h1");
        assert!(round.overloaded_with(0, z, &THR));
        assert_eq!(PowerAwareBestFitDecreasing::find_host(&mut round, &THR, z, &[], true, false), Some(1));
        // An idle host is not woken when placement may not activate hosts.
        assert_eq!(PowerAwareBestFitDecreasing::find_host(&mut round, &THR, z, &[], false, false), None);
    }

    #[test]
    fn excluded_hosts_are_never_chosen() {
        // h0 G4 at u 0.5, h1 G5 at u 0.5, h2 and h3 idle G4s (one class of identical idle hosts).
        let mut fleet = half_loaded();
        fleet.add_host(g4());
        fleet.add_host(g4());
        let x = add_vm(&mut fleet, None, 1, 372.0, 512, 1.0);
        // x on an idle G4: u 0 → 0.1, 86 → 89.4 W, +3.400 W: cheaper than h1 (+3.496 W) and h0 (+4.000 W).
        assert_eq!(place(&fleet, &THR, &[x], &[]), vec![(x, 2)]);
        // h2 excluded: its twin h3 (same class) is examined instead.
        assert_eq!(place(&fleet, &THR, &[x], &[false, false, true, false]), vec![(x, 3)]);
        assert_eq!(place(&fleet, &THR, &[x], &[false, false, true, true]), vec![(x, 1)]);
        assert_eq!(place(&fleet, &THR, &[x], &[false, true, true, true]), vec![(x, 0)]);
        assert_eq!(place(&fleet, &THR, &[x], &[true; 4]), vec![]);
    }

    #[test]
    fn all_or_nothing_places_nothing_and_leaves_the_round_unchanged() {
        // h0 G4 at u 0.5 and h1 G5 at u 0.5, each with 3072 MB free; h2 an idle G4 (4096 MB free).
        let mut fleet = half_loaded();
        fleet.add_host(g4());
        let x = add_vm(&mut fleet, None, 1, 372.0, 512, 1.0);
        // w asks for less CPU (placed after x) but 5000 MB of RAM: it fits nowhere.
        let w = add_vm(&mut fleet, None, 1, 100.0, 5000, 1.0);
        let migration = MigrationConfig::default();
        let utilization = utilization_mips(&fleet);
        let mut round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
        let state = |round: &mut Round| {
            (0..3)
                .map(|host| {
                    let entry = &round.hosts[host as usize];
                    let (list, memory) = (entry.list.clone(), entry.free_memory_mb);
                    (list, memory, round.available_mips(host), round.observe(host).utilization)
                })
                .collect::<Vec<_>>()
        };
        let before = state(&mut round);
        // x alone goes to the idle G4 (+3.4 W, see above); with w, all or nothing: x's placement is undone.
        let placed = PowerAwareBestFitDecreasing.place(&mut round, &THR, &[x, w], request(&[], true));
        assert_eq!(placed, vec![]);
        assert_eq!(state(&mut round), before);
        // The round still places x as a fresh one would.
        assert_eq!(PowerAwareBestFitDecreasing::find_host(&mut round, &THR, x, &[], true, false), Some(2));
        // Not all or nothing: x is placed and recorded, w stays.
        let placed = PowerAwareBestFitDecreasing.place(&mut round, &THR, &[x, w], request(&[], false));
        assert_eq!(placed, vec![(x, 2)]);
        assert_eq!(round.hosts[2].list, vec![x]);
        assert_eq!(round.hosts[2].free_memory_mb, 4096.0 - 512.0);
    }

    #[test]
    fn ties_go_to_the_lower_host_id() {
        // Two identical idle G4s: any VM raises both by the same watts.
        let mut fleet = fleet([g4(), g4()]);
        let first = add_vm(&mut fleet, None, 1, 200.0, 512, 1.0);
        let x = add_vm(&mut fleet, None, 1, 372.0, 512, 1.0);
        assert_eq!(place(&fleet, &THR, &[x], &[]), vec![(x, 0)]);
        // The round has put a VM on h1 first, so h1 is examined before h0. Both were idle at the last update
        // (CPU use 0, power 86 W), so x adds 3.4 W to either and both are exempt from the overload check: the
        // tie goes to h0 whatever the order of examination.
        let migration = MigrationConfig::default();
        let utilization = utilization_mips(&fleet);
        let mut round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
        round.add(1, first);
        let mut candidates = Vec::new();
        round.placement_candidates(&[], false, &mut candidates);
        assert_eq!(candidates, vec![1, 0]);
        assert_eq!(PowerAwareBestFitDecreasing::find_host(&mut round, &THR, x, &[], true, false), Some(0));
    }
}
