//! A workload: the traces of one scenario, read once, cleaned by the lifecycle rules, and shared (read-only)
//! by every run that uses them. A Nova trace gives one; so does a PlanetLab day as CloudSim runs it
//! ([`planetlab`]: every VM created at the start and kept for the whole day).

pub mod planetlab;

use crate::fleet::DEFAULT_MIPS_PER_VCPU;
use crate::time::SimTime;
use crate::trace::lifecycle::{derive_vm_events, LifecycleCounts, Preexisting, VmEvent};
use crate::trace::{HostCapacity, InstanceTrace, MachineEventKind, MachineTrace};

/// A machine event in simulated time. Events before the workload's origin are applied at the origin, in order:
/// they describe the fleet as it stood when the instance trace begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostEvent {
    pub time: SimTime,
    /// Index into [`MachineTrace::hosts`].
    pub host: u32,
    pub kind: MachineEventKind,
    pub capacity: HostCapacity,
}

#[derive(Debug)]
pub struct Workload {
    pub instances: InstanceTrace,
    pub machines: Option<MachineTrace>,
    /// Unix milliseconds that [`SimTime::ZERO`] stands for: the instance trace's first event.
    pub origin_ms: i64,
    /// The last instance event: the end of the simulated period.
    pub end: SimTime,
    pub vm_events: Vec<VmEvent>,
    pub host_events: Vec<HostEvent>,
    pub lifecycle: LifecycleCounts,
    /// MIPS of one vCPU of each instance (Nova traces: [`DEFAULT_MIPS_PER_VCPU`]).
    pub vm_mips: Vec<f64>,
    /// Each instance's own page-dirtying rate (pre-copy migration), where the workload gives one (PlanetLab VM
    /// types may); `None` for Nova traces.
    pub vm_dirty_pages_per_s: Vec<Option<f64>>,
    /// Fraction of its RAM a VM keeps booked once created: 1 for Nova (a flavor's RAM is reserved for the
    /// VM's life); CloudSim's PlanetLab cloudlets model RAM with `UtilizationModelNull`, so a VM past its
    /// creation requests (and books, from the first consolidation round) none.
    pub ram_utilization: f64,
    /// Whether a VM whose demand is exactly 0 at an update is removed (CloudSim's PlanetLab experiment) or kept
    /// (Nova replays: an idle instance stays).
    pub zero_demand: planetlab::ZeroDemand,
}

impl Workload {
    /// Builds the workload from already-read traces. Machine events after the last instance event are dropped:
    /// nothing is simulated past the instance trace.
    pub fn new(instances: InstanceTrace, machines: Option<MachineTrace>, preexisting: Preexisting) -> Workload {
        let (origin_ms, last_ms) = instances.span_ms().unwrap_or((0, 0));
        let end = SimTime(last_ms - origin_ms);
        let (vm_events, lifecycle) = derive_vm_events(&instances, origin_ms, preexisting);
        let host_events = machines
            .iter()
            .flat_map(|machines| &machines.records)
            .map(|record| HostEvent {
                time: SimTime((record.time_ms - origin_ms).max(0)),
                host: record.host,
                kind: record.kind,
                capacity: record.capacity,
            })
            .filter(|event| event.time <= end)
            .collect();
        let vm_mips = vec![DEFAULT_MIPS_PER_VCPU; instances.instances.len()];
        let vm_dirty_pages_per_s = vec![None; instances.instances.len()];
        Workload {
            instances,
            machines,
            origin_ms,
            end,
            vm_events,
            host_events,
            lifecycle,
            vm_mips,
            vm_dirty_pages_per_s,
            ram_utilization: 1.0,
            zero_demand: planetlab::ZeroDemand::Keep,
        }
    }

    /// Name of a machine-trace host.
    pub fn machine_host_name(&self, host: u32) -> &str {
        self.machines.as_ref().and_then(|machines| machines.hosts.get(host as usize)).map_or("", String::as_str)
    }
}
