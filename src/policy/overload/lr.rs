//! Local regression (LR): fit a straight line to the last `length` utilisation values (oldest at `x = 1`, newest
//! at `x = length`), extrapolate it one migration time ahead, and call the host overloaded when
//! `s · prediction >= threshold`.
//!
//! - `cloudsim` (`PowerVmAllocationPolicyMigrationLocalRegression`): plain unweighted OLS. CloudSim builds tricube
//!   weights but stores their reciprocals (all ≥ 1) and applies weights only when at least 40 % of them are ≤ 0,
//!   which never happens (reference §2.2); the fit here repeats Apache Commons Math's `SimpleRegression`
//!   arithmetic. The prediction is at `x = length + ⌈migration_time_s / interval_s⌉` (whole intervals). With
//!   fewer than `length` values in the history, or if the fit fails, it falls back to THR
//!   ([`CLOUDSIM_FALLBACK_THRESHOLD`]): `utilization > 0.7`. CloudSim hard-codes `length = 10` and
//!   `threshold = 1`.
//! - `neat` (`statistics.loess`): with fewer than `length` values, not overloaded. Otherwise a tricube-weighted
//!   fit ([`neat_fit`]) predicts at `x = length + migration_time_s / interval_s` (fractional steps).

use crate::policy::overload::{stats, thr, HostObservation, OverloadDetector, CLOUDSIM_FALLBACK_THRESHOLD};
use crate::policy::Semantics;

pub use crate::policy::overload::stats::Line;

#[derive(Clone, Debug)]
pub struct Lr {
    pub s: f64,
    pub length: usize,
    pub threshold: f64,
    pub semantics: Semantics,
}

impl OverloadDetector for Lr {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, observation: &HostObservation) -> bool {
        match self.semantics {
            Semantics::Cloudsim => {
                let history = observation.history;
                let fit = (history.len() >= self.length).then(|| cloudsim_fit(last(history, self.length))).flatten();
                match fit {
                    Some(line) => {
                        let steps = (observation.migration_time_s / observation.interval_s).ceil();
                        self.s * line.at(self.length as f64 + steps) >= self.threshold
                    }
                    None => observation.utilization > CLOUDSIM_FALLBACK_THRESHOLD,
                }
            }
            Semantics::Neat => neat_decision(self.s, self.length, self.threshold, observation, neat_fit),
        }
    }
}

/// The last `n` values of `history` (all of it if shorter).
fn last(history: &[f64], n: usize) -> &[f64] {
    &history[history.len().saturating_sub(n)..]
}

/// Neat's `loess_abstract`, shared with LRR: not overloaded with fewer than `length` values (or if `fit` cannot
/// fit them); otherwise `s · fit(last length values)(length + migration_time_s / interval_s) >= threshold`.
pub(crate) fn neat_decision(
    s: f64,
    length: usize,
    threshold: f64,
    observation: &HostObservation,
    fit: impl Fn(&[f64]) -> Option<Line>,
) -> bool {
    let history = observation.history;
    if length == 0 || history.len() < length {
        return false;
    }
    let Some(line) = fit(last(history, length)) else {
        return false;
    };
    let x = length as f64 + observation.migration_time_s / observation.interval_s;
    s * line.at(x) >= threshold
}

/// CloudSim's LR fit of `ys` on `x = 1..n`: unweighted OLS with `SimpleRegression`'s arithmetic. `None` for fewer
/// than 3 points (where `SimpleRegression.regress()` throws and CloudSim falls back).
pub fn cloudsim_fit(ys: &[f64]) -> Option<Line> {
    stats::ols_apache(ys)
}

/// Neat's tricube weight of point `i` (0-based) among `n` (`statistics.tricube_weights(n)[i]`): with
/// `top = spread = n − 1`, `w(k) = (1 − ((top − k)/spread)³)³` for `k = 2..n−1`, and the first two points take
/// `w(2)` (the list is `[w(2), w(2), w(2), w(3), …, w(n−1)]`; `w(0)` would be 0). The newest point weighs 1.
/// Needs `n ≥ 3` (Neat raises an `IndexError` for `n = 2`).
pub fn tricube_weight(n: usize, i: usize) -> f64 {
    let top = (n - 1) as f64;
    let k = i.max(2) as f64;
    (1.0 - ((top - k) / top).powi(3)).powi(3)
}

/// Neat's LR fit (`statistics.loess_parameter_estimates`) of `ys` on `x = 1..n`. Neat hands
/// `w_i·(y_i − a − b·x_i)` to `scipy.optimize.leastsq`, which minimises the sum of their squares, so the
/// effective least-squares weight of point `i` is the **square** of its [`tricube_weight`]. The problem is
/// linear; this solves it in closed form, where `leastsq`'s Levenberg–Marquardt iterations from `(1, 1)` stop
/// within their tolerance (about 1.5e-8 relative), so the coefficients agree with Neat's to that precision.
/// `None` for fewer than 3 points.
pub fn neat_fit(ys: &[f64]) -> Option<Line> {
    let n = ys.len();
    if n < 3 {
        return None;
    }
    stats::wls(ys, |i| tricube_weight(n, i).powi(2))
}

