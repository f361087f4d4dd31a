//! Migration models: how a live migration of a VM runs, given what the VM is doing and the share of the link it
//! gets. One trait, [`MigrationModel`], and one file per model:
//!
//! - [`ram_over_bandwidth`]: CloudSim's and Neat's model, the whole RAM sent once over the link's share for
//!   migrations; the VM runs throughout (no downtime), links are never shared and migrations never wait;
//! - [`pre_copy`]: KVM's pre-copy: rounds that resend the pages the guest dirtied meanwhile, a stop-and-copy
//!   downtime once the rest fits within the maximum downtime, or a forced stop, an abort or auto-converge when it
//!   never does; migrations share their hosts' links and wait for a free slot ([`links`]).
//!
//! Units: a VM's `memory_mb` is MiB (2^20 bytes, as Nova counts it), and a link of `bandwidth_mbit_s` moves
//! `bandwidth_mbit_s / 8` MB per second, as CloudSim and Neat read it (Neat's 10 MB/s is 80 Mbit/s), so that both
//! models send a VM's RAM in the same time.

pub mod links;
pub mod pre_copy;
pub mod ram_over_bandwidth;

use serde::{Deserialize, Serialize};

use crate::fleet::Vm;
use crate::time::SimTime;

pub use pre_copy::{NonConvergence, PreCopy};
pub use ram_over_bandwidth::RamOverBandwidth;

/// Bytes in one MB of VM memory (MiB).
pub const BYTES_PER_MB: f64 = 1_048_576.0;

/// What a migration model needs to know of the VM it moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MigratingVm {
    /// The flavor's RAM: what the first round sends.
    pub memory_mb: u64,
    pub vcpus: u32,
    /// CPU demand as a fraction of the VM's capacity (0 when not running).
    pub cpu_demand: f64,
    /// The scenario's own dirtying rate for this VM (pages per second per vCPU at full load), if it gives one.
    pub dirty_pages_per_s: Option<f64>,
}

impl MigratingVm {
    pub fn of(vm: &Vm) -> MigratingVm {
        MigratingVm {
            memory_mb: vm.flavor.memory_mb,
            vcpus: vm.flavor.vcpus,
            cpu_demand: vm.demand_fraction.clamp(0.0, 1.0),
            dirty_pages_per_s: vm.dirty_pages_per_s,
        }
    }
}

/// A VM's last migration-time estimate and what it was computed from (demand, RAM, vCPUs).
#[derive(Clone, Debug)]
pub struct EstimateMemo(std::cell::Cell<((f64, u64, u32), f64)>);

impl Default for EstimateMemo {
    fn default() -> Self {
        EstimateMemo(std::cell::Cell::new(((f64::NAN, 0, 0), 0.0)))
    }
}

impl EstimateMemo {
    /// The remembered estimate if it was computed from `key`, else `compute()`'s, remembered.
    fn get_or(&self, key: (f64, u64, u32), compute: impl FnOnce() -> f64) -> f64 {
        let (known, estimate) = self.0.get();
        if known == key {
            return estimate;
        }
        let estimate = compute();
        self.0.set((key, estimate));
        estimate
    }
}

/// Why consolidation decided a migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationReason {
    /// To relieve an overloaded host.
    Overload,
    /// To empty an underloaded host.
    Underload,
}

impl MigrationReason {
    /// The name in `migrations.arrow`.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationReason::Overload => "overload",
            MigrationReason::Underload => "underload",
        }
    }
}

/// How a migration ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationOutcome {
    /// The remaining dirty memory fitted within the maximum downtime: a short stop-and-copy.
    Converged,
    /// It never converged: the VM was paused and the rest copied (a long downtime).
    Forced,
    /// It never converged: cancelled; the VM stays on its source.
    Aborted,
    /// It converged once the guest's CPU was throttled (KVM's auto-converge).
    AutoConverged,
}

