//! Update points: each host's CPU shared among its VMs, as CloudSim's time-shared, oversubscribable scheduler
//! shares it, and the result recorded in the host and VM ledgers.
//!
//! A VM asks for `demand × MIPS`, each vCPU capped at the host's core speed. When the requests fit, each VM gets
//! its request; otherwise every grant is scaled by capacity / requests. (In `cloudsim` semantics, as CloudSim's
//! scheduler decides it: the requests are subtracted from the capacity one by one, and the host is oversubscribed
//! when one does not fit what is left; the scaling divides by their sum in its map's order,
//! [`crate::consolidation::free_mips`].) In `cloudsim` semantics a VM migrating
//! away gets 90 % of its grant and its target reserves 10 % of its request (CloudSim rounds scaled grants down
//! to whole MIPS); in `neat` semantics a migration costs no CPU (its degradation is only counted in PDM).

use crate::consolidation::free_mips;
use crate::consolidation::round::INCOMING_SHARE;
use crate::fleet::{HostId, VmStatus};
use crate::metrics::ledger::HostState;
use crate::policy::Semantics;
use crate::simulation::Simulation;
use crate::workload::planetlab::ZeroDemand;

/// Utilisation above which a host counts as overloaded for Neat's AOTF (`host_cpu_overload_threshold`).
pub const AOTF_THRESHOLD: f64 = 0.8;

