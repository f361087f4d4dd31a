//! The R² that CloudSim's maximum-correlation selection computes: for each candidate VM, Apache Commons Math
//! 3.6.1's `OLSMultipleLinearRegression` of its window on the other candidates' windows (with an intercept),
//! `calculateRSquared()`, reproduced operation for operation so that the values, rounding included, are
//! Commons Math's. Near-ties between candidates are common (two VMs always have mathematically equal R²), so
//! CloudSim's strict `>` picks between them by that rounding.
//!
//! What Commons Math does, per fit (`newSampleData`, `calculateRSquared`):
//! - X = [1, the other windows] (m rows, newest value first as CloudSim's histories are; n columns). Fewer rows
//!   than columns throws (`NOT_ENOUGH_DATA_FOR_NUMBER_OF_PREDICTORS`): the caller's fallback.
//! - `QRDecomposition(X)` with threshold 0: Householder steps on X's columns (`performHouseholderReflection`):
//!   `a = ∓‖rows k..m of column k‖`, `v = column k − a·e_k`, each later column c ← c − (−Σcv / (a·v_k))·v.
//! - b = `solver.solve(y)`: `SingularMatrixException` (the caller's fallback) when a diagonal entry a is 0;
//!   else y ← Qᵀy by the same reflections (the solver's `+Σyv / (a·v_k)` is the column update's value with its
//!   sign, rounding symmetric), then back substitution on R.
//! - RSS = Σ (y − X·b)², X·b summed column by column in each row; TSS = `SecondMoment` of y (the incremental
//!   mean and M2); R² = 1 − RSS / TSS.
//!
//! Fit i's design is [1, w₀ … wᵢ₋₁, wᵢ₊₁ …]: its first i + 1 columns are those of W = [1, every window], so its
//! first i + 1 Householder steps are W's, and its later columns (and its y, wᵢ) enter its own steps as W's steps
//! left them. W is factorized once, and each fit continues from W's state after step i: the same operations on
//! the same values as a fresh factorization of the fit's design.

/// CloudSim's MC regressions, with buffers kept between calls.
#[derive(Clone, Debug, Default)]
pub struct CommonsMathFits {
    /// W's columns (column-major, m rows each) as its Householder steps leave them.
    w: Vec<f64>,
    /// W's diagonal entries of R (Commons Math's `rDiag`), one per step.
    w_diagonal: Vec<f64>,
    /// One fit's later columns and its y (last), as its own steps leave them.
    fit: Vec<f64>,
    fit_diagonal: Vec<f64>,
    beta: Vec<f64>,
    fitted: Vec<f64>,
}

