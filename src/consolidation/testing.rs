//! Hand-made fleets for the consolidation and reallocation tests: CloudSim's two PlanetLab host types (or any
//! other), and VMs put where a test wants them with the demand and history it gives.

use crate::consolidation::{ConsolidationConfig, Consolidator};
use crate::fleet::{Allocatable, Capacity, Fleet, Host, HostId, Vm, VmId, VmStatus};
use crate::policy::overload::OverloadConfig;
use crate::policy::reallocation::ReallocationConfig;
use crate::policy::selection::SelectionConfig;
use crate::policy::underload::UnderloadConfig;
use crate::policy::Semantics;
use crate::power::PowerModel;
use crate::trace::Flavor;

/// A host of `cores` × `core_mips` MIPS and `memory_mb` of RAM that may book all its RAM and (as CloudSim's
/// time-shared hosts) any number of vCPUs.
pub fn host(cores: u32, core_mips: f64, memory_mb: u64, power: PowerModel) -> Host {
    let capacity = Capacity { vcpus: cores, memory_mb, disk_gb: 100 };
    let mut host = Host::new(String::new(), capacity, core_mips, power);
    host.allocatable = Allocatable { vcpus: 1000.0, memory_mb: memory_mb as f64, disk_gb: 100.0 };
    host
}

/// HP ProLiant ML110 G4: 2 × 1860 MIPS (3720 MIPS), 4096 MB; 86 W idle, 117 W at 100 %.
pub fn g4() -> Host {
    host(2, 1860.0, 4096, PowerModel::HpProliantMl110G4 {})
}

/// HP ProLiant ML110 G5: 2 × 2660 MIPS (5320 MIPS), 4096 MB; 93.7 W idle, 135 W at 100 %.
pub fn g5() -> Host {
    host(2, 2660.0, 4096, PowerModel::HpProliantMl110G5 {})
}

/// A fleet of `hosts` and no VMs yet.
pub fn fleet(hosts: impl IntoIterator<Item = Host>) -> Fleet {
    let mut fleet = Fleet::new([]);
    for host in hosts {
        fleet.add_host(host);
    }
    fleet
}

/// Adds a running VM of `vcpus` × `mips` and `memory_mb`, booked on `host` (or on none: a VM to place),
/// asking `fraction` of its capacity now, with history `[fraction]`. Returns its id.
pub fn add_vm(fleet: &mut Fleet, host: Option<HostId>, vcpus: u32, mips: f64, memory_mb: u64, fraction: f64) -> VmId {
    let id = fleet.vms.len() as VmId;
    fleet.vms.push(Vm::new(Flavor { vcpus, memory_mb, disk_gb: 0 }, mips));
    if let Some(host) = host {
        fleet.book(id, host);
    }
    fleet.vm_mut(id).status = VmStatus::Running;
    fleet.set_demand(id, fraction);
    fleet.vm_mut(id).history = vec![fraction].into();
    id
}

/// Each host's CPU use at the last update as the simulation's update computes it when no host is
/// oversubscribed: its running VMs' requests (each vCPU capped at a core), VMs migrating in at 10 %.
pub fn utilization_mips(fleet: &Fleet) -> Vec<f64> {
    let capped = |host: &Host, vm: VmId| {
        let entry = fleet.vm(vm);
        (entry.demand_fraction * entry.mips_per_vcpu).min(host.core_mips) * f64::from(entry.flavor.vcpus)
    };
    fleet
        .hosts
        .iter()
        .map(|host| {
            let running: f64 = host.vms.iter().map(|&vm| capped(host, vm)).sum();
            let incoming: f64 = host.incoming.iter().map(|&vm| capped(host, vm) * 0.1).sum();
            running + incoming
        })
        .collect()
}

/// A consolidator with a THR 0.8 overload detector and MMT selection.
pub fn consolidator(semantics: Semantics, underload: UnderloadConfig, placement: ReallocationConfig) -> Consolidator {
    let config = ConsolidationConfig {
        semantics,
        overload: OverloadConfig::Thr { threshold: 0.8 },
        underload,
        selection: SelectionConfig::Mmt {},
        placement,
    };
    Consolidator::new(&config, 1)
}