impl MigrationOutcome {
    /// The name in `migrations.arrow`.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationOutcome::Converged => "converged",
            MigrationOutcome::Forced => "forced",
            MigrationOutcome::Aborted => "aborted",
            MigrationOutcome::AutoConverged => "auto-converged",
        }
    }

    /// Does the VM end on its target?
    pub fn moves_the_vm(self) -> bool {
        self != MigrationOutcome::Aborted
    }
}

/// How one migration runs, decided when it starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MigrationPlan {
    /// From the start to the VM running on its target (or, aborted, to the cancellation).
    pub duration_s: f64,
    /// Pre-copy rounds (the first sends all the memory; the stop-and-copy is not a round).
    pub rounds: u32,
    /// Memory sent, stop-and-copy included.
    pub sent_mb: f64,
    /// Time the VM ran nowhere (the stop-and-copy).
    pub downtime_s: f64,
    pub outcome: MigrationOutcome,
    /// The VM's CPU lost to this migration beyond `cpu_penalty`, as a fraction of its demand averaged over the
    /// migration's duration: the downtime (all of it lost) and auto-converge's throttling. 0 for RAM/bandwidth.
    pub extra_loss_fraction: f64,
}

impl MigrationPlan {
    /// The duration in simulated time (milliseconds, rounded to the nearest).
    pub fn duration(&self) -> SimTime {
        SimTime((self.duration_s * 1000.0).round() as i64)
    }

    /// Bytes sent, rounded to whole bytes.
    pub fn bytes(&self) -> u64 {
        (self.sent_mb * BYTES_PER_MB).round() as u64
    }
}

/// How concurrent migrations use their hosts' links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPolicy {
    /// Every migration gets the whole migration bandwidth and starts at once (CloudSim, Neat).
    Independent,
    /// A host's link is shared by the migrations into and out of it, and at most `max_concurrent_per_host`
    /// (0: no limit) run on a host at once; the others wait (Nova's `max_concurrent_live_migrations`).
    Shared { max_concurrent_per_host: u32 },
}

pub trait MigrationModel {
    /// The model's name in the `migration_model` column: `ram-over-bandwidth` or `pre-copy`.
    fn label(&self) -> &'static str;

    /// Fraction of a migrating VM's CPU lost while its memory is copied (counted in PDM).
    fn cpu_penalty(&self) -> f64;

    /// Seconds moving `vm` would take if it started now alone on its link: what policies weigh (MMT, the
    /// detectors' migration time).
    fn estimated_duration_s(&self, vm: &MigratingVm) -> f64;

    /// How moving `vm` runs with `link_fraction` (in (0, 1]) of the migration bandwidth.
    fn plan(&self, vm: &MigratingVm, link_fraction: f64) -> MigrationPlan;

    fn links(&self) -> LinkPolicy;
}

/// `[migration]` in a scenario: `kind = "ram_over_bandwidth"` (the default) or `kind = "pre_copy"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MigrationConfig {
    RamOverBandwidth(RamOverBandwidth),
    PreCopy(PreCopy),
}

pub(crate) fn default_bandwidth_mbit_s() -> f64 {
    1000.0
}
pub(crate) fn default_share() -> f64 {
    0.5
}
pub(crate) fn default_cpu_penalty() -> f64 {
    0.1
}

impl Default for MigrationConfig {
    fn default() -> Self {
        MigrationConfig::RamOverBandwidth(RamOverBandwidth::default())
    }
}

