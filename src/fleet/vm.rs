//! A VM: its flavor, where it is, its current CPU demand and history, and its migration if one is under way.

use crate::fleet::HostId;
use crate::time::SimTime;
use crate::trace::Flavor;

/// MIPS of one vCPU when the workload does not say (Nova flavors carry no speed): hosts' cores default to
/// the same, so utilisation is then demand in cores over physical cores.
pub const DEFAULT_MIPS_PER_VCPU: f64 = 1000.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmStatus {
    /// Not created yet (or never: instances without a create).
    Pending,
    /// Waiting for a host (when the scenario queues VMs that fit nowhere), since the given time.
    Queued {
        since: SimTime,
    },
    Running,
    /// Stopped, suspended or paused: keeps its host booking, no CPU demand.
    Off,
    /// Shelved: no host.
    Shelved,
    /// Nova's NoValidHost: fitted nowhere (and was not queued, or waited too long).
    Rejected,
    Departed,
}

/// A live migration under way: the VM runs on `source` (where it is booked) and is also booked on `target`
/// until `ends`. A `queued` migration waits for its hosts' links (pre-copy's limit on concurrent migrations):
/// booked on its target already, but not moving yet (`started` is when it was asked for, `ends` unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    pub source: HostId,
    pub target: HostId,
    pub started: SimTime,
    pub ends: SimTime,
    pub queued: bool,
    /// Which of the run's migrations this is (the count issued before it): its end event carries the same
    /// number, so that the end of a migration abandoned or redirected since is told from the live one.
    pub number: u64,
    /// The first target of a VM that CloudSim sent to two hosts in one round: still booked there, the VM
    /// migrating in, until the migration ends (CloudSim lists the VM on every host it was sent to).
    pub also_on: Option<HostId>,
}

#[derive(Clone, Debug)]
pub struct Vm {
    pub flavor: Flavor,
    /// RAM the VM books on its host: its flavor's, until a workload whose VMs request less once created says
    /// otherwise (CloudSim's PlanetLab cloudlets request none: see [`crate::workload::Workload::ram_utilization`]).
    pub booked_memory_mb: u64,
    /// Speed of one vCPU, in MIPS.
    pub mips_per_vcpu: f64,
    pub host: Option<HostId>,
    pub status: VmStatus,
    /// Current CPU demand as a fraction of the VM's capacity (0 when not running).
    pub demand_fraction: f64,
    /// Current memory demand as a fraction of the flavor's RAM (0 when not running).
    pub memory_fraction: f64,
    /// CPU its host allocated at the last update point, in MIPS.
    pub allocated_mips: f64,
    /// Utilisation (fraction of capacity) at past monitoring ticks, oldest first, at most the consolidation's
    /// history length: requested in `cloudsim` semantics, allocated (measured) in `neat`.
    pub history: crate::fleet::history::UtilizationHistory,
    pub migration: Option<Migration>,
    /// The scenario's own page-dirtying rate for this VM (per vCPU at full load), for the pre-copy model.
    pub dirty_pages_per_s: Option<f64>,
    /// The migration model's last estimate of moving this VM (policies ask for it many times per round).
    pub migration_estimate: crate::migration::EstimateMemo,
}

impl Vm {
    pub fn new(flavor: Flavor, mips_per_vcpu: f64) -> Vm {
        Vm {
            flavor,
            booked_memory_mb: flavor.memory_mb,
            mips_per_vcpu,
            host: None,
            status: VmStatus::Pending,
            demand_fraction: 0.0,
            memory_fraction: 0.0,
            allocated_mips: 0.0,
            history: Default::default(),
            migration: None,
            dirty_pages_per_s: None,
            migration_estimate: Default::default(),
        }
    }

    /// What the VM books on a host: its flavor with the RAM it books now.
    pub fn booking(&self) -> Flavor {
        Flavor { memory_mb: self.booked_memory_mb, ..self.flavor }
    }

    /// The VM's CPU capacity: vCPUs × MIPS per vCPU.
    pub fn capacity_mips(&self) -> f64 {
        f64::from(self.flavor.vcpus) * self.mips_per_vcpu
    }

    /// What the VM asks for now, in MIPS.
    pub fn demand_mips(&self) -> f64 {
        self.demand_fraction * self.capacity_mips()
    }

    /// The RAM the VM uses now, in MB.
    pub fn memory_demand_mb(&self) -> f64 {
        self.memory_fraction * self.flavor.memory_mb as f64
    }

    /// Is a migration decided for this VM (running, or waiting for its links)?
    pub fn is_migrating(&self) -> bool {
        self.migration.is_some()
    }

    /// Is the VM's memory being copied now (a migration that is not waiting)?
    pub fn is_moving(&self) -> bool {
        self.migration.is_some_and(|migration| !migration.queued)
    }
}