/// Shared by LR and LRR.
pub fn validate(s: f64, length: usize, threshold: f64) -> Result<(), String> {
    if !(s.is_finite() && s > 0.0) {
        return Err(format!("overload.s must be a positive, finite safety parameter (e.g. 1.2), got {s}"));
    }
    if length < 3 {
        return Err(format!(
            "overload.length must be at least 3 (the regression needs 3 points: CloudSim's regression refuses \
             fewer and Neat's tricube weights are undefined for 2), got {length}"
        ));
    }
    thr::validate(threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(utilization: f64, history: &[f64], migration_time_s: f64) -> HostObservation<'_> {
        HostObservation { host: 0, utilization, history, migration_time_s, interval_s: 300.0 }
    }

    fn lr(s: f64, semantics: Semantics) -> Lr {
        Lr { s, length: 10, threshold: 1.0, semantics }
    }

    #[test]
    fn tricube_weights_follow_neat_indexing() {
        // n = 10: top = spread = 9; w(k) = (1 − ((9 − k)/9)³)³.
        // w(2) = (1 − (7/9)³)³ = (386/729)³, repeated for the first two points; w(9) = 1.
        let w2 = (386.0f64 / 729.0).powi(3);
        for i in 0..3 {
            assert!((tricube_weight(10, i) - w2).abs() < 1e-15, "point {i}");
        }
        // w(5) = (1 − (4/9)³)³ = (665/729)³.
        assert!((tricube_weight(10, 5) - (665.0f64 / 729.0).powi(3)).abs() < 1e-15);
        assert_eq!(tricube_weight(10, 9), 1.0);
        // n = 3: top = 2, only w(2) = (1 − 0)³ = 1 exists, so every point weighs 1.
        assert_eq!((0..3).map(|i| tricube_weight(3, i)).collect::<Vec<_>>(), vec![1.0, 1.0, 1.0]);
    }

    #[test]
    fn neat_fit_weights_squared_residuals_by_squared_tricube() {
        // n = 4: top = 3; w(2) = (1 − (1/3)³)³ = (26/27)³ for points 0, 1, 2; w(3) = 1.
        // Effective weights q = (26/27)⁶ ≈ 0.7970 for the first three, 1 for the last. With ys = 0, 0, 0, 1:
        // Σw = 3q + 1, x̄ = (6q + 4)/(3q + 1), ȳ = 1/(3q + 1); b = Sxy/Sxx solved below in closed form.
        let q = (26.0f64 / 27.0).powi(6);
        let (sw, swx, swxx) = (3.0 * q + 1.0, 6.0 * q + 4.0, 14.0 * q + 16.0);
        let (swy, swxy) = (1.0, 4.0);
        // Normal equations: [sw swx; swx swxx]·[a; b] = [swy; swxy].
        let det = sw * swxx - swx * swx;
        let b = (sw * swxy - swx * swy) / det;
        let a = (swy - b * swx) / sw;
        let line = neat_fit(&[0.0, 0.0, 0.0, 1.0]).unwrap();
        assert!((line.slope - b).abs() < 1e-14, "{line:?} vs b = {b}");
        assert!((line.intercept - a).abs() < 1e-14, "{line:?} vs a = {a}");
        // With unsquared weights the slope would differ visibly: this is not the w-weighted fit.
        let w = (26.0f64 / 27.0).powi(3);
        let unsquared = stats::wls(&[0.0, 0.0, 0.0, 1.0], |i| if i < 3 { w } else { 1.0 }).unwrap();
        assert!((unsquared.slope - line.slope).abs() > 1e-3);
        // A straight line is recovered whatever the weights: y = 0.2 + 0.05·x.
        let ys: Vec<f64> = (1..=10).map(|x| 0.2 + 0.05 * f64::from(x)).collect();
        let line = neat_fit(&ys).unwrap();
        assert!((line.slope - 0.05).abs() < 1e-14 && (line.intercept - 0.2).abs() < 1e-14, "{line:?}");
        assert_eq!(neat_fit(&[0.1, 0.2]), None);
    }

    #[test]
    fn cloudsim_predicts_whole_migration_intervals_ahead() {
        // Older values first, then the last 10: 0.1, 0.2, ..., 1.0 (slope 0.1, intercept 0). The two leading
        // values are ignored. Migration 30 s on 300 s intervals: ⌈0.1⌉ = 1 interval, so x = 11 and the
        // prediction is 1.1. s = 0.9 → 0.99 < 1: not overloaded; s = 0.91 → 1.001 ≥ 1: overloaded.
        let mut history = vec![5.0, 5.0];
        history.extend((1..=10).map(|x| f64::from(x) / 10.0));
        let line = cloudsim_fit(&history[2..]).unwrap();
        assert!((line.slope - 0.1).abs() < 1e-15 && line.intercept.abs() < 1e-14, "{line:?}");
        assert!(!lr(0.9, Semantics::Cloudsim).check(&observation(0.0, &history, 30.0)));
        assert!(lr(0.91, Semantics::Cloudsim).check(&observation(0.0, &history, 30.0)));
        // No migration time: x = 10, prediction 1.0; s = 0.99 → 0.99: not overloaded; s = 1.01 → overloaded.
        assert!(!lr(0.99, Semantics::Cloudsim).check(&observation(0.0, &history, 0.0)));
        assert!(lr(1.01, Semantics::Cloudsim).check(&observation(0.0, &history, 0.0)));
        // 301 s is ⌈1.0033⌉ = 2 intervals: x = 12, prediction 1.2; s = 0.85 → 1.02: overloaded (fractional
        // steps, as Neat takes them, would give 1.1003·0.85 = 0.935: not).
        assert!(lr(0.85, Semantics::Cloudsim).check(&observation(0.0, &history, 301.0)));
        assert!(!lr(0.85, Semantics::Neat).check(&observation(0.0, &history, 301.0)));
    }

    #[test]
    fn cloudsim_threshold_is_inclusive() {
        // Constant 0.5: slope exactly 0, intercept exactly 0.5, prediction 0.5 at any x.
        // s = 2 → exactly 1.0 ≥ 1.0: overloaded; s just below 2: not.
        let history = [0.5; 10];
        assert!(lr(2.0, Semantics::Cloudsim).check(&observation(0.0, &history, 30.0)));
        assert!(!lr(1.999_999_999, Semantics::Cloudsim).check(&observation(0.0, &history, 30.0)));
        // Same in Neat: the tricube fit of a constant is that constant.
        assert!(lr(2.0, Semantics::Neat).check(&observation(0.0, &history, 30.0)));
        assert!(!lr(1.999_999_999, Semantics::Neat).check(&observation(0.0, &history, 30.0)));
    }

    #[test]
    fn cloudsim_falls_back_to_thr_07_on_short_histories() {
        // 9 values < length 10: the regression is not used (it would predict 2.0 · 1.0 = 2 ≥ 1 here);
        // utilization 0.7 is not > 0.7, 0.71 is.
        let history = [1.0; 9];
        assert!(!lr(2.0, Semantics::Cloudsim).check(&observation(0.7, &history, 0.0)));
        assert!(lr(2.0, Semantics::Cloudsim).check(&observation(0.71, &history, 0.0)));
        // Neat has no fallback: short history, not overloaded, whatever the utilisation.
        assert!(!lr(2.0, Semantics::Neat).check(&observation(5.0, &history, 0.0)));
    }

    #[test]
    fn neat_uses_the_tricube_fit_and_fractional_steps() {
        // The last 10 of the history: nine 0.5s and a final 1.0 (older values before them are ignored).
        // Effective weights: q_i = w_i² for i < 9, 1 for the newest, so the fit leans towards the jump more
        // than OLS does (OLS: x̄ = 5.5, Sxy = 0.5·(10 − 5.5) = 2.25, Sxx = 82.5, slope 0.02727).
        let mut history = vec![9.0, 9.0];
        history.extend([0.5; 9]);
        history.push(1.0);
        let ys = &history[2..];
        let n = ys.len();
        let (mut sw, mut swx, mut swxx, mut swy, mut swxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, y) in ys.iter().enumerate() {
            let (w, x) = (tricube_weight(n, i).powi(2), (i + 1) as f64);
            sw += w;
            swx += w * x;
            swxx += w * x * x;
            swy += w * y;
            swxy += w * x * y;
        }
        let b = (sw * swxy - swx * swy) / (sw * swxx - swx * swx);
        let a = (swy - b * swx) / sw;
        let line = neat_fit(ys).unwrap();
        assert!((line.slope - b).abs() < 1e-12 && (line.intercept - a).abs() < 1e-12, "{line:?}");
        let ols = cloudsim_fit(ys).unwrap();
        assert!((ols.slope - 2.25 / 82.5).abs() < 1e-15, "{ols:?}");
        assert!(line.slope > ols.slope);
        // Migration 150 s = 0.5 steps: x = 10.5. The decision flips where s·prediction crosses 1.
        let prediction = a + b * 10.5;
        let at = |s: f64| lr(s, Semantics::Neat).check(&observation(1.0, &history, 150.0));
        assert!(at(1.000_001 / prediction));
        assert!(!at(0.999_999 / prediction));
    }

    #[test]
    fn validation_names_the_field_and_range() {
        assert_eq!(validate(1.2, 10, 1.0), Ok(()));
        assert_eq!(validate(1.2, 3, 0.8), Ok(()));
        let err = validate(f64::NAN, 10, 1.0).unwrap_err();
        assert!(err.starts_with("overload.s must be a positive, finite safety parameter"), "{err}");
        assert!(validate(0.0, 10, 1.0).unwrap_err().contains("got 0"));
        assert!(validate(-1.0, 10, 1.0).unwrap_err().starts_with("overload.s "));
        let err = validate(1.2, 2, 1.0).unwrap_err();
        assert!(err.starts_with("overload.length must be at least 3") && err.ends_with("got 2"), "{err}");
        assert!(validate(1.2, 10, 0.0).unwrap_err().starts_with("overload.threshold must be a positive"));
        assert!(validate(1.2, 10, f64::INFINITY).unwrap_err().starts_with("overload.threshold "));
    }
}
