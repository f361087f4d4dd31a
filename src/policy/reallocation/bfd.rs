//! Neat's best fit decreasing (`neat/globals/vm_placement/bin_packing.py`), with no power model.
//!
//! A host's free CPU is `int(cpu_threshold · capacity − use)` and its free RAM `int(ram_threshold · RAM −
//! booked)`, with use the last CPU of its VMs (those migrating in included). VMs are sorted by (mean of their last
//! `last_n` CPU values, RAM) descending; active hosts by (free CPU, free RAM) ascending, once; each VM goes to
//! the first host where both fit. When none fits and waking is allowed (the overload path), the first inactive
//! host (sorted the same way) joins the list and the search repeats. If any VM is left over, nothing moves.
//! Hosts whose every VM is migrating away are being emptied and take none.

use crate::consolidation::round::Round;
use crate::fleet::{HostId, VmId};
use crate::policy::overload::OverloadDetector;
use crate::policy::reallocation::{PlacementRequest, Reallocation};

#[derive(Clone, Debug)]
pub struct BestFitDecreasing {
    pub cpu_threshold: f64,
    pub ram_threshold: f64,
    pub last_n: usize,
}

impl BestFitDecreasing {
    /// A VM's CPU for sorting and fitting: the mean of its last `last_n` values, in MIPS.
    fn vm_cpu(&self, round: &Round, vm: VmId) -> f64 {
        let entry = round.fleet.vm(vm);
        let recent = &entry.history[entry.history.len().saturating_sub(self.last_n)..];
        let fraction =
            if recent.is_empty() { entry.demand_fraction } else { recent.iter().sum::<f64>() / recent.len() as f64 };
        fraction * entry.capacity_mips()
    }

    /// (free CPU, free RAM) of a host, truncated to integers as Neat does.
    fn free(&self, round: &Round, host: HostId) -> (f64, f64) {
        let host_entry = round.fleet.host(host);
        let used: f64 = round.hosts[host as usize]
            .list
            .iter()
            .map(|&vm| {
                let entry = round.fleet.vm(vm);
                entry.history.last().copied().unwrap_or(entry.demand_fraction) * entry.capacity_mips()
            })
            .sum();
        let booked_ram = host_entry.allocatable.memory_mb - round.hosts[host as usize].free_memory_mb;
        let cpu = (self.cpu_threshold * host_entry.total_mips() - used).trunc();
        let ram = (self.ram_threshold * host_entry.capacity.memory_mb as f64 - booked_ram).trunc();
        (cpu, ram)
    }
}

