//! One run: the workload's events applied to a fleet under a scenario's policies.
//!
//! Three sources feed the loop, merged by time: machine events, VM events (both pre-sorted, read in place
//! through cursors) and internal events (monitoring ticks, queue retries) in the heap. At equal times machine
//! events come first (a host created at t can take a VM arriving at t), then VM events, then internal events
//! (a tick at t sees the VMs that arrived at t).

use std::collections::VecDeque;
use std::time::Instant;

use crate::engine::{earliest_source, EventQueue, TraceCursor};
use crate::fleet::{Capacity, Fleet, Host, HostId, VmId, VmStatus};
use crate::metrics::{percentile, Counters, FleetTotals, HostSnapshot, Integrals, RunMetrics};
use crate::policy::placement::Placement;
use crate::scenario::{OnNoValidHost, Scenario};
use crate::time::{SimTime, MS_PER_HOUR};
use crate::trace::lifecycle::{PowerState, VmEvent, VmEventKind};
use crate::trace::{Flavor, MachineEventKind};
use crate::usage::DemandModel;
use crate::workload::{HostEvent, Workload};

/// How many VM events between two progress reports.
const PROGRESS_EVERY: usize = 16_384;

/// Internal events, scheduled in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Internal {
    Tick,
    RetryQueue,
}

/// One row of `timeseries.arrow`: the fleet at a monitoring tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TickSample {
    pub time_s: f64,
    pub present_hosts: u32,
    pub active_hosts: u32,
    pub overloaded_hosts: u32,
    pub vms: u32,
    pub queued_vms: u32,
    pub demand_cores: f64,
    pub capacity_vcpus: f64,
    pub booked_vcpus: f64,
    pub allocatable_vcpus: f64,
    pub power_w: f64,
}

#[derive(Debug)]
pub struct RunOutcome {
    pub metrics: RunMetrics,
    pub timeseries: Option<Vec<TickSample>>,
}

/// Simulates `workload` under `scenario` with `demand` as the VMs' CPU demand. `on_progress` is called now
/// and then with the number of VM events applied so far.
pub fn run(workload: &Workload, scenario: &Scenario, demand: DemandModel, on_progress: &dyn Fn(u64)) -> RunOutcome {
    let started = Instant::now();
    let mut simulation = Simulation::new(workload, scenario, demand);
    simulation.run(on_progress);
    let mut outcome = simulation.finish();
    outcome.metrics.wall_s = started.elapsed().as_secs_f64();
    outcome
}

struct Simulation<'a> {
    workload: &'a Workload,
    scenario: &'a Scenario,
    fleet: Fleet,
    placement: Box<dyn Placement>,
    demand: DemandModel,
    internal: EventQueue<Internal>,
    now: SimTime,
    /// Fleet host of each machine-trace host, once created.
    machine_hosts: Vec<Option<HostId>>,
    waiting: VecDeque<VmId>,
    retry_scheduled: bool,
    snapshots: Vec<HostSnapshot>,
    totals: FleetTotals,
    integrals: Integrals,
    counters: Counters,
    booked_vcpu_samples: Vec<f64>,
    booked_memory_samples: Vec<f64>,
    timeseries: Option<Vec<TickSample>>,
}

