//! Scenarios and workloads for the simulation's unit tests.

use std::path::Path;

use crate::scenario::Scenario;
use crate::simulation::Simulation;
use crate::trace::lifecycle::Preexisting;
use crate::trace::{trace_from_rows, Flavor};
use crate::usage::DemandModel;
use crate::workload::Workload;

/// Nova's create and delete events, for [`workload`] rows.
pub const CREATE: &str = "compute__do_build_and_run_instance";
pub const DELETE: &str = "compute_terminate_instance";

/// A scenario from TOML text (relative paths from the working directory).
pub fn scenario(text: &str) -> Scenario {
    Scenario::from_text(text, "test", Some(Path::new(".")), &[]).unwrap()
}

/// A workload of VMs of (vCPUs, MIPS per vCPU, RAM MB), with (VM, Nova event, second) rows in time order.
pub fn workload(vms: &[(u32, f64, u64)], rows: &[(u32, &str, i64)]) -> Workload {
    let flavors: Vec<Option<Flavor>> =
        vms.iter().map(|&(vcpus, _, memory_mb)| Some(Flavor { vcpus, memory_mb, disk_gb: 0 })).collect();
    let rows: Vec<(u32, &str, i64, bool)> = rows.iter().map(|&(vm, event, second)| (vm, event, second, true)).collect();
    let mut workload = Workload::new(trace_from_rows(&flavors, &rows), None, Preexisting::Materialize);
    workload.vm_mips = vms.iter().map(|vm| vm.1).collect();
    workload
}

/// A simulation of `workload` under `scenario`, not yet run.
pub fn simulation<'a>(workload: &'a Workload, scenario: &'a Scenario) -> Simulation<'a> {
    let demand = DemandModel::new(&scenario.usage, workload.instances.instances.len(), 1, None).unwrap();
    Simulation::new(workload, scenario, demand, 1)
}