impl CommonsMathFits {
    /// Each window's R² on the others, into `out`, or `false` where CloudSim's call throws (fewer rows than
    /// design columns, or a singular design), which sends CloudSim to its fallback. `window(i)` is candidate
    /// i's window, newest value first, `m` values; `n` windows.
    pub fn r_squared<'a>(
        &mut self,
        n: usize,
        m: usize,
        window: impl Fn(usize) -> &'a [f64],
        out: &mut Vec<f64>,
    ) -> bool {
        out.clear();
        // One candidate: no predictor (Commons Math's `NoDataException`). m < n: too few observations.
        if n < 2 || m < n {
            return false;
        }
        let columns = n + 1;
        self.w.clear();
        self.w.resize(m, 1.0);
        for i in 0..n {
            self.w.extend_from_slice(window(i));
        }
        self.w_diagonal.clear();
        for step in 0..n {
            let Some(a) = householder_step(&mut self.w, m, step, columns) else { return false };
            self.w_diagonal.push(a);
            // W's columns step + 1.. are now as every fit i = step needs them.
            let Some(r_squared) = self.fit(n, m, step, &window) else { return false };
            out.push(r_squared);
        }
        true
    }

    /// Fit i: [1, w₀ … wᵢ₋₁] are W's columns 0..=i, done; its later columns are W's columns i + 2.., and its y
    /// W's column i + 1, as W's step i left them.
    fn fit<'a>(&mut self, n: usize, m: usize, i: usize, window: &impl Fn(usize) -> &'a [f64]) -> Option<f64> {
        let later = n - 1 - i; // the design's columns after its first i + 1
        self.fit.clear();
        self.fit.extend_from_slice(&self.w[(i + 2) * m..(n + 1) * m]);
        self.fit.extend_from_slice(&self.w[(i + 1) * m..(i + 2) * m]);
        self.fit_diagonal.clear();
        for step in i + 1..n {
            // The design's column `step` is the fit's column step − (i + 1); y is the fit's last.
            let a = householder_step_at(&mut self.fit, m, step, step - (i + 1), later + 1)?;
            self.fit_diagonal.push(a);
        }
        // Back substitution on R b = Qᵀy (`Solver.solve`), rows n − 1 down to 0.
        let (design_later, y) = self.fit.split_at_mut(later * m);
        let diagonal = |row: usize| if row <= i { self.w_diagonal[row] } else { self.fit_diagonal[row - i - 1] };
        // R's entry (row, column) above the diagonal: the design column's value at that row.
        let r = |row: usize, column: usize| {
            if column <= i {
                self.w[column * m + row]
            } else {
                design_later[(column - i - 1) * m + row]
            }
        };
        self.beta.clear();
        self.beta.resize(n, 0.0);
        for row in (0..n).rev() {
            y[row] /= diagonal(row);
            let y_row = y[row];
            self.beta[row] = y_row;
            for (above, value) in y[..row].iter_mut().enumerate() {
                *value -= y_row * r(above, row);
            }
        }
        // RSS from the residuals of the original design and y; TSS from y.
        // X·b: each row's sum over the columns in order (`Array2DRowRealMatrix.operate`), built column by column
        // (each row's additions in the same order), the intercept's term first.
        self.fitted.clear();
        self.fitted.resize(m, 0.0);
        for (column, &b) in self.beta.iter().enumerate() {
            if column == 0 {
                self.fitted.iter_mut().for_each(|sum| *sum += 1.0 * b);
                continue;
            }
            let x = if column <= i { window(column - 1) } else { window(column) };
            for (sum, x) in self.fitted.iter_mut().zip(x) {
                *sum += x * b;
            }
        }
        let y_given = window(i);
        let mut rss = 0.0;
        for (y_value, fitted) in y_given.iter().zip(&self.fitted) {
            let residual = y_value - fitted;
            rss += residual * residual;
        }
        Some(1.0 - rss / second_moment(y_given))
    }
}

/// W's Householder step `step` on its `columns` columns (column-major, `m` rows): R's diagonal entry, or
/// `None` when it is 0 (a singular design).
fn householder_step(matrix: &mut [f64], m: usize, step: usize, columns: usize) -> Option<f64> {
    householder_step_at(matrix, m, step, step, columns)
}

/// Householder step `step` (rows `step..m`) with the reflector from column `own` of `matrix` (column-major, `m`
/// rows, `columns` columns), applied to the columns after it: `performHouseholderReflection`'s arithmetic.
/// Returns R's diagonal entry `a`, or `None` when it is 0.
fn householder_step_at(matrix: &mut [f64], m: usize, step: usize, own: usize, columns: usize) -> Option<f64> {
    let (done, later) = matrix[..columns * m].split_at_mut((own + 1) * m);
    let v = &mut done[own * m..];
    let mut norm_squared = 0.0;
    for &c in &v[step..m] {
        norm_squared += c * c;
    }
    let a = if v[step] > 0.0 { -norm_squared.sqrt() } else { norm_squared.sqrt() };
    if a == 0.0 {
        return None;
    }
    v[step] -= a;
    let v = &v[step..m];
    for column in later.chunks_exact_mut(m) {
        let column = &mut column[step..];
        let mut alpha = 0.0;
        for (c, v) in column.iter().zip(v) {
            alpha -= c * v;
        }
        alpha /= a * v[0];
        for (c, v) in column.iter_mut().zip(v) {
            *c -= alpha * v;
        }
    }
    Some(a)
}

