//! A PlanetLab day as CloudSim's PlanetLab examples run it: one VM per file of the day folder, all created at
//! time 0 and kept until the end; VM types assigned in blocks in sorted file-name order (CloudSim assigns them
//! in file-listing order, which on the systems it was run on is name order: reference §2.1).

use serde::{Deserialize, Serialize};

use crate::fleet::VmId;
use crate::time::{SimTime, MS_PER_SECOND};
use crate::trace::lifecycle::{LifecycleCounts, PowerState, VmEvent, VmEventKind};
use crate::trace::{Flavor, InstanceInfo, InstanceTrace};
use crate::usage::planetlab::PlanetLabSeries;
use crate::workload::Workload;

/// One VM type of the experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmType {
    /// MIPS of each vCPU (CloudSim's `VM_MIPS`).
    pub mips: f64,
    pub memory_mb: u64,
    #[serde(default = "one")]
    pub vcpus: u32,
    /// Pages each vCPU of this type dirties per second at full load, for the pre-copy migration model (in place
    /// of `migration.dirty_pages_per_s`); ignored by RAM over bandwidth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirty_pages_per_s: Option<f64>,
}

fn one() -> u32 {
    1
}

/// What becomes of a VM whose CPU demand is exactly 0 at an update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZeroDemand {
    /// Deallocated for good, as in CloudSim: a VM requesting no MIPS counts as finished
    /// (`HostDynamicWorkload.getCompletedVms`) and `PowerDatacenter` deallocates it after the update. On a
    /// PlanetLab day that is every VM with two consecutive 0 % samples (half of them on 20110303).
    #[default]
    Remove,
    /// Kept on its host, its demand free to rise again (fleetsim's choice before it reproduced CloudSim).
    Keep,
}

/// CloudSim's four PlanetLab VM types (`Constants.java`): 2500/870, 2000/1740, 1000/1740, 500/613.
pub fn cloudsim_vm_types() -> Vec<VmType> {
    [(2500.0, 870), (2000.0, 1740), (1000.0, 1740), (500.0, 613)]
        .into_iter()
        .map(|(mips, memory_mb)| VmType { mips, memory_mb, vcpus: 1, dirty_pages_per_s: None })
        .collect()
}

/// VM `index` of `count` gets type ⌊index / ⌈count / types⌉⌋, as CloudSim's `PlanetLabHelper` does.
pub fn vm_type_of(index: usize, count: usize, types: usize) -> usize {
    let block = count.div_ceil(types).max(1);
    (index / block).min(types - 1)
}

/// The workload of one PlanetLab day: `series.names.len()` VMs arriving at 0, lasting `duration`, keeping
/// `ram_utilization` of their RAM booked once created, removed at 0 demand as `zero_demand` says.
pub fn workload(
    series: &PlanetLabSeries,
    vm_types: &[VmType],
    duration: SimTime,
    ram_utilization: f64,
    zero_demand: ZeroDemand,
) -> Workload {
    let count = series.names.len();
    let mut instances = Vec::with_capacity(count);
    let mut vm_mips = Vec::with_capacity(count);
    let mut vm_dirty_pages_per_s = Vec::with_capacity(count);
    let mut vm_events = Vec::with_capacity(count);
    for (index, name) in series.names.iter().enumerate() {
        let vm_type = &vm_types[vm_type_of(index, count, vm_types.len())];
        instances.push(InstanceInfo {
            uuid: name.clone(),
            flavor: Some(Flavor { vcpus: vm_type.vcpus, memory_mb: vm_type.memory_mb, disk_gb: 0 }),
            project: String::new(),
            host: None,
        });
        vm_mips.push(vm_type.mips);
        vm_dirty_pages_per_s.push(vm_type.dirty_pages_per_s);
        vm_events.push(VmEvent {
            time: SimTime::ZERO,
            vm: index as VmId,
            kind: VmEventKind::Arrive { initially: PowerState::Running },
        });
    }
    Workload {
        instances: InstanceTrace { instances, ..InstanceTrace::default() },
        machines: None,
        origin_ms: 0,
        end: duration,
        vm_events,
        host_events: Vec::new(),
        lifecycle: LifecycleCounts::default(),
        vm_mips,
        vm_dirty_pages_per_s,
        ram_utilization,
        zero_demand,
    }
}

/// 24 hours, CloudSim's `SIMULATION_LIMIT`.
pub const DAY: SimTime = SimTime(86_400 * MS_PER_SECOND);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_assigned_in_blocks_of_the_rounded_up_quarter() {
        // 1052 VMs, 4 types: blocks of ⌈1052/4⌉ = 263.
        assert_eq!(vm_type_of(0, 1052, 4), 0);
        assert_eq!(vm_type_of(262, 1052, 4), 0);
        assert_eq!(vm_type_of(263, 1052, 4), 1);
        assert_eq!(vm_type_of(1051, 1052, 4), 3);
        // 898 VMs: blocks of 225; the last block is short (223).
        assert_eq!(vm_type_of(675, 898, 4), 3);
        assert_eq!(vm_type_of(674, 898, 4), 2);
    }

    #[test]
    fn every_vm_arrives_at_zero_with_its_type() {
        let series = PlanetLabSeries {
            names: (0..5).map(|index| format!("vm{index}")).collect(),
            series: vec![vec![0.5; 288]; 5],
        };
        let workload = workload(&series, &cloudsim_vm_types(), DAY, 0.0, ZeroDemand::Remove);
        assert_eq!(workload.vm_events.len(), 5);
        assert!(workload.vm_events.iter().all(|event| event.time == SimTime::ZERO));
        // ⌈5/4⌉ = 2: types 0, 0, 1, 1, 2.
        let mips: Vec<f64> = workload.vm_mips.clone();
        assert_eq!(mips, vec![2500.0, 2500.0, 2000.0, 2000.0, 1000.0]);
        assert_eq!(workload.instances.instances[4].flavor.unwrap().memory_mb, 1740);
        assert_eq!(workload.end, DAY);
    }
}
