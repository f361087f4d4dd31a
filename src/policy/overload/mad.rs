//! Median absolute deviation (MAD): an adaptive upper threshold `1 − s · MAD(history)`, lower when the host's
//! utilisation has been spread out. The MAD is `median(|x − median(x)|)` over the whole history, unscaled.
//!
//! - `cloudsim` (`PowerVmAllocationPolicyMigrationMedianAbsoluteDeviation`): overloaded iff
//!   `utilization > 1 − s · MAD(history)` (strict), once the history holds `limit` values (CloudSim: 12).
//!   Before that it falls back to THR ([`CLOUDSIM_FALLBACK_THRESHOLD`]): `utilization > 0.7`. Medians are
//!   CloudSim's `MathUtil.median`, Apache Commons Math's 50th percentile (`lower + 0.5·(upper − lower)` for an
//!   even count). CloudSim's host history drops its zero tail (the oldest zero values) before counting; building
//!   the history that way is the caller's business.
//! - `neat` (`statistics.mad_threshold`): overloaded iff the history holds `limit` values and
//!   `1 − s · MAD(history) <= u[-1]` (inclusive), with `utilization` as `u[-1]`; no fallback, a short history is
//!   never overloaded. Medians are `numpy.median` (`(a + b)/2` for an even count).
//!
//! The same shape serves IQR ([`iqr`](super::iqr)), through `decide`.

use crate::policy::overload::stats::{self, Median};
use crate::policy::overload::{HostObservation, OverloadDetector, CLOUDSIM_FALLBACK_THRESHOLD};
use crate::policy::Semantics;

#[derive(Clone, Debug)]
pub struct Mad {
    pub s: f64,
    pub limit: usize,
    pub semantics: Semantics,
}

impl OverloadDetector for Mad {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, observation: &HostObservation) -> bool {
        let median = match self.semantics {
            Semantics::Cloudsim => Median::Apache,
            Semantics::Neat => Median::Numpy,
        };
        decide(self.s, self.limit, self.semantics, observation, |history| stats::mad(history, median))
    }

    fn decided_by_utilization(&self, utilization: f64) -> Option<bool> {
        decided_by_utilization(self.s, self.semantics, utilization)
    }
}

/// The decision shared by MAD and IQR when the utilisation settles it: in CloudSim, above 1 (the statistic `x` of
/// a moderate history is finite and at least 0, so with `s` finite and at least 0 the threshold `1 − s·x` is at
/// most 1, and the fallback's is 0.7). Neat's decision depends on the history's length.
pub(crate) fn decided_by_utilization(s: f64, semantics: Semantics, utilization: f64) -> Option<bool> {
    (semantics == Semantics::Cloudsim && s.is_finite() && s >= 0.0 && utilization > 1.0).then_some(true)
}

/// The decision shared by MAD and IQR, given the dispersion statistic `x` of the history.
pub(crate) fn decide(
    s: f64,
    limit: usize,
    semantics: Semantics,
    observation: &HostObservation,
    x: impl FnOnce(&[f64]) -> f64,
) -> bool {
    let history = observation.history;
    let utilization = observation.utilization;
    let enough = history.len() >= limit;
    match semantics {
        Semantics::Cloudsim if !enough => utilization > CLOUDSIM_FALLBACK_THRESHOLD,
        Semantics::Cloudsim => utilization > 1.0 - s * x(history),
        Semantics::Neat => enough && 1.0 - s * x(history) <= utilization,
    }
}

