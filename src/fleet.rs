//! The fleet: hosts, VMs and the allocation book (what each host has booked). The simulation is the only
//! writer; policies get read-only views. Invariants are checked in debug builds after every change.

pub mod history;
pub mod host;
pub mod vm;

pub use host::{Allocatable, Capacity, Host};
pub use vm::{Migration, Vm, VmStatus, DEFAULT_MIPS_PER_VCPU};

use crate::time::SimTime;
use crate::trace::Flavor;

pub type HostId = u32;
/// A VM's id is its instance's index in the trace.
pub type VmId = u32;

#[derive(Clone, Debug, Default)]
pub struct Fleet {
    pub hosts: Vec<Host>,
    pub vms: Vec<Vm>,
    /// CloudSim's admission: a VM also needs its full MIPS free on the host, and each vCPU's speed within a
    /// core's (`admission.cpu = "mips"`).
    pub mips_admission: bool,
}

impl Fleet {
    /// A fleet with no hosts yet and one (not yet arrived) VM per trace instance: its flavor and MIPS per vCPU.
    pub fn new(vms: impl IntoIterator<Item = (Flavor, f64)>) -> Fleet {
        Fleet {
            hosts: Vec::new(),
            vms: vms.into_iter().map(|(flavor, mips)| Vm::new(flavor, mips)).collect(),
            mips_admission: false,
        }
    }

    pub fn add_host(&mut self, host: Host) -> HostId {
        self.hosts.push(host);
        (self.hosts.len() - 1) as HostId
    }

    pub fn host(&self, id: HostId) -> &Host {
        &self.hosts[id as usize]
    }

    pub fn host_mut(&mut self, id: HostId) -> &mut Host {
        &mut self.hosts[id as usize]
    }

    pub fn vm(&self, id: VmId) -> &Vm {
        &self.vms[id as usize]
    }

    pub fn vm_mut(&mut self, id: VmId) -> &mut Vm {
        &mut self.vms[id as usize]
    }

    /// Can `host` take a VM of `flavor` now: it is present, enabled, and the booking stays within what the
    /// host may allocate (its allocation ratios or oversubscription estimate)?
    pub fn fits(&self, host: HostId, flavor: &Flavor) -> bool {
        let host = self.host(host);
        host.accepts_vms() && host.has_room_for(flavor)
    }

    /// [`Fleet::fits`] for VM `vm`, plus, with MIPS admission, its vCPUs' speed and full MIPS.
    pub fn fits_vm(&self, host: HostId, vm: VmId) -> bool {
        let entry = self.vm(vm);
        if !self.fits(host, &entry.flavor) {
            return false;
        }
        if !self.mips_admission {
            return true;
        }
        let host = self.host(host);
        entry.mips_per_vcpu <= host.core_mips && host.available_mips() >= entry.capacity_mips()
    }

    /// Books `vm` on `host` (the VM must have no host). Its current demand moves onto the host with it.
    pub fn book(&mut self, vm: VmId, host: HostId) {
        let flavor = self.vm(vm).booking();
        let (demand, memory) = (self.vm(vm).demand_mips(), self.vm(vm).memory_demand_mb());
        debug_assert!(self.vm(vm).host.is_none(), "VM {vm} booked twice");
        let host_entry = self.host_mut(host);
        host_entry.vms.push(vm);
        host_entry.note_listed();
        host_entry.add_booking(&flavor);
        host_entry.demand_mips += demand;
        host_entry.memory_demand_mb += memory;
        self.vm_mut(vm).host = Some(host);
    }

    /// Removes `vm` from its host, if it has one, and returns that host. Its demand leaves the host too; a
    /// migration under way is abandoned (its booking on the target is released).
    pub fn unbook(&mut self, vm: VmId) -> Option<HostId> {
        self.abandon_migration(vm);
        let host = self.vm_mut(vm).host.take()?;
        let flavor = self.vm(vm).booking();
        let (demand, memory) = (self.vm(vm).demand_mips(), self.vm(vm).memory_demand_mb());
        let host_entry = self.host_mut(host);
        if host::remove_ordered(&mut host_entry.vms, vm) {
            host_entry.remove_booking(&flavor);
        }
        host_entry.demand_mips = (host_entry.demand_mips - demand).max(0.0);
        host_entry.memory_demand_mb = (host_entry.memory_demand_mb - memory).max(0.0);
        Some(host)
    }

