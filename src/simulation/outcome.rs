//! A finished run's metrics, from the integrals, the counters and the ledgers.

use crate::metrics::{percentile, OversubscriptionMetrics, RunMetrics, SlaMetrics};
use crate::policy::Semantics;
use crate::simulation::{RunOutcome, Simulation};
use crate::time::MS_PER_HOUR;

/// W·ms → kWh: / 1000 (ms → s) / 3600 (s → h) / 1000 (W → kW).
pub(super) const WMS_PER_KWH: f64 = 3.6e9;

impl Simulation<'_> {
    pub(super) fn finish(mut self) -> RunOutcome {
        // VMs still waiting when the trace ends were never placed: they count as rejected.
        self.counters.vms_rejected += self.waiting.len() as u64;
        let integrals = &self.integrals;
        let per_elapsed = |value: f64| if integrals.elapsed_ms > 0.0 { value / integrals.elapsed_ms } else { 0.0 };
        let energy_kwh = self.energy_wms() / WMS_PER_KWH;
        let log = std::mem::take(&mut self.live.log);
        let (migration, rows) = log.finish();
        if let (Some(series), Some(rows)) = (self.timeseries.as_mut(), rows) {
            series.migrations = rows;
        }
        if self.scenario.vm_rows {
            let vms = self.vm_samples();
            if let Some(series) = self.timeseries.as_mut() {
                series.vms = vms;
            }
        }
        let metrics = RunMetrics {
            counters: self.counters,
            lifecycle: self.workload.lifecycle,
            simulated_days: self.workload.end.as_ms() as f64 / (24.0 * MS_PER_HOUR as f64),
            peak_concurrent_vms: integrals.peak_vms.round() as u64,
            mean_active_hosts: per_elapsed(integrals.active_host_ms),
            peak_active_hosts: integrals.peak_active_hosts.round() as u64,
            booked_vcpu_ratio_mean: ratio(integrals.booked_vcpu_ratio_ms, integrals.ratio_ms),
            booked_vcpu_ratio_p95: percentile(&mut self.booked_vcpu_samples, 95.0),
            booked_ram_ratio_mean: ratio(integrals.booked_memory_ratio_ms, integrals.ratio_ms),
            booked_ram_ratio_p95: percentile(&mut self.booked_memory_samples, 95.0),
            demand_over_capacity: ratio(integrals.demand_core_ms, integrals.capacity_core_ms),
            energy_kwh,
            overload_time_fraction: ratio(integrals.overloaded_host_ms, integrals.active_host_ms),
            oversubscription: self.oversubscription_metrics(),
            sla: self.sla_metrics(energy_kwh),
            migration,
            wall_s: 0.0,
        };
        RunOutcome { metrics, timeseries: self.timeseries }
    }

    /// The energy used so far, in W·ms.
    pub(super) fn energy_wms(&self) -> f64 {
        if !self.scenario.power_aware && self.semantics == Semantics::Cloudsim {
            // CloudSim's NPA (`PowerDatacenterNonPowerAware`): every host at full power from the start to the last
            // update.
            let until_ms = self.last_update.map_or(0, |time| time.as_ms()) as f64;
            self.fleet.hosts.iter().map(|host| host.power.watts(1.0) * until_ms).sum()
        } else if !self.scenario.power_aware {
            // Every host at full power all the time.
            self.integrals.max_energy_wms
        } else if self.semantics == Semantics::Cloudsim {
            self.host_ledgers.iter().map(|ledger| ledger.trapezoid_energy_wms).sum()
        } else {
            self.integrals.energy_wms
        }
    }

    fn oversubscription_metrics(&self) -> OversubscriptionMetrics {
        let (integrals, ledger) = (&self.integrals, &self.estimation.ledger);
        OversubscriptionMetrics {
            ratio_mean: ledger.ratio_mean(),
            ratio_p95: ledger.ratio_p95(),
            memory_ratio_mean: ledger.memory_ratio_mean(),
            mispredictions: ledger.mispredictions,
            violations: ledger.violations,
            decreases: ledger.decreases,
            memory_overload_time_fraction: ratio(integrals.memory_overloaded_host_ms, integrals.active_host_ms),
            over_capacity_time_fraction: ratio(integrals.over_capacity_host_ms, integrals.active_host_ms),
            over_capacity_host_h: integrals.over_capacity_host_ms / MS_PER_HOUR as f64,
        }
    }

    fn sla_metrics(&self, energy_kwh: f64) -> SlaMetrics {
        let hosts = &self.host_ledgers;
        let vms = &self.vm_ledgers;
        let sum = |values: &mut dyn Iterator<Item = f64>| values.sum::<f64>();
        let active_ms = sum(&mut hosts.iter().map(|host| host.active_ms));
        let slatah = ratio(sum(&mut hosts.iter().map(|host| host.violation_ms)), active_ms);
        let requested = sum(&mut vms.iter().map(|vm| vm.requested_mips_ms));
        let allocated = sum(&mut vms.iter().map(|vm| vm.allocated_mips_ms));
        let pdm = ratio(sum(&mut vms.iter().map(|vm| vm.migration_loss_mips_ms)), requested);
        let slatah_mean =
            mean(hosts.iter().filter(|host| host.active_ms > 0.0).map(|host| host.violation_ms / host.active_ms));
        let pdm_mean = mean(
            vms.iter()
                .filter(|vm| vm.requested_mips_ms > 0.0)
                .map(|vm| vm.migration_loss_mips_ms / vm.requested_mips_ms),
        );
        let shutdowns: u64 = hosts.iter().map(|host| host.shutdowns()).sum();
        let migrations: u64 = vms.iter().map(|vm| vm.migrations()).sum();
        SlaMetrics {
            slatah,
            pdm,
            slav: slatah * pdm,
            esv: energy_kwh * slatah * pdm,
            slatah_mean,
            pdm_mean,
            slav_mean: slatah_mean * pdm_mean,
            sla_violation_overall: ratio(requested - allocated, requested),
            host_shutdowns: shutdowns,
            mean_time_before_host_shutdown_s: ratio(
                sum(&mut hosts.iter().map(|host| host.active_before_shutdown_ms())),
                shutdowns as f64,
            ) / 1000.0,
            mean_time_before_migration_s: ratio(
                sum(&mut vms.iter().map(|vm| vm.time_before_migration_ms())),
                migrations as f64,
            ) / 1000.0,
            aotf: ratio(sum(&mut hosts.iter().map(|host| host.overload_ms)), active_ms),
            aitf: ratio(self.integrals.present_host_ms - self.integrals.active_host_ms, self.integrals.present_host_ms),
        }
    }
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        0.0
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut count) = (0.0, 0usize);
    for value in values {
        sum += value;
        count += 1;
    }
    ratio(sum, count as f64)
}
