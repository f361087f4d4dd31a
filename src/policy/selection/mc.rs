//! Maximum correlation (MC), as CloudSim's `PowerVmSelectionPolicyMaximumCorrelation` computes it (Neat has no
//! MC, so both semantics use this).
//!
//! 1. **Window.** m = the shortest candidate history; each VM contributes its most recent m utilisation values.
//! 2. **Fits.** For each VM i: an OLS fit, with intercept, of its window on the other VMs' windows (Apache Commons
//!    Math's `OLSMultipleLinearRegression`), and R² = 1 − SSR/SST with SST = Σ(y − ȳ)² (`calculateRSquared`).
//! 3. **Pick.** The VM with the largest R², scanning with a strict `>` from Java's `Double.MIN_VALUE` (the
//!    smallest positive *subnormal*, 4.9e-324, not Rust's `f64::MIN_POSITIVE`): ties go to the first candidate,
//!    and if no R² is above that value the first candidate wins. R² within [`R_SQUARED_TIE`] of each other are
//!    ties (see the deviations).
//! 4. **Fallback: minimum migration time** (as in CloudSim's examples) when any fit is impossible. CloudSim falls
//!    back on the `IllegalArgumentException`s that Commons Math throws:
//!    - fewer than 2 candidates (no predictor: `NoDataException`);
//!    - too few observations: Commons Math needs rows ≥ predictors + 1, i.e. m ≥ (n − 1) + 1 = n for n VMs
//!      (`NOT_ENOUGH_DATA_FOR_NUMBER_OF_PREDICTORS`); this also covers an empty history;
//!    - a singular design (`SingularMatrixException`), e.g. two VMs with proportional windows or a constant
//!      window, which is collinear with the intercept.
//!
//! All n fits come from one Householder QR of the m × (n + 1) matrix X = [1, every window]: the residual sum of
//! squares of window i on all the other columns is 1 / (XᵀX)⁻¹ᵢᵢ, and (XᵀX)⁻¹ = R⁻¹R⁻ᵀ, so SSRᵢ = 1 / ‖row i of
//! R⁻¹‖². That costs O(m·n² + n³) instead of n separate fits' O(m·n³). When X itself is rank-deficient (which
//! need not make any single fit's design so, e.g. one window an exact combination of the others), each fit is
//! done on its own: a Householder QR of its m × n design [1, other windows] applied to y at the same time, SSR
//! being the squared norm of the last m − n entries of Qᵀy. If X passes the rank test every fit's design does
//! (dropping a column leaves the later columns' remaining norms no smaller), so the fast path never accepts what
//! the separate fits would refuse.
//!
//! The plan calls the selector again on the same host's candidates minus the VM it just picked, so the
//! factorization is kept column by column with each column's state after every Householder step: when a call's
//! windows are exactly (bit for bit, in order, same m) the previous call's minus one, the steps for the columns
//! before the removed one saw the same values and are kept, and only the steps from its column on are redone.
//! Nothing but the window values is compared (not addresses), so histories changed in place never reuse stale
//! steps; the arithmetic is the same as a fresh factorization's, so the R² are bit-identical either way.
//! The separate fits reuse those states too: fit i's design is X without column 1 + i, so its first 1 + i steps
//! are X's, and only its later steps are computed. They are needed only when X fails the rank test at its last
//! column (always so with m = n); if X fails at an earlier column, so does every fit whose design holds X's
//! columns up to it (the last window's fit at least), and the selection falls back to MMT at once.
//!
//! Deviations from CloudSim, all where it is undefined or numerically arbitrary:
//! - Unequal history lengths make CloudSim's `getUtilizationMatrix` write past its m columns and throw an
//!   uncaught `ArrayIndexOutOfBoundsException`; we use every VM's most recent m values. (CloudSim's histories are
//!   most-recent-first, ours oldest-first; R² does not depend on the order of the observations.)
//! - Commons Math's QR declares a design singular only when a diagonal entry of R is exactly 0 (threshold 0), so
//!   a nearly collinear design gives rounding noise there. We call the design singular when a column's remaining
//!   norm is at most [`RANK_TOLERANCE`] times its norm, and fall back to MMT.
//! - With m = n the fits are exact and every R² is exactly 1 here (SSR is an empty sum), so the first VM wins;
//!   CloudSim's residuals are rounding noise there, and its pick with them.
//! - Mathematically equal R² (always the case with two VMs: both are r²) differ by rounding, so CloudSim's strict
//!   `>` picks between them by rounding noise, which no other implementation reproduces. We count R² within
//!   [`R_SQUARED_TIE`] (1e-12) of the running maximum as equal, so the first of them wins.
//! - SST = 0 (a constant window) has no R²: CloudSim computes 0/0 = NaN or −∞, which its strict `>` never picks;
//!   we never pick it either. It cannot change the outcome in practice, because that constant window is in every
//!   other VM's design, which is then singular, so the selection falls back to MMT.
//!
//! The history length is the caller's: CloudSim keeps 30 values per VM (`PowerVm.HISTORY_LENGTH`).

mod commons_math;

use rand_pcg::Pcg64;

use crate::policy::selection::mmt::least_migration_time;
use crate::policy::selection::{VmCandidate, VmSelector};

/// A design column whose norm left after the earlier Householder steps is at most this fraction of its own norm is
/// taken as a linear combination of the columns before it (rounding alone leaves about 1e-15).
pub const RANK_TOLERANCE: f64 = 1e-10;

