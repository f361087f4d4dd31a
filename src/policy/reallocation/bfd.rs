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
