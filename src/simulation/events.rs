//! Trace events applied to the fleet: machine events (hosts created, updated, deleted, enabled, disabled) and
//! VM lifecycle events (arrive, depart, power off/on, shelve/unshelve, cold migrate).

use crate::fleet::{Capacity, Host, HostId, VmId, VmStatus, DEFAULT_MIPS_PER_VCPU};
use crate::policy::Semantics;
use crate::scenario::OnNoValidHost;
use crate::simulation::Simulation;
use crate::trace::lifecycle::{PowerState, VmEvent, VmEventKind};
use crate::trace::MachineEventKind;
use crate::usage::Demand;
use crate::workload::HostEvent;

impl Simulation<'_> {
    pub(super) fn apply_host_event(&mut self, event: &HostEvent) {
        let existing = self.machine_hosts[event.host as usize];
        match (event.kind, existing) {
            (MachineEventKind::Create, None) => {
                let capacity = Capacity {
                    vcpus: event.capacity.vcpus.unwrap_or(0),
                    memory_mb: event.capacity.memory_mb.unwrap_or(0),
                    disk_gb: event.capacity.disk_gb.unwrap_or(0),
                };
                let name = self.workload.machine_host_name(event.host).to_string();
                let id =
                    self.add_host(Host::new(name, capacity, DEFAULT_MIPS_PER_VCPU, self.scenario.host_power.clone()));
                self.machine_hosts[event.host as usize] = Some(id);
            }
            (MachineEventKind::Create | MachineEventKind::Update, Some(id)) => {
                let host = self.fleet.host_mut(id);
                host.present = true;
                let before = host.capacity;
                let capacity = &mut host.capacity;
                capacity.vcpus = event.capacity.vcpus.unwrap_or(capacity.vcpus);
                capacity.memory_mb = event.capacity.memory_mb.unwrap_or(capacity.memory_mb);
                capacity.disk_gb = event.capacity.disk_gb.unwrap_or(capacity.disk_gb);
                host.capacity_reduced |= capacity.vcpus < before.vcpus
                    || capacity.memory_mb < before.memory_mb
                    || capacity.disk_gb < before.disk_gb;
                self.reset_allocatable(id);
                self.refresh(id);
            }
            (MachineEventKind::Delete, Some(id)) => {
                self.fleet.host_mut(id).present = false;
                self.evacuate(id);
                self.refresh(id);
            }
            (MachineEventKind::Enable | MachineEventKind::Disable, Some(id)) => {
                self.fleet.host_mut(id).enabled = event.kind == MachineEventKind::Enable;
            }
            // An update, delete or (dis)able of a host never created: nothing to apply to.
            (_, None) => {}
        }
    }

    /// Moves every VM off a deleted host; VMs that fit nowhere are evicted (counted, never silently lost).
    fn evacuate(&mut self, host: HostId) {
        // VMs migrating in stay where they run; their booking here is released.
        for vm in self.fleet.host(host).incoming.clone() {
            self.fleet.abandon_migration(vm);
        }
        let vms = self.fleet.host(host).vms.clone();
        for vm in vms {
            self.fleet.unbook(vm);
            match self.placement.choose_host(&self.fleet, vm, Some(host)) {
                Some(target) => {
                    self.fleet.book(vm, target);
                    self.refresh(target);
                }
                None => {
                    self.fleet.vm_mut(vm).status = VmStatus::Rejected;
                    self.fleet.set_demand(vm, 0.0);
                    self.fleet.set_memory_demand(vm, 0.0);
                    self.forget_vm_windows(vm);
                    self.counters.vms_evicted += 1;
                }
            }
        }
    }

    // ---- VM events ----

    pub(super) fn apply_vm_event(&mut self, event: &VmEvent) {
        let vm = event.vm;
        let status = self.fleet.vm(vm).status;
        match event.kind {
            VmEventKind::Arrive { initially } => self.arrive(vm, initially),
            VmEventKind::Depart => {
                match status {
                    VmStatus::Queued { .. } => {
                        self.waiting.retain(|&waiting| waiting != vm);
                        self.counters.vms_departed_while_queued += 1;
                    }
                    _ => self.release(vm),
                }
                self.fleet.vm_mut(vm).status = VmStatus::Departed;
            }
            VmEventKind::PowerOff if status == VmStatus::Running => {
                self.fleet.vm_mut(vm).status = VmStatus::Off;
                self.set_demand(vm, Demand { cpu: 0.0, memory: 0.0 });
            }
            VmEventKind::PowerOn if status == VmStatus::Off => {
                self.fleet.vm_mut(vm).status = VmStatus::Running;
                self.start_demand(vm);
            }
            VmEventKind::Shelve if matches!(status, VmStatus::Running | VmStatus::Off) => {
                self.release(vm);
                self.fleet.vm_mut(vm).status = VmStatus::Shelved;
            }
            VmEventKind::Unshelve if status == VmStatus::Shelved => {
                match self.placement.choose_host(&self.fleet, vm, None) {
                    Some(host) => self.place(vm, host, PowerState::Running),
                    // Nova leaves the instance shelved when unshelving finds no host.
                    None => self.counters.unshelve_failures += 1,
                }
            }
            VmEventKind::Migrate if matches!(status, VmStatus::Running | VmStatus::Off) => self.cold_migrate(vm),
            // No effect, or an event for a VM that was rejected, evicted or is waiting: nothing to apply.
            _ => {}
        }
    }

    fn arrive(&mut self, vm: VmId, initially: PowerState) {
        if initially == PowerState::Shelved {
            // A preexisting shelved VM needs no host until it is unshelved: not an arrival that asks for one.
            self.fleet.vm_mut(vm).status = VmStatus::Shelved;
            return;
        }
        self.counters.vms_arrived += 1;
        match self.placement.choose_host(&self.fleet, vm, None) {
            Some(host) => {
                self.counters.vms_placed += 1;
                self.place(vm, host, initially);
            }
            None => match self.scenario.admission.on_no_valid_host {
                OnNoValidHost::Reject => {
                    self.counters.vms_rejected += 1;
                    self.fleet.vm_mut(vm).status = VmStatus::Rejected;
                }
                OnNoValidHost::Queue => {
                    self.counters.vms_queued += 1;
                    self.fleet.vm_mut(vm).status = VmStatus::Queued { since: self.now };
                    self.waiting.push_back(vm);
                    self.schedule_retry();
                }
            },
        }
    }

    /// Books `vm` on `host` in power state `state` (running or off). A new VM asks for its full MIPS until the
    /// next update (CloudSim's VM "being instantiated").
    pub(super) fn place(&mut self, vm: VmId, host: HostId, state: PowerState) {
        self.track_placement(vm, host);
        self.fleet.book(vm, host);
        let full = self.fleet.vm(vm).capacity_mips();
        self.fleet.host_mut(host).reserved_mips += full;
        if state == PowerState::Off {
            self.fleet.vm_mut(vm).status = VmStatus::Off;
            self.refresh(host);
        } else {
            self.fleet.vm_mut(vm).status = VmStatus::Running;
            self.start_demand(vm);
        }
    }

    /// Frees the VM's host, if it has one (and its migration target, if it was moving); the VM's demand leaves
    /// with it.
    pub(super) fn release(&mut self, vm: VmId) {
        let target = self.fleet.vm(vm).migration.map(|migration| migration.target);
        if let Some(host) = self.fleet.unbook(vm) {
            self.refresh(host);
        }
        if let Some(target) = target {
            self.refresh(target);
        }
        let entry = self.fleet.vm_mut(vm);
        entry.demand_fraction = 0.0;
        entry.memory_fraction = 0.0;
        self.forget_vm_windows(vm);
    }

    fn cold_migrate(&mut self, vm: VmId) {
        let Some(source) = self.fleet.vm(vm).host else { return };
        if let Some(migration) = self.fleet.abandon_migration(vm) {
            self.refresh(migration.target);
        }
        let Some(target) = self.placement.choose_host(&self.fleet, vm, Some(source)) else {
            self.counters.migration_failures += 1;
            return;
        };
        self.fleet.unbook(vm);
        self.refresh(source);
        self.fleet.book(vm, target);
        self.refresh(target);
        self.counters.cold_migrations += 1;
    }

    fn start_demand(&mut self, vm: VmId) {
        let tick = self.current_tick();
        let uuid = &self.workload.instances.instances[vm as usize].uuid;
        let mut demand = self.demand.start(vm, uuid, tick);
        if self.semantics == Semantics::Cloudsim {
            // CloudSim computes a VM's request from its workload at the datacenter's updates: until the next one
            // a new VM asks for nothing beyond the full MIPS its creation reserved (`reserved_mips`).
            demand.cpu = 0.0;
        }
        self.set_demand(vm, demand);
    }

    /// Sets the VM's demand; its host's demand follows.
    pub(super) fn set_demand(&mut self, vm: VmId, demand: Demand) {
        self.fleet.set_demand(vm, demand.cpu);
        self.fleet.set_memory_demand(vm, demand.memory);
        if let Some(host) = self.fleet.vm(vm).host {
            self.refresh(host);
        }
    }
}