/// R² values within this of the running maximum count as equal, so the first of them is kept: rounding, not the
/// data, would otherwise decide between mathematically equal R² (two VMs always have the same R², r²).
pub const R_SQUARED_TIE: f64 = 1e-12;

/// How MC computes its fits (`selection = { kind = "mc", fit = "robust" }`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McFit {
    /// As CloudSim computes them: Apache Commons Math's OLS, operation for operation
    /// ([`commons_math`]), a design singular only when a diagonal entry of R is exactly 0, and the strict `>` of
    /// CloudSim's pick deciding between near-equal R² by their rounding. The default in `cloudsim` semantics.
    CommonsMath,
    /// fleetsim's robust fits (the default in `neat` semantics, which has no MC of its own): one QR for all fits,
    /// nearly collinear designs taken as singular ([`RANK_TOLERANCE`], MMT fallback), R² within
    /// [`R_SQUARED_TIE`] counted as equal (the first wins). See the module documentation's deviations.
    #[default]
    Robust,
}

#[derive(Clone, Debug, Default)]
pub struct MaximumCorrelation {
    fit: McFit,
    commons_math: commons_math::CommonsMathFits,
    /// Each candidate's window, newest first (CloudSim's order), one after another, for the exact fits.
    windows: Vec<f64>,
    factorization: ColumnStepQr,
    r_squared: Vec<f64>,
    /// One separate fit's design and y (see [`ColumnStepQr::fill_r_squared_fit_by_fit`]), kept between calls.
    fit_work: Vec<f64>,
}

impl VmSelector for MaximumCorrelation {
    fn select(&mut self, candidates: &[VmCandidate], _rng: &mut Pcg64) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        let picked = match self.fit {
            McFit::CommonsMath => self.commons_math_r_squared(candidates).map(|r_squared| first_max(r_squared, 0.0)),
            McFit::Robust => self.r_squared_each(candidates).map(|r_squared| first_max(r_squared, R_SQUARED_TIE)),
        };
        picked.or_else(|| least_migration_time(candidates))
    }
}

impl MaximumCorrelation {
    pub fn new(fit: McFit) -> MaximumCorrelation {
        MaximumCorrelation { fit, ..MaximumCorrelation::default() }
    }

    /// Each candidate's R² as CloudSim gets them from Commons Math, or `None` where CloudSim falls back. Its
    /// windows are the VMs' histories, newest first, m the shortest. (With unequal lengths CloudSim's
    /// `getUtilizationMatrix` overruns its rows and crashes; the newest m values of each are used here.)
    fn commons_math_r_squared(&mut self, candidates: &[VmCandidate]) -> Option<&[f64]> {
        let m = candidates.iter().map(|c| c.history.len()).min()?;
        self.windows.clear();
        for candidate in candidates {
            self.windows.extend(recent(candidate, m).iter().rev());
        }
        let windows = &self.windows;
        let fitted =
            self.commons_math.r_squared(candidates.len(), m, |i| &windows[i * m..(i + 1) * m], &mut self.r_squared);
        fitted.then_some(&self.r_squared)
    }

    /// Each candidate's R² against the others, or `None` when a fit is impossible (see the module documentation).
    fn r_squared_each(&mut self, candidates: &[VmCandidate]) -> Option<&[f64]> {
        let n = candidates.len();
        let m = candidates.iter().map(|c| c.history.len()).min()?;
        if n < 2 || m < n {
            return None;
        }
        // With m = n, X has more columns than rows and fails the rank test at its last column: the separate fits
        // then start from its steps.
        let fitted = self.factorization.r_squared(candidates, m, &mut self.r_squared)
            || self.factorization.fill_r_squared_fit_by_fit(&mut self.r_squared, &mut self.fit_work);
        fitted.then_some(&self.r_squared)
    }
}

/// The Householder QR of X = [1, every window] (see the module documentation), kept with every column's state
/// after each step, so that a call whose candidates are the previous call's minus one restarts at the removed
/// column instead of at column 0.
#[derive(Clone, Debug, Default)]
struct ColumnStepQr {
    /// The window length the columns hold.
    m: usize,
    /// X's columns: 0 is the intercept, 1 + i candidate i's window; those from `width` on are spare allocations.
    columns: Vec<QrColumn>,
    width: usize,
    /// Householder steps done: fewer than `width` when a column failed the rank test.
    steps: usize,
    /// R, dense and column-major (`width` × `width`), and one row of R⁻¹: buffers kept between calls.
    r: Vec<f64>,
    inverse_row: Vec<f64>,
}

#[derive(Clone, Debug, Default)]
struct QrColumn {
    /// The column as given (m values), then, for each step k before the column's own, its rows k..m after step k
    /// (row k, the first, is then final: Rₖ,this column).
    states: Vec<f64>,
    /// Σ(y − ȳ)² of the column as given.
    total: f64,
    /// From the column's own step k: Rₖₖ, the Householder vector v (rows k..m) and vᵀv.
    diagonal: f64,
    reflector: Vec<f64>,
    reflector_norm2: f64,
}

/// Where the state after Householder step `k` starts in a column's `states`: after the m given values and the
/// states after steps 0..k (step j leaves rows j..m, m − j values).
fn state_after_step(m: usize, k: usize) -> usize {
    m + k * m - k * k.saturating_sub(1) / 2
}

