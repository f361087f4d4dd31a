//! Overload detection: given a host's utilisation now and its history, is it overloaded?
//!
//! One file per detector. Stateful detectors (OTF, MHOD) keep their per-host state inside the detector, keyed by
//! host id. [`OverloadDetector::observe`] is the monitoring tick's decision (it updates that state);
//! [`OverloadDetector::check`] asks the same question of a hypothetical host (a VM removed while selecting, a VM
//! added while placing) and leaves the state alone.

pub mod iqr;
pub mod last_n_average;
pub mod lr;
pub mod lrr;
pub mod mad;
pub mod mhod;
pub mod otf;
mod stats;
pub mod thr;

use serde::{Deserialize, Serialize};

use crate::fleet::HostId;
use crate::policy::Semantics;

/// What a detector sees of one host.
#[derive(Clone, Copy, Debug)]
pub struct HostObservation<'a> {
    pub host: HostId,
    /// CPU utilisation now, as a fraction of the host's capacity (above 1 when the VMs ask for more than it has).
    pub utilization: f64,
    /// Utilisation history, oldest first. In `neat` semantics its last value is `utilization`; in `cloudsim`
    /// semantics it is CloudSim's host history (at most 30 values, VM-weighted) and may lag the current value.
    pub history: &'a [f64],
    /// Time to migrate a VM off this host, in seconds (Neat: mean RAM / bandwidth of the host's VMs; CloudSim:
    /// the maximum over its VMs).
    pub migration_time_s: f64,
    /// The monitoring interval, in seconds.
    pub interval_s: f64,
}

pub trait OverloadDetector: Send {
    /// The monitoring tick's decision for `observation.host`; stateful detectors update their state.
    fn observe(&mut self, observation: &HostObservation) -> bool;
    /// The same test on a hypothetical host, without touching any state.
    fn check(&self, observation: &HostObservation) -> bool;
    /// Does the decision read `observation.history`? If not, the round need not sum a hypothetical host's
    /// history for it (placement asks about several hosts for each VM, selection asks again after each VM it
    /// removes).
    fn reads_history(&self) -> bool {
        true
    }
    /// The decision [`check`](Self::check) makes at `utilization` whatever the rest of the observation (its
    /// history any of finite values up to [`MODERATE_HISTORY`] in size), or `None` if the rest may matter: lets
    /// the round skip summing a history that cannot change the answer.
    fn decided_by_utilization(&self, _utilization: f64) -> Option<bool> {
        None
    }
}

/// The largest history value (in size) for which [`OverloadDetector::decided_by_utilization`] must hold: far
/// above any utilisation, far below where the statistics could overflow.
pub const MODERATE_HISTORY: f64 = 1e150;

/// The detectors a scenario can name: `overload = { kind = "mad", s = 2.5 }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OverloadConfig {
    /// Never overloaded: no consolidation on the overload path (CloudSim's NPA and DVFS baselines).
    Never {},
    /// Static threshold: `utilization > threshold`.
    Thr { threshold: f64 },
    /// Neat's last-n average: `mean(last n of history) > threshold`.
    LastNAverage {
        threshold: f64,
        #[serde(default = "default_last_n")]
        n: usize,
    },
    /// Median absolute deviation: `utilization > 1 - s * MAD(history)` once the history holds `limit` values.
    Mad {
        s: f64,
        #[serde(default = "default_statistics_limit")]
        limit: usize,
    },
    /// Interquartile range: `utilization > 1 - s * IQR(history)` once the history holds `limit` values.
    Iqr {
        s: f64,
        #[serde(default = "default_statistics_limit")]
        limit: usize,
    },
    /// Local regression over the last `length` values, predicted one migration time ahead: `s * prediction >=
    /// threshold`.
    Lr {
        s: f64,
        #[serde(default = "default_regression_length")]
        length: usize,
        #[serde(default = "default_regression_threshold")]
        threshold: f64,
    },
    /// Robust local regression (bisquare reweighting of LR); equal to LR in `cloudsim` semantics.
    Lrr {
        s: f64,
        #[serde(default = "default_regression_length")]
        length: usize,
        #[serde(default = "default_regression_threshold")]
        threshold: f64,
    },
    /// Neat's overload time fraction: overloaded while the fraction of time spent at or above `threshold`
    /// (counting a migration's time) reaches `otf`.
    Otf {
        otf: f64,
        #[serde(default = "default_otf_threshold")]
        threshold: f64,
        #[serde(default = "default_otf_limit")]
        limit: usize,
    },
    /// Markov host overload detection (Neat's default).
    Mhod {
        #[serde(default = "mhod::default_state_config")]
        state_config: Vec<f64>,
        #[serde(default = "mhod::default_otf")]
        otf: f64,
        #[serde(default = "mhod::default_window_sizes")]
        window_sizes: Vec<usize>,
        #[serde(default = "mhod::default_bruteforce_step")]
        bruteforce_step: f64,
        #[serde(default = "mhod::default_learning_steps")]
        learning_steps: usize,
    },
}

