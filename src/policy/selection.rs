//! VM selection: which VM to migrate off an overloaded host.
//!
//! A selector picks one VM among the host's candidates (VMs not already migrating). How many are picked is the
//! simulation's rule, by semantics: Neat moves one VM per overload event; CloudSim selects until the host is no
//! longer overloaded.
//!
//! Every selector is deterministic given its inputs (RS: given the run's generator), and ties go to the first
//! candidate in order, as CloudSim's strict comparisons and Python's `min` do.

pub mod mc;
pub mod mmt;
pub mod mmt_max_cpu;
pub mod mu;
pub mod rs;

use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use crate::fleet::VmId;
use crate::migration::MigrationConfig;
use crate::policy::Semantics;

/// What a selector sees of one VM on the host.
#[derive(Clone, Copy, Debug)]
pub struct VmCandidate<'a> {
    pub vm: VmId,
    pub memory_mb: u64,
    /// The VM's CPU capacity (vCPUs × MIPS per vCPU): a utilisation times this is an absolute CPU use.
    pub capacity_mips: f64,
    /// CPU utilisation now, as a fraction of the VM's capacity.
    pub utilization: f64,
    /// Utilisation history as fractions of the VM's capacity, oldest first.
    pub history: &'a [f64],
    /// The migration model's estimate of how long moving it would take now.
    pub migration_time_s: f64,
}

impl<'a> VmCandidate<'a> {
    /// The candidate a selector sees of fleet VM `vm`, its migration time estimated by `migration`.
    pub fn of(vm: VmId, entry: &'a crate::fleet::Vm, migration: &MigrationConfig) -> VmCandidate<'a> {
        VmCandidate {
            vm,
            memory_mb: entry.flavor.memory_mb,
            capacity_mips: entry.capacity_mips(),
            utilization: entry.demand_fraction,
            history: &entry.history,
            migration_time_s: migration.estimated_duration_of(entry),
        }
    }
}

pub trait VmSelector: Send {
    /// The index in `candidates` of the VM to migrate, or `None` when there is none to pick.
    fn select(&mut self, candidates: &[VmCandidate], rng: &mut Pcg64) -> Option<usize>;
}

/// `selection = { kind = "mmt" }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SelectionConfig {
    /// Minimum migration time: the VM the migration model expects to move fastest (under RAM over bandwidth,
    /// the least RAM).
    Mmt {},
    /// Neat's default: among the VMs with the least RAM, the one with the highest mean CPU over its last `last_n`
    /// samples.
    MmtMaxCpu {
        #[serde(default = "default_last_n")]
        last_n: usize,
    },
    /// Minimum utilisation.
    Mu {},
    /// Random selection, from the run's seeded generator.
    Rs {},
    /// Maximum correlation: the VM whose utilisation history is best explained (R² of an OLS fit) by the other
    /// VMs' histories; minimum migration time when the fit is impossible. `fit` says how the fits are computed;
    /// by default as the semantics' reference does.
    Mc {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fit: Option<mc::McFit>,
    },
}

/// A candidate for unit tests: only the fields a selector reads matter, so the VM id is always 0; its migration
/// time is RAM over CloudSim's 62.5 MB/s.
#[cfg(test)]
pub(crate) fn test_candidate(memory_mb: u64, capacity_mips: f64, utilization: f64, history: &[f64]) -> VmCandidate<'_> {
    let migration_time_s = memory_mb as f64 / 62.5;
    VmCandidate { vm: 0, memory_mb, capacity_mips, utilization, history, migration_time_s }
}

fn default_last_n() -> usize {
    2
}

impl Default for SelectionConfig {
    fn default() -> Self {
        SelectionConfig::Mmt {}
    }
}

impl SelectionConfig {
    pub fn name(&self) -> &'static str {
        match self {
            SelectionConfig::Mmt {} => "mmt",
            SelectionConfig::MmtMaxCpu { .. } => "mmt_max_cpu",
            SelectionConfig::Mu {} => "mu",
            SelectionConfig::Rs {} => "rs",
            SelectionConfig::Mc { .. } => "mc",
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        match *self {
            SelectionConfig::MmtMaxCpu { last_n: 0 } => {
                Err("selection.last_n must be at least 1 (Neat's default is 2)".to_string())
            }
            _ => Ok(()),
        }
    }

    pub fn build(&self, semantics: Semantics) -> Box<dyn VmSelector> {
        match *self {
            SelectionConfig::Mmt {} => Box::new(mmt::MinimumMigrationTime),
            SelectionConfig::MmtMaxCpu { last_n } => Box::new(mmt_max_cpu::MmtMaxCpu { last_n }),
            SelectionConfig::Mu {} => Box::new(mu::MinimumUtilization { semantics }),
            SelectionConfig::Rs {} => Box::new(rs::RandomSelection),
            SelectionConfig::Mc { fit } => Box::new(mc::MaximumCorrelation::new(fit.unwrap_or(match semantics {
                Semantics::Cloudsim => mc::McFit::CommonsMath,
                Semantics::Neat => mc::McFit::Robust,
            }))),
        }
    }
}
