//! SLA and energy ledgers in CloudSim's manner: each host and VM records its state at every update point
//! (monitoring ticks, migration starts and ends), and the interval up to the next update point is charged with
//! the state recorded at its start (CloudSim's `HostStateHistoryEntry` / `VmStateHistoryEntry`, summed as
//! `Helper.java` sums them). A second record at the same time replaces the first, as in CloudSim.

use crate::power::PowerModel;

/// A host's record: time and energy integrals in milliseconds (and watt-milliseconds).
#[derive(Clone, Debug, Default)]
pub struct HostLedger {
    started: bool,
    last_ms: i64,
    last_allocated: f64,
    last_requested: f64,
    last_active: bool,
    last_utilization: f64,
    /// Time with the host active (CloudSim: CPU use above 0).
    pub active_ms: f64,
    /// Active time with less CPU allocated than requested (the SLATAH numerator).
    pub violation_ms: f64,
    /// Active time with utilisation above the AOTF threshold.
    pub overload_ms: f64,
    /// Energy by CloudSim's trapezoid per interval: `(P(u_prev) + P(u_now)) / 2 · Δt`, 0 when `u_prev` is 0.
    pub trapezoid_energy_wms: f64,
    /// `P(last_utilization)`, kept so that each record computes one power value, not two.
    last_watts: f64,
    /// Active spells: a shutdown is the end of one.
    activity: Spells,
}

/// What a host looks like at an update point.
#[derive(Clone, Copy, Debug)]
pub struct HostState {
    pub allocated_mips: f64,
    pub requested_mips: f64,
    pub active: bool,
    /// CPU use as a fraction of capacity (what the power follows).
    pub utilization: f64,
}

impl HostLedger {
    /// A ledger whose host counts as active before its first record (CloudSim starts its shutdown count that
    /// way: a host empty from the first update counts one shutdown) or not.
    pub fn new(assume_active_before: bool) -> HostLedger {
        HostLedger {
            last_active: assume_active_before,
            activity: Spells::new(assume_active_before),
            ..HostLedger::default()
        }
    }

    /// Shutdowns so far: instants where the host's last record is inactive after an active one in force.
    pub fn shutdowns(&self) -> u64 {
        self.activity.settled().falls
    }

    /// Sum of the active spells that ended in a shutdown, for the mean time before a shutdown.
    pub fn active_before_shutdown_ms(&self) -> f64 {
        self.activity.settled().on_before_fall_ms
    }

    /// Is the last record an idle host (inactive, nothing allocated or requested, no CPU use)? Recording the
    /// same again changes nothing, so the simulation may skip it.
    pub fn recorded_idle(&self) -> bool {
        self.started
            && !self.last_active
            && self.last_utilization == 0.0
            && self.last_allocated == 0.0
            && self.last_requested == 0.0
    }

    pub fn record(&mut self, time_ms: i64, state: HostState, power: &PowerModel, aotf_threshold: f64) {
        let watts = power.watts(state.utilization);
        if self.started && time_ms > self.last_ms {
            let dt = (time_ms - self.last_ms) as f64;
            if self.last_active {
                self.active_ms += dt;
                if self.last_allocated < self.last_requested {
                    self.violation_ms += dt;
                }
                if self.last_utilization > aotf_threshold {
                    self.overload_ms += dt;
                }
            }
            if self.last_utilization != 0.0 {
                self.trapezoid_energy_wms += (self.last_watts + watts) / 2.0 * dt;
            }
        }
        self.activity.record(time_ms, state.active);
        self.started = true;
        self.last_watts = watts;
        self.last_ms = time_ms;
        self.last_allocated = state.allocated_mips;
        self.last_requested = state.requested_mips;
        self.last_active = state.active;
        self.last_utilization = state.utilization;
    }
}

/// A VM's record, in MIPS·milliseconds.
#[derive(Clone, Debug, Default)]
pub struct VmLedger {
    started: bool,
    last_ms: i64,
    last_allocated: f64,
    last_requested: f64,
    /// Capacity lost to a migration in the last interval (CloudSim: requested − allocated while migrating out).
    last_migration_loss: f64,
    last_migrating: bool,
    pub allocated_mips_ms: f64,
    pub requested_mips_ms: f64,
    /// The PDM numerator.
    pub migration_loss_mips_ms: f64,
    /// Spells in migration.
    migrating: Spells,
}

