//! Run metrics, integrated between events so that they do not depend on the monitoring interval.
//!
//! The simulation keeps a [`HostSnapshot`] per host and their sum ([`FleetTotals`]); whenever a host changes it
//! swaps the host's old snapshot for the new one in the totals. Before applying each event the recorder
//! integrates the totals, constant since the previous event, over the elapsed time.

pub mod ledger;
pub mod migrations;
pub mod oversubscription;

use crate::fleet::Host;

/// What empty hosts draw: idle power (Nova never powers hosts down), nothing (switched off: CloudSim), or the
/// sleep power `hosts.sleep_w` (suspended to RAM: Neat).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmptyHosts {
    #[default]
    Idle,
    Off,
    Sleep,
}

/// One host's contribution to the fleet totals.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HostSnapshot {
    pub present: f64,
    pub active: f64,
    pub overloaded: f64,
    /// Active with more memory demand than physical memory.
    pub memory_overloaded: f64,
    /// Active with CPU or memory demand above capacity.
    pub over_capacity: f64,
    pub power_w: f64,
    /// The host's power at full load (what a non-power-aware data centre charges).
    pub max_power_w: f64,
    pub demand_cores: f64,
    pub capacity_vcpus: f64,
    pub capacity_memory_mb: f64,
    pub booked_vcpus: f64,
    pub booked_memory_mb: f64,
    pub allocatable_vcpus: f64,
    pub vms: f64,
}

impl HostSnapshot {
    /// An active host's power follows its CPU demand over capacity, capped at 1.
    pub fn of(host: &Host, empty_hosts: EmptyHosts, sleep_w: f64) -> HostSnapshot {
        if !host.present {
            return HostSnapshot::default();
        }
        let active = host.is_active();
        let power_w = match (active, empty_hosts) {
            (true, _) => host.power.watts(host.cpu_utilization()),
            (false, EmptyHosts::Idle) => host.power.idle_watts(),
            (false, EmptyHosts::Off) => 0.0,
            (false, EmptyHosts::Sleep) => sleep_w,
        };
        let flag = |condition: bool| if condition { 1.0 } else { 0.0 };
        let (cpu_over, memory_over) = (active && host.is_overloaded(), active && host.is_memory_overloaded());
        HostSnapshot {
            present: 1.0,
            active: flag(active),
            overloaded: flag(cpu_over),
            memory_overloaded: flag(memory_over),
            over_capacity: flag(cpu_over || memory_over),
            power_w,
            max_power_w: host.power.max_watts(),
            demand_cores: host.demand_cores(),
            capacity_vcpus: f64::from(host.capacity.vcpus),
            capacity_memory_mb: host.capacity.memory_mb as f64,
            booked_vcpus: host.booked.vcpus as f64,
            booked_memory_mb: host.booked.memory_mb as f64,
            allocatable_vcpus: host.allocatable.vcpus,
            vms: host.vms.len() as f64,
        }
    }
}

/// Sums of [`HostSnapshot`]s over the fleet.
pub type FleetTotals = HostSnapshot;

impl std::ops::AddAssign for HostSnapshot {
    fn add_assign(&mut self, other: HostSnapshot) {
        self.present += other.present;
        self.active += other.active;
        self.overloaded += other.overloaded;
        self.memory_overloaded += other.memory_overloaded;
        self.over_capacity += other.over_capacity;
        self.power_w += other.power_w;
        self.max_power_w += other.max_power_w;
        self.demand_cores += other.demand_cores;
        self.capacity_vcpus += other.capacity_vcpus;
        self.capacity_memory_mb += other.capacity_memory_mb;
        self.booked_vcpus += other.booked_vcpus;
        self.booked_memory_mb += other.booked_memory_mb;
        self.allocatable_vcpus += other.allocatable_vcpus;
        self.vms += other.vms;
    }
}

impl std::ops::SubAssign for HostSnapshot {
    fn sub_assign(&mut self, other: HostSnapshot) {
        self.present -= other.present;
        self.active -= other.active;
        self.overloaded -= other.overloaded;
        self.memory_overloaded -= other.memory_overloaded;
        self.over_capacity -= other.over_capacity;
        self.power_w -= other.power_w;
        self.max_power_w -= other.max_power_w;
        self.demand_cores -= other.demand_cores;
        self.capacity_vcpus -= other.capacity_vcpus;
        self.capacity_memory_mb -= other.capacity_memory_mb;
        self.booked_vcpus -= other.booked_vcpus;
        self.booked_memory_mb -= other.booked_memory_mb;
        self.allocatable_vcpus -= other.allocatable_vcpus;
        self.vms -= other.vms;
    }
}

