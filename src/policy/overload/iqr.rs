//! Interquartile range (IQR): an adaptive upper threshold `1 − s · IQR(history)` over the whole history.
//!
//! The decision is MAD's ([`mad`]): in `cloudsim` (`PowerVmAllocationPolicyMigrationInterQuartileRange`)
//! `utilization > 1 − s · IQR` once the history holds `limit` values (CloudSim: 12), else the THR 0.7 fallback;
//! in `neat` (`statistics.iqr_threshold`) `1 − s · IQR <= utilization` once it holds `limit` values, else not
//! overloaded.
//!
//! Both systems compute the IQR the same way, by rank rather than by interpolated percentile: on the sorted
//! history `s` of length `n`, `s[round(0.75·(n+1)) − 1] − s[round(0.25·(n+1)) − 1]`, with ties rounded up
//! (Java's `Math.round`; Python 2's `round`, half away from zero). CloudSim's `MathUtil.iqr` does not go through
//! Apache Commons Math's `getPercentile`. See `stats::iqr_rank` for the index arithmetic and the
//! clamp for a single value.

use crate::policy::overload::mad;
use crate::policy::overload::stats;
use crate::policy::overload::{HostObservation, OverloadDetector};
use crate::policy::Semantics;

#[derive(Clone, Debug)]
pub struct Iqr {
    pub s: f64,
    pub limit: usize,
    pub semantics: Semantics,
}

impl OverloadDetector for Iqr {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, observation: &HostObservation) -> bool {
        mad::decide(self.s, self.limit, self.semantics, observation, stats::iqr_rank)
    }

    fn decided_by_utilization(&self, utilization: f64) -> Option<bool> {
        mad::decided_by_utilization(self.s, self.semantics, utilization)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(utilization: f64, history: &[f64]) -> HostObservation<'_> {
        HostObservation { host: 0, utilization, history, migration_time_s: 30.0, interval_s: 300.0 }
    }

    fn iqr(s: f64, semantics: Semantics) -> Iqr {
        Iqr { s, limit: 12, semantics }
    }

    /// k/16 for k = 0..11, shuffled. n = 12: q1 = s[round(3.25) − 1] = s[2] = 2/16, q3 = s[round(9.75) − 1] =
    /// s[9] = 9/16; IQR = 7/16 = 0.4375. With s = 1 the threshold is 0.5625.
    const HISTORY: [f64; 12] = [
        5.0 / 16.0,
        0.0,
        11.0 / 16.0,
        2.0 / 16.0,
        9.0 / 16.0,
        1.0 / 16.0,
        7.0 / 16.0,
        3.0 / 16.0,
        10.0 / 16.0,
        4.0 / 16.0,
        8.0 / 16.0,
        6.0 / 16.0,
    ];

    #[test]
    fn iqr_of_the_example_history() {
        assert_eq!(stats::iqr_rank(&HISTORY), 0.4375);
    }

    #[test]
    fn cloudsim_is_strictly_above_the_threshold() {
        assert!(!iqr(1.0, Semantics::Cloudsim).check(&observation(0.5625, &HISTORY)));
        assert!(iqr(1.0, Semantics::Cloudsim).check(&observation(0.5626, &HISTORY)));
    }

    #[test]
    fn neat_is_at_or_above_the_threshold() {
        assert!(iqr(1.0, Semantics::Neat).check(&observation(0.5625, &HISTORY)));
        assert!(!iqr(1.0, Semantics::Neat).check(&observation(0.5624, &HISTORY)));
    }

    #[test]
    fn ties_round_up_as_in_python_2() {
        // n = 13: 0.25·14 = 3.5 → 4 → q1 = s[3]; 0.75·14 = 10.5 → 11 → q3 = s[10]. Values 0/16..9/16 then
        // 0.75, 0.875, 1.0: q1 = 3/16, q3 = 0.75, IQR = 0.5625, threshold (s = 1) 0.4375. Python 3's round would
        // take q3 = s[9] = 9/16 (IQR 0.375, threshold 0.625) and not fire at 0.5.
        let mut history: Vec<f64> = (0..10).map(|k| f64::from(k) / 16.0).collect();
        history.extend([1.0, 0.875, 0.75]);
        let detector = Iqr { s: 1.0, limit: 13, semantics: Semantics::Neat };
        assert!(detector.check(&observation(0.5, &history)));
        assert!(detector.check(&observation(0.4375, &history)));
        assert!(!detector.check(&observation(0.4374, &history)));
    }

    #[test]
    fn short_histories_fall_back_in_cloudsim_and_never_fire_in_neat() {
        let short = &HISTORY[1..];
        assert!(!iqr(1.0, Semantics::Cloudsim).check(&observation(0.7, short)));
        assert!(iqr(1.0, Semantics::Cloudsim).check(&observation(0.71, short)));
        assert!(!iqr(1.0, Semantics::Neat).check(&observation(5.0, short)));
    }
}
