//! Robust local regression (LRR), Neat semantics (`statistics.loess_robust`). In `cloudsim` semantics the
//! configuration builds plain [`Lr`](super::lr::Lr) instead: CloudSim's robust variant never applies its weights
//! (reference §2.2).
//!
//! Like Neat's LR ([`lr`](super::lr)): not overloaded with fewer than `length` values; otherwise fit the last
//! `length` values, predict at `x = length + migration_time_s / interval_s`, and call the host overloaded when
//! `s · prediction >= threshold`. The fit is done twice ([`robust_fit`]): a tricube-weighted fit, then a refit
//! with each point's tricube weight times the bisquare of its residual over six times the median absolute
//! residual, with Neat's quirks kept (see [`robust_weight`]).

use crate::policy::overload::lr::{neat_decision, neat_fit, tricube_weight, Line};
use crate::policy::overload::stats;
use crate::policy::overload::{HostObservation, OverloadDetector};

#[derive(Clone, Debug)]
pub struct Lrr {
    pub s: f64,
    pub length: usize,
    pub threshold: f64,
}

impl OverloadDetector for Lrr {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, observation: &HostObservation) -> bool {
        neat_decision(self.s, self.length, self.threshold, observation, robust_fit)
    }
}

/// Neat's robust weight of point `i` (0-based) among `n` (`statistics.tricube_bisquare_weights`), given the
/// residuals of the first fit and `s6 = 6 · median(|residual|)`:
/// `tricube_weight(n, k) · (1 − (r_k / s6)²)²` with `k = max(i, 2)`.
///
/// Neat's quirks, kept on purpose:
/// - like the tricube weights, the first two points copy the weight of the third, so **their own residuals are
///   never looked at**: an outlier among the two oldest values is not down-weighted;
/// - the bisquare is **not clipped** at `|r| > s6` (textbook LOWESS gives such points weight 0): past `s6` the
///   factor rises again, to 9 at `|r| = 2·s6`, so a far outlier weighs *more* than in the first fit.
///
/// As in [`neat_fit`], Neat multiplies residuals by these weights inside `leastsq`, so they are squared in the
/// least-squares sum.
pub fn robust_weight(n: usize, i: usize, residuals: &[f64], s6: f64) -> f64 {
    let k = i.max(2);
    tricube_weight(n, k) * (1.0 - (residuals[k] / s6).powi(2)).powi(2)
}