impl Simulation<'_> {
    /// Updates every host at the current time.
    pub(super) fn update_all(&mut self) {
        for host in 0..self.fleet.hosts.len() as HostId {
            self.update_host(host);
        }
        self.last_update = Some(self.now);
        self.moved_since_update.clear();
    }

    /// Shares the host's CPU among its VMs and records the host and its running VMs in their ledgers.
    pub(super) fn update_host(&mut self, host: HostId) {
        let cloudsim = self.semantics == Semantics::Cloudsim;
        let penalty = self.scenario.migration.cpu_penalty();
        let (out_factor, in_share) = if cloudsim { (1.0 - penalty, INCOMING_SHARE) } else { (1.0, 0.0) };
        let fleet = &mut self.fleet;
        let host_entry = &fleet.hosts[host as usize];
        if host_entry.vms.is_empty()
            && host_entry.incoming.is_empty()
            && self.host_ledgers[host as usize].recorded_idle()
        {
            // An empty host recorded as idle stays so: most hosts of a consolidated fleet, skipped.
            let host_entry = &mut fleet.hosts[host as usize];
            host_entry.utilization_mips = 0.0;
            host_entry.reserved_mips = 0.0;
            return;
        }
        let total = host_entry.total_mips();
        let core = host_entry.core_mips;
        // A VM's request per vCPU, capped at a core.
        let capped_per_vcpu = |vm: &crate::fleet::Vm| {
            if vm.status == VmStatus::Running {
                (vm.demand_fraction * vm.mips_per_vcpu).min(core)
            } else {
                0.0
            }
        };
        // The sum of the requirements, and CloudSim's free MIPS as its scheduler allocates them one by one: the
        // host is oversubscribed when one does not fit what the others left (which, in floating point, is not
        // quite the sum exceeding the capacity).
        let (mut required, mut free, mut short) = (0.0, total, false);
        for &vm in &host_entry.vms {
            let entry = &fleet.vms[vm as usize];
            let this = capped_per_vcpu(entry) * f64::from(entry.flavor.vcpus);
            required += this;
            short |= free < this;
            free = free_mips::allocate(free, this);
        }
        for &vm in &host_entry.incoming {
            let entry = &fleet.vms[vm as usize];
            if entry.is_moving() {
                // (A migration waiting for its links has claimed the host's RAM and vCPUs, not its CPU yet.)
                let this = capped_per_vcpu(entry) * f64::from(entry.flavor.vcpus) * in_share;
                required += this;
                short |= free < this;
                free = free_mips::allocate(free, this);
            }
        }
        let oversubscribed = if cloudsim { short } else { required > total };
        let scale = oversubscribed.then(|| {
            if !cloudsim {
                return total / required;
            }
            // CloudSim sums the requirements for its scaling in its scheduler map's order.
            let listed =
                host_entry.vms.iter().map(|&vm| (vm, false)).chain(host_entry.incoming.iter().map(|&vm| (vm, true)));
            let required_each = listed.filter_map(|(vm, incoming)| {
                let entry = &fleet.vms[vm as usize];
                let capped = capped_per_vcpu(entry) * f64::from(entry.flavor.vcpus);
                match incoming {
                    false => Some((vm, capped)),
                    true => entry.is_moving().then_some((vm, capped * in_share)),
                }
            });
            total / free_mips::summed(required_each, free_mips::map_capacity(host_entry.most_listed))
        });
        // CloudSim's order of operations, so that its rounding is reproduced.
        let grant = |per_vcpu: f64, factor: f64, incoming: bool| match scale {
            None => per_vcpu * factor,
            Some(scale) => {
                let scaled = if incoming { per_vcpu * factor * scale } else { per_vcpu * scale * factor };
                if cloudsim {
                    scaled.floor()
                } else {
                    scaled
                }
            }
        };

        let (mut utilization_mips, mut requested_mips) = (0.0, 0.0);
        let now_ms = self.now.as_ms();
        for index in 0..fleet.hosts[host as usize].vms.len() {
            let vm = fleet.hosts[host as usize].vms[index];
            let entry = &mut fleet.vms[vm as usize];
            let migrating = entry.is_moving();
            let vcpus = f64::from(entry.flavor.vcpus);
            let factor = if migrating { out_factor } else { 1.0 };
            let allocated = grant(capped_per_vcpu(entry), factor, false) * vcpus;
            let requested = if entry.status == VmStatus::Running { entry.demand_mips() } else { 0.0 };
            entry.allocated_mips = allocated;
            utilization_mips += if migrating { allocated / out_factor } else { allocated };
            requested_mips += requested;
            let mut loss = if !migrating {
                0.0
            } else if cloudsim {
                (requested - allocated).max(0.0)
            } else {
                penalty * requested
            };
            // Pre-copy's downtime and throttling, beyond the penalty (0 for RAM over bandwidth).
            let extra = if migrating { self.live.extra_loss_fraction(vm) } else { 0.0 };
            if extra > 0.0 {
                loss += extra * requested;
            }
            self.vm_ledgers[vm as usize].record(now_ms, allocated, requested, migrating, loss);
        }
        for index in 0..fleet.hosts[host as usize].incoming.len() {
            let vm = fleet.hosts[host as usize].incoming[index];
            let entry = &fleet.vms[vm as usize];
            if !entry.is_moving() {
                continue;
            }
            let vcpus = f64::from(entry.flavor.vcpus);
            utilization_mips += grant(capped_per_vcpu(entry), in_share, true) * vcpus;
            if cloudsim && entry.status == VmStatus::Running {
                // CloudSim counts a VM migrating in at its full request on its target.
                requested_mips += entry.demand_mips();
            }
        }

        let host_entry = &mut fleet.hosts[host as usize];
        host_entry.scheduler_rebuilt = false;
        host_entry.utilization_mips = utilization_mips;
        host_entry.reserved_mips = if scale.is_some() { total } else { required };
        let active = if cloudsim { utilization_mips > 0.0 } else { host_entry.is_active() && host_entry.present };
        let utilization = if total > 0.0 { (utilization_mips / total).clamp(0.0, 1.0) } else { 0.0 };
        let state = HostState { allocated_mips: utilization_mips, requested_mips, active, utilization };
        self.host_ledgers[host as usize].record(now_ms, state, &host_entry.power, AOTF_THRESHOLD);
    }

    /// CloudSim's deallocation of finished VMs after each datacenter update, when the workload asks for it
    /// (`workload.zero_demand = "remove"`): every running VM that is not migrating and requests exactly 0 MIPS
    /// leaves for good, host by host in list order (`PowerDatacenter.updateCloudetProcessingWithoutScheduling
    /// FutureEventsForce` with `HostDynamicWorkload.getCompletedVms`).
    pub(super) fn remove_zero_demand_vms(&mut self) {
        if self.workload.zero_demand != ZeroDemand::Remove {
            return;
        }
        for host in 0..self.fleet.hosts.len() {
            let mut index = 0;
            while let Some(&vm) = self.fleet.hosts[host].vms.get(index) {
                let entry = self.fleet.vm(vm);
                if entry.status == VmStatus::Running && entry.migration.is_none() && entry.demand_mips() == 0.0 {
                    self.track_removal(vm);
                    self.fleet.hosts[host].scheduler_rebuilt = true;
                    self.release(vm);
                    self.fleet.vm_mut(vm).status = VmStatus::Departed;
                    self.counters.vms_removed_zero_demand += 1;
                } else {
                    index += 1;
                }
            }
        }
    }

    /// Appends each running VM's utilisation to its history (requested in `cloudsim` semantics, allocated in
    /// `neat`), keeping the consolidation's history length.
    pub(super) fn record_histories(&mut self) {
        let Some(consolidator) = &self.consolidator else { return };
        let length = consolidator.history_length;
        let cloudsim = self.semantics == Semantics::Cloudsim;
        for host in &self.fleet.hosts {
            for &vm in &host.vms {
                let entry = &mut self.fleet.vms[vm as usize];
                if entry.status != VmStatus::Running {
                    continue;
                }
                let capacity = entry.capacity_mips();
                let value =
                    if cloudsim || capacity <= 0.0 { entry.demand_fraction } else { entry.allocated_mips / capacity };
                entry.history.push_bounded(value, length);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::{HostId, VmId, VmStatus};
    use crate::scenario::Scenario;
    use crate::simulation::test_support::{scenario, simulation, workload};
    use crate::simulation::Simulation;
    use crate::time::SimTime;
    use crate::workload::Workload;

    /// h0: a G4 (2 × 1860 MIPS), h1: a G5 (2 × 2660 MIPS), CloudSim's migration penalty (10 %).
    fn two_hosts(semantics: &str) -> Scenario {
        scenario(&format!(
            r#"
[trace]
instances = "unused.csv"
[hosts]
types = [
  {{ name = "g4", count = 1, vcpus = 2, core_mips = 1860.0, memory_mb = 4096, disk_gb = 1, power = {{ kind = "hp_proliant_ml110_g4" }} }},
  {{ name = "g5", count = 1, vcpus = 2, core_mips = 2660.0, memory_mb = 4096, disk_gb = 1, power = {{ kind = "hp_proliant_ml110_g5" }} }},
]
[oversubscription]
kind = "static"
cpu_allocation_ratio = 100.0
ram_allocation_ratio = 1.0
[usage]
kind = "constant"
fraction = 0.5
[consolidation]
semantics = "{semantics}"
[migration]
kind = "ram_over_bandwidth"
cpu_penalty = 0.1
"#
        ))
    }

    /// VMs of CloudSim's types: 2500, 2000 and 1000 MIPS, one vCPU each; and a 2-vCPU VM of 1000 MIPS each.
    fn vms() -> Workload {
        workload(&[(1, 2500.0, 870), (1, 2000.0, 1740), (1, 1000.0, 1740), (2, 1000.0, 613)], &[])
    }

    /// Puts `vm` on `host`, running at `fraction` of its capacity.
    fn run_on(simulation: &mut Simulation, vm: VmId, host: HostId, fraction: f64) {
        simulation.fleet.book(vm, host);
        simulation.fleet.vm_mut(vm).status = VmStatus::Running;
        simulation.fleet.set_demand(vm, fraction);
    }

    #[test]
    fn requests_are_capped_per_vcpu_and_granted_when_they_fit() {
        let (workload, scenario) = (vms(), two_hosts("cloudsim"));
        let mut simulation = simulation(&workload, &scenario);
        // On the G4: vm0 asks 2500 on one vCPU, capped at the 1860-MIPS core; vm3 asks 2 × 500. 2860 ≤ 3720.
        run_on(&mut simulation, 0, 0, 1.0);
        run_on(&mut simulation, 3, 0, 0.5);
        simulation.update_host(0);
        let fleet = &simulation.fleet;
        assert_eq!((fleet.vm(0).allocated_mips, fleet.vm(3).allocated_mips), (1860.0, 1000.0));
        assert_eq!((fleet.host(0).utilization_mips, fleet.host(0).reserved_mips), (2860.0, 2860.0));
    }

    /// On the G4, vm0 asks 2500 (capped at 1860), vm1 1800 and vm2 500: 4160 MIPS of 3720. Each grant is scaled
    /// by 3720 / 4160 = 0.894231: 1663.269, 1609.615, 447.115 (summing to 3720).
    fn oversubscribed(semantics: &str) -> Vec<f64> {
        let (workload, scenario) = (vms(), two_hosts(semantics));
        let mut simulation = simulation(&workload, &scenario);
        run_on(&mut simulation, 0, 0, 1.0);
        run_on(&mut simulation, 1, 0, 0.9);
        run_on(&mut simulation, 2, 0, 0.5);
        simulation.update_host(0);
        assert_eq!(simulation.fleet.host(0).reserved_mips, 3720.0, "the scheduler has promised all of it");
        let mut allocated: Vec<f64> = (0..3).map(|vm| simulation.fleet.vm(vm).allocated_mips).collect();
        allocated.push(simulation.fleet.host(0).utilization_mips);
        allocated
    }

    #[test]
    fn oversubscribed_hosts_scale_every_grant_cloudsim_rounding_down() {
        // CloudSim rounds each scaled grant down to whole MIPS: 1663, 1609, 447; the host uses 3719.
        assert_eq!(oversubscribed("cloudsim"), vec![1663.0, 1609.0, 447.0, 3719.0]);
        let neat = oversubscribed("neat");
        let scale = 3720.0 / 4160.0;
        for (got, want) in neat.iter().zip([1860.0 * scale, 1800.0 * scale, 500.0 * scale, 3720.0]) {
            assert!((got - want).abs() < 1e-9, "{neat:?}");
        }
    }

    /// vm1 (2000 MIPS at 0.5: asks 1000) runs on the G4 and migrates to the G5 from 10 s to 40 s; both hosts
    /// are updated at 0, 10, 40 and 70 s. `check` looks at the fleet as updated at 10 s, while vm1 moves. The
    /// performance degradation (PDM numerator) accrues from 10 to 40 s only, in either semantics.
    fn migrate(semantics: &str, check: impl Fn(&Simulation)) {
        let (workload, scenario) = (vms(), two_hosts(semantics));
        let mut simulation = simulation(&workload, &scenario);
        run_on(&mut simulation, 1, 0, 0.5);
        let update = |simulation: &mut Simulation, second: i64| {
            simulation.now = SimTime::from_secs(second);
            simulation.update_host(0);
            simulation.update_host(1);
        };
        update(&mut simulation, 0);
        simulation.fleet.start_migration(1, 1, SimTime::from_secs(10), SimTime::from_secs(40), 0);
        update(&mut simulation, 10);
        assert_eq!(simulation.vm_ledgers[1].migration_loss_mips_ms, 0.0, "no loss before the migration");
        check(&simulation);
        simulation.fleet.finish_migration(1);
        update(&mut simulation, 40);
        // 30 s while migrating, losing 100 MIPS (CloudSim: 1000 asked − 900 allocated; Neat: 10 % of 1000).
        assert_eq!(simulation.vm_ledgers[1].migration_loss_mips_ms, 100.0 * 30_000.0);
        update(&mut simulation, 70);
        assert_eq!(simulation.vm_ledgers[1].migration_loss_mips_ms, 100.0 * 30_000.0, "no loss after it");
        assert_eq!(simulation.vm_ledgers[1].requested_mips_ms, 1000.0 * 70_000.0);
        assert_eq!(simulation.vm_ledgers[1].migrations(), 1);
        assert_eq!(simulation.fleet.vm(1).allocated_mips, 1000.0, "all of it again on its target");
    }

    #[test]
    fn cloudsim_migration_takes_10_percent_on_the_source_and_reserves_10_percent_on_the_target() {
        migrate("cloudsim", |simulation| {
            let fleet = &simulation.fleet;
            let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
            // vm1 gets 90 % of its 1000 MIPS; the source counts the whole 1000 in its use (CloudSim divides
            // the migrating VM's allocation by 0.9); the target uses and reserves 10 % of the request.
            assert!(close(fleet.vm(1).allocated_mips, 900.0), "{}", fleet.vm(1).allocated_mips);
            assert!(close(fleet.host(0).utilization_mips, 1000.0), "{}", fleet.host(0).utilization_mips);
            assert!(close(fleet.host(1).utilization_mips, 100.0), "{}", fleet.host(1).utilization_mips);
            assert!(close(fleet.host(1).reserved_mips, 100.0), "{}", fleet.host(1).reserved_mips);
        });
    }

    #[test]
    fn neat_migration_costs_no_cpu_only_pdm() {
        migrate("neat", |simulation| {
            let fleet = &simulation.fleet;
            assert_eq!(fleet.vm(1).allocated_mips, 1000.0);
            assert_eq!(fleet.host(0).utilization_mips, 1000.0);
            assert_eq!((fleet.host(1).utilization_mips, fleet.host(1).reserved_mips), (0.0, 0.0));
        });
    }
}