fn default_last_n() -> usize {
    2
}
fn default_statistics_limit() -> usize {
    12
}
fn default_regression_length() -> usize {
    10
}
fn default_regression_threshold() -> f64 {
    1.0
}
fn default_otf_threshold() -> f64 {
    0.8
}
fn default_otf_limit() -> usize {
    10
}

impl Default for OverloadConfig {
    fn default() -> Self {
        OverloadConfig::Never {}
    }
}

impl OverloadConfig {
    /// Short name for labels and summaries.
    pub fn name(&self) -> &'static str {
        match self {
            OverloadConfig::Never {} => "never",
            OverloadConfig::Thr { .. } => "thr",
            OverloadConfig::LastNAverage { .. } => "last_n_average",
            OverloadConfig::Mad { .. } => "mad",
            OverloadConfig::Iqr { .. } => "iqr",
            OverloadConfig::Lr { .. } => "lr",
            OverloadConfig::Lrr { .. } => "lrr",
            OverloadConfig::Otf { .. } => "otf",
            OverloadConfig::Mhod { .. } => "mhod",
        }
    }

    /// Checks the parameters; messages name the field and the accepted range.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            OverloadConfig::Never {} => Ok(()),
            OverloadConfig::Thr { threshold } => thr::validate(*threshold),
            OverloadConfig::LastNAverage { threshold, n } => last_n_average::validate(*threshold, *n),
            OverloadConfig::Mad { s, limit } | OverloadConfig::Iqr { s, limit } => mad::validate(*s, *limit),
            OverloadConfig::Lr { s, length, threshold } | OverloadConfig::Lrr { s, length, threshold } => {
                lr::validate(*s, *length, *threshold)
            }
            OverloadConfig::Otf { otf, threshold, limit } => otf::validate(*otf, *threshold, *limit),
            OverloadConfig::Mhod { state_config, otf, window_sizes, bruteforce_step, learning_steps } => {
                mhod::validate(state_config, *otf, window_sizes, *bruteforce_step, *learning_steps)
            }
        }
    }

    /// The static threshold this detector applies to a host with no history, if it has one: THR its own, and in
    /// `cloudsim` semantics MAD, IQR, LR and LRR their fallback ([`CLOUDSIM_FALLBACK_THRESHOLD`]). CloudSim's
    /// placement of a VM being created asks the detector about hosts whose VMs have no history yet.
    pub fn threshold_without_history(&self, semantics: Semantics) -> Option<f64> {
        match (self, semantics) {
            (OverloadConfig::Thr { threshold }, _) => Some(*threshold),
            (
                OverloadConfig::Mad { .. }
                | OverloadConfig::Iqr { .. }
                | OverloadConfig::Lr { .. }
                | OverloadConfig::Lrr { .. },
                Semantics::Cloudsim,
            ) => Some(CLOUDSIM_FALLBACK_THRESHOLD),
            _ => None,
        }
    }

    /// The detector for one run, with `semantics` deciding where Neat and CloudSim differ.
    pub fn build(&self, semantics: Semantics) -> Box<dyn OverloadDetector> {
        match self.clone() {
            OverloadConfig::Never {} => Box::new(thr::Never),
            OverloadConfig::Thr { threshold } => Box::new(thr::Threshold { threshold }),
            OverloadConfig::LastNAverage { threshold, n } => Box::new(last_n_average::LastNAverage { threshold, n }),
            OverloadConfig::Mad { s, limit } => Box::new(mad::Mad { s, limit, semantics }),
            OverloadConfig::Iqr { s, limit } => Box::new(iqr::Iqr { s, limit, semantics }),
            OverloadConfig::Lr { s, length, threshold } => Box::new(lr::Lr { s, length, threshold, semantics }),
            OverloadConfig::Lrr { s, length, threshold } => match semantics {
                // CloudSim's robust variant never applies its weights: it is plain LR (reference §2.2).
                Semantics::Cloudsim => Box::new(lr::Lr { s, length, threshold, semantics }),
                Semantics::Neat => Box::new(lrr::Lrr { s, length, threshold }),
            },
            OverloadConfig::Otf { otf, threshold, limit } => Box::new(otf::Otf::new(otf, threshold, limit)),
            OverloadConfig::Mhod { state_config, otf, window_sizes, bruteforce_step, learning_steps } => {
                Box::new(mhod::Mhod::new(state_config, otf, window_sizes, bruteforce_step, learning_steps))
            }
        }
    }
}

/// The utilisation above which CloudSim's MAD, IQR and LR fall back to a static threshold while their history
/// is too short.
pub const CLOUDSIM_FALLBACK_THRESHOLD: f64 = 0.7;