impl Reallocation for BestFitDecreasing {
    fn place(
        &self,
        round: &mut Round,
        _detector: &dyn OverloadDetector,
        vms: &[VmId],
        request: PlacementRequest,
    ) -> Vec<(VmId, HostId)> {
        let mut order: Vec<(f64, u64, VmId)> =
            vms.iter().map(|&vm| (self.vm_cpu(round, vm), round.fleet.vm(vm).booked_memory_mb, vm)).collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));

        // (free CPU, free RAM, host) for the active and the inactive candidates; free vCPUs (the allocation
        // ratio, which a Nova fleet keeps for migrations too) by host.
        let mut free_vcpus: Vec<f64> = round.hosts.iter().map(|round_host| round_host.free_vcpus).collect();
        let mut active = Vec::new();
        let mut inactive = Vec::new();
        for host in 0..round.hosts.len() as HostId {
            if request.excluded.get(host as usize).copied().unwrap_or(false) || !round.fleet.host(host).accepts_vms() {
                continue;
            }
            let list = &round.hosts[host as usize].list;
            let leaving = |vm: &VmId| round.fleet.vm(*vm).migration.is_some_and(|migration| migration.source == host);
            if !list.is_empty() && list.iter().all(leaving) {
                continue; // being emptied: it goes to sleep once its VMs have left
            }
            let (cpu, ram) = self.free(round, host);
            if list.is_empty() {
                inactive.push((cpu, ram, host));
            } else {
                active.push((cpu, ram, host));
            }
        }
        let by_free = |a: &(f64, f64, HostId), b: &(f64, f64, HostId)| {
            a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2))
        };
        active.sort_by(by_free);
        inactive.sort_by(by_free);
        inactive.reverse(); // popped from the end: smallest first

        let mut placed = Vec::with_capacity(order.len());
        for &(cpu, memory, vm) in &order {
            let vcpus = f64::from(round.fleet.vm(vm).flavor.vcpus);
            loop {
                let fits = |slot: &&mut (f64, f64, HostId)| {
                    slot.0 >= cpu && slot.1 >= memory as f64 && free_vcpus[slot.2 as usize] >= vcpus
                };
                if let Some(slot) = active.iter_mut().find(fits) {
                    slot.0 -= cpu;
                    slot.1 -= memory as f64;
                    free_vcpus[slot.2 as usize] -= vcpus;
                    placed.push((vm, slot.2));
                    break;
                }
                match inactive.pop() {
                    Some(woken) if request.may_activate => {
                        active.push(woken);
                        active.sort_by(by_free);
                    }
                    _ => break,
                }
            }
        }
        if placed.len() < order.len() {
            return Vec::new();
        }
        for &(vm, host) in &placed {
            round.add(host, vm);
        }
        placed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consolidation::testing::{add_vm, fleet, host, utilization_mips};
    use crate::fleet::{Fleet, Host};
    use crate::migration::MigrationConfig;
    use crate::policy::overload::thr::Never;
    use crate::policy::Semantics;
    use crate::power::PowerModel;
    use crate::time::SimTime;

    // Neat's defaults: free CPU = int(0.8 · capacity − use), free RAM = int(0.95 · RAM − booked), last 2 values.
    const BFD: BestFitDecreasing = BestFitDecreasing { cpu_threshold: 0.8, ram_threshold: 0.95, last_n: 2 };

    /// 4 cores × 1000 MIPS (free CPU 3200 when empty), 8192 MB (free RAM 7782 when empty).
    fn small() -> Host {
        host(4, 1000.0, 8192, PowerModel::default())
    }

    /// 8 cores × 1000 MIPS (free CPU 6400 when empty), 8192 MB.
    fn large() -> Host {
        host(8, 1000.0, 8192, PowerModel::default())
    }

    fn place(fleet: &Fleet, vms: &[VmId], excluded: &[bool], may_activate: bool) -> Vec<(VmId, HostId)> {
        let migration = MigrationConfig::default();
        let utilization = utilization_mips(fleet);
        let mut round = Round::new(fleet, Semantics::Neat, &migration, 300.0, 100, &utilization);
        let request = PlacementRequest { excluded, all_or_nothing: true, may_activate, idle_excluded: false };
        BFD.place(&mut round, &Never, vms, request)
    }

    #[test]
    fn vms_by_mean_recent_cpu_then_ram_descending_hosts_by_free_cpu_then_ram_ascending() {
        let mut fleet = fleet([small(), small(), small(), small()]);
        // h0 uses 2000 MIPS: free (1200, 7782 − 2048 = 5734). h1 uses 2500: free (700, 5734). h2 uses 2500 but
        // books more RAM: free (700, 7782 − 4096 = 3686). Sorted: h2, h1, h0.
        add_vm(&mut fleet, Some(0), 4, 1000.0, 2048, 0.5);
        add_vm(&mut fleet, Some(1), 4, 1000.0, 2048, 0.625);
        add_vm(&mut fleet, Some(2), 4, 1000.0, 4096, 0.625);
        // The VMs to place, on h3 (their source, excluded). Means of the last 2 values:
        //   a: [0.125, 0.625] → 375 MIPS, 1024 MB (its latest value, 625, is the largest: not what sorts);
        //   b: [0.5, 0.5]     → 500 MIPS, 1024 MB;
        //   c: [0.375, 0.375] → 375 MIPS, 2048 MB (ties with a on CPU, more RAM: before a).
        let a = add_vm(&mut fleet, Some(3), 1, 1000.0, 1024, 0.625);
        fleet.vm_mut(a).history = vec![0.9, 0.125, 0.625].into();
        let b = add_vm(&mut fleet, Some(3), 1, 1000.0, 1024, 0.5);
        fleet.vm_mut(b).history = vec![0.5, 0.5].into();
        let c = add_vm(&mut fleet, Some(3), 1, 1000.0, 2048, 0.375);
        fleet.vm_mut(c).history = vec![0.375, 0.375].into();
        // b (500) → h2 (700 → 200); c (375) → not h2, h1 (700 → 325); a (375) → not h2, not h1, h0.
        // (Sorting a before c would give a → h1 and c → h0; hosts by id would put b on h0.)
        assert_eq!(place(&fleet, &[a, b, c], &[false, false, false, true], true), vec![(b, 2), (c, 1), (a, 0)]);
    }

    #[test]
    fn a_sleeping_host_is_woken_only_when_allowed_smallest_first() {
        // h0 active with 700 MIPS free; h1 (large, 6400 free) and h2 (small, 3200 free) empty; h3 the source.
        let mut fleet = fleet([small(), large(), small(), small()]);
        add_vm(&mut fleet, Some(0), 4, 1000.0, 2048, 0.625);
        let x = add_vm(&mut fleet, Some(3), 1, 1000.0, 1024, 1.0); // 1000 MIPS: not on h0
        let y = add_vm(&mut fleet, Some(3), 4, 1000.0, 1024, 1.0); // 4000 MIPS: only on h1
        let excluded = [false, false, false, true];
        assert_eq!(place(&fleet, &[x], &excluded, false), vec![]);
        // Woken in order of free CPU: h2 (3200) before h1 (6400), though h1 has the lower id.
        assert_eq!(place(&fleet, &[x], &excluded, true), vec![(x, 2)]);
        // y does not fit h2 (3200 < 4000): h2 is woken, then h1, which takes it.
        assert_eq!(place(&fleet, &[y], &excluded, true), vec![(y, 1)]);
    }

    #[test]
    fn all_or_nothing_leaves_the_round_unchanged() {
        let mut fleet = fleet([small(), small()]);
        add_vm(&mut fleet, Some(0), 4, 1000.0, 2048, 0.625); // h0: free (700, 5734)
        let x = add_vm(&mut fleet, Some(1), 1, 1000.0, 1024, 0.5); // fits h0
        let w = add_vm(&mut fleet, Some(1), 1, 1000.0, 6000, 0.25); // 250 MIPS but 6000 MB: fits nowhere
        let migration = MigrationConfig::default();
        let utilization = utilization_mips(&fleet);
        let mut round = Round::new(&fleet, Semantics::Neat, &migration, 300.0, 100, &utilization);
        let excluded = [false, true];
        // Even when the caller does not insist (Neat never moves part of a request).
        for all_or_nothing in [true, false] {
            let request =
                PlacementRequest { excluded: &excluded, all_or_nothing, may_activate: true, idle_excluded: false };
            assert_eq!(BFD.place(&mut round, &Never, &[x, w], request), vec![]);
            assert_eq!((round.hosts[0].list.len(), round.hosts[0].free_memory_mb), (1, 8192.0 - 2048.0));
        }
        let request =
            PlacementRequest { excluded: &excluded, all_or_nothing: true, may_activate: true, idle_excluded: false };
        assert_eq!(BFD.place(&mut round, &Never, &[x], request), vec![(x, 0)]);
        assert_eq!(round.hosts[0].list.len(), 2);
    }

    #[test]
    fn a_host_whose_vms_are_all_leaving_takes_none() {
        // h0 uses 2500 MIPS (free 700), h1 2000 (free 1200), h2 is large and empty, h3 the source of x.
        let build = |leaving: bool| {
            let mut fleet = fleet([small(), small(), large(), small()]);
            let l0 = add_vm(&mut fleet, Some(0), 4, 1000.0, 2048, 0.625);
            add_vm(&mut fleet, Some(1), 4, 1000.0, 2048, 0.5);
            let x = add_vm(&mut fleet, Some(3), 1, 1000.0, 1024, 0.5);
            if leaving {
                // h0's only VM is migrating to h2: h0 is being emptied (and h2 is no longer empty: free 3900).
                fleet.start_migration(l0, 2, SimTime::ZERO, SimTime(30_000), 0);
            }
            (fleet, x)
        };
        let excluded = [false, false, false, true];
        let (fleet, x) = build(false);
        assert_eq!(place(&fleet, &[x], &excluded, false), vec![(x, 0)], "best fit: the host with least free CPU");
        let (fleet, x) = build(true);
        assert_eq!(place(&fleet, &[x], &excluded, false), vec![(x, 1)]);
    }
}