/// Time integrals of the fleet totals (unit × milliseconds), plus peaks and per-tick samples for quantiles.
#[derive(Clone, Debug, Default)]
pub struct Integrals {
    pub elapsed_ms: f64,
    pub present_host_ms: f64,
    pub active_host_ms: f64,
    pub overloaded_host_ms: f64,
    pub memory_overloaded_host_ms: f64,
    pub over_capacity_host_ms: f64,
    pub energy_wms: f64,
    pub max_energy_wms: f64,
    pub demand_core_ms: f64,
    pub capacity_core_ms: f64,
    /// ∫ booked/physical vCPU ratio dt, over time with at least one present host.
    pub booked_vcpu_ratio_ms: f64,
    pub booked_memory_ratio_ms: f64,
    pub ratio_ms: f64,
    pub peak_active_hosts: f64,
    pub peak_vms: f64,
}

impl Integrals {
    /// Adds `totals`, constant over `duration_ms`.
    pub fn accumulate(&mut self, totals: &FleetTotals, duration_ms: i64) {
        if duration_ms <= 0 {
            return;
        }
        let dt = duration_ms as f64;
        self.elapsed_ms += dt;
        self.present_host_ms += totals.present * dt;
        self.active_host_ms += totals.active * dt;
        self.overloaded_host_ms += totals.overloaded * dt;
        self.memory_overloaded_host_ms += totals.memory_overloaded * dt;
        self.over_capacity_host_ms += totals.over_capacity * dt;
        self.energy_wms += totals.power_w * dt;
        self.max_energy_wms += totals.max_power_w * dt;
        self.demand_core_ms += totals.demand_cores * dt;
        self.capacity_core_ms += totals.capacity_vcpus * dt;
        if totals.capacity_vcpus > 0.0 && totals.capacity_memory_mb > 0.0 {
            self.booked_vcpu_ratio_ms += totals.booked_vcpus / totals.capacity_vcpus * dt;
            self.booked_memory_ratio_ms += totals.booked_memory_mb / totals.capacity_memory_mb * dt;
            self.ratio_ms += dt;
        }
    }

    /// Peaks are taken after every change, not only at ticks.
    pub fn observe_peaks(&mut self, totals: &FleetTotals) {
        self.peak_active_hosts = self.peak_active_hosts.max(totals.active);
        self.peak_vms = self.peak_vms.max(totals.vms);
    }
}

/// The p-th percentile (0..=100) of `values` by linear interpolation between closest ranks (NumPy's default);
/// 0 for no values.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = p / 100.0 * (values.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    values[low] + (values[high] - values[low]) * (rank - low as f64)
}

/// A metric's value in `runs.arrow`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetricValue {
    Count(u64),
    Real(f64),
    /// A name (the migration model's).
    Text(&'static str),
}

/// Counters the simulation keeps while it runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub events: u64,
    pub ticks: u64,
    pub vms_arrived: u64,
    pub vms_placed: u64,
    pub vms_rejected: u64,
    pub vms_queued: u64,
    pub vms_departed_while_queued: u64,
    pub vms_evicted: u64,
    /// VMs removed for good because their demand was exactly 0 at an update (`workload.zero_demand =
    /// "remove"`, CloudSim's PlanetLab experiment).
    pub vms_removed_zero_demand: u64,
    /// Live migrations decided by consolidation (counted when issued, as CloudSim counts them: including those
    /// that waited for their links, were aborted, or were cancelled).
    pub migrations: u64,
    pub cold_migrations: u64,
    pub migration_failures: u64,
    pub unshelve_failures: u64,
}

/// Everything a finished run reports; [`RunMetrics::columns`] is the single list of names and order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunMetrics {
    pub counters: Counters,
    pub lifecycle: crate::trace::lifecycle::LifecycleCounts,
    pub simulated_days: f64,
    pub peak_concurrent_vms: u64,
    pub mean_active_hosts: f64,
    pub peak_active_hosts: u64,
    pub booked_vcpu_ratio_mean: f64,
    pub booked_vcpu_ratio_p95: f64,
    pub booked_ram_ratio_mean: f64,
    pub booked_ram_ratio_p95: f64,
    pub demand_over_capacity: f64,
    pub energy_kwh: f64,
    pub overload_time_fraction: f64,
    pub oversubscription: OversubscriptionMetrics,
    pub sla: SlaMetrics,
    pub migration: migrations::MigrationMetrics,
    pub wall_s: f64,
}