/// Whether two slices hold the same values, bit for bit (a window: the factorization depends on nothing else).
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

impl ColumnStepQr {
    /// Writes every candidate's R² to `out` from one QR (reusing the previous call's steps when it can), or returns
    /// false when X is rank-deficient.
    fn r_squared(&mut self, candidates: &[VmCandidate], m: usize, out: &mut Vec<f64>) -> bool {
        let first_step = self.drop_removed_candidate(candidates, m).unwrap_or_else(|| {
            self.load(candidates, m);
            0
        });
        if !self.factorize_from(first_step) {
            return false;
        }
        self.fill_r_squared(out);
        true
    }

    /// When `candidates` are the factorized ones minus one (same m, same windows bit for bit, same order), drops
    /// that one's column and the later columns' states after the steps from its column on, and returns its
    /// column: the first step to redo. Steps before it saw the same columns, so they are kept as they are.
    fn drop_removed_candidate(&mut self, candidates: &[VmCandidate], m: usize) -> Option<usize> {
        if self.m != m || self.width != candidates.len() + 2 {
            return None;
        }
        let factorized = &self.columns[1..self.width];
        let same = |column: &QrColumn, candidate: &VmCandidate| same_bits(&column.states[..m], recent(candidate, m));
        let removed =
            candidates.iter().zip(factorized).position(|(c, column)| !same(column, c)).unwrap_or(candidates.len());
        let rest_same = candidates[removed..].iter().zip(&factorized[removed + 1..]).all(|(c, column)| same(column, c));
        let removed_column = 1 + removed;
        if !rest_same || self.steps < removed_column {
            return None;
        }
        self.columns[removed_column..self.width].rotate_left(1);
        self.width -= 1;
        let kept = state_after_step(m, removed_column);
        for column in &mut self.columns[removed_column..self.width] {
            column.states.truncate(kept);
        }
        self.steps = removed_column;
        Some(removed_column)
    }

    /// Starts over with X = [1, every window].
    fn load(&mut self, candidates: &[VmCandidate], m: usize) {
        self.m = m;
        self.width = candidates.len() + 1;
        self.steps = 0;
        if self.columns.len() < self.width {
            self.columns.resize_with(self.width, QrColumn::default);
        }
        let intercept = &mut self.columns[0];
        intercept.states.clear();
        intercept.states.resize(m, 1.0);
        for (column, candidate) in self.columns[1..self.width].iter_mut().zip(candidates) {
            let window = recent(candidate, m);
            column.states.clear();
            column.states.extend_from_slice(window);
            column.total = sum_of_squared_deviations(window);
        }
    }

    /// Householder steps `first..width` (the steps before `first` done), the same arithmetic as
    /// [`householder_steps`]; false when a column fails the rank test.
    fn factorize_from(&mut self, first: usize) -> bool {
        let m = self.m;
        for k in first..self.width {
            let (done, later) = self.columns[..self.width].split_at_mut(k + 1);
            let column = &mut done[k];
            // Rows k..m after k steps: the last m − k values of the last state.
            let rows = &column.states[column.states.len() - (m - k)..];
            // The whole column's norm, summed in row order: R's entries above row k, then rows k..m.
            let above = (0..k).map(|j| column.states[state_after_step(m, j)]);
            let norm = above.chain(rows.iter().copied()).map(|v| v * v).sum::<f64>().sqrt();
            let below = rows.iter().map(|v| v * v).sum::<f64>().sqrt();
            if below <= RANK_TOLERANCE * norm {
                self.steps = k;
                return false;
            }
            let alpha = if rows[0] > 0.0 { -below } else { below };
            column.diagonal = alpha;
            column.reflector.clear();
            column.reflector.extend_from_slice(rows);
            column.reflector[0] -= alpha;
            let v = &column.reflector;
            let vv = v.iter().map(|a| a * a).sum::<f64>();
            column.reflector_norm2 = vv;
            for other in later {
                let end = other.states.len();
                other.states.extend_from_within(end - (m - k)..);
                reflect(v, vv, &mut other.states[end..]);
            }
        }
        self.steps = self.width;
        true
    }

    /// After X failed the rank test, each window's R² from its own fit on [1, the other windows] (written to
    /// `out`), or false when a fit is impossible. Fit i's design is X without column 1 + i, so its first 1 + i
    /// Householder steps are X's, and its later columns and y start from their states after those steps: the
    /// same arithmetic as a fresh QR of the design and y ([`householder_steps`] from step 0), for the rest of the
    /// steps only.
    fn fill_r_squared_fit_by_fit(&self, out: &mut Vec<f64>, work: &mut Vec<f64>) -> bool {
        let (m, width) = (self.m, self.width);
        // X failing at a column k before its last fails every fit whose design starts with X's columns 0..=k,
        // the fit of the last window at least.
        if self.steps + 1 < width {
            return false;
        }
        let designed = width - 1; // each design's columns: the intercept and the n − 1 other windows
        out.clear();
        for y_column in 1..width {
            // X's steps 0..y_column are this design's first ones; then come X's later columns, then y.
            let done = y_column;
            // Every slot the steps read (done..=designed) is written below: the buffer needs no zeroing.
            work.resize(m * (designed + 1), 0.0);
            let later = (y_column + 1..width).chain(std::iter::once(y_column));
            for (slot, x_column) in (done..=designed).zip(later) {
                let states = &self.columns[x_column].states;
                let target = &mut work[slot * m..(slot + 1) * m];
                // Rows 0..done are final after their steps (R's entries), rows done..m after step done − 1.
                for (row, value) in target[..done].iter_mut().enumerate() {
                    *value = states[state_after_step(m, row)];
                }
                let last = state_after_step(m, done - 1);
                target[done..].copy_from_slice(&states[last + 1..last + 1 + (m - done)]);
            }
            let (design, y) = work.split_at_mut(m * designed);
            // A square design fits y exactly (no residual coordinates): reflecting y would be wasted.
            if !householder_steps(design, m, done, (designed < m).then_some(&mut *y), None) {
                return false;
            }
            let residual = y[designed..].iter().map(|r| r * r).sum::<f64>();
            let total = self.columns[y_column].total;
            out.push(if total > 0.0 { 1.0 - residual / total } else { f64::NEG_INFINITY });
        }
        true
    }