impl VmLedger {
    /// `migration_loss` is the CPU (MIPS) the VM loses to a migration under way, 0 when it is not moving.
    pub fn record(&mut self, time_ms: i64, allocated: f64, requested: f64, migrating: bool, migration_loss: f64) {
        if self.started && time_ms > self.last_ms {
            let dt = (time_ms - self.last_ms) as f64;
            self.allocated_mips_ms += self.last_allocated * dt;
            self.requested_mips_ms += self.last_requested * dt;
            if self.last_migrating {
                self.migration_loss_mips_ms += self.last_migration_loss * dt;
            }
        }
        self.migrating.record(time_ms, migrating);
        self.started = true;
        self.last_ms = time_ms;
        self.last_allocated = allocated;
        self.last_requested = requested;
        self.last_migrating = migrating;
        self.last_migration_loss = migration_loss;
    }

    /// Migrations so far: instants where the VM's last record is migrating after a spell not migrating.
    pub fn migrations(&self) -> u64 {
        self.migrating.settled().rises
    }

    /// Sum of the times before each migration, since the start or the previous migration's end.
    pub fn time_before_migration_ms(&self) -> f64 {
        self.migrating.settled().off_before_rise_ms
    }
}

/// The spells of a flag recorded at update points, as CloudSim's state histories keep them: a later record at
/// the same instant replaces the earlier one, so a spell starts or ends at an instant when the flag's *last*
/// record there differs from the flag in force before it. (Reading the first record instead would miss a host
/// switched on, or a VM starting to migrate, by a second update at the same instant.)
#[derive(Clone, Debug, Default)]
struct Spells {
    started: bool,
    /// The flag in force before the latest instant, and its last record at that instant.
    before: bool,
    latest: bool,
    latest_ms: i64,
    /// When the flag last became true and false (0 before it ever did, as CloudSim starts).
    rose_ms: i64,
    fell_ms: i64,
    rises: u64,
    falls: u64,
    /// Sums of each true spell's length at its end, and of each false spell's length at its end.
    on_before_fall_ms: f64,
    off_before_rise_ms: f64,
}

impl Spells {
    /// Spells of a flag taken as `before` until its first record.
    fn new(before: bool) -> Spells {
        Spells { before, latest: before, ..Spells::default() }
    }

    fn record(&mut self, time_ms: i64, flag: bool) {
        if self.started && time_ms > self.latest_ms {
            self.settle();
        }
        self.started = true;
        self.latest = flag;
        self.latest_ms = time_ms;
    }

    /// Counts the latest instant's change, if any: its records are final.
    fn settle(&mut self) {
        let time_ms = self.latest_ms;
        if self.latest && !self.before {
            self.rises += 1;
            self.off_before_rise_ms += (time_ms - self.fell_ms) as f64;
            self.rose_ms = time_ms;
        } else if !self.latest && self.before {
            self.falls += 1;
            self.on_before_fall_ms += (time_ms - self.rose_ms) as f64;
            self.fell_ms = time_ms;
        }
        self.before = self.latest;
    }