/// What an oversubscription strategy achieved and risked (see [`oversubscription`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OversubscriptionMetrics {
    /// (booked + free) / capacity in CPU, over hosts holding VMs at each occurrence's end: mean and p95.
    pub ratio_mean: f64,
    pub ratio_p95: f64,
    /// The same in memory, mean.
    pub memory_ratio_mean: f64,
    /// ScroogeVM's figures, summed in units of the host's cores.
    pub mispredictions: f64,
    pub violations: f64,
    pub decreases: f64,
    /// Active host time with more memory demand than memory / active host time.
    pub memory_overload_time_fraction: f64,
    /// Active host time with CPU or memory demand above capacity / active host time.
    pub over_capacity_time_fraction: f64,
    /// Host-hours with CPU or memory demand above capacity.
    pub over_capacity_host_h: f64,
}

/// The consolidation literature's SLA figures (reference §2.3), all fractions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SlaMetrics {
    /// Ratio of sums, as CloudSim's `Helper` computes it: Σ active time with less CPU allocated than requested /
    /// Σ active time.
    pub slatah: f64,
    /// Σ CPU lost to migrations / Σ CPU requested (CloudSim's "SLA perf degradation due to migration").
    pub pdm: f64,
    pub slav: f64,
    /// Energy (kWh) × SLAV.
    pub esv: f64,
    /// The paper's SLATAH: the mean over hosts of each host's violation time / active time.
    pub slatah_mean: f64,
    /// The paper's PDM: the mean over VMs of each VM's CPU lost to migrations / CPU requested.
    pub pdm_mean: f64,
    pub slav_mean: f64,
    /// Σ (requested − allocated) / Σ requested over all VMs (CloudSim's "overall SLA violation").
    pub sla_violation_overall: f64,
    /// Hosts going from active to inactive (CloudSim counts hosts empty at their first update too).
    pub host_shutdowns: u64,
    pub mean_time_before_host_shutdown_s: f64,
    pub mean_time_before_migration_s: f64,
    /// Neat's AOTF: active host time above 80 % utilisation / active host time.
    pub aotf: f64,
    /// Neat's AITF: host time with no VM (idle, off or asleep) / host time.
    pub aitf: f64,
}

