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

/// Booked (reserved) resources: the sum of the flavors of the VMs on the host, and of those migrating in.
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
    /// Speed of one physical core (CloudSim's PE), in MIPS.
    pub core_mips: f64,
    pub allocatable: Allocatable,
    pub power: PowerModel,
    /// Created and not deleted (machine events), or declared in the scenario.
    pub present: bool,
    /// Nova's service state: a disabled host keeps its VMs but takes no new ones.
    pub enabled: bool,
    /// A machine event lowered the capacity: the booking may now exceed it (Nova evicts nothing).
    pub capacity_reduced: bool,
    pub booked: Booked,
    /// VMs running here, in booking order (a VM migrating away stays here until its migration ends).
    pub vms: Vec<VmId>,
    /// VMs migrating in: booked here too, running elsewhere until their migration ends.
    pub incoming: Vec<VmId>,
    /// Sum of the current CPU demand of the VMs in `vms`, in MIPS.
    pub demand_mips: f64,
    /// Sum of the current memory demand of the VMs in `vms`, in MB.
    pub memory_demand_mb: f64,
    /// CPU in use at the last update point, in MIPS (CloudSim's `utilizationMips`): what power and CloudSim's
    /// placement see.
    pub utilization_mips: f64,
    /// MIPS the host's scheduler has promised: its VMs' requests at the last update (those migrating in at
    /// 10 %), plus the full MIPS of VMs placed since (CloudSim's VM being instantiated asks for all of it).
    pub reserved_mips: f64,
    /// The most VMs ever listed here at once (running or migrating in): the size CloudSim's scheduler map grew
    /// to ([`crate::consolidation::free_mips`]).
    pub most_listed: usize,
    /// A VM left since the last update (CloudSim's zero-demand removal): its scheduler re-allocated the others in
    /// its map's order ([`crate::consolidation::free_mips`]).
    pub scheduler_rebuilt: bool,
}

impl Host {
    pub fn new(name: String, capacity: Capacity, core_mips: f64, power: PowerModel) -> Host {
        Host {
            name,
            capacity,
            core_mips,
            allocatable: Allocatable::default(),
            power,
            present: true,
            enabled: true,
            capacity_reduced: false,
            booked: Booked::default(),
            vms: Vec::new(),
            incoming: Vec::new(),
            demand_mips: 0.0,
            memory_demand_mb: 0.0,
            utilization_mips: 0.0,
            reserved_mips: 0.0,
            most_listed: 0,
            scheduler_rebuilt: false,
        }
    }

    /// Notes the VMs listed now in [`Host::most_listed`].
    pub fn note_listed(&mut self) {
        self.most_listed = self.most_listed.max(self.vms.len() + self.incoming.len());
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

    /// Total CPU capacity in MIPS: cores × MIPS per core.
    pub fn total_mips(&self) -> f64 {
        f64::from(self.capacity.vcpus) * self.core_mips
    }

    /// A host is active while it has at least one VM booked (running, stopped or moving in).
    pub fn is_active(&self) -> bool {
        !self.vms.is_empty() || !self.incoming.is_empty()
    }

    /// CPU demand above capacity: the VMs want more than the host has.
    pub fn is_overloaded(&self) -> bool {
        self.demand_mips > self.total_mips()
    }

    /// Memory demand above physical memory: the guests touch more RAM than the host has (it swaps).
    pub fn is_memory_overloaded(&self) -> bool {
        self.memory_demand_mb > self.capacity.memory_mb as f64
    }

    /// Demand as a fraction of capacity, capped at 1 (a host cannot run more than its cores).
    pub fn cpu_utilization(&self) -> f64 {
        let total = self.total_mips();
        if total <= 0.0 {
            return 0.0;
        }
        (self.demand_mips / total).clamp(0.0, 1.0)
    }

    /// MIPS the scheduler can still promise (0 once oversubscribed).
    pub fn available_mips(&self) -> f64 {
        (self.total_mips() - self.reserved_mips).max(0.0)
    }

    /// Demand in physical cores (demand MIPS over MIPS per core).
    pub fn demand_cores(&self) -> f64 {
        if self.core_mips > 0.0 {
            self.demand_mips / self.core_mips
        } else {
            0.0
        }
    }

    pub(crate) fn add_booking(&mut self, flavor: &Flavor) {
        self.booked.vcpus += u64::from(flavor.vcpus);
        self.booked.memory_mb += flavor.memory_mb;
        self.booked.disk_gb += flavor.disk_gb;
    }

    pub(crate) fn remove_booking(&mut self, flavor: &Flavor) {
        self.booked.vcpus -= u64::from(flavor.vcpus);
        self.booked.memory_mb -= flavor.memory_mb;
        self.booked.disk_gb -= flavor.disk_gb;
    }
}

/// Removes `vm` from `list` keeping the order of the others (order decides which VMs policies examine first);
/// returns whether it was there.
pub(crate) fn remove_ordered(list: &mut Vec<VmId>, vm: VmId) -> bool {
    match list.iter().position(|&listed| listed == vm) {
        Some(position) => {
            list.remove(position);
            true
        }
        None => false,
    }
}