    /// Each window's R² from the rows of R⁻¹ (see the module documentation).
    fn fill_r_squared(&mut self, out: &mut Vec<f64>) {
        let (m, width) = (self.m, self.width);
        let r = &mut self.r;
        r.clear();
        r.resize(width * width, 0.0);
        for (j, column) in self.columns[..width].iter().enumerate() {
            let r_column = &mut r[j * width..(j + 1) * width];
            for (k, entry) in r_column[..j].iter_mut().enumerate() {
                *entry = column.states[state_after_step(m, k)];
            }
            r_column[j] = column.diagonal;
        }
        // Row i of R⁻¹ by back substitution on Rᵀ: R⁻¹ᵢⱼ = 0 for j < i, 1/Rᵢᵢ at j = i, and for j > i
        // −(Σ_{k=i..j−1} R⁻¹ᵢₖ Rₖⱼ) / Rⱼⱼ.
        let row = &mut self.inverse_row;
        row.clear();
        row.resize(width, 0.0);
        out.clear();
        for i in 1..width {
            row[i] = 1.0 / r[i * width + i];
            for j in i + 1..width {
                let r_column = &r[j * width..(j + 1) * width];
                let dot: f64 = row[i..j].iter().zip(&r_column[i..j]).map(|(a, b)| a * b).sum();
                row[j] = -dot / r_column[j];
            }
            let inverse_diagonal: f64 = row[i..].iter().map(|v| v * v).sum();
            let residual = 1.0 / inverse_diagonal;
            let total = self.columns[i].total;
            out.push(if total > 0.0 { 1.0 - residual / total } else { f64::NEG_INFINITY });
        }
    }
}

/// Each R² from its own fit of window i on [1, the other windows], from scratch: the tests' reference.
#[cfg(test)]
fn r_squared_fit_by_fit(candidates: &[VmCandidate], m: usize) -> Option<Vec<f64>> {
    let n = candidates.len();
    // Column-major: columns 0..n are the design (intercept, then the other VMs in order), column n is y.
    let mut work = vec![0.0; m * (n + 1)];
    let mut r_squared = Vec::with_capacity(n);
    for i in 0..n {
        let (design, y) = work.split_at_mut(m * n);
        design[..m].fill(1.0);
        let others = candidates.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, c)| c);
        for (column, other) in design[m..].chunks_exact_mut(m).zip(others) {
            column.copy_from_slice(recent(other, m));
        }
        y.copy_from_slice(recent(&candidates[i], m));
        r_squared.push(fit_r_squared(design, y, m)?);
    }
    Some(r_squared)
}

/// Σ(y − ȳ)².
fn sum_of_squared_deviations(y: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>()
}

/// The most recent `m` values of a candidate's history (oldest first).
fn recent<'a>(candidate: &VmCandidate<'a>, m: usize) -> &'a [f64] {
    &candidate.history[candidate.history.len() - m..]
}

/// R² of the least-squares fit of `y` on the columns of `design` (column-major, `m` rows, intercept included), or
/// `None` when the design is rank-deficient. Both buffers are overwritten. `NEG_INFINITY` when y is constant.
#[cfg(test)]
fn fit_r_squared(design: &mut [f64], y: &mut [f64], m: usize) -> Option<f64> {
    let total = sum_of_squared_deviations(y);
    let columns = design.len() / m;
    // A square design fits y exactly (no residual coordinates): reflecting y would be wasted.
    householder_qr(design, m, (columns < m).then_some(&mut *y))?;
    // Qᵀy: its first `columns` entries are fitted exactly by R b; the rest are the residuals' coordinates.
    let residual = y[columns..].iter().map(|r| r * r).sum::<f64>();
    Some(if total > 0.0 { 1.0 - residual / total } else { f64::NEG_INFINITY })
}

/// Householder QR of `matrix` (column-major, `m` rows), in place, applying each reflection to `y` too. Returns
/// R's diagonal (R's entries above it are left in `matrix`: Rₖⱼ at row k of column j), or `None` when a column's
/// norm left after the earlier steps is at most [`RANK_TOLERANCE`] of its own norm (rank-deficient).
#[cfg(test)]
fn householder_qr(matrix: &mut [f64], m: usize, y: Option<&mut [f64]>) -> Option<Vec<f64>> {
    let mut diagonal = Vec::new();
    householder_steps(matrix, m, 0, y, Some(&mut diagonal)).then_some(diagonal)
}

