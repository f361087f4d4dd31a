//! Update points: each host's CPU shared among its VMs, as CloudSim's time-shared, oversubscribable scheduler
//! shares it, and the result recorded in the host and VM ledgers.
//!
//! A VM asks for `demand × MIPS`, each vCPU capped at the host's core speed. When the requests fit, each VM gets
//! its request; otherwise every grant is scaled by capacity / requests. In `cloudsim` semantics a VM migrating
//! away gets 90 % of its grant and its target reserves 10 % of its request (CloudSim rounds scaled grants down
//! to whole MIPS); in `neat` semantics a migration costs no CPU (its degradation is only counted in PDM).

use crate::consolidation::round::INCOMING_SHARE;
use crate::fleet::{HostId, VmStatus};
use crate::metrics::ledger::HostState;
use crate::policy::Semantics;
use crate::simulation::Simulation;

/// Utilisation above which a host counts as overloaded for Neat's AOTF (`host_cpu_overload_threshold`).
pub const AOTF_THRESHOLD: f64 = 0.8;

impl Simulation<'_> {
    /// Updates every host at the current time.
    pub(super) fn update_all(&mut self) {
        for host in 0..self.fleet.hosts.len() as HostId {
            self.update_host(host);
        }
        self.last_update = Some(self.now);
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
        let mut required = 0.0;
        for &vm in &host_entry.vms {
            let entry = &fleet.vms[vm as usize];
            required += capped_per_vcpu(entry) * f64::from(entry.flavor.vcpus);
        }
        for &vm in &host_entry.incoming {
            let entry = &fleet.vms[vm as usize];
            required += capped_per_vcpu(entry) * f64::from(entry.flavor.vcpus) * in_share;
        }
        let scale = (required > total).then(|| total / required);
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
            let migrating = entry.migration.is_some();
            let vcpus = f64::from(entry.flavor.vcpus);
            let factor = if migrating { out_factor } else { 1.0 };
            let allocated = grant(capped_per_vcpu(entry), factor, false) * vcpus;
            let requested = if entry.status == VmStatus::Running { entry.demand_mips() } else { 0.0 };
            entry.allocated_mips = allocated;
            utilization_mips += if migrating { allocated / out_factor } else { allocated };
            requested_mips += requested;
            let loss = if !migrating {
                0.0
            } else if cloudsim {
                (requested - allocated).max(0.0)
            } else {
                penalty * requested
            };
            self.vm_ledgers[vm as usize].record(now_ms, allocated, requested, migrating, loss);
        }
        for index in 0..fleet.hosts[host as usize].incoming.len() {
            let vm = fleet.hosts[host as usize].incoming[index];
            let entry = &fleet.vms[vm as usize];
            let vcpus = f64::from(entry.flavor.vcpus);
            utilization_mips += grant(capped_per_vcpu(entry), in_share, true) * vcpus;
            if cloudsim && entry.status == VmStatus::Running {
                // CloudSim counts a VM migrating in at its full request on its target.
                requested_mips += entry.demand_mips();
            }
        }

        let host_entry = &mut fleet.hosts[host as usize];
        host_entry.utilization_mips = utilization_mips;
        host_entry.reserved_mips = if scale.is_some() { total } else { required };
        let active = if cloudsim { utilization_mips > 0.0 } else { host_entry.is_active() && host_entry.present };
        let utilization = if total > 0.0 { (utilization_mips / total).clamp(0.0, 1.0) } else { 0.0 };
        let state = HostState { allocated_mips: utilization_mips, requested_mips, active, utilization };
        self.host_ledgers[host as usize].record(now_ms, state, &host_entry.power, AOTF_THRESHOLD);
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
                if entry.history.len() >= length {
                    entry.history.remove(0);
                }
                entry.history.push(value);
            }
        }
    }
}
