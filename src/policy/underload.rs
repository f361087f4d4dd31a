//! Underload detection: should a host be emptied (its VMs migrated away) so that it can be switched off?
//!
//! Neat asks a per-host detector (threshold, last-n average); CloudSim has no threshold and instead sweeps the
//! hosts from the least utilised up, evacuating each whose VMs all fit elsewhere ([`UnderloadConfig::LeastUtilized`],
//! carried out by the simulation because it is a procedure over the fleet, not a per-host test).

pub mod last_n_average;
pub mod threshold;

use serde::{Deserialize, Serialize};

use crate::policy::overload::HostObservation;

pub trait UnderloadDetector: Send {
    /// Is the host underloaded at this monitoring tick?
    fn is_underloaded(&mut self, observation: &HostObservation) -> bool;
}

/// `underload = { kind = "last_n_average", threshold = 0.5, n = 2 }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum UnderloadConfig {
    /// Never underloaded: hosts are never emptied on purpose.
    Never {},
    /// Neat's `threshold`: `utilization <= threshold`.
    Threshold { threshold: f64 },
    /// Neat's default `last_n_average_threshold`: `mean(last n of history) <= threshold`.
    LastNAverage {
        #[serde(default = "default_threshold")]
        threshold: f64,
        #[serde(default = "default_n")]
        n: usize,
    },
    /// CloudSim's sweep: try to evacuate the least-utilised active host, cancelling the attempt if any of its VMs
    /// fits nowhere, until every host has been tried.
    LeastUtilized {},
}

fn default_threshold() -> f64 {
    0.5
}
fn default_n() -> usize {
    2
}

impl Default for UnderloadConfig {
    fn default() -> Self {
        UnderloadConfig::Never {}
    }
}

impl UnderloadConfig {
    pub fn name(&self) -> &'static str {
        match self {
            UnderloadConfig::Never {} => "never",
            UnderloadConfig::Threshold { .. } => "threshold",
            UnderloadConfig::LastNAverage { .. } => "last_n_average",
            UnderloadConfig::LeastUtilized {} => "least_utilized",
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        match *self {
            UnderloadConfig::Never {} | UnderloadConfig::LeastUtilized {} => Ok(()),
            UnderloadConfig::Threshold { threshold } => threshold::validate(threshold),
            UnderloadConfig::LastNAverage { threshold, n } => last_n_average::validate(threshold, n),
        }
    }

    /// The per-host detector, or `None` for `never` and for CloudSim's sweep (which the simulation runs).
    pub fn build(&self) -> Option<Box<dyn UnderloadDetector>> {
        match *self {
            UnderloadConfig::Never {} | UnderloadConfig::LeastUtilized {} => None,
            UnderloadConfig::Threshold { threshold } => Some(Box::new(threshold::Threshold { threshold })),
            UnderloadConfig::LastNAverage { threshold, n } => {
                Some(Box::new(last_n_average::LastNAverage { threshold, n }))
            }
        }
    }
}