/// Steps `first..` of a Householder QR (`first = 0`: all of it), the earlier ones done: rows 0..first of the
/// later columns (and of `y`) hold R's entries, the other rows their state after step first − 1; the first
/// `first` columns are not read. Appends the diagonal entries of R from step `first` on to `diagonal` if given
/// (the separate fits need none); false when a column fails the rank test.
fn householder_steps(
    matrix: &mut [f64],
    m: usize,
    first: usize,
    mut y: Option<&mut [f64]>,
    mut diagonal: Option<&mut Vec<f64>>,
) -> bool {
    let columns = matrix.len() / m;
    for k in first..columns {
        let (done, later) = matrix.split_at_mut((k + 1) * m);
        let column = &mut done[k * m..];
        // Reflections preserve norms, so the whole column's norm is still the original column's.
        let norm = column.iter().map(|v| v * v).sum::<f64>().sqrt();
        let below = column[k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if below <= RANK_TOLERANCE * norm {
            return false;
        }
        // Householder vector v = x − αe₁ with α = −sign(x₀)‖x‖, which avoids cancellation; v overwrites x and
        // the reflected column is α e₁: Rₖₖ = α.
        let alpha = if column[k] > 0.0 { -below } else { below };
        if let Some(diagonal) = diagonal.as_deref_mut() {
            diagonal.push(alpha);
        }
        column[k] -= alpha;
        let v = &column[k..];
        let vv = v.iter().map(|a| a * a).sum::<f64>();
        for other in later.chunks_exact_mut(m) {
            reflect(v, vv, &mut other[k..]);
        }
        if let Some(y) = y.as_deref_mut() {
            reflect(v, vv, &mut y[k..]);
        }
    }
    true
}

/// x ← (I − 2vvᵀ/vᵀv) x.
fn reflect(v: &[f64], vv: f64, x: &mut [f64]) {
    let scale = 2.0 * v.iter().zip(x.iter()).map(|(a, b)| a * b).sum::<f64>() / vv;
    for (xi, vi) in x.iter_mut().zip(v) {
        *xi -= scale * vi;
    }
}

/// CloudSim's pick: the first index whose R² is above `Double.MIN_VALUE` and, after that, above the running
/// maximum by more than `tie` (0: CloudSim's strict `>`; [`R_SQUARED_TIE`] for the robust fits); index 0 if
/// none is.
fn first_max(values: &[f64], tie: f64) -> usize {
    // Java's Double.MIN_VALUE: the smallest positive subnormal double.
    let min_value = f64::from_bits(1);
    let mut best: Option<(usize, f64)> = None;
    for (index, &value) in values.iter().enumerate() {
        let better = match best {
            None => value > min_value,
            Some((_, max)) => value > max + tie,
        };
        if better {
            best = Some((index, value));
        }
    }
    best.map_or(0, |(index, _)| index)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::policy::selection::test_candidate;

    fn pick(candidates: &[VmCandidate]) -> Option<usize> {
        MaximumCorrelation::new(McFit::Robust).select(candidates, &mut Pcg64::seed_from_u64(1))
    }

    fn r_squared_each(candidates: &[VmCandidate]) -> Option<Vec<f64>> {
        MaximumCorrelation::new(McFit::Robust).r_squared_each(candidates).map(<[f64]>::to_vec)
    }

    fn r_squared_from_one_factorization(candidates: &[VmCandidate], m: usize) -> Option<Vec<f64>> {
        let mut r_squared = Vec::new();
        ColumnStepQr::default().r_squared(candidates, m, &mut r_squared).then_some(r_squared)
    }

    /// All R² from one QR of [1, every window] (see the module documentation), or `None` when that matrix is
    /// rank-deficient.
    fn one_shot_r_squared(candidates: &[VmCandidate], m: usize) -> Option<Vec<f64>> {
        let n = candidates.len();
        let columns = n + 1;
        // Column-major: column 0 is the intercept, column 1 + i is candidate i's window.
        let mut work = vec![0.0; m * columns];
        work[..m].fill(1.0);
        for (column, candidate) in work[m..].chunks_exact_mut(m).zip(candidates) {
            column.copy_from_slice(recent(candidate, m));
        }
        let total: Vec<f64> = work[m..].chunks_exact(m).map(sum_of_squared_deviations).collect();
        let diagonal = householder_qr(&mut work, m, None)?;
        // R (upper triangular): Rₖₖ = diagonal[k], Rₖⱼ = work[j·m + k] for j > k.
        let r = |k: usize, j: usize| if k == j { diagonal[k] } else { work[j * m + k] };
        // Row i of R⁻¹ by back substitution on Rᵀ: R⁻¹ᵢⱼ = 0 for j < i, 1/Rᵢᵢ at j = i, and for j > i
        // −(Σ_{k=i..j−1} R⁻¹ᵢₖ Rₖⱼ) / Rⱼⱼ.
        let mut row = vec![0.0; columns];
        let r_squared = (1..columns)
            .map(|i| {
                row[i] = 1.0 / r(i, i);
                for j in i + 1..columns {
                    let dot: f64 = (i..j).map(|k| row[k] * r(k, j)).sum();
                    row[j] = -dot / r(j, j);
                }
                let inverse_diagonal: f64 = row[i..].iter().map(|v| v * v).sum();
                let residual = 1.0 / inverse_diagonal;
                let total = total[i - 1];
                if total > 0.0 {
                    1.0 - residual / total
                } else {
                    f64::NEG_INFINITY
                }
            })
            .collect();
        Some(r_squared)
    }

    fn assert_close(actual: &[f64], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len(), "{actual:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() < 1e-12, "{actual:?} != {expected:?}");
        }
    }

    // Orthogonal zero-mean vectors of length 4, each of squared norm 4:
    //   e1 = [1, −1, 1, −1], e2 = [1, 1, −1, −1], e3 = [1, −1, −1, 1].
    // With an intercept, R² is that of the centred y on the centred predictors, so these make R² easy by hand.
    const V0: [f64; 4] = [0.6, 0.4, 0.6, 0.4]; // 0.5 + 0.1·e1
    const V1: [f64; 4] = [0.6, 0.6, 0.4, 0.4]; // 0.5 + 0.1·e2

    #[test]
    fn picks_the_vm_best_explained_by_the_others() {
        // V2 = 0.5 + 0.1·(e1 + e2 + ε·e3) with ε = 0.5.
        // - V2 on {V0, V1}: the e3 part is unexplained: SSR = ε²·4, SST = (2 + ε²)·4, R² = 2/(2 + ε²) = 8/9.
        // - V0 on {V1, V2}: e1 is projected on the span of e2 and u = e1 + ε·e3 (e1 ⟂ e2); the part along u is
        //   u/(1 + ε²), the residual (ε²·e1 − ε·e3)/(1 + ε²) has squared norm 4ε²/(1 + ε²), SST = 4, so
        //   R² = 1/(1 + ε²) = 0.8. V1 likewise: 0.8.
        // The maximum is V2's, index 2; MMT would pick index 0.
        let v2 = [0.75, 0.45, 0.45, 0.35];
        let candidates = [
            test_candidate(613, 1000.0, 0.4, &V0),
            test_candidate(870, 1000.0, 0.4, &V1),
            test_candidate(1740, 1000.0, 0.35, &v2),
        ];
        assert_close(&r_squared_each(&candidates).expect("the fit is possible"), &[0.8, 0.8, 8.0 / 9.0]);
        assert_eq!(pick(&candidates), Some(2));
    }

    #[test]
    fn an_exact_linear_combination_has_r_squared_one() {
        // V2 = 0.5 + 0.1·(e1 + e2) = V0 + V1 − 0.5 exactly. Then V0 = V2 − V1 + 0.5 and V1 = V2 − V0 + 0.5 are
        // exact too: an exact combination always fits every VM in it at R² = 1 (a VM outside it would make the
        // other fits singular). All three R² are 1, the strict `>` keeps the first: index 0. Put the combination
        // first and it is picked. MMT would pick the 613 MB VM instead: index 1, then index 2.
        let v2 = [0.7, 0.5, 0.5, 0.3];
        let candidates = [
            test_candidate(1740, 1000.0, 0.4, &V0),
            test_candidate(613, 1000.0, 0.4, &V1),
            test_candidate(870, 1000.0, 0.3, &v2),
        ];
        assert_close(&r_squared_each(&candidates).expect("the fit is possible"), &[1.0, 1.0, 1.0]);
        assert_eq!(pick(&candidates), Some(0));
        let combination_first = [candidates[2], candidates[0], candidates[1]];
        assert_close(&r_squared_each(&combination_first).expect("the fit is possible"), &[1.0, 1.0, 1.0]);
        assert_eq!(pick(&combination_first), Some(0));
    }

    #[test]
    fn two_vms_share_the_squared_correlation() {
        // A = [1, 2, 3, 4]/10 and B = [2, 1, 4, 3]/10: deviations (−1.5, −0.5, 0.5, 1.5)/10 and
        // (−0.5, −1.5, 1.5, 0.5)/10, cross products sum to 3/100, squares to 5/100 each: r = 0.6, R² = 0.36 both
        // ways. A tie (the computed values differ by rounding only): index 0 in either order, where MMT would pick
        // the 613 MB VM.
        let candidates = [
            test_candidate(870, 1000.0, 0.4, &[0.1, 0.2, 0.3, 0.4]),
            test_candidate(613, 1000.0, 0.3, &[0.2, 0.1, 0.4, 0.3]),
        ];
        assert_close(&r_squared_each(&candidates).expect("the fit is possible"), &[0.36, 0.36]);
        assert_eq!(pick(&candidates), Some(0));
        assert_eq!(pick(&[candidates[1], candidates[0]]), Some(0));
    }

    #[test]
    fn needs_as_many_observations_as_vms() {
        // 3 VMs: 2 predictors + intercept. With the last 3 values the fits are exact (R² = 1 each): index 0.
        // With only the last 2 (m = 2 < 3) Commons Math refuses: MMT picks the 613 MB VM, index 2.
        let (a, b, c) = ([0.9, 0.1, 0.4, 0.3], [0.9, 0.5, 0.2, 0.6], [0.9, 0.3, 0.3, 0.8]);
        let with = |from: usize| {
            [
                test_candidate(1740, 1000.0, 0.3, &a[from..]),
                test_candidate(870, 1000.0, 0.6, &b[from..]),
                test_candidate(613, 1000.0, 0.8, &c[from..]),
            ]
        };
        assert_close(&r_squared_each(&with(1)).expect("m = n is enough"), &[1.0, 1.0, 1.0]);
        assert_eq!(pick(&with(1)), Some(0));
        assert_eq!(r_squared_each(&with(2)), None);
        assert_eq!(pick(&with(2)), Some(2));
        // One VM without history: m = 0, MMT.
        let no_history = [test_candidate(1740, 1000.0, 0.3, &a), test_candidate(613, 1000.0, 0.6, &[])];
        assert_eq!(pick(&no_history), Some(1));
    }

    #[test]
    fn a_singular_design_falls_back_to_mmt() {
        // V1 = 2·V0 − 0.5 exactly: V2's design [1, V0, V1] is singular. MMT picks the 613 MB VM, index 1.
        let v1 = [0.7, 0.3, 0.7, 0.3];
        let v2 = [0.2, 0.9, 0.4, 0.5];
        let candidates = [
            test_candidate(870, 1000.0, 0.4, &V0),
            test_candidate(613, 1000.0, 0.3, &v1),
            test_candidate(1740, 1000.0, 0.5, &v2),
        ];
        assert_eq!(r_squared_each(&candidates), None);
        assert_eq!(pick(&candidates), Some(1));
        // Replace V1 with an independent window and the fit goes through (the pick is then MC's, not MMT's).
        let independent = [candidates[0], test_candidate(613, 1000.0, 0.3, &V1), candidates[2]];
        assert!(r_squared_each(&independent).is_some());
    }

    #[test]
    fn a_constant_window_falls_back_to_mmt() {
        // An idle VM (all zeros) is collinear with the intercept in the other VMs' fits. MMT: index 2.
        let candidates = [
            test_candidate(870, 1000.0, 0.0, &[0.0; 4]),
            test_candidate(1740, 1000.0, 0.4, &V0),
            test_candidate(613, 1000.0, 0.4, &V1),
        ];
        assert_eq!(r_squared_each(&candidates), None);
        assert_eq!(pick(&candidates), Some(2));
        // A constant non-zero window, likewise.
        let busy = [test_candidate(870, 1000.0, 0.7, &[0.7; 4]), candidates[1], candidates[2]];
        assert_eq!(pick(&busy), Some(2));
    }

    #[test]
    fn longer_histories_contribute_their_most_recent_values() {
        // The first example with older values before V0's last 4: m stays 4, the R² and the pick are unchanged.
        let v0_longer = [0.95, 0.05, 0.6, 0.4, 0.6, 0.4];
        let v2 = [0.75, 0.45, 0.45, 0.35];
        let candidates = [
            test_candidate(613, 1000.0, 0.4, &v0_longer),
            test_candidate(870, 1000.0, 0.4, &V1),
            test_candidate(1740, 1000.0, 0.35, &v2),
        ];
        assert_close(&r_squared_each(&candidates).expect("the fit is possible"), &[0.8, 0.8, 8.0 / 9.0]);
        assert_eq!(pick(&candidates), Some(2));
    }

    #[test]
    fn one_factorization_gives_every_separate_fit() {
        // Random windows (n VMs, m values each): the fast path's R² equal the separate fits' to rounding.
        use rand::RngExt;
        let mut rng = Pcg64::seed_from_u64(7);
        for n in 2..=12 {
            for m in [n + 1, n + 5, 30.max(n + 1)] {
                let windows: Vec<Vec<f64>> = (0..n).map(|_| (0..m).map(|_| rng.random::<f64>()).collect()).collect();
                let candidates = candidates_of(&windows);
                let fast = r_squared_from_one_factorization(&candidates, m).expect("random windows are independent");
                let separate = r_squared_fit_by_fit(&candidates, m).expect("random windows are independent");
                for (a, b) in fast.iter().zip(&separate) {
                    assert!((a - b).abs() < 1e-12, "n {n}, m {m}: {fast:?} != {separate:?}");
                }
            }
        }
    }

    #[test]
    fn separate_fits_from_the_shared_steps_match_fits_from_scratch_bit_for_bit() {
        // X = [1, every window] fails the rank test at its last column when m = n (more columns than rows) or
        // when the last window is a combination of the first two; then every fit continues from X's steps. (With
        // that combination, the designs holding all three windows are singular: for n > 3 both give `None`.) A
        // window repeating another makes X fail before its last column, and the fits from scratch fail too.
        let mut rng = Pcg64::seed_from_u64(11);
        let mut fitted = 0;
        for n in 2..=12 {
            for m in [n, n + 3, 30.max(n + 1)] {
                let mut windows = random_windows(&mut rng, n, m);
                if m > n {
                    if n < 3 {
                        continue;
                    }
                    windows[n - 1] = windows[0].iter().zip(&windows[1]).map(|(a, b)| a + 0.5 * b).collect();
                }
                let same_outcome = |windows: &[Vec<f64>]| {
                    let candidates = candidates_of(windows);
                    let expected = r_squared_fit_by_fit(&candidates, m);
                    let actual = r_squared_each(&candidates);
                    match (&actual, &expected) {
                        (Some(a), Some(e)) => assert!(same_bits(a, e), "n {n}, m {m}: {a:?} != {e:?}"),
                        _ => assert_eq!(actual, expected, "n {n}, m {m}"),
                    }
                    expected.is_some()
                };
                fitted += usize::from(same_outcome(&windows));
                if n >= 3 {
                    windows[2] = windows[1].clone();
                    assert!(!same_outcome(&windows), "n {n}, m {m}: a repeated window is singular");
                }
            }
        }
        // Every m = n case and the m > n ones with n = 3.
        assert_eq!(fitted, 11 + 2);
    }

    fn random_windows(rng: &mut Pcg64, n: usize, m: usize) -> Vec<Vec<f64>> {
        use rand::RngExt;
        (0..n).map(|_| (0..m).map(|_| rng.random::<f64>()).collect()).collect()
    }

    /// The same VM (870 MB, 1000 MIPS, at half load) with each window as its history.
    fn candidates_of(windows: &[Vec<f64>]) -> Vec<VmCandidate<'_>> {
        windows.iter().map(|window| test_candidate(870, 1000.0, 0.5, window)).collect()
    }

    #[test]
    fn calls_on_fewer_candidates_match_a_fresh_factorization_bit_for_bit() {
        // The plan's loop: pick, remove the pick (or another VM), pick again. Every call's R² must be exactly
        // those of the one-shot QR, whether or not it restarted from the previous call's steps.
        use rand::RngExt;
        let mut rng = Pcg64::seed_from_u64(11);
        for (n, m) in [(25, 30), (12, 30), (6, 7), (9, 17)] {
            let windows = random_windows(&mut rng, n, m);
            let mut candidates = candidates_of(&windows);
            let mut selector = MaximumCorrelation::new(McFit::Robust);
            while candidates.len() >= 2 {
                let expected = one_shot_r_squared(&candidates, m).expect("random windows are independent");
                let repeat = selector.r_squared_each(&candidates).expect("the fit is possible").to_vec();
                assert!(same_bits(&repeat, &expected), "n {}: {repeat:?} != {expected:?}", candidates.len());
                let fresh = r_squared_each(&candidates).expect("the fit is possible");
                assert!(same_bits(&fresh, &expected));
                let removed = if rng.random::<bool>() {
                    first_max(&expected, R_SQUARED_TIE)
                } else {
                    rng.random_range(0..candidates.len())
                };
                candidates.remove(removed);
            }
        }
    }

    #[test]
    fn only_the_previous_candidates_minus_one_restart_from_its_steps() {
        let mut rng = Pcg64::seed_from_u64(3);
        let m = 10;
        let mut windows = random_windows(&mut rng, 6, m);
        let restart = |windows: &[Vec<f64>], removed: usize, m: usize| {
            let candidates = candidates_of(windows);
            let mut qr = ColumnStepQr::default();
            assert!(qr.r_squared(&candidates, m, &mut Vec::new()));
            let mut fewer = candidates.clone();
            fewer.remove(removed);
            qr.drop_removed_candidate(&fewer, m)
        };
        // One removed, the others in order: restart at its column (the intercept is column 0).
        assert_eq!(restart(&windows, 2, m), Some(3));
        assert_eq!(restart(&windows, 0, m), Some(1));
        assert_eq!(restart(&windows, 5, m), Some(6));
        let mut qr = ColumnStepQr::default();
        let candidates = candidates_of(&windows);
        assert!(qr.r_squared(&candidates, m, &mut Vec::new()));
        // Same candidates, two fewer, reordered, or a shorter window: start over.
        assert_eq!(qr.drop_removed_candidate(&candidates, m), None);
        assert_eq!(qr.drop_removed_candidate(&candidates[2..], m), None);
        let swapped = [candidates[1], candidates[0], candidates[2], candidates[3], candidates[4]];
        assert_eq!(qr.drop_removed_candidate(&swapped, m), None);
        assert_eq!(qr.drop_removed_candidate(&candidates[1..], m - 1), None);
        // A history changed in place (as from one tick to the next): the windows, not their addresses, decide.
        let mut selector = MaximumCorrelation::new(McFit::Robust);
        {
            let candidates = candidates_of(&windows);
            assert!(selector.r_squared_each(&candidates).is_some());
        }
        windows[4][m - 1] += 0.25;
        let changed = candidates_of(&windows);
        assert_eq!(selector.factorization.clone().drop_removed_candidate(&changed[1..], m), None);
        let expected = one_shot_r_squared(&changed[1..], m).expect("random windows are independent");
        assert!(same_bits(selector.r_squared_each(&changed[1..]).expect("the fit is possible"), &expected));
    }

    #[test]
    fn fewer_than_two_candidates() {
        assert_eq!(pick(&[]), None);
        assert_eq!(pick(&[test_candidate(613, 1000.0, 0.4, &V0)]), Some(0));
    }

    #[test]
    fn cloudsim_pick_rule() {
        let min_value = f64::from_bits(1);
        // Nothing above Double.MIN_VALUE: the first wins, whatever the values.
        assert_eq!(first_max(&[0.0, 0.0], R_SQUARED_TIE), 0);
        assert_eq!(first_max(&[-0.5, min_value, f64::NEG_INFINITY, f64::NAN], R_SQUARED_TIE), 0);
        // Anything strictly above it counts, even the next subnormal; Rust's f64::MIN_POSITIVE would miss it.
        assert_eq!(first_max(&[0.0, f64::from_bits(2)], R_SQUARED_TIE), 1);
        // The strict `>` keeps the first of equal maxima; NaN never wins.
        assert_eq!(first_max(&[0.2, 0.7, f64::NAN, 0.7, 0.5], R_SQUARED_TIE), 1);
        // Within R_SQUARED_TIE is equal (rounding), beyond it is larger.
        assert_eq!(first_max(&[0.36, 0.36 + 1e-15], R_SQUARED_TIE), 0);
        assert_eq!(first_max(&[0.36, 0.36 + 1e-9], R_SQUARED_TIE), 1);
    }
}
