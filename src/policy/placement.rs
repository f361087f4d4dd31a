//! Placement of arriving VMs (and of VMs that need a host again: unshelve, cold migration, evacuation).

pub mod best_fit;
pub mod filter_scheduler;
pub mod first_fit;
pub mod power_aware;

use serde::{Deserialize, Serialize};

use crate::fleet::{Fleet, HostId, VmId};

/// Chooses a host for one VM, or `None` (Nova's NoValidHost). Candidates are hosts that accept VMs and have
/// room within their allocatable capacity ([`Fleet::fits_vm`]); `exclude` is the VM's current host when it
/// moves.
pub trait Placement: Send + Sync {
    fn choose_host(&self, fleet: &Fleet, vm: VmId, exclude: Option<HostId>) -> Option<HostId>;
}

/// The placement algorithms a scenario can name: `placement = { kind = "filter_scheduler", ... }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlacementConfig {
    /// Nova's filter scheduler: RAM, vCPU and disk filters, then RAM and vCPU weighers.
    FilterScheduler {
        /// Nova's `ram_weight_multiplier` (default 1.0: spread by free RAM; negative values stack).
        #[serde(default = "one")]
        ram_weight_multiplier: f64,
        /// Nova's `cpu_weight_multiplier` (default 1.0: spread by free vCPUs; negative values stack).
        #[serde(default = "one")]
        cpu_weight_multiplier: f64,
    },
    /// The first host, in fleet order, with room. (Empty struct variants, not unit ones: serde checks
    /// unknown fields only on struct variants.)
    FirstFit {},
    /// The host left with the fewest free vCPUs after placement (ties: least free RAM, then fleet order).
    BestFit {},
    /// CloudSim's power-aware best fit for a VM being created: the host whose power grows least from its use at
    /// the last update to its allocations plus the VM's full MIPS (ties: fleet order), skipping hosts the
    /// consolidation's detector would call overloaded with it ([`power_aware`]).
    PowerAware {},
}

fn one() -> f64 {
    1.0
}

impl Default for PlacementConfig {
    fn default() -> Self {
        PlacementConfig::FilterScheduler { ram_weight_multiplier: 1.0, cpu_weight_multiplier: 1.0 }
    }
}

impl PlacementConfig {
    pub fn validate(&self) -> Result<(), String> {
        if let PlacementConfig::FilterScheduler { ram_weight_multiplier, cpu_weight_multiplier } = *self {
            for (name, value) in
                [("ram_weight_multiplier", ram_weight_multiplier), ("cpu_weight_multiplier", cpu_weight_multiplier)]
            {
                if !value.is_finite() {
                    return Err(format!("placement.{name} must be a finite number, got {value}"));
                }
            }
        }
        Ok(())
    }

    /// The placement for one run. `overload_threshold` is the static threshold the run's overload detector
    /// applies to a host with no history ([`crate::policy::overload::OverloadConfig::threshold_without_history`]),
    /// which power-aware placement checks as CloudSim does.
    pub fn build(&self, overload_threshold: Option<f64>) -> Box<dyn Placement> {
        match *self {
            PlacementConfig::FilterScheduler { ram_weight_multiplier, cpu_weight_multiplier } => {
                Box::new(filter_scheduler::FilterScheduler { ram_weight_multiplier, cpu_weight_multiplier })
            }
            PlacementConfig::FirstFit {} => Box::new(first_fit::FirstFit),
            PlacementConfig::BestFit {} => Box::new(best_fit::BestFit),
            PlacementConfig::PowerAware {} => Box::new(power_aware::PowerAware { overload_threshold }),
        }
    }

    /// Short name for labels and summaries.
    pub fn name(&self) -> &'static str {
        match self {
            PlacementConfig::FilterScheduler { .. } => "filter_scheduler",
            PlacementConfig::FirstFit {} => "first_fit",
            PlacementConfig::BestFit {} => "best_fit",
            PlacementConfig::PowerAware {} => "power_aware",
        }
    }
}

/// Hosts that pass the filters (present, enabled, room for the VM), in fleet order.
pub(crate) fn candidate_hosts(fleet: &Fleet, vm: VmId, exclude: Option<HostId>) -> impl Iterator<Item = HostId> + '_ {
    (0..fleet.hosts.len() as HostId).filter(move |&host| Some(host) != exclude && fleet.fits_vm(host, vm))
}

#[cfg(test)]
pub(crate) mod test_fleet {
    use crate::fleet::{Allocatable, Capacity, Fleet, Host};
    use crate::power::PowerModel;
    use crate::trace::Flavor;

    pub const SMALL: Flavor = Flavor { vcpus: 1, memory_mb: 1024, disk_gb: 10 };

    /// Hosts with the given (vcpus, memory MB) capacity and no overcommit, plus `vms` small VMs to place.
    pub fn fleet(hosts: &[(u32, u64)], vms: usize) -> Fleet {
        let mut fleet = Fleet::new(std::iter::repeat_n((SMALL, 1000.0), vms));
        for (index, &(vcpus, memory_mb)) in hosts.iter().enumerate() {
            let capacity = Capacity { vcpus, memory_mb, disk_gb: 1000 };
            let mut host = Host::new(format!("h{index}"), capacity, 1000.0, PowerModel::default());
            host.allocatable = Allocatable { vcpus: f64::from(vcpus), memory_mb: memory_mb as f64, disk_gb: 1000.0 };
            fleet.add_host(host);
        }
        fleet
    }
}