    /// Sets a running VM's demand, keeping its host's sum in step.
    pub fn set_demand(&mut self, vm: VmId, fraction: f64) {
        let before = self.vm(vm).demand_mips();
        self.vm_mut(vm).demand_fraction = fraction;
        let after = self.vm(vm).demand_mips();
        if let Some(host) = self.vm(vm).host {
            let host = self.host_mut(host);
            host.demand_mips = (host.demand_mips + after - before).max(0.0);
        }
    }

    /// Sets a running VM's memory demand (a fraction of its flavor's RAM), keeping its host's sum in step.
    pub fn set_memory_demand(&mut self, vm: VmId, fraction: f64) {
        let before = self.vm(vm).memory_demand_mb();
        self.vm_mut(vm).memory_fraction = fraction;
        let after = self.vm(vm).memory_demand_mb();
        if let Some(host) = self.vm(vm).host {
            let host = self.host_mut(host);
            host.memory_demand_mb = (host.memory_demand_mb + after - before).max(0.0);
        }
    }

    /// Starts migration `number` of the run: `vm` (which must be placed and not moving) to `target`. The VM is
    /// booked on both hosts until [`Fleet::finish_migration`].
    pub fn start_migration(&mut self, vm: VmId, target: HostId, started: SimTime, ends: SimTime, number: u64) {
        let source = self.vm(vm).host.expect("only a placed VM migrates");
        debug_assert!(self.vm(vm).migration.is_none() && source != target, "VM {vm} cannot start this migration");
        let flavor = self.vm(vm).booking();
        let target_entry = self.host_mut(target);
        target_entry.incoming.push(vm);
        target_entry.note_listed();
        target_entry.add_booking(&flavor);
        self.vm_mut(vm).migration =
            Some(Migration { source, target, started, ends, queued: false, number, also_on: None });
    }

    /// Sends `vm`, already migrating, to a second target as migration `number`, ending at `ends`; its first
    /// target stays booked until then ([`Migration::also_on`]).
    pub fn redirect_migration(&mut self, vm: VmId, target: HostId, ends: SimTime, number: u64) {
        let Some(migration) = self.vm(vm).migration else { return };
        debug_assert!(target != migration.target && target != migration.source, "VM {vm} cannot be redirected");
        // (A third target would supersede the second; CloudSim's rounds send a VM to two hosts at most.)
        self.release_first_target(vm, &migration);
        let flavor = self.vm(vm).booking();
        let target_entry = self.host_mut(target);
        target_entry.incoming.push(vm);
        target_entry.note_listed();
        target_entry.add_booking(&flavor);
        self.vm_mut(vm).migration =
            Some(Migration { target, ends, number, also_on: Some(migration.target), ..migration });
    }

    /// Books `vm` on `target` for migration `number`, which must wait for its hosts' links: the VM runs on its
    /// source, unmoved, until [`Fleet::begin_migration`].
    pub fn queue_migration(&mut self, vm: VmId, target: HostId, requested: SimTime, number: u64) {
        self.start_migration(vm, target, requested, SimTime(i64::MAX), number);
        if let Some(migration) = self.vm_mut(vm).migration.as_mut() {
            migration.queued = true;
        }
    }

    /// A queued migration of `vm` starts now and ends at `ends`.
    pub fn begin_migration(&mut self, vm: VmId, started: SimTime, ends: SimTime) {
        if let Some(migration) = self.vm_mut(vm).migration.as_mut() {
            debug_assert!(migration.queued, "VM {vm}'s migration was not waiting");
            *migration = Migration { started, ends, queued: false, ..*migration };
        }
    }

    /// Ends `vm`'s migration: it leaves its source and runs on its target. Returns the migration.
    pub fn finish_migration(&mut self, vm: VmId) -> Option<Migration> {
        let migration = self.vm_mut(vm).migration.take()?;
        let flavor = self.vm(vm).booking();
        let (demand, memory) = (self.vm(vm).demand_mips(), self.vm(vm).memory_demand_mb());
        let source = self.host_mut(migration.source);
        if host::remove_ordered(&mut source.vms, vm) {
            source.remove_booking(&flavor);
            source.demand_mips = (source.demand_mips - demand).max(0.0);
            source.memory_demand_mb = (source.memory_demand_mb - memory).max(0.0);
        }
        self.release_first_target(vm, &migration);
        let target = self.host_mut(migration.target);
        host::remove_ordered(&mut target.incoming, vm);
        target.vms.push(vm);
        target.demand_mips += demand;
        target.memory_demand_mb += memory;
        self.vm_mut(vm).host = Some(migration.target);
        Some(migration)
    }

