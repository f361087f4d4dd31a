//! Consolidation at a tick, and the migrations it starts: a VM is booked on both hosts while it moves, and
//! runs on its target from the migration's end (an update point).
//!
//! The migration model decides how each migration runs ([`crate::migration`]). Under RAM over bandwidth
//! (CloudSim) a migration starts as soon as consolidation decides it, on a link of its own. Under pre-copy,
//! hosts' links are shared and limited ([`Links`]): a decided migration is booked on its target at once (Nova
//! claims the destination before the source starts copying) and waits, the VM running on its source, until
//! both hosts have a free slot; a migration that ends, or is aborted, frees its slots and lets waiting ones
//! start. An aborted migration leaves the VM on its source and releases its target.

use fnv::FnvHashMap;

use crate::fleet::{HostId, VmId};
use crate::metrics::migrations::{MigrationLog, MigrationRecord};
use crate::migration::links::{Links, Waiting};
use crate::migration::{LinkPolicy, MigratingVm, MigrationConfig, MigrationPlan, MigrationReason};
use crate::policy::Semantics;
use crate::simulation::{Internal, Simulation};
use crate::time::SimTime;

/// The simulation's live migrations: link slots and waiting migrations (pre-copy), the plan of each migration
/// under way, and the log of those that ended.
#[derive(Debug)]
pub(super) struct LiveMigrations {
    /// `None`: CloudSim's independent links.
    links: Option<Links>,
    running: FnvHashMap<VmId, Running>,
    /// The first move of a VM sent to a second host in the same round (CloudSim), logged when the VM arrives.
    superseded: FnvHashMap<VmId, Running>,
    pub(super) log: MigrationLog,
}

/// A migration under way.
#[derive(Clone, Copy, Debug)]
struct Running {
    source: HostId,
    target: HostId,
    requested: SimTime,
    started: SimTime,
    /// The migration's number in the run ([`crate::fleet::Migration::number`]).
    number: u64,
    reason: MigrationReason,
    plan: MigrationPlan,
}

impl LiveMigrations {
    pub(super) fn new(config: &MigrationConfig, keep_rows: bool) -> LiveMigrations {
        let model = config.model();
        let links = match model.links() {
            LinkPolicy::Independent => None,
            LinkPolicy::Shared { max_concurrent_per_host } => Some(Links::new(max_concurrent_per_host)),
        };
        LiveMigrations {
            links,
            running: FnvHashMap::default(),
            superseded: FnvHashMap::default(),
            log: MigrationLog::new(model.label(), keep_rows),
        }
    }

    /// The CPU `vm`'s migration takes beyond the model's `cpu_penalty`, as a fraction of its demand (downtime
    /// and throttling spread over the migration). Update points ask for every VM that is moving.
    pub(super) fn extra_loss_fraction(&self, vm: VmId) -> f64 {
        if self.links.is_none() {
            return 0.0; // RAM over bandwidth loses nothing beyond its penalty
        }
        self.running.get(&vm).map_or(0.0, |running| running.plan.extra_loss_fraction)
    }

    /// Logs a migration that ended now.
    fn record(&mut self, vm: VmId, running: &Running, now: SimTime) {
        self.log.record(MigrationRecord {
            vm,
            source: running.source,
            target: running.target,
            requested_s: running.requested.as_secs_f64(),
            start_s: running.started.as_secs_f64(),
            end_s: now.as_secs_f64(),
            rounds: running.plan.rounds,
            bytes: running.plan.bytes(),
            downtime_ms: running.plan.downtime_s * 1000.0,
            outcome: running.plan.outcome,
            reason: running.reason,
        });
    }
}