impl<'a> Simulation<'a> {
    fn new(workload: &'a Workload, scenario: &'a Scenario, demand: DemandModel) -> Simulation<'a> {
        let flavors = workload
            .instances
            .instances
            .iter()
            .map(|info| info.flavor.unwrap_or(Flavor { vcpus: 0, memory_mb: 0, disk_gb: 0 }));
        let mut simulation = Simulation {
            workload,
            scenario,
            fleet: Fleet::new(flavors),
            placement: scenario.placement.build(),
            demand,
            internal: EventQueue::default(),
            now: SimTime::ZERO,
            machine_hosts: vec![None; workload.machines.as_ref().map_or(0, |machines| machines.hosts.len())],
            waiting: VecDeque::new(),
            retry_scheduled: false,
            snapshots: Vec::new(),
            totals: FleetTotals::default(),
            integrals: Integrals::default(),
            counters: Counters::default(),
            booked_vcpu_samples: Vec::new(),
            booked_memory_samples: Vec::new(),
            timeseries: scenario.timeseries.then(Vec::new),
        };
        for host_type in &scenario.host_types {
            for index in 0..host_type.count {
                let capacity =
                    Capacity { vcpus: host_type.vcpus, memory_mb: host_type.memory_mb, disk_gb: host_type.disk_gb };
                let power = host_type.power.clone().unwrap_or_else(|| scenario.host_power.clone());
                simulation.add_host(Host::new(format!("{}-{index}", host_type.name), capacity, power));
            }
        }
        simulation.internal.schedule(SimTime::ZERO, Internal::Tick);
        simulation
    }

    fn run(&mut self, on_progress: &dyn Fn(u64)) {
        let workload = self.workload;
        let mut host_events = TraceCursor::new(&workload.host_events, |event: &HostEvent| event.time);
        let mut vm_events = TraceCursor::new(&workload.vm_events, |event: &VmEvent| event.time);
        loop {
            let next = [host_events.peek_time(), vm_events.peek_time(), self.internal.peek_time()];
            let Some(source) = earliest_source(&next) else { break };
            let time = next[source].unwrap_or(self.now);
            if time > workload.end {
                break;
            }
            self.advance_to(time);
            match source {
                0 => {
                    if let Some(event) = host_events.advance() {
                        self.counters.events += 1;
                        self.apply_host_event(event);
                    }
                }
                1 => {
                    if let Some(event) = vm_events.advance() {
                        self.counters.events += 1;
                        self.apply_vm_event(event);
                        if vm_events.consumed().is_multiple_of(PROGRESS_EVERY) {
                            on_progress(vm_events.consumed() as u64);
                        }
                    }
                }
                _ => match self.internal.pop() {
                    Some((_, Internal::Tick)) => self.tick(),
                    Some((_, Internal::RetryQueue)) => self.retry_queue(),
                    None => {}
                },
            }
            self.integrals.observe_peaks(&self.totals);
            // Debug builds (all tests) check the allocation book after every event.
            #[cfg(debug_assertions)]
            self.fleet.check_invariants();
        }
        self.advance_to(workload.end);
        on_progress(vm_events.consumed() as u64);
    }

    /// Integrates the totals, unchanged since the last event, up to `time`.
    fn advance_to(&mut self, time: SimTime) {
        self.integrals.accumulate(&self.totals, time.since(self.now));
        self.now = self.now.max(time);
    }

    fn add_host(&mut self, mut host: Host) -> HostId {
        host.allocatable = self.scenario.oversubscription.allocatable(&host.capacity);
        let id = self.fleet.add_host(host);
        self.snapshots.push(HostSnapshot::default());
        self.refresh(id);
        id
    }

    /// Swaps the host's old contribution to the totals for its current one.
    fn refresh(&mut self, host: HostId) {
        let snapshot = HostSnapshot::of(self.fleet.host(host), self.scenario.empty_hosts);
        let old = std::mem::replace(&mut self.snapshots[host as usize], snapshot);
        self.totals -= old;
        self.totals += snapshot;
    }

    fn current_tick(&self) -> u64 {
        (self.now.as_ms() / self.scenario.interval.as_ms()).max(0) as u64
    }

    // ---- machine events ----

    fn apply_host_event(&mut self, event: &HostEvent) {
        let existing = self.machine_hosts[event.host as usize];
        match (event.kind, existing) {
            (MachineEventKind::Create, None) => {
                let capacity = Capacity {
                    vcpus: event.capacity.vcpus.unwrap_or(0),
                    memory_mb: event.capacity.memory_mb.unwrap_or(0),
                    disk_gb: event.capacity.disk_gb.unwrap_or(0),
                };
                let name = self.workload.machine_host_name(event.host).to_string();
                let id = self.add_host(Host::new(name, capacity, self.scenario.host_power.clone()));
                self.machine_hosts[event.host as usize] = Some(id);
            }
            (MachineEventKind::Create | MachineEventKind::Update, Some(id)) => {
                let host = self.fleet.host_mut(id);
                host.present = true;
                let before = host.capacity;
                let capacity = &mut host.capacity;
                capacity.vcpus = event.capacity.vcpus.unwrap_or(capacity.vcpus);
                capacity.memory_mb = event.capacity.memory_mb.unwrap_or(capacity.memory_mb);
                capacity.disk_gb = event.capacity.disk_gb.unwrap_or(capacity.disk_gb);
                host.capacity_reduced |= capacity.vcpus < before.vcpus
                    || capacity.memory_mb < before.memory_mb
                    || capacity.disk_gb < before.disk_gb;
                host.allocatable = self.scenario.oversubscription.allocatable(&host.capacity);
                self.refresh(id);
            }
            (MachineEventKind::Delete, Some(id)) => {
                self.fleet.host_mut(id).present = false;
                self.evacuate(id);
                self.refresh(id);
            }
            (MachineEventKind::Enable | MachineEventKind::Disable, Some(id)) => {
                self.fleet.host_mut(id).enabled = event.kind == MachineEventKind::Enable;
            }
            // An update, delete or (dis)able of a host never created: nothing to apply to.
            (_, None) => {}
        }
    }

    /// Moves every VM off a deleted host; VMs that fit nowhere are evicted (counted, never silently lost).
    fn evacuate(&mut self, host: HostId) {
        let vms = self.fleet.host(host).vms.clone();
        for vm in vms {
            let flavor = self.fleet.vm(vm).flavor;
            self.fleet.unbook(vm);
            match self.placement.choose_host(&self.fleet, &flavor, Some(host)) {
                Some(target) => {
                    self.fleet.book(vm, target);
                    self.refresh(target);
                }
                None => {
                    self.fleet.vm_mut(vm).status = VmStatus::Rejected;
                    self.fleet.vm_mut(vm).demand_fraction = 0.0;
                    self.counters.vms_evicted += 1;
                }
            }
        }
    }

    // ---- VM events ----

    fn apply_vm_event(&mut self, event: &VmEvent) {
        let vm = event.vm;
        let status = self.fleet.vm(vm).status;
        match event.kind {
            VmEventKind::Arrive { initially } => self.arrive(vm, initially),
            VmEventKind::Depart => {
                match status {
                    VmStatus::Queued { .. } => {
                        self.waiting.retain(|&waiting| waiting != vm);
                        self.counters.vms_departed_while_queued += 1;
                    }
                    _ => self.release(vm),
                }
                self.fleet.vm_mut(vm).status = VmStatus::Departed;
            }
            VmEventKind::PowerOff if status == VmStatus::Running => {
                self.fleet.vm_mut(vm).status = VmStatus::Off;
                self.set_demand(vm, 0.0);
            }
            VmEventKind::PowerOn if status == VmStatus::Off => {
                self.fleet.vm_mut(vm).status = VmStatus::Running;
                self.start_demand(vm);
            }
            VmEventKind::Shelve if matches!(status, VmStatus::Running | VmStatus::Off) => {
                self.release(vm);
                self.fleet.vm_mut(vm).status = VmStatus::Shelved;
            }
            VmEventKind::Unshelve if status == VmStatus::Shelved => {
                let flavor = self.fleet.vm(vm).flavor;
                match self.placement.choose_host(&self.fleet, &flavor, None) {
                    Some(host) => self.place(vm, host, PowerState::Running),
                    // Nova leaves the instance shelved when unshelving finds no host.
                    None => self.counters.unshelve_failures += 1,
                }
            }
            VmEventKind::Migrate if matches!(status, VmStatus::Running | VmStatus::Off) => self.cold_migrate(vm),
            // No effect, or an event for a VM that was rejected, evicted or is waiting: nothing to apply.
            _ => {}
        }
    }

    fn arrive(&mut self, vm: VmId, initially: PowerState) {
        if initially == PowerState::Shelved {
            // A preexisting shelved VM needs no host until it is unshelved: not an arrival that asks for one.
            self.fleet.vm_mut(vm).status = VmStatus::Shelved;
            return;
        }
        self.counters.vms_arrived += 1;
        let flavor = self.fleet.vm(vm).flavor;
        match self.placement.choose_host(&self.fleet, &flavor, None) {
            Some(host) => {
                self.counters.vms_placed += 1;
                self.place(vm, host, initially);
            }
            None => match self.scenario.admission.on_no_valid_host {
                OnNoValidHost::Reject => {
                    self.counters.vms_rejected += 1;
                    self.fleet.vm_mut(vm).status = VmStatus::Rejected;
                }
                OnNoValidHost::Queue => {
                    self.counters.vms_queued += 1;
                    self.fleet.vm_mut(vm).status = VmStatus::Queued { since: self.now };
                    self.waiting.push_back(vm);
                    self.schedule_retry();
                }
            },
        }
    }

    /// Books `vm` on `host` in power state `state` (running or off).
    fn place(&mut self, vm: VmId, host: HostId, state: PowerState) {
        self.fleet.book(vm, host);
        if state == PowerState::Off {
            self.fleet.vm_mut(vm).status = VmStatus::Off;
            self.refresh(host);
        } else {
            self.fleet.vm_mut(vm).status = VmStatus::Running;
            self.start_demand(vm);
        }
    }

    /// Frees the VM's host, if it has one; the VM's demand leaves with it.
    fn release(&mut self, vm: VmId) {
        if let Some(host) = self.fleet.unbook(vm) {
            self.refresh(host);
        }
        self.fleet.vm_mut(vm).demand_fraction = 0.0;
    }

    fn cold_migrate(&mut self, vm: VmId) {
        let Some(source) = self.fleet.vm(vm).host else { return };
        let flavor = self.fleet.vm(vm).flavor;
        let Some(target) = self.placement.choose_host(&self.fleet, &flavor, Some(source)) else {
            self.counters.migration_failures += 1;
            return;
        };
        self.fleet.unbook(vm);
        self.refresh(source);
        self.fleet.book(vm, target);
        self.refresh(target);
        self.counters.cold_migrations += 1;
    }

    fn start_demand(&mut self, vm: VmId) {
        let tick = self.current_tick();
        let uuid = &self.workload.instances.instances[vm as usize].uuid;
        let fraction = self.demand.start(vm, uuid, tick);
        self.set_demand(vm, fraction);
    }

    /// Sets the VM's demand fraction and moves its host's demand by the difference.
    fn set_demand(&mut self, vm: VmId, fraction: f64) {
        let entry = self.fleet.vm_mut(vm);
        let old_cores = entry.demand_cores();
        entry.demand_fraction = fraction;
        let new_cores = entry.demand_cores();
        if let Some(host) = entry.host {
            let host_entry = self.fleet.host_mut(host);
            host_entry.demand_cores = (host_entry.demand_cores + new_cores - old_cores).max(0.0);
            self.refresh(host);
        }
    }

    // ---- internal events ----

    /// A monitoring tick: sample every running VM's demand, recompute the totals from scratch (dropping
    /// floating-point drift), record quantile samples and the time series, schedule the next tick.
    fn tick(&mut self) {
        self.counters.ticks += 1;
        let tick = self.current_tick();
        let mut totals = FleetTotals::default();
        for host in 0..self.fleet.hosts.len() {
            let mut demand = 0.0;
            for index in 0..self.fleet.hosts[host].vms.len() {
                let vm = self.fleet.hosts[host].vms[index];
                let entry = &self.fleet.vms[vm as usize];
                if entry.status == VmStatus::Running {
                    let fraction = self.demand.sample(vm, tick);
                    let entry = &mut self.fleet.vms[vm as usize];
                    entry.demand_fraction = fraction;
                    demand += entry.demand_cores();
                }
            }
            let host_entry = &mut self.fleet.hosts[host];
            host_entry.demand_cores = demand;
            let snapshot = HostSnapshot::of(host_entry, self.scenario.empty_hosts);
            self.snapshots[host] = snapshot;
            totals += snapshot;
        }
        self.totals = totals;
        if totals.capacity_vcpus > 0.0 && totals.capacity_memory_mb > 0.0 {
            self.booked_vcpu_samples.push(totals.booked_vcpus / totals.capacity_vcpus);
            self.booked_memory_samples.push(totals.booked_memory_mb / totals.capacity_memory_mb);
        }
        if let Some(series) = &mut self.timeseries {
            series.push(TickSample {
                time_s: self.now.as_secs_f64(),
                present_hosts: totals.present.round() as u32,
                active_hosts: totals.active.round() as u32,
                overloaded_hosts: totals.overloaded.round() as u32,
                vms: totals.vms.round() as u32,
                queued_vms: self.waiting.len() as u32,
                demand_cores: totals.demand_cores,
                capacity_vcpus: totals.capacity_vcpus,
                booked_vcpus: totals.booked_vcpus,
                allocatable_vcpus: totals.allocatable_vcpus,
                power_w: totals.power_w,
            });
        }
        #[cfg(debug_assertions)]
        if self.counters.ticks % 1024 == 1 {
            self.fleet.check_all_invariants();
        }
        let next = self.now.plus_ms(self.scenario.interval.as_ms());
        if next <= self.workload.end {
            self.internal.schedule(next, Internal::Tick);
        }
    }

    fn schedule_retry(&mut self) {
        if !self.retry_scheduled {
            self.retry_scheduled = true;
            self.internal
                .schedule(self.now.plus_ms(self.scenario.admission.retry_interval.as_ms()), Internal::RetryQueue);
        }
    }

    /// Retries waiting VMs in arrival order; those that waited longer than `max_wait` are rejected.
    fn retry_queue(&mut self) {
        self.retry_scheduled = false;
        let max_wait = self.scenario.admission.max_wait.as_ms();
        let mut still_waiting = VecDeque::with_capacity(self.waiting.len());
        while let Some(vm) = self.waiting.pop_front() {
            let flavor = self.fleet.vm(vm).flavor;
            let VmStatus::Queued { since } = self.fleet.vm(vm).status else { continue };
            if let Some(host) = self.placement.choose_host(&self.fleet, &flavor, None) {
                self.counters.vms_placed += 1;
                self.place(vm, host, PowerState::Running);
            } else if self.now.since(since) >= max_wait {
                self.counters.vms_rejected += 1;
                self.fleet.vm_mut(vm).status = VmStatus::Rejected;
            } else {
                still_waiting.push_back(vm);
            }
        }
        self.waiting = still_waiting;
        if !self.waiting.is_empty() {
            self.schedule_retry();
        }
    }

    fn finish(mut self) -> RunOutcome {
        // VMs still waiting when the trace ends were never placed: they count as rejected.
        self.counters.vms_rejected += self.waiting.len() as u64;
        let integrals = &self.integrals;
        let per_elapsed = |value: f64| if integrals.elapsed_ms > 0.0 { value / integrals.elapsed_ms } else { 0.0 };
        let per = |value: f64, over: f64| if over > 0.0 { value / over } else { 0.0 };
        let metrics = RunMetrics {
            counters: self.counters,
            lifecycle: self.workload.lifecycle,
            simulated_days: self.workload.end.as_ms() as f64 / (24.0 * MS_PER_HOUR as f64),
            peak_concurrent_vms: integrals.peak_vms.round() as u64,
            mean_active_hosts: per_elapsed(integrals.active_host_ms),
            peak_active_hosts: integrals.peak_active_hosts.round() as u64,
            booked_vcpu_ratio_mean: per(integrals.booked_vcpu_ratio_ms, integrals.ratio_ms),
            booked_vcpu_ratio_p95: percentile(&mut self.booked_vcpu_samples, 95.0),
            booked_ram_ratio_mean: per(integrals.booked_memory_ratio_ms, integrals.ratio_ms),
            booked_ram_ratio_p95: percentile(&mut self.booked_memory_samples, 95.0),
            demand_over_capacity: per(integrals.demand_core_ms, integrals.capacity_core_ms),
            // W·ms → kWh: / 1000 (ms→s) / 3600 (s→h) / 1000 (W→kW).
            energy_kwh: integrals.energy_wms / 3.6e9,
            overload_time_fraction: per(integrals.overloaded_host_ms, integrals.active_host_ms),
            wall_s: 0.0,
        };
        RunOutcome { metrics, timeseries: self.timeseries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::trace::lifecycle::Preexisting;
    use crate::trace::{trace_from_rows, Flavor, InstanceTrace};
    use proptest::prelude::*;

    const EVENTS: [&str; 8] = [
        "compute__do_build_and_run_instance",
        "compute_terminate_instance",
        "compute_stop_instance",
        "compute_start_instance",
        "compute_shelve_instance",
        "compute_unshelve_instance",
        "cold_migrate",
        "compute_reboot_instance",
    ];

    /// An in-memory trace from (instance, index into `EVENTS`, finish second, success) rows, in any order.
    fn trace(flavors: &[Flavor], mut rows: Vec<(u32, usize, i64, bool)>) -> InstanceTrace {
        rows.sort_by_key(|row| row.2);
        let rows: Vec<_> =
            rows.iter().map(|&(vm, event, finish_s, success)| (vm, EVENTS[event], finish_s, success)).collect();
        let flavors: Vec<Option<Flavor>> = flavors.iter().copied().map(Some).collect();
        trace_from_rows(&flavors, &rows)
    }

    fn scenario(hosts: u32, cpu_ratio: f64, queue: bool, placement: &str) -> Scenario {
        let text = format!(
            r#"
[trace]
instances = "unused.csv"
[hosts]
types = [{{ name = "h", count = {hosts}, vcpus = 4, memory_mb = 8192, disk_gb = 100 }}]
[oversubscription]
kind = "static"
cpu_allocation_ratio = {cpu_ratio:?}
ram_allocation_ratio = 1.0
[placement]
kind = "{placement}"
[admission]
on_no_valid_host = "{admission}"
retry_interval_s = 7
max_wait_s = 50
[usage]
kind = "constant"
fraction = 0.6
[simulation]
interval_s = 5
[output]
timeseries = true
"#,
            admission = if queue { "queue" } else { "reject" }
        );
        Scenario::from_text(&text, "test", Some(std::path::Path::new(".")), &[]).unwrap()
    }

    fn simulate(trace: InstanceTrace, scenario: &Scenario) -> RunOutcome {
        let workload = Workload::new(trace, None, Preexisting::Materialize);
        let demand = DemandModel::new(&scenario.usage, workload.instances.instances.len(), 1, None).unwrap();
        run(&workload, scenario, demand, &|_| {})
    }

    #[test]
    fn a_vm_too_large_for_every_host_is_rejected_not_lost() {
        let huge = Flavor { vcpus: 1, memory_mb: 1 << 20, disk_gb: 1 };
        let small = Flavor { vcpus: 1, memory_mb: 1024, disk_gb: 1 };
        let trace = trace(&[huge, small], vec![(0, 0, 10, true), (1, 0, 20, true), (1, 1, 30, true)]);
        let outcome = simulate(trace, &scenario(2, 16.0, false, "first_fit"));
        let counters = outcome.metrics.counters;
        assert_eq!((counters.vms_arrived, counters.vms_placed, counters.vms_rejected), (2, 1, 1));
    }

    #[test]
    fn queued_vms_are_placed_when_room_frees_up_or_rejected_after_max_wait() {
        let big = Flavor { vcpus: 4, memory_mb: 8192, disk_gb: 1 };
        // One host, no overcommit. vm0 holds it from 0 to 30 s; vm1 arrives at 12 s and waits; vm1 gets the
        // host at the first retry after 30 s (12 + 7k: 33 s). vm2 arrives at 40 s, waits past max_wait (50 s)
        // while vm1 holds the host until 200 s, and is rejected at its retry at 40 + 56 = 96 s.
        let rows = vec![
            (0, 0, 0, true),
            (1, 0, 12, true),
            (0, 1, 30, true),
            (2, 0, 40, true),
            (1, 1, 200, true),
            (2, 1, 210, true),
        ];
        let outcome = simulate(trace(&[big, big, big], rows), &scenario(1, 1.0, true, "first_fit"));
        let counters = outcome.metrics.counters;
        assert_eq!(
            (counters.vms_arrived, counters.vms_queued, counters.vms_placed, counters.vms_rejected),
            (3, 2, 2, 1)
        );
        let series = outcome.timeseries.unwrap();
        let at = |second: f64| series.iter().find(|sample| sample.time_s == second).unwrap();
        assert_eq!((at(30.0).vms, at(30.0).queued_vms), (0, 1), "vm0 left at 30 s, vm1 still waits");
        assert_eq!((at(35.0).vms, at(35.0).queued_vms), (1, 0), "vm1 placed at 33 s");
        assert_eq!((at(45.0).vms, at(45.0).queued_vms), (1, 1), "vm2 waits from 40 s");
        assert_eq!((at(100.0).vms, at(100.0).queued_vms), (1, 0), "vm2 rejected at 96 s");
    }

    #[test]
    fn energy_and_active_hosts_integrate_exactly() {
        // One VM on one host for exactly one hour of a two-hour trace, constant demand 0.6 of 1 vCPU on a 4-core
        // host: utilisation 0.15, linear 270..450 W: 297 W for 1 h, then idle 270 W for 1 h = 0.567 kWh.
        let flavor = Flavor { vcpus: 1, memory_mb: 1024, disk_gb: 1 };
        let trace = trace(&[flavor, flavor], vec![(0, 0, 0, true), (0, 1, 3600, true), (1, 0, 7200, true)]);
        let outcome = simulate(trace, &scenario(1, 16.0, false, "first_fit"));
        let metrics = &outcome.metrics;
        assert!((metrics.energy_kwh - 0.567).abs() < 1e-9, "{}", metrics.energy_kwh);
        assert!((metrics.mean_active_hosts - 0.5).abs() < 1e-9);
        assert_eq!(metrics.overload_time_fraction, 0.0);
        assert_eq!(metrics.peak_concurrent_vms, 1);
    }

    /// Machine events: two hosts; h1 is disabled at 15 s, h0 deleted at 35 s, h1 re-enabled and shrunk at 40 s.
    #[test]
    fn machine_events_shape_the_fleet_over_time() {
        use crate::trace::{HostCapacity, MachineEventKind, MachineRecord, MachineTrace};
        let flavor = Flavor { vcpus: 2, memory_mb: 1024, disk_gb: 1 };
        // vm0 at 0 s and vm1 at 10 s (spread over both hosts), vm2 at 20 s (h1 disabled: must go to h0),
        // vm3 at 45 s after h0 is gone.
        let rows = vec![(0, 0, 0, true), (1, 0, 10, true), (2, 0, 20, true), (3, 0, 45, true), (3, 1, 60, true)];
        let capacity = HostCapacity { vcpus: Some(4), memory_mb: Some(4096), disk_gb: Some(10) };
        let record = |host, time_s: i64, kind, capacity| MachineRecord {
            host,
            time_ms: time_s * 1000,
            kind,
            capacity,
            rack: None,
            line: 0,
        };
        let machines = MachineTrace {
            hosts: vec!["h0".into(), "h1".into()],
            records: vec![
                record(0, -100, MachineEventKind::Create, capacity),
                record(1, -100, MachineEventKind::Create, capacity),
                record(1, 15, MachineEventKind::Disable, HostCapacity::default()),
                record(0, 35, MachineEventKind::Delete, HostCapacity::default()),
                record(1, 40, MachineEventKind::Enable, HostCapacity::default()),
                record(1, 40, MachineEventKind::Update, HostCapacity { vcpus: Some(1), ..HostCapacity::default() }),
            ],
            ..Default::default()
        };
        let mut scenario = scenario(1, 1.0, false, "filter_scheduler");
        scenario.host_types.clear();
        let workload = Workload::new(trace(&[flavor; 4], rows), Some(machines), Preexisting::Materialize);
        let demand = DemandModel::new(&scenario.usage, 4, 1, None).unwrap();
        let outcome = run(&workload, &scenario, demand, &|_| {});
        let counters = outcome.metrics.counters;
        // At 35 s h0 (vm0, vm2: 4 vCPUs) is deleted; h1 (disabled, holding vm1) takes none: both evicted.
        assert_eq!(counters.vms_evicted, 2);
        // At 45 s h1 has 1 vCPU (ratio 1.0) and holds vm1 (2 vCPUs, kept: Nova evicts nothing): vm3 is rejected.
        assert_eq!((counters.vms_arrived, counters.vms_placed, counters.vms_rejected), (4, 3, 1));
        let series = outcome.timeseries.unwrap();
        let at = |second: f64| series.iter().find(|sample| sample.time_s == second).unwrap();
        assert_eq!((at(30.0).present_hosts, at(30.0).vms), (2, 3));
        assert_eq!((at(35.0).present_hosts, at(35.0).vms, at(35.0).capacity_vcpus), (1, 1, 4.0));
        assert_eq!(at(45.0).capacity_vcpus, 1.0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Every VM that arrives is placed, queued or rejected (never lost), and no host is ever booked past
        /// what its allocation ratios allow (checked at every tick by `Fleet::check_invariants`).
        #[test]
        fn every_arrival_is_accounted_for_and_bookings_stay_within_ratios(
            vcpus in proptest::collection::vec(1u32..6, 1..25),
            rows in proptest::collection::vec((0u32..25, 0usize..8, 0i64..400, proptest::bool::weighted(0.9)), 1..120),
            hosts in 1u32..4,
            cpu_ratio in prop_oneof![Just(1.0), Just(1.5), Just(16.0)],
            queue in proptest::bool::ANY,
            placement in prop_oneof![Just("first_fit"), Just("best_fit"), Just("filter_scheduler")],
        ) {
            let flavors: Vec<Flavor> = vcpus.iter().map(|&vcpus| Flavor { vcpus, memory_mb: 1024 * u64::from(vcpus), disk_gb: 10 }).collect();
            let rows: Vec<_> = rows.into_iter().filter(|row| (row.0 as usize) < flavors.len()).collect();
            let outcome = simulate(trace(&flavors, rows), &scenario(hosts, cpu_ratio, queue, placement));
            let counters = outcome.metrics.counters;
            prop_assert_eq!(
                counters.vms_arrived,
                counters.vms_placed + counters.vms_rejected + counters.vms_departed_while_queued,
                "arrived = placed + rejected + left the queue"
            );
            prop_assert!(counters.vms_queued == 0 || queue);
            for sample in outcome.timeseries.unwrap() {
                prop_assert!(sample.booked_vcpus <= sample.allocatable_vcpus);
            }
        }
    }
}
