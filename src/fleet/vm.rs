//! A VM: its flavor, where it is, and its current CPU demand.

use crate::fleet::HostId;
use crate::time::SimTime;
use crate::trace::Flavor;

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

#[derive(Clone, Debug)]
pub struct Vm {
    pub flavor: Flavor,
    pub host: Option<HostId>,
    pub status: VmStatus,
    /// Current CPU demand as a fraction of the VM's vCPUs (0 when not running).
    pub demand_fraction: f64,
}

impl Vm {
    pub fn new(flavor: Flavor) -> Vm {
        Vm { flavor, host: None, status: VmStatus::Pending, demand_fraction: 0.0 }
    }

    pub fn demand_cores(&self) -> f64 {
        self.demand_fraction * f64::from(self.flavor.vcpus)
    }
}