impl Simulation<'_> {
    /// Asks the consolidation policies for migrations and starts them.
    pub(super) fn consolidate(&mut self) {
        self.rebook_requested_memory();
        let Some(consolidator) = &mut self.consolidator else { return };
        let utilization: Vec<f64> = self.fleet.hosts.iter().map(|host| host.utilization_mips).collect();
        let interval_s = self.scenario.interval.as_secs_f64();
        let plan = consolidator.plan(&self.fleet, &utilization, &self.scenario.migration, interval_s);
        for (host, peak) in self.fleet.hosts.iter_mut().zip(consolidator.scheduler_map_peaks()) {
            host.most_listed = host.most_listed.max(peak);
        }
        let reasons = std::mem::take(&mut consolidator.last_reasons);
        // CloudSim updates both hosts as each migration starts; see `update_touched` for why once each, last.
        let mut touched = Vec::with_capacity(2 * plan.len());
        let planned = plan.into_iter().zip(reasons.iter().copied());
        if self.live.links.is_none() {
            for ((vm, target), reason) in planned {
                self.start_migration(vm, target, reason, &mut touched);
            }
        } else {
            for ((vm, target), reason) in planned {
                self.request_migration(vm, target, reason, &mut touched);
            }
            self.start_waiting_migrations(&mut touched);
        }
        if let Some(consolidator) = self.consolidator.as_mut() {
            consolidator.last_reasons = reasons;
        }
        self.update_touched(touched);
    }

    /// Updates and refreshes each host of `touched` once. The hosts changed at this instant, after a first
    /// update at it (the tick's, or the one before a migration's end); a second update at the same time only
    /// replaces the ledgers' record (only the first record at an instant counts transitions), so updating each
    /// once, last, records what updating at every change would.
    fn update_touched(&mut self, mut touched: Vec<HostId>) {
        touched.sort_unstable();
        touched.dedup();
        for host in touched {
            self.update_host(host);
            self.refresh(host);
        }
    }

    /// VMs past their creation book only the RAM they request (CloudSim re-creates every VM with its current
    /// request when a consolidation round restores the allocation).
    fn rebook_requested_memory(&mut self) {
        let fraction = self.workload.ram_utilization;
        if fraction >= 1.0 {
            return;
        }
        for vm in 0..self.fleet.vms.len() as VmId {
            let entry = self.fleet.vm(vm);
            let requested = (entry.flavor.memory_mb as f64 * fraction).floor() as u64;
            if entry.host.is_some() && entry.booked_memory_mb != requested {
                self.fleet.set_booked_memory(vm, requested);
            }
        }
    }

    /// Starts a migration at once, on a link of its own (CloudSim's model). The hosts it changes go to `touched`.
    fn start_migration(&mut self, vm: VmId, target: HostId, reason: MigrationReason, touched: &mut Vec<HostId>) {
        let Some(source) = self.fleet.vm(vm).host else { return };
        if source == target || !self.fleet.host(target).present {
            return;
        }
        let number = self.counters.migrations;
        let plan = self.scenario.migration.model().plan(&MigratingVm::of(self.fleet.vm(vm)), 1.0);
        let ends = self.now.plus_ms(plan.duration().as_ms());
        if self.fleet.vm(vm).is_migrating() {
            // CloudSim can send a VM it sent in this round to a second host: both moves count, the VM ends on
            // the second target, and the first keeps it listed (booked, migrating in) until then.
            self.fleet.redirect_migration(vm, target, ends, number);
            if let Some(first) = self.live.running.remove(&vm) {
                self.live.superseded.insert(vm, first);
            }
        } else {
            self.fleet.start_migration(vm, target, self.now, ends, number);
        }
        let running = Running { source, target, requested: self.now, started: self.now, number, reason, plan };
        self.live.running.insert(vm, running);
        self.counters.migrations += 1;
        self.track_migration(vm);
        self.internal.schedule(ends, Internal::MigrationEnd(vm, number));
        touched.extend([source, target]);
    }

    /// Books a migration on its target and queues it for its hosts' links (pre-copy). The hosts it changes go
    /// to `touched`.
    fn request_migration(&mut self, vm: VmId, target: HostId, reason: MigrationReason, touched: &mut Vec<HostId>) {
        let Some(source) = self.fleet.vm(vm).host else { return };
        if source == target || !self.fleet.host(target).present {
            return;
        }
        // CloudSim's second move of a VM in one round replaces the first, waiting or running.
        if let Some(earlier) = self.fleet.abandon_migration(vm) {
            self.cancel(vm);
            touched.extend([earlier.source, earlier.target]);
        }
        self.fleet.queue_migration(vm, target, self.now, self.counters.migrations);
        if let Some(links) = self.live.links.as_mut() {
            links.request(Waiting { vm, source, target, requested: self.now, reason });
        }
        self.counters.migrations += 1;
        self.track_migration(vm);
        touched.push(target);
    }

    /// Forgets `vm`'s migration (already abandoned in the fleet): its place in the queue, or its running plan
    /// and link slots.
    fn cancel(&mut self, vm: VmId) {
        let running = self.live.running.remove(&vm);
        if let Some(links) = self.live.links.as_mut() {
            links.withdraw(vm);
            if let Some(running) = running {
                links.release(running.source, running.target);
            }
        }
    }

    /// Starts every waiting migration whose hosts' links have room, each planned with its share of the link;
    /// their hosts go to `touched`.
    fn start_waiting_migrations(&mut self, touched: &mut Vec<HostId>) {
        let Some(links) = self.live.links.as_mut() else { return };
        let fleet = &self.fleet;
        let admitted = links.admit(|waiting| {
            fleet.vm(waiting.vm).migration.is_some_and(|migration| {
                migration.queued && migration.source == waiting.source && migration.target == waiting.target
            })
        });
        for started in admitted {
            let Waiting { vm, source, target, requested, reason } = started.migration;
            let plan = self.scenario.migration.model().plan(&MigratingVm::of(self.fleet.vm(vm)), started.link_fraction);
            let ends = self.now.plus_ms(plan.duration().as_ms());
            self.fleet.begin_migration(vm, self.now, ends);
            let number = self.fleet.vm(vm).migration.map_or(0, |migration| migration.number);
            let running = Running { source, target, requested, started: self.now, number, reason, plan };
            if let Some(left) = self.live.running.insert(vm, running) {
                // The VM's earlier migration was abandoned (its VM shelved and placed again) before its end.
                if let Some(links) = self.live.links.as_mut() {
                    links.release(left.source, left.target);
                }
            }
            self.internal.schedule(ends, Internal::MigrationEnd(vm, number));
            touched.extend([source, target]);
        }
    }

    /// A migration ends: update the hosts as they stood (CloudSim updates before applying the move), move the
    /// VM (or, aborted, leave it where it is and release its target), update again, and let waiting migrations
    /// start.
    ///
    /// Under RAM over bandwidth, as in CloudSim, every host is updated, and again once the last migration ending
    /// now is applied (the hosts that changed: see `update_moved`). Under pre-copy only the migration's two hosts are (their VMs' demand interpolated first in
    /// `cloudsim` semantics): nothing else changes at a migration's end. In `neat` semantics, where demand is
    /// constant between ticks, that records exactly what updating every host would; CloudSim's updates of the
    /// other hosts only resample its interpolated demand. Pre-copy migrations end at many distinct times (their
    /// durations depend on each VM's demand and on waiting), so updating the whole fleet at each would cost
    /// O(hosts) per migration.
    pub(super) fn end_migration(&mut self, vm: VmId, number: u64) {
        let Some(migration) = self.fleet.vm(vm).migration else {
            self.release_abandoned(vm, number);
            return;
        };
        if migration.queued || migration.number != number {
            // A stale event: this migration was abandoned or redirected, and the VM moves again later.
            self.release_abandoned(vm, number);
            if self.live.links.is_none() {
                self.update_moved_after_the_last_end();
            }
            return;
        }
        let shared_links = self.live.links.is_some();
        let hosts = [migration.source, migration.target];
        // CloudSim's clock at this end: the migration's start plus its duration, in seconds.
        let clock_s = self
            .live
            .running
            .get(&vm)
            .map_or(self.now.as_secs_f64(), |running| running.started.as_secs_f64() + running.plan.duration_s);
        if shared_links {
            self.interpolate_demand_on(hosts, clock_s);
            hosts.into_iter().for_each(|host| self.update_host(host));
        } else if self.last_update.is_none_or(|last| last < self.now) {
            self.interpolate_demand(clock_s);
            self.update_all();
            self.remove_zero_demand_vms();
        }
        let running = self.live.running.remove(&vm);
        match running {
            Some(running) if !running.plan.outcome.moves_the_vm() => {
                self.fleet.abandon_migration(vm);
            }
            _ => {
                self.fleet.finish_migration(vm);
            }
        }
        self.refresh(migration.source);
        self.refresh(migration.target);
        if let Some(first) = migration.also_on {
            self.refresh(first);
            self.moved_since_update.push(first);
        }
        if let Some(first) = self.live.superseded.remove(&vm) {
            self.live.record(vm, &first, self.now);
        }
        if let Some(running) = running {
            self.live.record(vm, &running, self.now);
            if let Some(links) = self.live.links.as_mut() {
                links.release(running.source, running.target);
            }
        }
        if shared_links {
            let mut touched = hosts.to_vec();
            self.start_waiting_migrations(&mut touched);
            self.update_touched(touched);
            return;
        }
        self.moved_since_update.extend(hosts);
        self.update_moved_after_the_last_end();
    }

    /// [`Simulation::update_moved`] once no other migration ends at this instant (CloudSim's
    /// `processVmMigrate` updates the datacenter when no `VM_MIGRATE` event is left at the current time). A tick
    /// at this time updates anyway, after these.
    fn update_moved_after_the_last_end(&mut self) {
        let more_now = matches!(self.internal.peek(), Some((time, Internal::MigrationEnd(..))) if time == self.now);
        if !more_now && !self.moved_since_update.is_empty() {
            self.update_moved();
        }
    }

    /// CloudSim's update of every host once the last migration ending now is applied. Every other host was
    /// updated at this instant already, before the moves, and nothing of theirs has changed since (demand is
    /// interpolated once per instant), so updating them again would record the same state: only the moves'
    /// sources and targets are updated.
    fn update_moved(&mut self) {
        let mut moved = std::mem::take(&mut self.moved_since_update);
        moved.sort_unstable();
        moved.dedup();
        for &host in &moved {
            self.update_host(host);
        }
        moved.clear();
        self.moved_since_update = moved;
    }

    /// A migration ending now whose VM left (deleted, its host removed) or moved again: its link slots, held
    /// until its planned end, are free.
    fn release_abandoned(&mut self, vm: VmId, number: u64) {
        let Some(running) = self.live.running.get(&vm).copied().filter(|running| running.number == number) else {
            return;
        };
        self.live.running.remove(&vm);
        if let Some(links) = self.live.links.as_mut() {
            links.release(running.source, running.target);
        }
        let mut touched = Vec::new();
        self.start_waiting_migrations(&mut touched);
        self.update_touched(touched);
    }

    /// [`Simulation::interpolate_demand`] for the VMs running on `hosts` only.
    fn interpolate_demand_on(&mut self, hosts: [HostId; 2], clock_s: f64) {
        if self.semantics != Semantics::Cloudsim {
            return;
        }
        for host in hosts {
            for index in 0..self.fleet.host(host).vms.len() {
                let vm = self.fleet.host(host).vms[index];
                if !self.resample_between_ticks(vm, clock_s) {
                    return;
                }
            }
        }
    }

    /// Between ticks, PlanetLab demand in `cloudsim` semantics follows CloudSim's linear interpolation (at
    /// `clock_s`, the time as CloudSim's clock holds it); other demand stays at its tick value.
    fn interpolate_demand(&mut self, clock_s: f64) {
        if self.semantics != Semantics::Cloudsim {
            return;
        }
        for vm in 0..self.fleet.vms.len() as VmId {
            if !self.resample_between_ticks(vm, clock_s) {
                return;
            }
        }
    }

    /// Sets a running VM's demand to its source's value now; `false` when the source defines none between
    /// ticks (then no VM's does).
    fn resample_between_ticks(&mut self, vm: VmId, clock_s: f64) -> bool {
        if self.fleet.vm(vm).status != crate::fleet::VmStatus::Running {
            return true;
        }
        let Some(fraction) = self.demand.at_time(vm, self.now.as_ms(), self.scenario.interval.as_ms(), clock_s) else {
            return false;
        };
        self.fleet.set_demand(vm, fraction);
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::{Fleet, Migration, VmStatus};
    use crate::simulation::test_support::{scenario, simulation, workload, CREATE, DELETE};
    use crate::simulation::{Internal, RunOutcome};
    use crate::time::SimTime;

    /// Two hosts of 2 × 1000 MIPS and 8192 MB, no CPU overcommit, first fit; vm0 (1 vCPU, 1024 MB) and vm1
    /// (1 vCPU, 2048 MB) created at 0 s (both on h0), each asking `fraction` of its vCPU; vm0 deleted at
    /// `vm0_deleted` s if given. Neat's consolidation (THR 0.8, MMT, BFD), migrations at 10 MB/s. The run
    /// stops at `end_s`; returns the fleet then and the run's outcome.
    fn run(fraction: f64, vm0_deleted: Option<i64>, end_s: i64) -> (Fleet, RunOutcome) {
        let scenario = scenario(&format!(
            r#"
[trace]
instances = "unused.csv"
[hosts]
types = [{{ name = "h", count = 2, vcpus = 2, memory_mb = 8192, disk_gb = 100 }}]
[oversubscription]
kind = "static"
cpu_allocation_ratio = 1.0
ram_allocation_ratio = 1.0
[placement]
kind = "first_fit"
[usage]
kind = "constant"
fraction = {fraction:?}
[consolidation]
semantics = "neat"
overload = {{ kind = "thr", threshold = 0.8 }}
selection = {{ kind = "mmt" }}
placement = {{ kind = "bfd" }}
[migration]
kind = "ram_over_bandwidth"
bandwidth_mbit_s = 80.0
share = 1.0
cpu_penalty = 0.1
[simulation]
interval_s = 300
"#
        ));
        let mut rows = vec![(0, CREATE, 0), (1, CREATE, 0)];
        rows.extend(vm0_deleted.map(|second| (0, DELETE, second)));
        rows.push((1, DELETE, 10_000));
        let mut workload = workload(&[(1, 1000.0, 1024), (1, 1000.0, 2048)], &rows);
        workload.end = SimTime::from_secs(end_s);
        let mut simulation = simulation(&workload, &scenario);
        simulation.run(&|_| {});
        let fleet = simulation.fleet.clone();
        (fleet, simulation.finish())
    }

    /// (vCPUs, MB) booked on `host`.
    fn booked(fleet: &Fleet, host: u32) -> (u64, u64) {
        let booked = fleet.host(host).booked;
        (booked.vcpus, booked.memory_mb)
    }

    // At the tick at 0 s, h0 asks 2 × 900 of 2000 MIPS (u 0.9 > 0.8): MMT picks vm0 (1024 MB), BFD wakes h1 for
    // it. The migration takes 1024 MB / 10 MB/s = 102.4 s: it ends at 102.4 s.

    #[test]
    fn a_migrating_vm_is_booked_on_both_hosts_until_its_migration_ends() {
        let moving = Migration {
            source: 0,
            target: 1,
            started: SimTime::ZERO,
            ends: SimTime(102_400),
            queued: false,
            number: 0,
            also_on: None,
        };
        for end_s in [50, 102] {
            let (fleet, _) = run(0.9, None, end_s);
            assert_eq!((fleet.vm(0).host, fleet.vm(0).migration), (Some(0), Some(moving)), "at {end_s} s");
            assert_eq!((fleet.host(0).vms.as_slice(), booked(&fleet, 0)), (&[0, 1][..], (2, 3072)), "at {end_s} s");
            assert_eq!(fleet.host(1).incoming, vec![0], "at {end_s} s");
            assert_eq!((fleet.host(1).vms.len(), booked(&fleet, 1)), (0, (1, 1024)), "at {end_s} s");
        }
        let (fleet, outcome) = run(0.9, None, 103);
        assert_eq!((fleet.vm(0).host, fleet.vm(0).migration), (Some(1), None));
        assert_eq!((fleet.host(0).vms.as_slice(), booked(&fleet, 0)), (&[1][..], (1, 2048)));
        assert_eq!((fleet.host(1).vms.as_slice(), booked(&fleet, 1)), (&[0][..], (1, 1024)));
        assert!(fleet.host(1).incoming.is_empty());
        assert_eq!(outcome.metrics.counters.migrations, 1);
    }

    #[test]
    fn a_vm_deleted_while_migrating_releases_both_bookings() {
        // vm0 is deleted at 50 s, half-way through its migration; the run goes on past the migration's planned
        // end (102.4 s, now a stale event) and the next tick (300 s). Fleet invariants are checked after every
        // event: a booking left behind would panic.
        let (fleet, outcome) = run(0.9, Some(50), 400);
        assert_eq!(fleet.vm(0).status, VmStatus::Departed);
        assert_eq!((fleet.vm(0).host, fleet.vm(0).migration), (None, None));
        assert_eq!((fleet.host(0).vms.as_slice(), booked(&fleet, 0)), (&[1][..], (1, 2048)));
        assert_eq!((fleet.host(1).vms.len(), fleet.host(1).incoming.len(), booked(&fleet, 1)), (0, 0, (0, 0)));
        assert_eq!(outcome.metrics.counters.migrations, 1);
        fleet.check_all_invariants();
    }

    #[test]
    fn pdm_counts_only_the_time_a_vm_migrates() {
        // Run to 600 s. Both VMs ask 900 MIPS throughout: 2 × 900 × 600 s requested. vm0 migrates for 102.4 s,
        // losing 10 % of its 900 MIPS: 90 × 102.4 s. PDM = 9216 / 1 080 000 = 0.0085333.
        let (_, outcome) = run(0.9, None, 600);
        let pdm = outcome.metrics.sla.pdm;
        assert!((pdm - 90.0 * 102.4 / (2.0 * 900.0 * 600.0)).abs() < 1e-12, "{pdm}");
        // At 0.3 of a vCPU each, h0 is not overloaded (0.3 ≤ 0.8): nothing migrates and nothing is lost.
        let (_, outcome) = run(0.3, None, 600);
        assert_eq!((outcome.metrics.counters.migrations, outcome.metrics.sla.pdm), (0, 0.0));
    }

    #[test]
    fn a_vm_moved_twice_in_one_cloudsim_round_stays_listed_on_its_first_target_until_it_arrives() {
        // The fleet of `consolidation::cloudsim`'s test of the same case: h0 a G5 with y (2660 MIPS) and v (1800),
        // overloaded; h1 a G4 with w (200); h2 a G5 with z (1000). The round moves v to h1, then evacuates h1
        // (w and v) to h2: plan [(v, h1), (v, h2), (w, h2)].
        let scenario = scenario(
            r#"
[trace]
instances = "unused.csv"
[hosts]
types = [
  { name = "g5", count = 1, vcpus = 2, core_mips = 2660.0, memory_mb = 4096, disk_gb = 1, power = { kind = "hp_proliant_ml110_g5" } },
  { name = "g4", count = 1, vcpus = 2, core_mips = 1860.0, memory_mb = 4096, disk_gb = 1, power = { kind = "hp_proliant_ml110_g4" } },
  { name = "g5b", count = 1, vcpus = 2, core_mips = 2660.0, memory_mb = 4096, disk_gb = 1, power = { kind = "hp_proliant_ml110_g5" } },
]
[oversubscription]
kind = "static"
cpu_allocation_ratio = 100.0
ram_allocation_ratio = 1.0
[usage]
kind = "constant"
fraction = 1.0
[consolidation]
semantics = "cloudsim"
overload = { kind = "thr", threshold = 0.8 }
underload = { kind = "least_utilized" }
selection = { kind = "mmt" }
placement = { kind = "pabfd" }
"#,
        );
        let workload = workload(&[(1, 2660.0, 1024), (1, 1800.0, 512), (1, 200.0, 512), (1, 1000.0, 1024)], &[]);
        let mut simulation = simulation(&workload, &scenario);
        let (v, w) = (1, 2);
        for (vm, host) in [(0, 0), (v, 0), (w, 1), (3, 2)] {
            simulation.fleet.book(vm, host);
            simulation.fleet.vm_mut(vm).status = VmStatus::Running;
            simulation.fleet.set_demand(vm, 1.0);
        }
        simulation.update_all();
        simulation.consolidate();
        let fleet = &simulation.fleet;
        assert_eq!(simulation.counters.migrations, 3, "CloudSim issues and counts both of v's moves");
        let migration = fleet.vm(v).migration.unwrap();
        assert_eq!((migration.target, migration.also_on), (2, Some(1)));
        // CloudSim keeps v in h1's list, migrating in (booked, 10 % of its MIPS reserved), until it arrives.
        assert_eq!((booked(fleet, 1), fleet.host(1).incoming.as_slice()), ((2, 1024), &[v][..]));
        assert_eq!((booked(fleet, 2), fleet.host(2).incoming.as_slice()), ((3, 2048), &[v, w][..]));
        assert!((fleet.host(1).utilization_mips - (200.0 + 180.0)).abs() < 1e-9, "{}", fleet.host(1).utilization_mips);
        fleet.check_all_invariants();
        // v's two moves and w's all end at 512 MB / 62.5 MB/s = 8.192 s; the first end for v is stale, the second
        // moves it to h2 (CloudSim moves it to h1 and on to h2 at the same instant).
        while let Some((time, event)) = simulation.internal.pop() {
            if let Internal::MigrationEnd(vm, number) = event {
                assert_eq!(time, SimTime(8_192));
                simulation.advance_to(time);
                simulation.end_migration(vm, number);
                simulation.fleet.check_all_invariants();
            }
        }
        let fleet = &simulation.fleet;
        assert_eq!((fleet.vm(v).host, fleet.vm(w).host), (Some(2), Some(2)));
        assert_eq!((booked(fleet, 0), booked(fleet, 1), booked(fleet, 2)), ((1, 1024), (0, 0), (3, 2048)));
    }

    /// Three hosts of 2 × 1000 MIPS and 8192 MB; pre-copy on a 64 MB/s link (512 Mbit/s, all of it for
    /// migrations), a guest at full load dirtying `mb_per_s` (1 vCPU, 256 pages of 4 KiB a MB), no timeout, the
    /// working set the whole RAM unless `extra` says otherwise. No consolidation policy: tests ask for migrations
    /// themselves.
    fn pre_copy(mb_per_s: f64, extra: &str) -> crate::scenario::Scenario {
        scenario(&format!(
            r#"
[trace]
instances = "unused.csv"
[hosts]
types = [{{ name = "h", count = 3, vcpus = 2, memory_mb = 8192, disk_gb = 100 }}]
[oversubscription]
kind = "static"
cpu_allocation_ratio = 1.0
ram_allocation_ratio = 1.0
[usage]
kind = "constant"
fraction = 1.0
[consolidation]
semantics = "neat"
[migration]
kind = "pre_copy"
bandwidth_mbit_s = 512.0
share = 1.0
cpu_penalty = 0.1
dirty_pages_per_s = {pages:?}
writable_working_set_fraction = 1.0
timeout_s_per_gib = 0.0
{extra}
"#,
            pages = mb_per_s * 256.0
        ))
    }

    /// vm0 and vm1, 1 vCPU of 1000 MIPS and 1024 MB each.
    fn two_vms() -> crate::workload::Workload {
        workload(&[(1, 1000.0, 1024), (1, 1000.0, 1024)], &[])
    }

    /// Puts both VMs on h0 at full load, asks for `moves` (VM, target) at 0 s, and runs every migration to its
    /// end. Returns the simulation afterwards.
    fn migrate<'a>(
        workload: &'a crate::workload::Workload,
        scenario: &'a crate::scenario::Scenario,
        moves: &[(u32, u32)],
        check_at_start: impl Fn(&crate::simulation::Simulation),
    ) -> crate::simulation::Simulation<'a> {
        let mut simulation = simulation(workload, scenario);
        for vm in [0, 1] {
            simulation.fleet.book(vm, 0);
            simulation.fleet.vm_mut(vm).status = VmStatus::Running;
            simulation.fleet.set_demand(vm, 1.0);
        }
        simulation.update_all();
        let mut touched = Vec::new();
        for &(vm, target) in moves {
            simulation.request_migration(vm, target, crate::migration::MigrationReason::Overload, &mut touched);
        }
        simulation.start_waiting_migrations(&mut touched);
        simulation.update_touched(touched);
        check_at_start(&simulation);
        while let Some((time, event)) = simulation.internal.pop() {
            if let Internal::MigrationEnd(vm, number) = event {
                simulation.advance_to(time);
                simulation.end_migration(vm, number);
                simulation.fleet.check_all_invariants();
            }
        }
        simulation
    }

    fn ends(simulation: &crate::simulation::Simulation, vm: u32) -> Option<SimTime> {
        simulation.fleet.vm(vm).migration.filter(|migration| !migration.queued).map(|migration| migration.ends)
    }

    /// (requested, started, ended) seconds of each logged migration, by VM.
    fn logged(simulation: crate::simulation::Simulation) -> Vec<(u32, f64, f64, f64)> {
        let (_, rows) = simulation.live.log.finish();
        rows.unwrap_or_default().iter().map(|row| (row.vm, row.requested_s, row.start_s, row.end_s)).collect()
    }

    #[test]
    fn two_migrations_sharing_a_link_each_take_longer_than_one_alone() {
        // Dirtying 16 MB/s. Alone on 64 MB/s (r = 0.25): rounds of 1024, 256 and 64 MB leave 16 MB ≤ 19.2 MB:
        // 1360 MB in 21.25 s (`pre_copy::tests::half_a_link_doubles_the_copy_and_the_dirtying_ratio`).
        let workload = two_vms();
        let scenario = pre_copy(16.0, "max_concurrent_per_host = 2\n[output]\nmigrations = true");
        let alone = migrate(&workload, &scenario, &[(0, 1)], |simulation| {
            assert_eq!(ends(simulation, 0), Some(SimTime(21_250)));
        });
        assert_eq!(logged(alone), vec![(0, 0.0, 0.0, 21.25)]);
        // vm0 to h1 and vm1 to h2 at once: h0's link carries both, each gets 32 MB/s, so r = 0.5 and the budget
        // is 9.6 MB: 2040 MB in 63.75 s each, three times as long (twice the copy, and twice the dirtying per MB).
        let shared = migrate(&workload, &scenario, &[(0, 1), (1, 2)], |simulation| {
            assert_eq!((ends(simulation, 0), ends(simulation, 1)), (Some(SimTime(63_750)), Some(SimTime(63_750))));
        });
        assert_eq!((shared.fleet.vm(0).host, shared.fleet.vm(1).host), (Some(1), Some(2)));
        assert_eq!(logged(shared), vec![(0, 0.0, 0.0, 63.75), (1, 0.0, 0.0, 63.75)]);
    }

    #[test]
    fn past_the_concurrency_limit_a_migration_waits_on_its_source() {
        // Nova's default, one migration per host: vm1 waits, booked on h2 but running on h0 and not losing CPU,
        // until vm0's migration ends at 21.25 s; then it runs alone on the link: 21.25 s more.
        let workload = two_vms();
        let scenario = pre_copy(16.0, "[output]\nmigrations = true");
        let simulation = migrate(&workload, &scenario, &[(0, 1), (1, 2)], |simulation| {
            let fleet = &simulation.fleet;
            assert_eq!(ends(simulation, 0), Some(SimTime(21_250)));
            assert!(fleet.vm(1).is_migrating() && !fleet.vm(1).is_moving());
            assert_eq!((fleet.vm(1).host, fleet.host(2).incoming.as_slice()), (Some(0), &[1][..]));
            assert_eq!(booked(fleet, 2), (1, 1024), "a waiting migration holds its claim on the target");
        });
        assert_eq!(simulation.counters.migrations, 2);
        assert_eq!(logged(simulation), vec![(0, 0.0, 0.0, 21.25), (1, 0.0, 21.25, 42.5)]);
    }

    /// Dirtying 128 MB/s with a 256 MB working set and 5 rounds at most: never converges; after 5 rounds (32 s,
    /// `pre_copy::tests::a_vm_dirtying_faster_than_the_link_never_converges_and_ends_as_the_scenario_says`) the
    /// scenario's `on_non_convergence` decides.
    fn never_converging(on_non_convergence: &str) -> crate::scenario::Scenario {
        pre_copy(
            128.0,
            &format!("writable_working_set_mb = 256.0\nmax_rounds = 5\non_non_convergence = \"{on_non_convergence}\""),
        )
    }

    #[test]
    fn an_aborted_migration_leaves_the_vm_on_its_source_and_releases_its_target() {
        let workload = two_vms();
        let scenario = never_converging("abort");
        let simulation = migrate(&workload, &scenario, &[(0, 1)], |simulation| {
            assert_eq!(ends(simulation, 0), Some(SimTime(32_000)));
        });
        let fleet = &simulation.fleet;
        assert_eq!((fleet.vm(0).host, fleet.vm(0).migration), (Some(0), None));
        assert_eq!((booked(fleet, 1), fleet.host(1).incoming.len()), ((0, 0), 0));
        assert_eq!(simulation.counters.migrations, 1, "issued, so counted");
        // Only the penalty was lost, for 32 s: 10 % of 1000 MIPS.
        assert_eq!(simulation.vm_ledgers[0].migration_loss_mips_ms, 100.0 * 32_000.0);
        let (metrics, _) = simulation.live.log.finish();
        assert_eq!((metrics.aborted, metrics.converged, metrics.mean_downtime_ms), (1, 0, 0.0));
        assert_eq!(metrics.bytes, 2048 * 1_048_576);
    }

    #[test]
    fn a_forced_stop_and_copy_counts_the_whole_downtime_as_lost() {
        // Forced after round 5: the VM pauses for 256 MB / 64 MB/s = 4 s and runs on h1 from 36 s. Lost: 10 % of
        // 1000 MIPS for 32 s and all of it for 4 s, 7200 MIPS·s, charged evenly over the 36 s (the demand is
        // constant, so exactly).
        let workload = two_vms();
        let scenario = never_converging("force");
        let simulation = migrate(&workload, &scenario, &[(0, 1)], |_| {});
        assert_eq!(simulation.fleet.vm(0).host, Some(1));
        let lost = simulation.vm_ledgers[0].migration_loss_mips_ms;
        assert!((lost - 7_200_000.0).abs() < 1e-6, "{lost}");
        let (metrics, _) = simulation.live.log.finish();
        assert_eq!((metrics.forced, metrics.mean_downtime_ms, metrics.p99_downtime_ms), (1, 4000.0, 4000.0));
    }
}