impl MigrationConfig {
    /// The scenario's `kind`.
    pub fn name(&self) -> &'static str {
        match self {
            MigrationConfig::RamOverBandwidth(_) => "ram_over_bandwidth",
            MigrationConfig::PreCopy(_) => "pre_copy",
        }
    }

    pub fn model(&self) -> &dyn MigrationModel {
        match self {
            MigrationConfig::RamOverBandwidth(model) => model,
            MigrationConfig::PreCopy(model) => model,
        }
    }

    /// Checks every field; the message names the field (`migration.<field>`) and what it accepts.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            MigrationConfig::RamOverBandwidth(model) => model.validate(),
            MigrationConfig::PreCopy(model) => model.validate(),
        }
    }

    // The consolidation round asks for estimates once per VM and host it looks at, and every host update for
    // the penalty: a `match` the compiler can inline rather than a call through `model()`.

    /// [`MigrationModel::estimated_duration_s`].
    pub fn estimated_duration_s(&self, vm: &MigratingVm) -> f64 {
        match self {
            MigrationConfig::RamOverBandwidth(model) => model.estimated_duration_s(vm),
            MigrationConfig::PreCopy(model) => model.estimated_duration_s(vm),
        }
    }

    /// [`MigrationConfig::estimated_duration_s`] of fleet VM `vm`, remembered in the VM until its demand or
    /// flavor changes: a consolidation round asks for the same VM's estimate once per host it tries it on.
    pub fn estimated_duration_of(&self, vm: &Vm) -> f64 {
        match self {
            MigrationConfig::RamOverBandwidth(model) => model.estimated_duration_s(&MigratingVm::of(vm)),
            MigrationConfig::PreCopy(model) => {
                let key = (vm.demand_fraction, vm.flavor.memory_mb, vm.flavor.vcpus);
                vm.migration_estimate.get_or(key, || model.estimated_duration_s(&MigratingVm::of(vm)))
            }
        }
    }

    /// [`MigrationModel::cpu_penalty`].
    pub fn cpu_penalty(&self) -> f64 {
        match self {
            MigrationConfig::RamOverBandwidth(model) => model.cpu_penalty(),
            MigrationConfig::PreCopy(model) => model.cpu_penalty(),
        }
    }
}

/// Checks shared by both models: a positive bandwidth, a share in (0, 1], a penalty in [0, 1).
pub(crate) fn validate_link(bandwidth_mbit_s: f64, share: f64, cpu_penalty: f64) -> Result<(), String> {
    if !(bandwidth_mbit_s.is_finite() && bandwidth_mbit_s > 0.0) {
        return Err(format!(
            "migration.bandwidth_mbit_s must be a positive number of megabits per second (1000 for a 1 Gbit/s \
             link), got {bandwidth_mbit_s}"
        ));
    }
    if !(share > 0.0 && share <= 1.0) {
        return Err(format!(
            "migration.share must be in (0, 1] (the fraction of the link migrations may use), got {share}"
        ));
    }
    if !(0.0..1.0).contains(&cpu_penalty) {
        return Err(format!(
            "migration.cpu_penalty must be in [0, 1) (the fraction of a moving VM's CPU lost), got {cpu_penalty}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_parse_with_their_defaults_and_unknown_fields_are_errors() {
        let parse = |text: &str| toml::from_str::<MigrationConfig>(text);
        assert_eq!(parse("kind = \"ram_over_bandwidth\"").unwrap(), MigrationConfig::default());
        let MigrationConfig::PreCopy(pre_copy) = parse("kind = \"pre_copy\"").unwrap() else { panic!() };
        assert_eq!(pre_copy, PreCopy::default());
        assert_eq!(pre_copy.max_downtime_ms, 300.0);
        let error = parse("kind = \"pre_copy\"\nmax_downtime = 1").unwrap_err().to_string();
        assert!(error.contains("unknown field `max_downtime`"), "{error}");
        let error = parse("kind = \"pre_copy\"\non_non_convergence = \"retry\"").unwrap_err().to_string();
        assert!(error.contains("unknown variant `retry`") && error.contains("auto_converge"), "{error}");
    }

    #[test]
    fn labels_are_kebab_case_kinds_are_snake_case() {
        let pre_copy = MigrationConfig::PreCopy(PreCopy::default());
        assert_eq!(
            (MigrationConfig::default().name(), MigrationConfig::default().model().label()),
            ("ram_over_bandwidth", "ram-over-bandwidth")
        );
        assert_eq!((pre_copy.name(), pre_copy.model().label()), ("pre_copy", "pre-copy"));
    }
}
