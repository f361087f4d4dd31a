//! A physical host: its capacity, what it may allocate, what it has booked, and its running demand.

use crate::fleet::VmId;
use crate::power::PowerModel;
use crate::trace::Flavor;

/// Physical capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Capacity {
    pub vcpus: u32,
    pub memory_mb: u64,
    pub disk_gb: u64,
}

/// What may be booked on a host: capacity times the allocation ratios, or an oversubscription estimate.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Allocatable {
    pub vcpus: f64,
    pub memory_mb: f64,
    pub disk_gb: f64,
}

/// Booked (reserved) resources: the sum of the flavors of the VMs on the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Booked {
    pub vcpus: u64,
    pub memory_mb: u64,
    pub disk_gb: u64,
}

#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub capacity: Capacity,
    pub allocatable: Allocatable,
    pub power: PowerModel,
    /// Created and not deleted (machine events), or declared in the scenario.
    pub present: bool,
    /// Nova's service state: a disabled host keeps its VMs but takes no new ones.
    pub enabled: bool,
    /// A machine event lowered the capacity: the booking may now exceed it (Nova evicts nothing).
    pub capacity_reduced: bool,
    pub booked: Booked,
    /// VMs booked here, in booking order.
    pub vms: Vec<VmId>,
    /// Sum of the current CPU demand of the VMs here, in cores.
    pub demand_cores: f64,
}

impl Host {
    pub fn new(name: String, capacity: Capacity, power: PowerModel) -> Host {
        Host {
            name,
            capacity,
            allocatable: Allocatable::default(),
            power,
            present: true,
            enabled: true,
            capacity_reduced: false,
            booked: Booked::default(),
            vms: Vec::new(),
            demand_cores: 0.0,
        }
    }

    pub fn accepts_vms(&self) -> bool {
        self.present && self.enabled
    }

    /// Would booking `flavor` stay within the allocatable capacity?
    pub fn has_room_for(&self, flavor: &Flavor) -> bool {
        (self.booked.vcpus + u64::from(flavor.vcpus)) as f64 <= self.allocatable.vcpus
            && (self.booked.memory_mb + flavor.memory_mb) as f64 <= self.allocatable.memory_mb
            && (self.booked.disk_gb + flavor.disk_gb) as f64 <= self.allocatable.disk_gb
    }

    pub fn free_vcpus(&self) -> f64 {
        self.allocatable.vcpus - self.booked.vcpus as f64
    }

    pub fn free_memory_mb(&self) -> f64 {
        self.allocatable.memory_mb - self.booked.memory_mb as f64
    }

    /// A host is active while it has at least one VM booked (running, stopped or moving).
    pub fn is_active(&self) -> bool {
        !self.vms.is_empty()
    }

    /// CPU demand above physical cores: the VMs want more than the host has.
    pub fn is_overloaded(&self) -> bool {
        self.demand_cores > f64::from(self.capacity.vcpus)
    }

    /// Demand as a fraction of physical cores, capped at 1 (a host cannot run more than its cores).
    pub fn cpu_utilization(&self) -> f64 {
        if self.capacity.vcpus == 0 {
            return 0.0;
        }
        (self.demand_cores / f64::from(self.capacity.vcpus)).clamp(0.0, 1.0)
    }

    pub(crate) fn add_vm(&mut self, vm: VmId, flavor: &Flavor) {
        self.vms.push(vm);
        self.booked.vcpus += u64::from(flavor.vcpus);
        self.booked.memory_mb += flavor.memory_mb;
        self.booked.disk_gb += flavor.disk_gb;
    }

    pub(crate) fn remove_vm(&mut self, vm: VmId, flavor: &Flavor) {
        if let Some(position) = self.vms.iter().position(|&listed| listed == vm) {
            // Keep booking order: it decides which VMs are examined first by later policies.
            self.vms.remove(position);
            self.booked.vcpus -= u64::from(flavor.vcpus);
            self.booked.memory_mb -= flavor.memory_mb;
            self.booked.disk_gb -= flavor.disk_gb;
        }
    }
}
