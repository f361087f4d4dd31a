//! One run: the workload's events applied to a fleet under a scenario's policies.
//!
//! Three sources feed the loop, merged by time: machine events, VM events (both pre-sorted, read in place
//! through cursors) and internal events (monitoring ticks, queue retries, migration ends) in the heap. At equal
//! times machine events come first (a host created at t can take a VM arriving at t), then VM events, then
//! internal events (a tick at t sees the VMs that arrived at t).
//!
//! Every monitoring tick is an *update point*: each running VM's demand is sampled, each host's CPU is
//! allocated to its VMs ([`update`]), and the host and VM ledgers record the result; then, when the scenario
//! consolidates, the policies decide which migrations to start ([`migrations`]). Migration ends are update
//! points too, as in CloudSim.

mod estimation;
mod events;
mod migrations;
mod outcome;
mod rounds;
#[cfg(test)]
mod test_support;
mod update;
mod vm_rows;

use std::collections::VecDeque;
use std::time::Instant;

use crate::consolidation::Consolidator;
use crate::engine::{earliest_source, EventQueue, TraceCursor};
use crate::fleet::{Capacity, Fleet, Host, HostId, VmId, VmStatus};
use crate::metrics::ledger::{HostLedger, VmLedger};
use crate::metrics::{Counters, FleetTotals, HostSnapshot, Integrals, RunMetrics};
use crate::policy::placement::Placement;
use crate::policy::Semantics;
use crate::scenario::{CpuAdmission, HostLayout, Scenario};
use crate::time::SimTime;
use crate::trace::lifecycle::VmEvent;
use crate::trace::Flavor;
use crate::usage::DemandModel;
use crate::workload::{HostEvent, Workload};

pub use rounds::RoundSample;
pub use vm_rows::VmSample;

/// CloudSim's `CloudSim.getMinTimeBetweenEvents()`: its broker submits the cloudlets this long after the VMs
/// are created.
const CLOUDSIM_SUBMISSION_DELAY: SimTime = SimTime(100);

/// How many VM events between two progress reports.
const PROGRESS_EVERY: usize = 16_384;

/// Internal events, scheduled in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Internal {
    Tick,
    RetryQueue,
    /// The end of a VM's migration, by its number in the run ([`crate::fleet::Migration::number`]).
    MigrationEnd(VmId, u64),
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
    pub migrations_in_flight: u32,
    pub demand_cores: f64,
    pub capacity_vcpus: f64,
    pub booked_vcpus: f64,
    pub allocatable_vcpus: f64,
    /// Achieved oversubscription over the hosts holding VMs ([`crate::metrics::oversubscription::achieved_ratios`]).
    pub oversubscription_ratio: f64,
    pub memory_oversubscription_ratio: f64,
    pub power_w: f64,
}

/// One row of `hosts.arrow`: one host at a monitoring tick (after the tick's consolidation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HostSample {
    pub time_s: f64,
    pub host: HostId,
    pub vms: u32,
    pub incoming_vms: u32,
    /// CPU requested by the host's VMs, as a fraction of its capacity (may exceed 1).
    pub requested_utilization: f64,
    /// CPU in use at the update (what power follows), as a fraction of its capacity.
    pub utilization: f64,
    pub booked_memory_mb: u64,
    pub power_w: f64,
}

/// The opt-in time series of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeSeries {
    /// `timeseries.arrow`: the fleet at each tick (`[output] timeseries = true`).
    pub ticks: Vec<TickSample>,
    /// `hosts.arrow`: every present host at each tick (`[output] hosts = true`).
    pub hosts: Vec<HostSample>,
    /// `migrations.arrow`: every migration that ended, when `[output] migrations = true` (then
    /// `migrations_recorded`, even if none did).
    pub migrations: Vec<crate::metrics::migrations::MigrationRecord>,
    pub migrations_recorded: bool,
    /// `rounds.arrow`: one row per consolidation round (`[output] rounds = true`).
    pub rounds: Vec<RoundSample>,
    /// `vms.arrow`: one row per VM (`[output] vms = true`).
    pub vms: Vec<VmSample>,
}

#[derive(Debug)]
pub struct RunOutcome {
    pub metrics: RunMetrics,
    pub timeseries: Option<TimeSeries>,
}

/// Simulates `workload` under `scenario` with `demand` as the VMs' CPU demand; `seed` seeds the run's random
/// policies. `on_progress` is called now and then with the number of VM events applied so far.
pub fn run(
    workload: &Workload,
    scenario: &Scenario,
    demand: DemandModel,
    seed: u64,
    on_progress: &dyn Fn(u64),
) -> RunOutcome {
    let started = Instant::now();
    let mut simulation = Simulation::new(workload, scenario, demand, seed);
    simulation.run(on_progress);
    let mut outcome = simulation.finish();
    outcome.metrics.wall_s = started.elapsed().as_secs_f64();
    outcome
}

