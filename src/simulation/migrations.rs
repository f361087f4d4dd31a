//! Consolidation at a tick, and the migrations it starts: a VM is booked on both hosts while it moves, and
//! runs on its target from the migration's end (an update point).

use crate::fleet::{HostId, VmId};
use crate::policy::Semantics;
use crate::simulation::{Internal, Simulation};

impl Simulation<'_> {
    /// Asks the consolidation policies for migrations and starts them.
    pub(super) fn consolidate(&mut self) {
        self.rebook_requested_memory();
        let Some(consolidator) = &mut self.consolidator else { return };
        let utilization: Vec<f64> = self.fleet.hosts.iter().map(|host| host.utilization_mips).collect();
        let interval_s = self.scenario.interval.as_secs_f64();
        let plan = consolidator.plan(&self.fleet, &utilization, &self.scenario.migration, interval_s);
        // CloudSim updates both hosts as each migration starts. A ledger's records at one instant replace each
        // other (only the first counts transitions, and every host the tick updated has its first record already),
        // so updating each touched host once, after all of the round's migrations have started, records the same.
        let mut touched = Vec::with_capacity(2 * plan.len());
        for (vm, target) in plan {
            self.start_migration(vm, target, &mut touched);
        }
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

    /// Starts `vm`'s migration to `target`; the hosts whose state it changes are added to `touched`, to update.
    fn start_migration(&mut self, vm: VmId, target: HostId, touched: &mut Vec<HostId>) {
        let Some(source) = self.fleet.vm(vm).host else { return };
        if source == target || !self.fleet.host(target).present {
            return;
        }
        // CloudSim can issue a second move for a VM whose first one it issued in the same round: the VM ends on
        // the second target and both count.
        if let Some(earlier) = self.fleet.abandon_migration(vm) {
            touched.push(earlier.target);
        }
        let duration = self.scenario.migration.duration(self.fleet.vm(vm).flavor.memory_mb);
        let ends = self.now.plus_ms(duration.as_ms());
        self.fleet.start_migration(vm, target, self.now, ends);
        self.counters.migrations += 1;
        self.internal.schedule(ends, Internal::MigrationEnd(vm));
        touched.extend([source, target]);
    }

    /// A migration ends: update every host as it stood (CloudSim updates before applying the move), move the
    /// VM, and once the last migration ending now is applied, update again.
    pub(super) fn end_migration(&mut self, vm: VmId) {
        let Some(migration) = self.fleet.vm(vm).migration else { return };
        if migration.ends != self.now {
            return; // a stale event: this migration was abandoned and the VM moves again later
        }
        if self.last_update.is_none_or(|last| last < self.now) {
            self.interpolate_demand();
            self.update_all();
        }
        self.fleet.finish_migration(vm);
        self.refresh(migration.source);
        self.refresh(migration.target);
        let more_now = matches!(self.internal.peek(), Some((time, Internal::MigrationEnd(_))) if time == self.now);
        // (A tick at this time updates anyway, after these.)
        if !more_now {
            self.update_all();
        }
    }

    /// Between ticks, PlanetLab demand in `cloudsim` semantics follows CloudSim's linear interpolation; other
    /// demand stays at its tick value.
    fn interpolate_demand(&mut self) {
        if self.semantics != Semantics::Cloudsim {
            return;
        }
        let interval = self.scenario.interval.as_ms();
        let tick = self.current_tick();
        let between = (self.now.as_ms() - tick as i64 * interval) as f64 / interval as f64;
        for vm in 0..self.fleet.vms.len() as VmId {
            if self.fleet.vm(vm).status != crate::fleet::VmStatus::Running {
                continue;
            }
            let Some(fraction) = self.demand.interpolated(vm, tick, between) else { return };
            self.fleet.set_demand(vm, fraction);
        }
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
        let moving = Migration { source: 0, target: 1, started: SimTime::ZERO, ends: SimTime(102_400) };
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
    fn a_vm_moved_twice_in_one_cloudsim_round_is_booked_only_on_its_last_target() {
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
        assert_eq!(fleet.vm(v).migration.map(|migration| migration.target), Some(2));
        assert!(fleet.host(1).incoming.is_empty(), "v's first move was abandoned");
        assert_eq!((booked(fleet, 1), fleet.host(2).incoming.as_slice()), ((1, 512), &[v, w][..]));
        assert_eq!(booked(fleet, 2), (3, 2048));
        fleet.check_all_invariants();
        // v's two moves and w's all end at 512 MB / 62.5 MB/s = 8.192 s; the second end for v finds it arrived.
        while let Some((time, event)) = simulation.internal.pop() {
            if let Internal::MigrationEnd(vm) = event {
                assert_eq!(time, SimTime(8_192));
                simulation.advance_to(time);
                simulation.end_migration(vm);
                simulation.fleet.check_all_invariants();
            }
        }
        let fleet = &simulation.fleet;
        assert_eq!((fleet.vm(v).host, fleet.vm(w).host), (Some(2), Some(2)));
        assert_eq!((booked(fleet, 0), booked(fleet, 1), booked(fleet, 2)), ((1, 1024), (0, 0), (3, 2048)));
    }
}
