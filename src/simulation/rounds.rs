//! `rounds.arrow` (`[output] rounds = true`): one row per monitoring tick, each a consolidation round, with the
//! columns of CloudSim's per-round trace (`PowerDatacenter.updateCloudletProcessing`): the fleet after the
//! tick's update, what the round decided, and the energy and SLA time accumulated so far. In `cloudsim`
//! semantics a first row at 0 s describes the fleet as its VMs were created, before any update.

use crate::consolidation::RoundStats;
use crate::simulation::Simulation;

/// One row of `rounds.arrow`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RoundSample {
    pub time_s: f64,
    /// Hosts with CPU in use after the update (in the 0 s row: hosts holding VMs).
    pub active_hosts: u32,
    /// Hosts with a VM listed (running there or migrating in).
    pub hosts_with_vms: u32,
    /// VMs placed on a host after the update.
    pub vms_alive: u32,
    /// VMs removed at 0 demand since the previous row (`workload.zero_demand = "remove"`).
    pub vms_removed_zero_demand: u32,
    pub round: RoundStats,
    /// Energy since the previous row, and since the start, in kWh.
    pub interval_energy_kwh: f64,
    pub cumulative_energy_kwh: f64,
    /// Σ over hosts of the time active with less CPU allocated than requested (SLATAH's numerator), and of the
    /// time active (its denominator), since the start, in seconds.
    pub sla_time_cumulative_s: f64,
    pub active_host_time_cumulative_s: f64,
}

impl Simulation<'_> {
    /// The fleet after the tick's update and its removals, before consolidation: the row the round completes.
    pub(super) fn round_sample(&mut self) -> RoundSample {
        let previous = self.timeseries.as_ref().and_then(|series| series.rounds.last()).copied();
        let cumulative_energy_kwh = self.energy_wms() / super::outcome::WMS_PER_KWH;
        let removed = self.counters.vms_removed_zero_demand;
        let sample = RoundSample {
            time_s: self.now.as_secs_f64(),
            active_hosts: self.fleet.hosts.iter().filter(|host| host.utilization_mips > 0.0).count() as u32,
            hosts_with_vms: self.fleet.hosts.iter().filter(|host| host.is_active()).count() as u32,
            vms_alive: self.fleet.hosts.iter().map(|host| host.vms.len() as u32).sum(),
            vms_removed_zero_demand: (removed - self.removed_at_last_round) as u32,
            round: RoundStats::default(),
            interval_energy_kwh: cumulative_energy_kwh - previous.map_or(0.0, |row| row.cumulative_energy_kwh),
            cumulative_energy_kwh,
            sla_time_cumulative_s: self.host_ledgers.iter().map(|ledger| ledger.violation_ms).sum::<f64>() / 1000.0,
            active_host_time_cumulative_s: self.host_ledgers.iter().map(|ledger| ledger.active_ms).sum::<f64>()
                / 1000.0,
        };
        self.removed_at_last_round = removed;
        sample
    }

    /// CloudSim's first row: the fleet as created, before any update (every host holding a VM counts as active).
    pub(super) fn creation_sample(&self) -> RoundSample {
        let hosts_with_vms = self.fleet.hosts.iter().filter(|host| host.is_active()).count() as u32;
        RoundSample {
            time_s: 0.0,
            active_hosts: hosts_with_vms,
            hosts_with_vms,
            vms_alive: self.fleet.hosts.iter().map(|host| host.vms.len() as u32).sum(),
            ..RoundSample::default()
        }
    }
}