struct Simulation<'a> {
    workload: &'a Workload,
    scenario: &'a Scenario,
    semantics: Semantics,
    fleet: Fleet,
    placement: Box<dyn Placement>,
    consolidator: Option<Consolidator>,
    demand: DemandModel,
    internal: EventQueue<Internal>,
    now: SimTime,
    /// The last update point, if any.
    last_update: Option<SimTime>,
    /// Sources and targets of the migrations applied since the last full update, at its instant: the only hosts
    /// the update after the last of them must redo (see `end_migration`).
    moved_since_update: Vec<HostId>,
    /// Fleet host of each machine-trace host, once created.
    machine_hosts: Vec<Option<HostId>>,
    waiting: VecDeque<VmId>,
    retry_scheduled: bool,
    snapshots: Vec<HostSnapshot>,
    totals: FleetTotals,
    integrals: Integrals,
    counters: Counters,
    host_ledgers: Vec<HostLedger>,
    vm_ledgers: Vec<VmLedger>,
    booked_vcpu_samples: Vec<f64>,
    booked_memory_samples: Vec<f64>,
    estimation: estimation::Estimation,
    live: migrations::LiveMigrations,
    timeseries: Option<TimeSeries>,
    /// `counters.vms_removed_zero_demand` at the last round row.
    removed_at_last_round: u64,
    /// Per VM, what `vms.arrow` reports (empty unless the scenario asks for it).
    vm_tracks: Vec<vm_rows::VmTrack>,
}

