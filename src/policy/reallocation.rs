//! Placement of VMs that consolidation moves (the arrival placements are in [`crate::policy::placement`]).
//!
//! `pabfd`: CloudSim's power-aware best fit decreasing. `bfd`: Neat's best fit decreasing with CPU and RAM
//! thresholds. Both place on the consolidation round's view of the fleet ([`Round`]), which already reflects
//! the round's earlier decisions, and both are all-or-nothing when asked to be.

pub mod bfd;
pub mod pabfd;
pub mod ranking;

use serde::{Deserialize, Serialize};

use crate::consolidation::round::Round;
use crate::fleet::{HostId, VmId};
use crate::policy::overload::OverloadDetector;

/// How a set of VMs is to be placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlacementRequest<'a> {
    /// Hosts that may not receive a VM (the hosts being relieved, and any the caller excludes).
    pub excluded: &'a [bool],
    /// Place every VM or none (underload evacuation; Neat always).
    pub all_or_nothing: bool,
    /// Whether empty (switched off or sleeping) hosts may be woken to take VMs (Neat: overload path only).
    pub may_activate: bool,
    /// `excluded` already excludes every idle host (CloudSim's evacuation excludes switched-off hosts): lets
    /// placement skip them without looking.
    pub idle_excluded: bool,
}

pub trait Reallocation: Send {
    /// Chooses a host for each VM of `vms` (in the order the algorithm sorts them), records each choice in
    /// `round`, and returns the choices. When `all_or_nothing` and a VM fits nowhere, nothing is recorded and
    /// the result is empty.
    fn place(
        &self,
        round: &mut Round,
        detector: &dyn OverloadDetector,
        vms: &[VmId],
        request: PlacementRequest,
    ) -> Vec<(VmId, HostId)>;
}

/// `consolidation.placement = { kind = "pabfd" }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReallocationConfig {
    /// Power-aware best fit decreasing: VMs by current CPU, descending; each to the host whose power grows
    /// least, among hosts not overloaded after the allocation (empty hosts exempt from that check).
    Pabfd {},
    /// Neat's best fit decreasing: hosts' free CPU below `cpu_threshold` and free RAM below `ram_threshold`
    /// of their capacity; VMs by mean CPU of their last `last_n` samples, descending.
    Bfd {
        #[serde(default = "default_cpu_threshold")]
        cpu_threshold: f64,
        #[serde(default = "default_ram_threshold")]
        ram_threshold: f64,
        #[serde(default = "default_last_n")]
        last_n: usize,
    },
}

fn default_cpu_threshold() -> f64 {
    0.8
}
fn default_ram_threshold() -> f64 {
    0.95
}
fn default_last_n() -> usize {
    2
}

impl Default for ReallocationConfig {
    fn default() -> Self {
        ReallocationConfig::Pabfd {}
    }
}

impl ReallocationConfig {
    pub fn name(&self) -> &'static str {
        match self {
            ReallocationConfig::Pabfd {} => "pabfd",
            ReallocationConfig::Bfd { .. } => "bfd",
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if let ReallocationConfig::Bfd { cpu_threshold, ram_threshold, last_n } = *self {
            for (name, value) in [("cpu_threshold", cpu_threshold), ("ram_threshold", ram_threshold)] {
                if !(value > 0.0 && value <= 1.0) {
                    return Err(format!("consolidation.placement.{name} must be in (0, 1], got {value}"));
                }
            }
            if last_n == 0 {
                return Err("consolidation.placement.last_n must be at least 1 (Neat's default is 2)".to_string());
            }
        }
        Ok(())
    }

    pub fn build(&self) -> Box<dyn Reallocation> {
        match *self {
            ReallocationConfig::Pabfd {} => Box::new(pabfd::PowerAwareBestFitDecreasing),
            ReallocationConfig::Bfd { cpu_threshold, ram_threshold, last_n } => {
                Box::new(bfd::BestFitDecreasing { cpu_threshold, ram_threshold, last_n })
            }
        }
    }
}