    /// The totals with the latest instant counted (nothing can replace its records once the run is read).
    fn settled(&self) -> Spells {
        let mut settled = self.clone();
        if settled.started {
            settled.settle();
        }
        settled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIVE: HostState =
        HostState { allocated_mips: 100.0, requested_mips: 100.0, active: true, utilization: 0.5 };

    /// A two-host hand-worked day, both on the G4 table (86 W at 0 %, 102 W at 50 %, 117 W at 100 %), recorded
    /// hourly. Host A at 50 % all day: 24 frames × 102 W = 2.448 kWh. Host B at 100 % at the records of 0..11 h,
    /// switched off (u = 0) from the 12 h record on: frames 0-1 ... 10-11 h at 117 W (11 × 117 Wh), the 11-12 h
    /// frame a trapezoid from P(1) to P(0) = (117 + 86) / 2 = 101.5 W, and every later frame starts at u = 0,
    /// which CloudSim charges nothing (an empty host is off): B = 1.3885 kWh.
    #[test]
    fn energy_of_a_two_host_day_by_trapezoids() {
        let power = PowerModel::HpProliantMl110G4 {};
        let hour = 3_600_000;
        let mut a = HostLedger::new(true);
        let mut b = HostLedger::new(true);
        for step in 0..=24 {
            a.record(step * hour, ACTIVE, &power, 0.8);
            let b_state = if step < 12 {
                HostState { utilization: 1.0, ..ACTIVE }
            } else {
                HostState { allocated_mips: 0.0, requested_mips: 0.0, active: false, utilization: 0.0 }
            };
            b.record(step * hour, b_state, &power, 0.8);
        }
        let kwh = |ledger: &HostLedger| ledger.trapezoid_energy_wms / 3.6e9;
        assert!((kwh(&a) - 2.448).abs() < 1e-9, "{}", kwh(&a));
        // B: 11 h at 117 W (frames 0-11 h), then the 11-12 h frame from 117 W to 86 W (101.5 W), then nothing.
        assert!((kwh(&b) - (11.0 * 117.0 + 101.5) / 1000.0).abs() < 1e-9, "{}", kwh(&b));
        assert_eq!((b.shutdowns(), b.active_ms / hour as f64), (1, 12.0));
        assert_eq!(b.active_before_shutdown_ms() / hour as f64, 12.0);
        assert_eq!(a.overload_ms, 0.0);
    }

    #[test]
    fn violation_time_counts_intervals_starting_under_allocated() {
        let power = PowerModel::default();
        let mut host = HostLedger::new(true);
        host.record(0, HostState { allocated_mips: 90.0, ..ACTIVE }, &power, 0.8);
        host.record(10, ACTIVE, &power, 0.8);
        // Same time: replaces the record at 10 without charging anything.
        host.record(10, HostState { allocated_mips: 50.0, ..ACTIVE }, &power, 0.8);
        host.record(30, ACTIVE, &power, 0.8);
        assert_eq!((host.violation_ms, host.active_ms), (30.0, 30.0));
    }

    #[test]
    fn migration_loss_and_time_before_migration() {
        let mut vm = VmLedger::default();
        vm.record(0, 100.0, 100.0, false, 0.0);
        vm.record(100, 90.0, 100.0, true, 10.0);
        vm.record(130, 100.0, 100.0, false, 0.0);
        vm.record(200, 100.0, 100.0, false, 0.0);
        assert_eq!(vm.migration_loss_mips_ms, 300.0);
        assert_eq!(vm.requested_mips_ms, 20_000.0);
        assert_eq!((vm.migrations(), vm.time_before_migration_ms()), (1, 100.0));
    }

    /// The simulation updates every host at a monitoring tick, then again the hosts that the tick's consolidation
    /// sets migrating, at the same instant: the second record is the one that counts (CloudSim's state history
    /// keeps one entry per instant, the last).
    #[test]
    fn a_migration_started_by_a_second_record_at_the_same_instant_counts() {
        let mut vm = VmLedger::default();
        vm.record(0, 100.0, 100.0, false, 0.0);
        vm.record(300, 100.0, 100.0, false, 0.0); // the tick's update
        vm.record(300, 90.0, 100.0, true, 10.0); // the migration starts
        vm.record(320, 100.0, 100.0, false, 0.0); // and ends
        vm.record(900, 100.0, 100.0, false, 0.0);
        vm.record(900, 90.0, 100.0, true, 10.0); // the second one, 580 ms after the first one's end
        assert_eq!((vm.migrations(), vm.time_before_migration_ms()), (2, 300.0 + 580.0));
        // The latest instant counts once the ledger is read, and reading twice changes nothing.
        assert_eq!(vm.migrations(), 2);
        assert_eq!(vm.migration_loss_mips_ms, 10.0 * 20.0);
    }

    #[test]
    fn a_host_switched_on_and_off_by_later_records_at_an_instant_counts_the_last() {
        let power = PowerModel::default();
        let idle = HostState { allocated_mips: 0.0, requested_mips: 0.0, active: false, utilization: 0.0 };
        let mut host = HostLedger::new(false);
        host.record(0, idle, &power, 0.8);
        host.record(0, ACTIVE, &power, 0.8); // switched on by a migration arriving at 0
        host.record(50, ACTIVE, &power, 0.8);
        host.record(50, idle, &power, 0.8); // its VMs all left at 50
        host.record(60, idle, &power, 0.8);
        host.record(60, ACTIVE, &power, 0.8); // on again at 60 ...
        host.record(60, idle, &power, 0.8); // ... and not, after all: no spell at 60
        assert_eq!((host.shutdowns(), host.active_before_shutdown_ms()), (1, 50.0));
        assert_eq!(host.active_ms, 50.0);
    }
}