/// Neat's LRR fit (`statistics.loess_robust_parameter_estimates`) of `ys` on `x = 1..n`: the [`neat_fit`], its
/// residuals `r_i = y_i − (a + b·x_i)`, `s6 = 6 · median(|r|)` (NumPy's median), then a weighted refit with
/// [`robust_weight`]² as least-squares weights.
///
/// Where Neat has no answer, the first fit is kept (a deviation): when `s6` is 0 or not finite (at least half
/// the residuals are exactly 0, which happens to the closed-form fit of a constant or straight-line history;
/// Neat divides by zero there and hands NaN or infinite weights to `leastsq`, whose documentation says fitting
/// may then fail; Neat's own iterative first fit almost never leaves exact zeros), and when the refit is
/// degenerate (fewer than two points with non-zero weight; CloudSim's robust variant also falls back to the first
/// fit when its refit yields NaN). `None` for fewer than 3 points.
pub fn robust_fit(ys: &[f64]) -> Option<Line> {
    let first = neat_fit(ys)?;
    let n = ys.len();
    let refit = stats::with_copy(ys, |residuals| {
        for (i, r) in residuals.iter_mut().enumerate() {
            *r -= first.at((i + 1) as f64);
        }
        let residuals: &[f64] = residuals;
        let s6 = 6.0
            * stats::with_copy(residuals, |magnitudes| {
                for m in magnitudes.iter_mut() {
                    *m = m.abs();
                }
                stats::sort(magnitudes);
                stats::median_numpy(magnitudes)
            });
        if !(s6 > 0.0 && s6.is_finite()) {
            return None;
        }
        stats::wls(ys, |i| robust_weight(n, i, residuals, s6).powi(2))
    });
    Some(refit.unwrap_or(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(history: &[f64], migration_time_s: f64) -> HostObservation<'_> {
        let utilization = history.last().copied().unwrap_or(0.0);
        HostObservation { host: 0, utilization, history, migration_time_s, interval_s: 300.0 }
    }

    #[test]
    fn robust_weights_ignore_the_two_oldest_residuals_and_are_not_clipped() {
        // n = 5: tricube w(2) = (1 − (2/4)³)³ = (7/8)³, w(3) = (1 − (1/4)³)³ = (63/64)³, w(4) = 1.
        // Residuals 100, −100 (never looked at), 1, −1, 12 with s6 = 6:
        // points 0, 1, 2 → (7/8)³·(1 − (1/6)²)² = (7/8)³·(35/36)²;
        // point 3 → (63/64)³·(35/36)²; point 4 → 1·(1 − 2²)² = 9 (a residual of 2·s6 weighs 9, not 0).
        let residuals = [100.0, -100.0, 1.0, -1.0, 12.0];
        let third = (7.0f64 / 8.0).powi(3) * (35.0f64 / 36.0).powi(2);
        for i in 0..3 {
            assert!((robust_weight(5, i, &residuals, 6.0) - third).abs() < 1e-15, "point {i}");
        }
        let fourth = (63.0f64 / 64.0).powi(3) * (35.0f64 / 36.0).powi(2);
        assert!((robust_weight(5, 3, &residuals, 6.0) - fourth).abs() < 1e-15);
        assert_eq!(robust_weight(5, 4, &residuals, 6.0), 9.0);
        // A residual of exactly s6 weighs 0.
        assert_eq!(robust_weight(5, 4, &[0.0, 0.0, 0.0, 0.0, -6.0], 6.0), 0.0);
    }

    #[test]
    fn robust_fit_of_three_points_leaves_the_middle_outlier_alone() {
        // n = 3: all tricube weights 1, so the first fit is OLS: 0, 0, 3 → a = −2, b = 1.5, fitted −0.5, 1, 2.5,
        // residuals 0.5, −1, 0.5; median |r| = 0.5, s6 = 3. Every point takes point 2's weight
        // (1 − (0.5/3)²)² = (35/36)², the biggest residual (point 1) included: equal weights, same line.
        let line = robust_fit(&[0.0, 0.0, 3.0]).unwrap();
        assert!((line.slope - 1.5).abs() < 1e-14 && (line.intercept + 2.0).abs() < 1e-14, "{line:?}");
    }

    #[test]
    fn robust_fit_reweights_by_the_first_fits_residuals() {
        // Ten points, flat at 0.5 with a spike of 0.9 at point 6 (x = 7). The oracle below recomputes every step
        // with the uncentred normal equations: first fit with tricube², residuals, s6 = 6·median|r|, refit.
        let mut ys = [0.5; 10];
        ys[6] = 0.9;
        let n = ys.len();
        let solve = |w: &dyn Fn(usize) -> f64| {
            let (mut sw, mut swx, mut swxx, mut swy, mut swxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (i, y) in ys.iter().enumerate() {
                let (w, x) = (w(i), (i + 1) as f64);
                sw += w;
                swx += w * x;
                swxx += w * x * x;
                swy += w * y;
                swxy += w * x * y;
            }
            let b = (sw * swxy - swx * swy) / (sw * swxx - swx * swx);
            ((swy - b * swx) / sw, b)
        };
        let (a1, b1) = solve(&|i| tricube_weight(n, i).powi(2));
        let residuals: Vec<f64> = ys.iter().enumerate().map(|(i, y)| y - (a1 + b1 * (i + 1) as f64)).collect();
        let mut magnitudes: Vec<f64> = residuals.iter().map(|r| r.abs()).collect();
        magnitudes.sort_by(f64::total_cmp);
        let s6 = 6.0 * (magnitudes[4] + magnitudes[5]) / 2.0;
        let (a2, b2) = solve(&|i| {
            let k = i.max(2);
            (tricube_weight(n, k) * (1.0 - (residuals[k] / s6).powi(2)).powi(2)).powi(2)
        });
        let first = neat_fit(&ys).unwrap();
        assert!((first.intercept - a1).abs() < 1e-12 && (first.slope - b1).abs() < 1e-12, "{first:?}");
        let robust = robust_fit(&ys).unwrap();
        assert!((robust.intercept - a2).abs() < 1e-12 && (robust.slope - b2).abs() < 1e-12, "{robust:?}");
        // The spike is within s6 (at 0.43·s6), so it is down-weighted, and the robust line differs from the first.
        assert!((residuals[6] / s6).abs() < 1.0, "spike at {} of s6", residuals[6] / s6);
        assert!((robust.slope - first.slope).abs() > 1e-3, "{robust:?} vs {first:?}");
    }

    #[test]
    fn a_constant_history_keeps_the_first_fit() {
        // Constant 0.5: the tricube fit is exactly flat at 0.5 (halving is exact), all residuals are exactly 0,
        // s6 = 0: Neat would divide by zero; the first fit is kept.
        let history = [0.5; 12];
        assert_eq!(robust_fit(&history[2..]), Some(Line { intercept: 0.5, slope: 0.0 }));
        // s = 2 → 2·0.5 = 1.0 ≥ 1.0: overloaded; s = 1.9999 → 0.99995: not.
        let lrr = |s: f64| Lrr { s, length: 10, threshold: 1.0 };
        assert!(lrr(2.0).check(&observation(&history, 30.0)));
        assert!(!lrr(1.9999).check(&observation(&history, 30.0)));
        // Constant 0.8: the weighted mean rounds to 0.7999999999999999, residuals are rounding noise, not 0, so
        // the refit runs with noise-driven weights; any weights fit a constant, so the line stays put.
        let history = [0.8; 10];
        let (first, robust) = (neat_fit(&history).unwrap(), robust_fit(&history).unwrap());
        assert!((robust.intercept - first.intercept).abs() < 1e-15 && robust.slope.abs() < 1e-15, "{robust:?}");
    }

    #[test]
    fn decides_on_the_robust_prediction_one_fractional_migration_ahead() {
        // Last 10 values rise by 0.05 from 0.55 to 1.0 with noise on points 2..9 (older values are ignored and
        // too short a history is never overloaded).
        let mut history = vec![3.0, 3.0];
        let noise = [0.0, 0.0, 0.01, -0.01, 0.02, -0.02, 0.01, -0.01, 0.0, 0.0];
        history.extend((0..10).map(|i| 0.55 + 0.05 * i as f64 + noise[i]));
        let line = robust_fit(&history[2..]).unwrap();
        // 90 s = 0.3 steps: x = 10.3.
        let prediction = line.at(10.3);
        let lrr = |s: f64| Lrr { s, length: 10, threshold: 1.0 };
        assert!(lrr(1.000_001 / prediction).check(&observation(&history, 90.0)));
        assert!(!lrr(0.999_999 / prediction).check(&observation(&history, 90.0)));
        assert!(!lrr(10.0).check(&observation(&history[3..], 90.0)));
    }
}
