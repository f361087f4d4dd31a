//! Dynamic consolidation: at each monitoring tick, find overloaded and underloaded hosts, choose the VMs to move
//! and where, and hand the simulation the migrations to start.
//!
//! The decisions are the policies' (`policy::{overload, underload, selection, reallocation}`); how they are
//! combined is the semantics': [`cloudsim`] reproduces CloudSim 3.0.3's `optimizeAllocation`, [`neat`] Neat's
//! local and global managers. Both work on a [`round::Round`], a scratch view of the fleet.

pub mod cloudsim;
pub mod free_mips;
pub mod neat;
pub mod round;
#[cfg(test)]
pub(crate) mod testing;

use rand::SeedableRng;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use crate::fleet::{Fleet, HostId, VmId};
use crate::migration::{MigrationConfig, MigrationReason};
use crate::policy::overload::{OverloadConfig, OverloadDetector};
use crate::policy::reallocation::{Reallocation, ReallocationConfig};
use crate::policy::selection::{SelectionConfig, VmSelector};
use crate::policy::underload::{UnderloadConfig, UnderloadDetector};
use crate::policy::Semantics;

/// `[consolidation]` in a scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsolidationConfig {
    #[serde(default)]
    pub semantics: Semantics,
    #[serde(default)]
    pub overload: OverloadConfig,
    #[serde(default)]
    pub underload: UnderloadConfig,
    #[serde(default)]
    pub selection: SelectionConfig,
    #[serde(default)]
    pub placement: ReallocationConfig,
}

impl ConsolidationConfig {
    /// Does this configuration ever move a VM?
    pub fn enabled(&self) -> bool {
        self.overload != OverloadConfig::Never {} || self.underload != UnderloadConfig::Never {}
    }

    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        self.overload.validate().map_err(|message| ("consolidation.overload", message))?;
        self.underload.validate().map_err(|message| ("consolidation.underload", message))?;
        self.selection.validate().map_err(|message| ("consolidation.selection", message))?;
        self.placement.validate().map_err(|message| ("consolidation.placement", message))?;
        if self.semantics == Semantics::Cloudsim
            && matches!(self.underload, UnderloadConfig::Threshold { .. } | UnderloadConfig::LastNAverage { .. })
        {
            return Err((
                "consolidation.underload",
                "cloudsim semantics has no underload threshold: use { kind = \"least_utilized\" } (CloudSim's sweep) \
                 or { kind = \"never\" }, or choose semantics = \"neat\""
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// History values kept per VM: CloudSim's `PowerVm.HISTORY_LENGTH` (30), Neat's `data_collector_data_length`
    /// (100).
    pub fn history_length(&self) -> usize {
        match self.semantics {
            Semantics::Cloudsim => 30,
            Semantics::Neat => 100,
        }
    }
}

/// What one consolidation round did, as `rounds.arrow` counts it (CloudSim's `optimizeAllocation` steps).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundStats {
    /// Hosts the overload detector flagged.
    pub overloaded_hosts: u32,
    /// VMs the selector took from them.
    pub vms_selected_overload: u32,
    /// Those of them placed elsewhere: the round's first migrations.
    pub migrations_overload: u32,
    /// Underloaded hosts the round tried to empty (CloudSim: every host its least-utilised search picked).
    pub hosts_underload_tried: u32,
    /// Those whose VMs were all placed elsewhere.
    pub hosts_underload_evacuated: u32,
    /// Migrations from them.
    pub migrations_underload: u32,
    /// VMs the round moved twice (CloudSim: placed from an overloaded host, then moved on with the underloaded
    /// host it landed on).
    pub vms_migrated_twice: u32,
}

/// A run's consolidation policies, built from [`ConsolidationConfig`].
pub struct Consolidator {
    pub semantics: Semantics,
    pub detector: Box<dyn OverloadDetector>,
    pub underload: Option<Box<dyn UnderloadDetector>>,
    /// CloudSim's least-utilised sweep instead of a per-host underload test.
    pub least_utilized: bool,
    pub selector: Box<dyn VmSelector>,
    pub placement: Box<dyn Reallocation>,
    pub rng: Pcg64,
    pub history_length: usize,
    /// The last round's hosts, whose buffers the next round reuses.
    round_hosts: Vec<round::RoundHost>,
    /// What the last round did.
    pub last_round: RoundStats,
    /// Why each of the last round's migrations was decided, in the order [`Consolidator::plan`] returned them.
    pub last_reasons: Vec<MigrationReason>,
}

impl Consolidator {
    pub fn new(config: &ConsolidationConfig, seed: u64) -> Consolidator {
        Consolidator {
            semantics: config.semantics,
            detector: config.overload.build(config.semantics),
            underload: config.underload.build(),
            least_utilized: config.underload == (UnderloadConfig::LeastUtilized {}),
            selector: config.selection.build(config.semantics),
            placement: config.placement.build(),
            rng: Pcg64::seed_from_u64(seed),
            history_length: config.history_length(),
            round_hosts: Vec::new(),
            last_round: RoundStats::default(),
            last_reasons: Vec::new(),
        }
    }

    /// The most VMs each host's CloudSim scheduler map has held during the rounds so far (the round's probes hold
    /// one more than the host lists): [`free_mips`], for the simulation's [`crate::fleet::Host::most_listed`].
    pub fn scheduler_map_peaks(&self) -> impl Iterator<Item = usize> + '_ {
        self.round_hosts.iter().map(round::RoundHost::peak_listed)
    }

    /// The migrations to start now, in order: (VM, target host). A VM may appear twice (CloudSim issues both
    /// moves when a host that just received a VM is then evacuated).
    pub fn plan(
        &mut self,
        fleet: &Fleet,
        utilization_mips: &[f64],
        migration: &MigrationConfig,
        interval_s: f64,
    ) -> Vec<(VmId, HostId)> {
        let hosts = std::mem::take(&mut self.round_hosts);
        let (semantics, history_length) = (self.semantics, self.history_length);
        let mut round =
            round::Round::reusing(hosts, fleet, semantics, migration, interval_s, history_length, utilization_mips);
        self.last_round = RoundStats::default();
        self.last_reasons.clear();
        let migrations = match self.semantics {
            Semantics::Cloudsim => cloudsim::plan(self, &mut round),
            Semantics::Neat => neat::plan(self, &mut round),
        };
        self.round_hosts = round.into_hosts();
        let mut vms: Vec<VmId> = migrations.iter().map(|&(vm, _)| vm).collect();
        vms.sort_unstable();
        self.last_round.vms_migrated_twice = vms.windows(2).filter(|pair| pair[0] == pair[1]).count() as u32;
        migrations
    }
}