impl RunMetrics {
    pub fn columns(&self) -> Vec<(&'static str, MetricValue)> {
        use MetricValue::{Count, Real};
        let counters = &self.counters;
        let lifecycle = &self.lifecycle;
        vec![
            ("vms_arrived", Count(counters.vms_arrived)),
            ("vms_placed", Count(counters.vms_placed)),
            ("vms_rejected", Count(counters.vms_rejected)),
            ("vms_queued", Count(counters.vms_queued)),
            ("vms_departed_while_queued", Count(counters.vms_departed_while_queued)),
            ("vms_evicted", Count(counters.vms_evicted)),
            ("vms_removed_zero_demand", Count(counters.vms_removed_zero_demand)),
            ("rejection_rate", Real(ratio(counters.vms_rejected, counters.vms_arrived))),
            ("peak_concurrent_vms", Count(self.peak_concurrent_vms)),
            ("mean_active_hosts", Real(self.mean_active_hosts)),
            ("peak_active_hosts", Count(self.peak_active_hosts)),
            ("booked_vcpu_ratio_mean", Real(self.booked_vcpu_ratio_mean)),
            ("booked_vcpu_ratio_p95", Real(self.booked_vcpu_ratio_p95)),
            ("booked_ram_ratio_mean", Real(self.booked_ram_ratio_mean)),
            ("booked_ram_ratio_p95", Real(self.booked_ram_ratio_p95)),
            ("demand_over_capacity", Real(self.demand_over_capacity)),
            ("energy_kwh", Real(self.energy_kwh)),
            ("slatah", Real(self.sla.slatah)),
            ("pdm", Real(self.sla.pdm)),
            ("slav", Real(self.sla.slav)),
            ("esv", Real(self.sla.esv)),
            ("slatah_mean", Real(self.sla.slatah_mean)),
            ("pdm_mean", Real(self.sla.pdm_mean)),
            ("slav_mean", Real(self.sla.slav_mean)),
            ("sla_violation_overall", Real(self.sla.sla_violation_overall)),
            ("migrations", Count(counters.migrations)),
            ("migration_model", MetricValue::Text(self.migration.model)),
            ("migration_bytes", Count(self.migration.bytes)),
            ("mean_migration_s", Real(self.migration.mean_duration_s)),
            ("mean_migration_wait_s", Real(self.migration.mean_wait_s)),
            ("mean_downtime_ms", Real(self.migration.mean_downtime_ms)),
            ("p99_downtime_ms", Real(self.migration.p99_downtime_ms)),
            ("migrations_converged", Count(self.migration.converged)),
            ("migrations_forced", Count(self.migration.forced)),
            ("migrations_auto_converged", Count(self.migration.auto_converged)),
            ("migrations_aborted", Count(self.migration.aborted)),
            ("host_shutdowns", Count(self.sla.host_shutdowns)),
            ("mean_time_before_host_shutdown_s", Real(self.sla.mean_time_before_host_shutdown_s)),
            ("mean_time_before_migration_s", Real(self.sla.mean_time_before_migration_s)),
            ("aotf", Real(self.sla.aotf)),
            ("aitf", Real(self.sla.aitf)),
            ("overload_time_fraction", Real(self.overload_time_fraction)),
            ("memory_overload_time_fraction", Real(self.oversubscription.memory_overload_time_fraction)),
            ("over_capacity_time_fraction", Real(self.oversubscription.over_capacity_time_fraction)),
            ("over_capacity_host_h", Real(self.oversubscription.over_capacity_host_h)),
            ("oversubscription_ratio_mean", Real(self.oversubscription.ratio_mean)),
            ("oversubscription_ratio_p95", Real(self.oversubscription.ratio_p95)),
            ("memory_oversubscription_ratio_mean", Real(self.oversubscription.memory_ratio_mean)),
            ("mispredictions", Real(self.oversubscription.mispredictions)),
            ("violations", Real(self.oversubscription.violations)),
            ("decreases", Real(self.oversubscription.decreases)),
            ("cold_migrations", Count(counters.cold_migrations)),
            ("migration_failures", Count(counters.migration_failures)),
            ("unshelve_failures", Count(counters.unshelve_failures)),
            ("events_failed", Count(lifecycle.events_failed)),
            ("events_duplicate", Count(lifecycle.events_duplicate)),
            ("events_orphaned", Count(lifecycle.events_orphaned)),
            ("events_inconsistent", Count(lifecycle.events_inconsistent)),
            ("events_out_of_state", Count(lifecycle.events_out_of_state)),
            ("resize_events", Count(lifecycle.resize_events)),
            ("instances_preexisting", Count(lifecycle.instances_preexisting)),
            ("deletes_without_create", Count(lifecycle.deletes_without_create)),
            ("instances_without_flavor", Count(lifecycle.instances_without_flavor)),
            ("simulated_days", Real(self.simulated_days)),
            ("events", Count(counters.events)),
            ("ticks", Count(counters.ticks)),
            ("wall_s", Real(self.wall_s)),
        ]
    }
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], 95) = 3.85
        assert!((percentile(&mut [4.0, 1.0, 3.0, 2.0], 95.0) - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&mut [], 95.0), 0.0);
        assert_eq!(percentile(&mut [7.0], 50.0), 7.0);
    }

    #[test]
    fn integrals_weight_by_duration() {
        let mut integrals = Integrals::default();
        let busy = HostSnapshot {
            active: 2.0,
            power_w: 100.0,
            capacity_vcpus: 10.0,
            capacity_memory_mb: 1.0,
            booked_vcpus: 5.0,
            ..Default::default()
        };
        integrals.accumulate(&busy, 3_000);
        integrals
            .accumulate(&HostSnapshot { capacity_vcpus: 10.0, capacity_memory_mb: 1.0, ..Default::default() }, 1_000);
        assert_eq!(integrals.elapsed_ms, 4_000.0);
        assert_eq!(integrals.active_host_ms / integrals.elapsed_ms, 1.5);
        assert_eq!(integrals.energy_wms, 300_000.0);
        assert_eq!(integrals.booked_vcpu_ratio_ms / integrals.ratio_ms, 0.375);
    }
}
