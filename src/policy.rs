//! Pluggable decisions. Each kind of decision is a trait file with a closed, serde-tagged config enum, and a
//! folder with one file per algorithm. Policies only read what they are shown; the simulation applies what they
//! decide.

pub mod overload;
pub mod oversubscription;
pub mod placement;
pub mod reallocation;
pub mod selection;
pub mod total_order;
pub mod underload;

use serde::{Deserialize, Serialize};

/// Which reference system's behaviour a run reproduces where OpenStack Neat and CloudSim differ
/// (`../shared/reference/consolidation-algorithms.md` §5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Semantics {
    /// CloudSim 3.0.3's power package: requested-MIPS utilisation, 0.7 fallback threshold, LR as unweighted OLS
    /// on the last 10 values (LRR equal to LR), VMs selected until the host is no longer overloaded.
    Cloudsim,
    /// OpenStack Neat on a live cloud: measured utilisation, tricube-weighted LR/LRR, one VM per overload event.
    #[default]
    Neat,
}
