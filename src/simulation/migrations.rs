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
        for (vm, target) in plan {
            self.start_migration(vm, target);
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

    fn start_migration(&mut self, vm: VmId, target: HostId) {
        let Some(source) = self.fleet.vm(vm).host else { return };
        if source == target || !self.fleet.host(target).present {
            return;
        }
        // CloudSim can issue a second move for a VM whose first one it issued in the same round: the VM ends on
        // the second target and both count.
        if let Some(earlier) = self.fleet.abandon_migration(vm) {
            self.update_host(earlier.target);
            self.refresh(earlier.target);
        }
        let duration = self.scenario.migration.duration(self.fleet.vm(vm).flavor.memory_mb);
        let ends = self.now.plus_ms(duration.as_ms());
        self.fleet.start_migration(vm, target, self.now, ends);
        self.counters.migrations += 1;
        self.internal.schedule(ends, Internal::MigrationEnd(vm));
        // CloudSim updates both hosts when a migration starts (same time: the records are replaced).
        self.update_host(source);
        self.update_host(target);
        self.refresh(source);
        self.refresh(target);
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