    /// Cancels `vm`'s migration, if any: the target's booking is released; the VM stays on its source.
    pub fn abandon_migration(&mut self, vm: VmId) -> Option<Migration> {
        let migration = self.vm_mut(vm).migration.take()?;
        self.release_first_target(vm, &migration);
        let flavor = self.vm(vm).booking();
        let target = self.host_mut(migration.target);
        if host::remove_ordered(&mut target.incoming, vm) {
            target.remove_booking(&flavor);
        }
        Some(migration)
    }

    /// Releases the booking a redirected migration kept on its first target, if any.
    fn release_first_target(&mut self, vm: VmId, migration: &Migration) {
        let Some(first) = migration.also_on else { return };
        let flavor = self.vm(vm).booking();
        let host = self.host_mut(first);
        if host::remove_ordered(&mut host.incoming, vm) {
            host.remove_booking(&flavor);
        }
    }

    /// Changes the RAM `vm` books, on its host and on its migration target.
    pub fn set_booked_memory(&mut self, vm: VmId, memory_mb: u64) {
        let entry = self.vm(vm);
        let before = entry.booked_memory_mb;
        let hosts = [
            entry.host,
            entry.migration.map(|migration| migration.target),
            entry.migration.and_then(|migration| migration.also_on),
        ];
        for host in hosts.into_iter().flatten() {
            let booked = &mut self.host_mut(host).booked.memory_mb;
            *booked = *booked - before + memory_mb;
        }
        self.vm_mut(vm).booked_memory_mb = memory_mb;
    }

    /// Panics if the allocation book disagrees with the VMs' placement or exceeds what hosts may allocate.
    /// Costs O(placed VMs); [`Fleet::check_all_invariants`] also walks every VM.
    pub fn check_invariants(&self) {
        for (id, host) in self.hosts.iter().enumerate() {
            let id = id as HostId;
            let (mut vcpus, mut memory, mut disk) = (0u64, 0u64, 0u64);
            for &vm in host.vms.iter().chain(&host.incoming) {
                let entry = self.vm(vm);
                let booking = entry.booking();
                vcpus += u64::from(booking.vcpus);
                memory += booking.memory_mb;
                disk += booking.disk_gb;
            }
            for &vm in &host.vms {
                assert_eq!(self.vm(vm).host, Some(id), "VM {vm} listed on host {id} but placed elsewhere");
            }
            for &vm in &host.incoming {
                let migration = self.vm(vm).migration;
                assert!(
                    migration.is_some_and(|migration| migration.target == id || migration.also_on == Some(id)),
                    "VM {vm} listed as migrating into host {id} but is not"
                );
            }
            assert_eq!((vcpus, memory, disk), (host.booked.vcpus, host.booked.memory_mb, host.booked.disk_gb));
            let demand: f64 = host.vms.iter().map(|&vm| self.vm(vm).demand_mips()).sum();
            assert!(
                (host.demand_mips - demand).abs() <= 1e-6 * demand.max(1.0),
                "host {id} demand {} but its VMs' {demand}",
                host.demand_mips
            );
            // Not `memory`: that name holds the booked MB checked against the allocatable RAM below.
            let memory_demand: f64 = host.vms.iter().map(|&vm| self.vm(vm).memory_demand_mb()).sum();
            assert!(
                (host.memory_demand_mb - memory_demand).abs() <= 1e-6 * memory_demand.max(1.0),
                "host {id} memory demand {} but its VMs' {memory_demand}",
                host.memory_demand_mb
            );
            // Placement never books past what the host may allocate; only a machine event that shrinks a host
            // (which Nova answers with no eviction) may leave it over.
            if host.present && !host.capacity_reduced {
                let allocatable = &host.allocatable;
                assert!(
                    vcpus as f64 <= allocatable.vcpus
                        && memory as f64 <= allocatable.memory_mb
                        && disk as f64 <= allocatable.disk_gb,
                    "host {id} booked {vcpus} vCPU / {memory} MB / {disk} GB beyond its allocatable {allocatable:?}"
                );
            }
        }
    }

    /// [`Fleet::check_invariants`], plus: every VM that names a host is listed by it. Costs O(all VMs).
    pub fn check_all_invariants(&self) {
        self.check_invariants();
        for (id, vm) in self.vms.iter().enumerate() {
            if let Some(host) = vm.host {
                assert!(self.host(host).vms.contains(&(id as VmId)), "VM {id} placed on {host} but not listed");
            }
            if let Some(migration) = vm.migration {
                assert_eq!(vm.host, Some(migration.source), "VM {id} migrates from a host it is not on");
            }
        }
    }
}
