//! The fleet: hosts, VMs and the allocation book (what each host has booked). The simulation is the only
//! writer; policies get `&Fleet`. Invariants are checked in debug builds after every change.

pub mod host;
pub mod vm;

pub use host::{Allocatable, Capacity, Host};
pub use vm::{Vm, VmStatus};

use crate::trace::Flavor;

pub type HostId = u32;
/// A VM's id is its instance's index in the trace.
pub type VmId = u32;

#[derive(Clone, Debug, Default)]
pub struct Fleet {
    pub hosts: Vec<Host>,
    pub vms: Vec<Vm>,
}

impl Fleet {
    /// A fleet with no hosts yet and one (not yet arrived) VM per trace instance.
    pub fn new(flavors: impl IntoIterator<Item = Flavor>) -> Fleet {
        Fleet { hosts: Vec::new(), vms: flavors.into_iter().map(Vm::new).collect() }
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

    /// Books `vm` on `host` (the VM must have no host). Its current demand moves onto the host with it.
    pub fn book(&mut self, vm: VmId, host: HostId) {
        let flavor = self.vm(vm).flavor;
        let demand = self.vm(vm).demand_cores();
        debug_assert!(self.vm(vm).host.is_none(), "VM {vm} booked twice");
        let host_entry = self.host_mut(host);
        host_entry.add_vm(vm, &flavor);
        host_entry.demand_cores += demand;
        self.vm_mut(vm).host = Some(host);
    }

    /// Removes `vm` from its host, if it has one, and returns that host. Its demand leaves the host too.
    pub fn unbook(&mut self, vm: VmId) -> Option<HostId> {
        let host = self.vm_mut(vm).host.take()?;
        let flavor = self.vm(vm).flavor;
        let demand = self.vm(vm).demand_cores();
        let host_entry = self.host_mut(host);
        host_entry.remove_vm(vm, &flavor);
        host_entry.demand_cores = (host_entry.demand_cores - demand).max(0.0);
        Some(host)
    }

    /// Panics if the allocation book disagrees with the VMs' placement or exceeds what hosts may allocate.
    /// Costs O(placed VMs); [`Fleet::check_all_invariants`] also walks every VM.
    pub fn check_invariants(&self) {
        for (id, host) in self.hosts.iter().enumerate() {
            let (mut vcpus, mut memory, mut disk) = (0u64, 0u64, 0u64);
            for &vm in &host.vms {
                let entry = self.vm(vm);
                assert_eq!(entry.host, Some(id as HostId), "VM {vm} listed on host {id} but placed elsewhere");
                vcpus += u64::from(entry.flavor.vcpus);
                memory += entry.flavor.memory_mb;
                disk += entry.flavor.disk_gb;
            }
            assert_eq!((vcpus, memory, disk), (host.booked.vcpus, host.booked.memory_mb, host.booked.disk_gb));
            let demand: f64 = host.vms.iter().map(|&vm| self.vm(vm).demand_cores()).sum();
            assert!(
                (host.demand_cores - demand).abs() < 1e-6,
                "host {id} demand {} but its VMs' {demand}",
                host.demand_cores
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
        }
    }
}