/// Commons Math's `SecondMoment.evaluate`: Σ(y − ȳ)² by its incremental mean and M2.
fn second_moment(values: &[f64]) -> f64 {
    let (mut n, mut m1, mut m2) = (0.0_f64, 0.0, 0.0);
    for &value in values {
        n += 1.0;
        let dev = value - m1;
        let n_dev = dev / n;
        m1 += n_dev;
        m2 += (n - 1.0) * dev * n_dev;
    }
    m2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R² as printed by Commons Math 3.6.1 itself (`OLSMultipleLinearRegression.newSampleData(y, x)` then
    /// `calculateRSquared()`, run in Java on these windows), bit for bit.
    #[test]
    fn matches_commons_math_bit_for_bit() {
        let windows: [&[f64]; 3] = [
            &[0.31, 0.2, 0.25, 0.4, 0.12, 0.05, 0.33],
            &[0.5, 0.45, 0.61, 0.3, 0.22, 0.18, 0.4],
            &[0.02, 0.1, 0.07, 0.2, 0.15, 0.3, 0.01],
        ];
        let mut fits = CommonsMathFits::default();
        let mut out = Vec::new();
        assert!(fits.r_squared(3, 7, |i| windows[i], &mut out));
        let expected = [COMMONS_MATH_R2_0, COMMONS_MATH_R2_1, COMMONS_MATH_R2_2];
        for (got, want) in out.iter().zip(expected) {
            assert_eq!(got.to_bits(), want.to_bits(), "{got} against {want}");
        }
    }

    // 0.3019195679768121, 0.5945574081105592, 0.6317988470139047.
    const COMMONS_MATH_R2_0: f64 = f64::from_bits(0x3fd3_52a6_739e_e720);
    const COMMONS_MATH_R2_1: f64 = f64::from_bits(0x3fe3_069d_41ed_bd75);
    const COMMONS_MATH_R2_2: f64 = f64::from_bits(0x3fe4_37b2_3732_6844);

    /// Fresh factorizations of each fit's own design: the same values as continuing from W's steps.
    #[test]
    fn continuing_from_the_shared_steps_changes_nothing() {
        let windows: Vec<Vec<f64>> =
            (0..6).map(|i| (0..12).map(|j| ((i * 7 + j * 3) % 11) as f64 / 10.0 + 0.01 * i as f64).collect()).collect();
        let mut fits = CommonsMathFits::default();
        let mut shared = Vec::new();
        assert!(fits.r_squared(6, 12, |i| &windows[i], &mut shared));
        for (i, shared_r_squared) in shared.iter().enumerate() {
            // Put window i last, so that fit i is the last fit of a fresh W: its steps are all its own.
            let order: Vec<usize> = (0..6).filter(|&j| j != i).chain([i]).collect();
            let mut alone = Vec::new();
            assert!(CommonsMathFits::default().r_squared(6, 12, |k| &windows[order[k]], &mut alone));
            assert_eq!(alone[5].to_bits(), shared_r_squared.to_bits(), "fit {i}");
        }
    }

    #[test]
    fn too_few_observations_or_a_singular_design_fail_as_commons_math_throws() {
        let mut fits = CommonsMathFits::default();
        let mut out = Vec::new();
        let windows: [&[f64]; 3] = [&[0.1, 0.2, 0.3], &[0.3, 0.1, 0.2], &[0.2, 0.2, 0.1]];
        // m = n is enough: each fit is exact, and Commons Math gives 1.0 for each here.
        assert!(fits.r_squared(3, 3, |i| windows[i], &mut out));
        assert_eq!(out, vec![1.0; 3]);
        assert!(!fits.r_squared(3, 2, |i| &windows[i][..2], &mut out), "m < n is not");
        assert!(!fits.r_squared(1, 3, |i| windows[i], &mut out), "one VM has no predictor");
        // A constant window: its own fit has TSS = 0 (R² NaN), and the other fit's design repeats the intercept,
        // which Commons Math finds singular (an exact 0 on R's diagonal) and throws.
        let constant: [&[f64]; 2] = [&[0.5, 0.5, 0.5, 0.5], &[0.1, 0.2, 0.3, 0.4]];
        assert!(!fits.r_squared(2, 4, |i| constant[i], &mut out));
    }

    #[test]
    fn second_moment_is_the_sum_of_squared_deviations() {
        assert_eq!(second_moment(&[1.0, 2.0, 3.0, 4.0]), 5.0);
        assert_eq!(second_moment(&[]), 0.0);
    }
}