/// Shared by MAD and IQR.
pub fn validate(s: f64, limit: usize) -> Result<(), String> {
    if !(s.is_finite() && s >= 0.0) {
        return Err(format!("overload.s must be a finite safety parameter of 0 or more (e.g. 2.5), got {s}"));
    }
    if limit == 0 {
        return Err("overload.limit must be at least 1 (the number of history values needed before the \
                    statistic is used; CloudSim uses 12), got 0"
            .to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(utilization: f64, history: &[f64]) -> HostObservation<'_> {
        HostObservation { host: 0, utilization, history, migration_time_s: 30.0, interval_s: 300.0 }
    }

    fn mad(s: f64, semantics: Semantics) -> Mad {
        Mad { s, limit: 12, semantics }
    }

    /// Twelve values: six 0.5, three 0.625, two 0.375, one 0.75 (all exact in binary).
    /// Sorted, the 6th and 7th are 0.5 and 0.5: median 0.5. Deviations: six 0, five 0.125, one 0.25; the 6th and
    /// 7th are 0 and 0.125: MAD 0.0625 (both medians agree: 0 + 0.5·0.125 = (0 + 0.125)/2). With s = 2 the
    /// threshold is 1 − 0.125 = 0.875.
    const HISTORY: [f64; 12] = [0.5, 0.625, 0.5, 0.375, 0.5, 0.625, 0.75, 0.5, 0.375, 0.5, 0.625, 0.5];

    #[test]
    fn mad_of_the_example_history() {
        assert_eq!(stats::mad(&HISTORY, Median::Apache), 0.0625);
        assert_eq!(stats::mad(&HISTORY, Median::Numpy), 0.0625);
    }

    #[test]
    fn cloudsim_is_strictly_above_the_threshold() {
        assert!(!mad(2.0, Semantics::Cloudsim).check(&observation(0.875, &HISTORY)));
        assert!(mad(2.0, Semantics::Cloudsim).check(&observation(0.876, &HISTORY)));
        // s = 0: the threshold is 1.
        assert!(!mad(0.0, Semantics::Cloudsim).check(&observation(1.0, &HISTORY)));
        assert!(mad(0.0, Semantics::Cloudsim).check(&observation(1.001, &HISTORY)));
    }

    #[test]
    fn neat_is_at_or_above_the_threshold() {
        assert!(mad(2.0, Semantics::Neat).check(&observation(0.875, &HISTORY)));
        assert!(!mad(2.0, Semantics::Neat).check(&observation(0.874, &HISTORY)));
    }

    #[test]
    fn short_histories_fall_back_in_cloudsim_and_never_fire_in_neat() {
        // Eleven values (< limit 12). The MAD threshold (0.875 for the full history) is not used:
        // CloudSim compares with 0.7 (strictly), Neat says no.
        let short = &HISTORY[..11];
        assert!(!mad(2.0, Semantics::Cloudsim).check(&observation(0.7, short)));
        assert!(mad(2.0, Semantics::Cloudsim).check(&observation(0.71, short)));
        assert!(!mad(2.0, Semantics::Neat).check(&observation(5.0, short)));
        // A lower limit lets the statistic in. The eleven values are five 0.5, three 0.625, two 0.375, one 0.75:
        // median 0.5; deviations five 0, five 0.125, one 0.25 → MAD = the 6th smallest = 0.125; with s = 2 the
        // threshold is 0.75, so 0.71 (above the fallback's 0.7) is no longer overloaded.
        let lower = Mad { s: 2.0, limit: 11, semantics: Semantics::Cloudsim };
        assert!(!lower.check(&observation(0.71, short)));
        assert!(!lower.check(&observation(0.75, short)));
        assert!(lower.check(&observation(0.751, short)));
    }

    #[test]
    fn above_full_utilisation_cloudsim_needs_no_history() {
        use crate::policy::overload::iqr::Iqr;
        // Histories of every length up to 30 (short ones fall back to 0.7), from 0 to the moderate bound, for
        // s from 0 to so large that s·x overflows: above 1, MAD and IQR say overloaded whatever the history.
        let mut state = 77u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in 0..=30 {
            for scale in [1.0, 1e150] {
                let history: Vec<f64> = (0..n).map(|_| next() * scale).collect();
                for s in [0.0, 0.5, 2.5, 1e300] {
                    for utilization in [1.0 + f64::EPSILON, 1.5, 1e6] {
                        let observation = observation(utilization, &history);
                        let mad = Mad { s, limit: 12, semantics: Semantics::Cloudsim };
                        let iqr = Iqr { s, limit: 12, semantics: Semantics::Cloudsim };
                        assert_eq!(mad.decided_by_utilization(utilization), Some(true));
                        assert_eq!(iqr.decided_by_utilization(utilization), Some(true));
                        assert!(mad.check(&observation), "MAD, n = {n}, s = {s}");
                        assert!(iqr.check(&observation), "IQR, n = {n}, s = {s}");
                    }
                }
            }
        }
        // At or below 1 the history decides; in Neat its length always may (too short: not overloaded).
        assert_eq!(mad(2.5, Semantics::Cloudsim).decided_by_utilization(1.0), None);
        assert_eq!(mad(2.5, Semantics::Neat).decided_by_utilization(5.0), None);
        assert_eq!(Mad { s: -1.0, limit: 12, semantics: Semantics::Cloudsim }.decided_by_utilization(5.0), None);
    }

    #[test]
    fn validation_names_the_field_and_range() {
        assert_eq!(validate(2.5, 12), Ok(()));
        assert_eq!(validate(0.0, 1), Ok(()));
        let err = validate(-0.5, 12).unwrap_err();
        assert_eq!(err, "overload.s must be a finite safety parameter of 0 or more (e.g. 2.5), got -0.5");
        assert!(validate(f64::NAN, 12).unwrap_err().starts_with("overload.s "));
        assert!(validate(f64::INFINITY, 12).unwrap_err().starts_with("overload.s "));
        let err = validate(2.5, 0).unwrap_err();
        assert!(err.starts_with("overload.limit must be at least 1") && err.ends_with("got 0"), "{err}");
    }
}