impl<'a> Simulation<'a> {
    fn new(workload: &'a Workload, scenario: &'a Scenario, demand: DemandModel, seed: u64) -> Simulation<'a> {
        let vms = workload
            .instances
            .instances
            .iter()
            .zip(&workload.vm_mips)
            .map(|(info, &mips)| (info.flavor.unwrap_or(Flavor { vcpus: 0, memory_mb: 0, disk_gb: 0 }), mips));
        let mut fleet = Fleet::new(vms);
        for (vm, rate) in fleet.vms.iter_mut().zip(&workload.vm_dirty_pages_per_s) {
            vm.dirty_pages_per_s = *rate;
        }
        fleet.mips_admission = scenario.admission.cpu == CpuAdmission::Mips;
        let consolidation = &scenario.consolidation;
        let mut simulation = Simulation {
            workload,
            scenario,
            semantics: consolidation.semantics,
            fleet,
            placement: scenario
                .placement
                .build(consolidation.overload.threshold_without_history(consolidation.semantics)),
            consolidator: consolidation.enabled().then(|| Consolidator::new(consolidation, seed)),
            demand,
            internal: EventQueue::default(),
            now: SimTime::ZERO,
            last_update: None,
            moved_since_update: Vec::new(),
            machine_hosts: vec![None; workload.machines.as_ref().map_or(0, |machines| machines.hosts.len())],
            waiting: VecDeque::new(),
            retry_scheduled: false,
            snapshots: Vec::new(),
            totals: FleetTotals::default(),
            integrals: Integrals::default(),
            counters: Counters::default(),
            host_ledgers: Vec::new(),
            vm_ledgers: vec![VmLedger::default(); workload.instances.instances.len()],
            booked_vcpu_samples: Vec::new(),
            booked_memory_samples: Vec::new(),
            estimation: estimation::Estimation::new(&scenario.oversubscription, workload.instances.instances.len()),
            live: migrations::LiveMigrations::new(&scenario.migration, scenario.migration_rows),
            timeseries: (scenario.timeseries
                || scenario.host_timeseries
                || scenario.migration_rows
                || scenario.round_rows
                || scenario.vm_rows)
                .then(|| TimeSeries { migrations_recorded: scenario.migration_rows, ..TimeSeries::default() }),
            removed_at_last_round: 0,
            vm_tracks: if scenario.vm_rows {
                vec![vm_rows::VmTrack::default(); workload.instances.instances.len()]
            } else {
                Vec::new()
            },
        };
        simulation.add_declared_hosts();
        let first_tick = simulation.first_tick();
        simulation.internal.schedule(first_tick, Internal::Tick);
        simulation
    }

    /// The scenario's host types, grouped or alternating (host i of type i mod n, CloudSim's fleet).
    fn add_declared_hosts(&mut self) {
        let types = &self.scenario.host_types;
        let order: Vec<usize> = match self.scenario.host_layout {
            HostLayout::Grouped => types
                .iter()
                .enumerate()
                .flat_map(|(kind, host_type)| std::iter::repeat_n(kind, host_type.count as usize))
                .collect(),
            HostLayout::Alternating => {
                // Round robin over the types that still have hosts to give.
                let mut left: Vec<u32> = types.iter().map(|host_type| host_type.count).collect();
                let mut order = Vec::new();
                while left.iter().any(|&count| count > 0) {
                    for (kind, count) in left.iter_mut().enumerate() {
                        if *count > 0 {
                            *count -= 1;
                            order.push(kind);
                        }
                    }
                }
                order
            }
        };
        let mut made = vec![0u32; types.len()];
        for kind in order {
            let host_type = &self.scenario.host_types[kind];
            let capacity =
                Capacity { vcpus: host_type.vcpus, memory_mb: host_type.memory_mb, disk_gb: host_type.disk_gb };
            let power = host_type.power.clone().unwrap_or_else(|| self.scenario.host_power.clone());
            let name = format!("{}-{}", host_type.name, made[kind]);
            made[kind] += 1;
            self.add_host(Host::new(name, capacity, host_type.core_mips, power));
        }
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
                    Some((_, Internal::MigrationEnd(vm, number))) => self.end_migration(vm, number),
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
        host.allocatable = self.scenario.oversubscription.initial_allocatable(&host.capacity);
        let id = self.fleet.add_host(host);
        self.estimation.add_host();
        self.snapshots.push(HostSnapshot::default());
        // CloudSim counts a host that is empty at its first update as one shutdown; Neat semantics counts only
        // hosts that were active.
        self.host_ledgers.push(HostLedger::new(self.semantics == Semantics::Cloudsim));
        self.refresh(id);
        id
    }

    /// Swaps the host's old contribution to the totals for its current one.
    fn refresh(&mut self, host: HostId) {
        let entry = self.fleet.host(host);
        let snapshot = HostSnapshot::of(entry, self.scenario.empty_hosts, self.scenario.sleep_w);
        let old = std::mem::replace(&mut self.snapshots[host as usize], snapshot);
        self.totals -= old;
        self.totals += snapshot;
    }

    /// The first monitoring tick. In `cloudsim` semantics, CloudSim's clock: its broker submits the cloudlets one
    /// minimum time between events (0.1 s) after the VMs are created, and the datacenter's first update comes
    /// one interval after that submission (`PowerDatacenter.updateCloudletProcessing` only schedules it), so
    /// ticks fall at 0.1 s + k × interval, k ≥ 1. Otherwise at 0.
    fn first_tick(&self) -> SimTime {
        match self.semantics {
            Semantics::Cloudsim => CLOUDSIM_SUBMISSION_DELAY.plus_ms(self.scenario.interval.as_ms()),
            Semantics::Neat => SimTime::ZERO,
        }
    }

    fn current_tick(&self) -> u64 {
        (self.now.as_ms() / self.scenario.interval.as_ms()).max(0) as u64
    }

    // ---- internal events ----

    /// A monitoring tick: sample every running VM's demand, update every host (allocation and ledgers), let
    /// consolidation start its migrations, recompute the totals from scratch (dropping floating-point drift),
    /// record quantile samples and the time series, schedule the next tick.
    fn tick(&mut self) {
        self.counters.ticks += 1;
        let tick = self.current_tick();
        // CloudSim's ticks fall between the samples: its demand is interpolated at the tick's time.
        let cloudsim = self.semantics == Semantics::Cloudsim;
        // (CloudSim's clock at its updates, 0.1 + 300 + 300 + …, is exactly the tick's time in seconds.)
        let (time_ms, interval_ms, clock_s) =
            (self.now.as_ms(), self.scenario.interval.as_ms(), self.now.as_secs_f64());
        for host in 0..self.fleet.hosts.len() {
            let (mut demand, mut memory) = (0.0, 0.0);
            for index in 0..self.fleet.hosts[host].vms.len() {
                let vm = self.fleet.hosts[host].vms[index];
                if self.fleet.vms[vm as usize].status == VmStatus::Running {
                    let mut sample = self.demand.sample(vm, tick);
                    if cloudsim {
                        sample.cpu = self.demand.at_time(vm, time_ms, interval_ms, clock_s).unwrap_or(sample.cpu);
                    }
                    let entry = &mut self.fleet.vms[vm as usize];
                    entry.demand_fraction = sample.cpu;
                    entry.memory_fraction = sample.memory;
                    demand += entry.demand_mips();
                    memory += entry.memory_demand_mb();
                }
            }
            self.fleet.hosts[host].demand_mips = demand;
            self.fleet.hosts[host].memory_demand_mb = memory;
        }
        let recording_rounds = self.scenario.round_rows && self.timeseries.is_some();
        if recording_rounds && self.counters.ticks == 1 && cloudsim {
            let created = self.creation_sample();
            if let Some(series) = self.timeseries.as_mut() {
                series.rounds.push(created);
            }
        }
        self.observe_for_oversubscription();
        self.update_all();
        self.remove_zero_demand_vms();
        let round_sample = recording_rounds.then(|| self.round_sample());
        if self.consolidator.is_some() {
            self.record_histories();
            self.consolidate();
        }
        if let Some(mut sample) = round_sample {
            sample.round = self.consolidator.as_ref().map(|consolidator| consolidator.last_round).unwrap_or_default();
            if let Some(series) = self.timeseries.as_mut() {
                series.rounds.push(sample);
            }
        }
        let mut totals = FleetTotals::default();
        for host in 0..self.fleet.hosts.len() {
            let entry = &self.fleet.hosts[host];
            let snapshot = HostSnapshot::of(entry, self.scenario.empty_hosts, self.scenario.sleep_w);
            self.snapshots[host] = snapshot;
            totals += snapshot;
        }
        self.totals = totals;
        if totals.capacity_vcpus > 0.0 && totals.capacity_memory_mb > 0.0 {
            self.booked_vcpu_samples.push(totals.booked_vcpus / totals.capacity_vcpus);
            self.booked_memory_samples.push(totals.booked_memory_mb / totals.capacity_memory_mb);
        }
        if let Some(series) = self.timeseries.as_mut().filter(|_| self.scenario.timeseries) {
            let in_flight = self.fleet.hosts.iter().map(|host| host.incoming.len() as u32).sum();
            let ratios = crate::metrics::oversubscription::achieved_ratios(&self.fleet.hosts);
            series.ticks.push(TickSample {
                time_s: self.now.as_secs_f64(),
                present_hosts: totals.present.round() as u32,
                active_hosts: totals.active.round() as u32,
                overloaded_hosts: totals.overloaded.round() as u32,
                vms: totals.vms.round() as u32,
                queued_vms: self.waiting.len() as u32,
                migrations_in_flight: in_flight,
                demand_cores: totals.demand_cores,
                capacity_vcpus: totals.capacity_vcpus,
                booked_vcpus: totals.booked_vcpus,
                allocatable_vcpus: totals.allocatable_vcpus,
                oversubscription_ratio: ratios.cpu,
                memory_oversubscription_ratio: ratios.memory,
                power_w: totals.power_w,
            });
        }
        if let Some(series) = self.timeseries.as_mut().filter(|_| self.scenario.host_timeseries) {
            let time_s = self.now.as_secs_f64();
            for (id, host) in self.fleet.hosts.iter().enumerate().filter(|(_, host)| host.present) {
                let total = host.total_mips();
                let fraction = |mips: f64| if total > 0.0 { mips / total } else { 0.0 };
                series.hosts.push(HostSample {
                    time_s,
                    host: id as HostId,
                    vms: host.vms.len() as u32,
                    incoming_vms: host.incoming.len() as u32,
                    requested_utilization: fraction(host.demand_mips),
                    utilization: fraction(host.utilization_mips).min(1.0),
                    booked_memory_mb: host.booked.memory_mb,
                    power_w: self.snapshots[id].power_w,
                });
            }
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
            let VmStatus::Queued { since } = self.fleet.vm(vm).status else { continue };
            if let Some(host) = self.placement.choose_host(&self.fleet, vm, None) {
                self.counters.vms_placed += 1;
                self.place(vm, host, crate::trace::lifecycle::PowerState::Running);
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
        run(&workload, scenario, demand, 1, &|_| {})
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
        let series = outcome.timeseries.unwrap().ticks;
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
        let outcome = run(&workload, &scenario, demand, 1, &|_| {});
        let counters = outcome.metrics.counters;
        // At 35 s h0 (vm0, vm2: 4 vCPUs) is deleted; h1 (disabled, holding vm1) takes none: both evicted.
        assert_eq!(counters.vms_evicted, 2);
        // At 45 s h1 has 1 vCPU (ratio 1.0) and holds vm1 (2 vCPUs, kept: Nova evicts nothing): vm3 is rejected.
        assert_eq!((counters.vms_arrived, counters.vms_placed, counters.vms_rejected), (4, 3, 1));
        let series = outcome.timeseries.unwrap().ticks;
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
            for sample in outcome.timeseries.unwrap().ticks {
                prop_assert!(sample.booked_vcpus <= sample.allocatable_vcpus);
            }
        }
    }
}
