//! `vms.arrow` (`[output] vms = true`): one row per VM of the workload: where it was first placed and when,
//! where it ended, how many migrations moved it, and whether it left by CloudSim's zero-demand removal. The
//! first host is how an initial placement is compared VM by VM (CloudSim's, in `tests/cloudsim_reference.rs`).

use crate::fleet::{HostId, VmId, VmStatus};
use crate::simulation::Simulation;
use crate::time::SimTime;

/// What the run records of each VM while it goes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct VmTrack {
    first: Option<(HostId, SimTime)>,
    removed: Option<SimTime>,
    migrations: u32,
}

/// One row of `vms.arrow`.
#[derive(Clone, Debug, PartialEq)]
pub struct VmSample {
    pub vm: VmId,
    /// The instance's id in the trace (a PlanetLab VM: its file's name).
    pub instance: String,
    pub first_host: Option<HostId>,
    pub first_placed_s: Option<f64>,
    /// Its host when the run ended, if it had one.
    pub last_host: Option<HostId>,
    /// `pending`, `queued`, `running`, `off`, `shelved`, `rejected`, `departed` or `removed_zero_demand`.
    pub status: &'static str,
    /// When CloudSim's zero-demand removal took it (`workload.zero_demand = "remove"`).
    pub removed_s: Option<f64>,
    /// Live migrations issued for it (counted as `runs.arrow` counts them).
    pub migrations: u32,
}

impl Simulation<'_> {
    /// Notes a VM's placement (its first one only).
    pub(super) fn track_placement(&mut self, vm: VmId, host: HostId) {
        if let Some(track) = self.vm_tracks.get_mut(vm as usize) {
            track.first.get_or_insert((host, self.now));
        }
    }

    pub(super) fn track_removal(&mut self, vm: VmId) {
        if let Some(track) = self.vm_tracks.get_mut(vm as usize) {
            track.removed = Some(self.now);
        }
    }

    pub(super) fn track_migration(&mut self, vm: VmId) {
        if let Some(track) = self.vm_tracks.get_mut(vm as usize) {
            track.migrations += 1;
        }
    }

    /// The rows, when the scenario records them.
    pub(super) fn vm_samples(&self) -> Vec<VmSample> {
        self.vm_tracks
            .iter()
            .enumerate()
            .map(|(index, track)| {
                let entry = &self.fleet.vms[index];
                let status = match entry.status {
                    _ if track.removed.is_some() => "removed_zero_demand",
                    VmStatus::Pending => "pending",
                    VmStatus::Queued { .. } => "queued",
                    VmStatus::Running => "running",
                    VmStatus::Off => "off",
                    VmStatus::Shelved => "shelved",
                    VmStatus::Rejected => "rejected",
                    VmStatus::Departed => "departed",
                };
                VmSample {
                    vm: index as VmId,
                    instance: self.workload.instances.instances[index].uuid.clone(),
                    first_host: track.first.map(|(host, _)| host),
                    first_placed_s: track.first.map(|(_, time)| time.as_secs_f64()),
                    last_host: entry.host,
                    status,
                    removed_s: track.removed.map(SimTime::as_secs_f64),
                    migrations: track.migrations,
                }
            })
            .collect()
    }
}
