//! Statistics shared by the overload detectors: medians and quantiles as the two reference systems compute them,
//! the median absolute deviation, the rank-based interquartile range, and straight-line fits over `x = 1..n`.
//!
//! Where CloudSim and Neat compute "the same" statistic with a different floating-point recipe, both recipes are
//! here, so that a decision sitting exactly on a threshold goes the way the reference system's would.

use crate::policy::total_order::{from_total_order_key, total_order_key};

/// Histories up to this length are copied to the stack rather than the heap (CloudSim keeps 30 values, Neat 100).
const STACK_LEN: usize = 128;

/// Calls `f` with a scratch copy of `values`, on the stack when it is short enough.
pub(super) fn with_copy<R>(values: &[f64], f: impl FnOnce(&mut [f64]) -> R) -> R {
    if values.len() <= STACK_LEN {
        let mut stack = [0.0; STACK_LEN];
        let buf = &mut stack[..values.len()];
        buf.copy_from_slice(values);
        f(buf)
    } else {
        let mut heap = values.to_vec();
        f(&mut heap)
    }
}

/// Sorts ascending. `total_cmp` puts (positive) NaN last, as Java's `Arrays.sort` does.
pub(super) fn sort(values: &mut [f64]) {
    values.sort_unstable_by(f64::total_cmp);
}

/// NumPy's `median` of sorted values: the middle value, or `(a + b) / 2` of the two middle values (NumPy takes
/// the mean of the two). NaN when empty.
pub(super) fn median_numpy(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Apache Commons Math's `Percentile.evaluate(values, p)` (`DescriptiveStatistics.getPercentile(p)`), the only
/// estimation it has in commons-math3 3.0 (the version CloudSim 3.0.3 ships) and its `LEGACY` default later:
/// with `n` sorted values, `pos = p·(n+1)/100`, `d = pos − ⌊pos⌋`;
/// `n = 1` → the value; `pos < 1` → the minimum; `pos ≥ n` → the maximum; otherwise, with `lower` the value at
/// 1-based rank `⌊pos⌋` and `upper` the next one, `lower + d·(upper − lower)`. NaN when empty.
/// CloudSim's `MathUtil.median` is this with `p = 50`.
pub(super) fn percentile_apache(sorted: &[f64], p: f64) -> f64 {
    let len = sorted.len();
    match len {
        0 => return f64::NAN,
        1 => return sorted[0],
        _ => {}
    }
    let n = len as f64;
    let pos = p * (n + 1.0) / 100.0;
    let fpos = pos.floor();
    let dif = pos - fpos;
    if pos < 1.0 {
        return sorted[0];
    }
    if pos >= n {
        return sorted[len - 1];
    }
    let rank = fpos as usize;
    let lower = sorted[rank - 1];
    let upper = sorted[rank];
    lower + dif * (upper - lower)
}

/// Which median a statistic uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Median {
    /// CloudSim's `MathUtil.median`: [`percentile_apache`] at 50.
    Apache,
    /// Neat's `numpy.median`: [`median_numpy`].
    Numpy,
}

impl Median {
    fn of_sorted(self, sorted: &[f64]) -> f64 {
        match self {
            Median::Apache => percentile_apache(sorted, 50.0),
            Median::Numpy => median_numpy(sorted),
        }
    }

    /// [`Median::of_sorted`] of `n ≥ 2` sorted values given only those at 0-based positions k = ⌊(n − 1)/2⌋
    /// (`lower`) and k + 1 (`upper`), the only ones either median reads: NumPy's middle value (`lower`, n odd)
    /// or mean of the two; Apache's `lower + d·(upper − lower)` at position `(n + 1)/2`, `d` = 0 or ½.
    fn of_middle_pair(self, n: usize, lower: f64, upper: f64) -> f64 {
        debug_assert!(n >= 2);
        match self {
            Median::Apache => {
                let pos = 50.0 * (n as f64 + 1.0) / 100.0;
                lower + (pos - pos.floor()) * (upper - lower)
            }
            Median::Numpy if n % 2 == 1 => lower,
            Median::Numpy => (lower + upper) / 2.0,
        }
    }
}

/// Median absolute deviation, `median(|x − median(x)|)`, over the whole of `data`, without scaling (both
/// CloudSim's `MathUtil.mad` and Neat's `statistics.mad`). NaN when empty (CloudSim returns 0 there, but both
/// detectors only ask once the history holds `limit ≥ 1` values).
pub(super) fn mad(data: &[f64], median: Median) -> f64 {
    if data.len() <= STACK_LEN {
        if let Some(mad) = mad_of_finite(data, median) {
            return mad;
        }
    }
    with_copy(data, |buf| {
        place_middle_pair(buf);
        let centre = median.of_sorted(buf);
        for x in buf.iter_mut() {
            *x = (centre - *x).abs();
        }
        place_middle_pair(buf);
        median.of_sorted(buf)
    })
}

/// [`mad`] of at most [`STACK_LEN`] values, by one sort: on sorted data the deviations `|centre − x|` fall
/// towards the centre and rise after it (floating-point subtraction is monotone), so their order statistics
/// come from merging the two runs, without sorting them. `None` (use the general recipe) unless the data and
/// its median are finite, which the monotonicity argument needs.
fn mad_of_finite(data: &[f64], median: Median) -> Option<f64> {
    let n = data.len();
    if n < 2 {
        return None;
    }
    with_sorted_keys(data, |keys| mad_of_sorted_keys(keys, median))
}

/// [`mad_of_finite`] of data sorted as [`total_order_key`]s.
fn mad_of_sorted_keys(keys: &[i64], median: Median) -> Option<f64> {
    let n = keys.len();
    // Sorted by `total_cmp`, a NaN or an infinity would sit at one end.
    let (lowest, highest) = (from_total_order_key(keys[0]), from_total_order_key(keys[n - 1]));
    if !(lowest.is_finite() && highest.is_finite()) {
        return None;
    }
    let value = |i: usize| from_total_order_key(keys[i]);
    let centre = median.of_middle_pair(n, value((n - 1) / 2), value((n - 1) / 2 + 1));
    if !centre.is_finite() {
        return None;
    }
    // Both medians read only positions k = ⌊(n − 1)/2⌋ and k + 1 of the sorted deviations: merge the falling
    // run (before `split`, read backwards) and the rising one up to position k + 1.
    let k = (n - 1) / 2;
    let split = keys.partition_point(|&key| from_total_order_key(key) < centre);
    let (mut below, mut above) = (split, split);
    let mut next = || {
        let left = (below > 0).then(|| (centre - value(below - 1)).abs());
        let right = (above < n).then(|| (centre - value(above)).abs());
        match (left, right) {
            (Some(l), Some(r)) if l <= r => {
                below -= 1;
                l
            }
            (Some(l), None) => {
                below -= 1;
                l
            }
            (_, Some(r)) => {
                above += 1;
                r
            }
            (None, None) => unreachable!("k + 2 ≤ n deviations"),
        }
    };
    for _ in 0..k {
        next();
    }
    let lower = next();
    let upper = next();
    Some(median.of_middle_pair(n, lower, upper))
}

/// Calls `f` with the [`total_order_key`]s of at most [`STACK_LEN`] values, sorted, on the stack (in a
/// smaller buffer for CloudSim's 30 values, which costs less to clear).
fn with_sorted_keys<R>(data: &[f64], f: impl FnOnce(&[i64]) -> R) -> R {
    fn sorted<const N: usize, R>(data: &[f64], f: impl FnOnce(&[i64]) -> R) -> R {
        let mut keys = [0i64; N];
        let keys = &mut keys[..data.len()];
        for (key, &x) in keys.iter_mut().zip(data) {
            *key = total_order_key(x);
        }
        keys.sort_unstable();
        f(keys)
    }
    if data.len() <= 32 {
        sorted::<32, R>(data, f)
    } else {
        sorted::<STACK_LEN, R>(data, f)
    }
}

/// Puts at 0-based positions k = ⌊(n − 1)/2⌋ and k + 1 the values sorting would put there, by selection (O(n)).
/// Both medians read only those two positions (for n ≥ 2), so they give the same result as on sorted values.
fn place_middle_pair(values: &mut [f64]) {
    let n = values.len();
    let k = n.saturating_sub(1) / 2;
    if k + 1 >= n {
        return; // n ≤ 1: nothing to order
    }
    let (below, _, _) = values.select_nth_unstable_by(k + 1, f64::total_cmp);
    // The k + 1 values before position k + 1 are the smallest: their maximum is the k-th.
    let largest_below = (0..below.len()).max_by(|&a, &b| below[a].total_cmp(&below[b])).expect("k + 1 ≥ 1 values");
    values.swap(k, largest_below);
}

/// Interquartile range by rank, identical in CloudSim (`MathUtil.iqr`, Java) and Neat (`statistics.iqr`,
/// Python 2): on the sorted data `s` of length `n`, `q1 = s[round(0.25·(n+1)) − 1]`, `q3 = s[round(0.75·(n+1)) − 1]`.
///
/// Both `round`s take ties upward (Java's `Math.round` is `⌊x + 0.5⌋`; Python 2's `round` goes half away from
/// zero, the same thing for these non-negative arguments, whereas Python 3 would round 1.5 and 2.5 both to 2).
/// `0.25·(n+1)` is a multiple of a quarter, so the indices are exactly, in integers, `⌊(n+3)/4⌋ − 1 = ⌈n/4⌉ − 1`
/// and `⌊(3n+5)/4⌋ − 1`. CloudSim does **not** use `DescriptiveStatistics.getPercentile(25/75)` here. With `n = 1` the `q3`
/// index is 1 (out of bounds in both originals, which would throw); it is clamped to the last value, so the IQR of
/// one value is 0. NaN when empty.
pub(super) fn iqr_rank(data: &[f64]) -> f64 {
    let n = data.len();
    if n == 0 {
        return f64::NAN;
    }
    let q1 = n.div_ceil(4) - 1;
    let q3 = ((3 * n + 5) / 4 - 1).min(n - 1);
    if n <= STACK_LEN {
        // Short histories (all of CloudSim's and Neat's): sorting integer keys beats two selections.
        return with_sorted_keys(data, |keys| from_total_order_key(keys[q3]) - from_total_order_key(keys[q1]));
    }
    with_copy(data, |buf| {
        // Two order statistics, as sorting would give them, by selection (O(n)): q3 first, then q1 among the
        // values placed before it (q1 ≤ q3).
        let (below, third, _) = buf.select_nth_unstable_by(q3, f64::total_cmp);
        let third = *third;
        let first = if q1 == q3 { third } else { *below.select_nth_unstable_by(q1, f64::total_cmp).1 };
        third - first
    })
}

/// A fitted straight line `intercept + slope · x`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    pub intercept: f64,
    pub slope: f64,
}

impl Line {
    pub fn at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }
}

/// Ordinary least squares of `ys` on `x = 1..n`, with the arithmetic of Apache Commons Math's `SimpleRegression`
/// (`addData`'s updating formulas for the centred sums, then `slope = Sxy/Sxx`, `intercept = (Σy − slope·Σx)/n`),
/// which is what CloudSim's LR ends up calling. `None` where `regress()` throws (`n < 3`: `NoDataException`, an
/// `IllegalArgumentException` that CloudSim catches to fall back to its static threshold) and where it returns a
/// NaN slope (`Sxx` not above `Precision.SAFE_MIN`, impossible for distinct `x`).
pub(super) fn ols_apache(ys: &[f64]) -> Option<Line> {
    if ys.len() < 3 {
        return None;
    }
    let (mut sum_x, mut sum_y, mut sum_xx, mut sum_xy) = (0.0, 0.0, 0.0, 0.0);
    let (mut x_bar, mut y_bar) = (0.0, 0.0);
    for (i, &y) in ys.iter().enumerate() {
        let x = (i + 1) as f64;
        if i == 0 {
            x_bar = x;
            y_bar = y;
        } else {
            let count = i as f64;
            let fact1 = 1.0 + count;
            let fact2 = count / (1.0 + count);
            let dx = x - x_bar;
            let dy = y - y_bar;
            sum_xx += dx * dx * fact2;
            sum_xy += dx * dy * fact2;
            x_bar += dx / fact1;
            y_bar += dy / fact1;
        }
        sum_x += x;
        sum_y += y;
    }
    // `Precision.SAFE_MIN` is 2^-1022, `f64::MIN_POSITIVE`.
    if sum_xx.abs() <= f64::MIN_POSITIVE {
        return None;
    }
    let slope = sum_xy / sum_xx;
    let intercept = (sum_y - slope * sum_x) / ys.len() as f64;
    Some(Line { intercept, slope })
}

/// Weighted least squares of `ys` on `x = 1..n`, minimising `Σ weight(i)·(y_i − a − b·x_i)²` (`weight(i)` is the
/// weight of the *squared* residual of point `i`, 0-based), in closed form with centred sums. `None` when the
/// weights do not pin down a line (their sum or the weighted spread of `x` is not positive, or something is not
/// finite).
pub(super) fn wls(ys: &[f64], weight: impl Fn(usize) -> f64) -> Option<Line> {
    let (mut sum_w, mut sum_wx, mut sum_wy) = (0.0, 0.0, 0.0);
    for (i, &y) in ys.iter().enumerate() {
        let w = weight(i);
        sum_w += w;
        sum_wx += w * (i + 1) as f64;
        sum_wy += w * y;
    }
    if !(sum_w > 0.0 && sum_w.is_finite()) {
        return None;
    }
    let x_bar = sum_wx / sum_w;
    let y_bar = sum_wy / sum_w;
    let (mut s_xx, mut s_xy) = (0.0, 0.0);
    for (i, &y) in ys.iter().enumerate() {
        let w = weight(i);
        let dx = (i + 1) as f64 - x_bar;
        s_xx += w * dx * dx;
        s_xy += w * dx * (y - y_bar);
    }
    if !(s_xx > 0.0 && s_xx.is_finite()) {
        return None;
    }
    let slope = s_xy / s_xx;
    Some(Line { intercept: y_bar - slope * x_bar, slope })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_median_averages_the_two_middle_values() {
        assert_eq!(median_numpy(&[1.0, 2.0, 7.0]), 2.0);
        assert_eq!(median_numpy(&[1.0, 2.0, 4.0, 7.0]), 3.0);
        assert!(median_numpy(&[]).is_nan());
    }

    #[test]
    fn apache_percentile_follows_its_position_rule() {
        let s = [1.0, 2.0, 4.0, 7.0];
        // n = 4: p = 50 → pos 2.5 → 2 + 0.5·(4 − 2) = 3.
        assert_eq!(percentile_apache(&s, 50.0), 3.0);
        // p = 25 → pos 1.25 → 1 + 0.25·(2 − 1) = 1.25 (not a rank-based 1 or 2).
        assert_eq!(percentile_apache(&s, 25.0), 1.25);
        // p = 75 → pos 3.75 → 4 + 0.75·(7 − 4) = 6.25.
        assert_eq!(percentile_apache(&s, 75.0), 6.25);
        // p = 10 → pos 0.5 < 1 → the minimum; p = 90 → pos 4.5 ≥ n → the maximum.
        assert_eq!(percentile_apache(&s, 10.0), 1.0);
        assert_eq!(percentile_apache(&s, 90.0), 7.0);
        // Odd n: p = 50 → pos 2 → the middle value, d = 0.
        assert_eq!(percentile_apache(&[1.0, 2.0, 7.0], 50.0), 2.0);
        assert_eq!(percentile_apache(&[5.0], 25.0), 5.0);
        assert!(percentile_apache(&[], 50.0).is_nan());
    }

    #[test]
    fn apache_and_numpy_medians_round_differently() {
        // lower + 0.5·(upper − lower) and (lower + upper)/2 are the same number but not always the same double:
        // for 0.01 and 0.03 the first gives 0.019999999999999997, the second 0.02.
        assert_eq!(percentile_apache(&[0.01, 0.03], 50.0), 0.019999999999999997);
        assert_eq!(median_numpy(&[0.01, 0.03]), 0.02);
    }

    #[test]
    fn mad_uses_the_chosen_median() {
        // Data 1, 2, 3, 4, 10: median 3, deviations 2, 1, 0, 1, 7 → sorted 0, 1, 1, 2, 7 → MAD 1.
        assert_eq!(mad(&[10.0, 1.0, 4.0, 2.0, 3.0], Median::Numpy), 1.0);
        assert_eq!(mad(&[10.0, 1.0, 4.0, 2.0, 3.0], Median::Apache), 1.0);
        // Data 1, 2, 4, 8: median 3, deviations 2, 1, 1, 5 → sorted 1, 1, 2, 5 → MAD 1.5.
        assert_eq!(mad(&[8.0, 4.0, 2.0, 1.0], Median::Numpy), 1.5);
        assert_eq!(mad(&[8.0, 4.0, 2.0, 1.0], Median::Apache), 1.5);
    }

    #[test]
    fn mad_of_a_long_history_spills_to_the_heap() {
        // 0, 1, ..., 199: median 99.5, deviations 0.5, 1.5, ..., 99.5 each twice → MAD = median = 50.
        let data: Vec<f64> = (0..200).map(f64::from).collect();
        assert_eq!(mad(&data, Median::Numpy), 50.0);
    }

    #[test]
    fn iqr_takes_ranks_rounded_half_up() {
        // n = 5: round(1.5) = 2 → q1 = s[1]; round(4.5) = 5 → q3 = s[4]. Sorted 1, 2, 4, 8, 16 → 16 − 2 = 14.
        // (Python 3's banker's rounding would give s[1] and s[3], 8 − 2 = 6.)
        assert_eq!(iqr_rank(&[16.0, 1.0, 8.0, 2.0, 4.0]), 14.0);
        // n = 4: round(1.25) = 1 → s[0]; round(3.75) = 4 → s[3]. Sorted 1, 2, 4, 8 → 7.
        assert_eq!(iqr_rank(&[8.0, 4.0, 2.0, 1.0]), 7.0);
        // n = 12: round(3.25) = 3 → s[2]; round(9.75) = 10 → s[9]. Values 0..11 → 9 − 2 = 7.
        let twelve: Vec<f64> = (0..12).map(f64::from).collect();
        assert_eq!(iqr_rank(&twelve), 7.0);
        // n = 1: q3's index 1 is clamped to 0.
        assert_eq!(iqr_rank(&[0.5]), 0.0);
        // n = 2: round(0.75) = 1 → s[0]; round(2.25) = 2 → s[1].
        assert_eq!(iqr_rank(&[0.75, 0.25]), 0.5);
    }

    /// `n` pseudo-random values among `levels` equally spaced ones in [0, 1), so that many repeat (an LCG).
    fn repeated_values(state: &mut u64, n: usize, levels: u64) -> Vec<f64> {
        (0..n)
            .map(|_| {
                *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((*state >> 40) % levels) as f64 / levels as f64
            })
            .collect()
    }

    #[test]
    fn mad_equals_mad_on_sorted_data() {
        // The same recipe on fully sorted copies, for every length up to 64, with repeated values.
        let mut state = 987u64;
        for n in 1..=64usize {
            let data = repeated_values(&mut state, n, 23);
            for median in [Median::Apache, Median::Numpy] {
                assert_eq!(mad(&data, median).to_bits(), mad_sorting(&data, median).to_bits(), "n = {n}, {median:?}");
            }
        }
    }

    #[test]
    fn iqr_equals_iqr_on_the_sorted_data() {
        // Pseudo-random data of every length up to 64, with repeated values, against indexing the sorted copy.
        let mut state = 12345u64;
        for n in 1..=64usize {
            let data = repeated_values(&mut state, n, 17);
            let mut sorted = data.clone();
            sort(&mut sorted);
            let (q1, q3) = (n.div_ceil(4) - 1, ((3 * n + 5) / 4 - 1).min(n - 1));
            assert_eq!(iqr_rank(&data), sorted[q3] - sorted[q1], "n = {n}");
        }
    }

    /// The recipes on fully sorted copies, the reference for the faster routines.
    fn mad_sorting(data: &[f64], median: Median) -> f64 {
        let mut buf = data.to_vec();
        sort(&mut buf);
        let centre = median.of_sorted(&buf);
        let mut deviations: Vec<f64> = buf.iter().map(|x| (centre - x).abs()).collect();
        sort(&mut deviations);
        median.of_sorted(&deviations)
    }

    fn iqr_sorting(data: &[f64]) -> f64 {
        let n = data.len();
        let mut sorted = data.to_vec();
        sort(&mut sorted);
        sorted[((3 * n + 5) / 4 - 1).min(n - 1)] - sorted[n.div_ceil(4) - 1]
    }

    #[test]
    fn order_statistics_equal_the_sorted_recipes_on_every_kind_of_value() {
        // Lengths on both sides of the stack limit; few or many distinct levels (ties); then values that break
        // the fast path's assumptions (NaN, infinities, signed zeros, magnitudes whose differences overflow).
        let mut state = 4242u64;
        let specials = [f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 1e308, -1e308, 5e-324];
        for n in 1..=200usize {
            for levels in [3, 1000, 1 << 20] {
                let mut data = repeated_values(&mut state, n, levels);
                for round in 0..3 {
                    for median in [Median::Apache, Median::Numpy] {
                        assert_eq!(
                            mad(&data, median).to_bits(),
                            mad_sorting(&data, median).to_bits(),
                            "n = {n}, {median:?}, {data:?}"
                        );
                    }
                    assert_eq!(iqr_rank(&data).to_bits(), iqr_sorting(&data).to_bits(), "n = {n}, {data:?}");
                    // Plant a special value (or a huge one) for the next pass.
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let at = (state >> 33) as usize % n;
                    data[at] = if round == 0 { 1e308 } else { specials[(state >> 20) as usize % specials.len()] };
                }
            }
        }
    }

    #[test]
    fn iqr_indices_match_rounding_the_quarter_positions() {
        for n in 1..200usize {
            let q1 = (0.25 * (n as f64 + 1.0)).round() as usize - 1;
            let q3 = (0.75 * (n as f64 + 1.0)).round() as usize - 1;
            assert_eq!(n.div_ceil(4) - 1, q1, "q1 for n = {n}");
            assert_eq!((3 * n + 5) / 4 - 1, q3, "q3 for n = {n}");
        }
    }

    #[test]
    fn ols_apache_fits_hand_computed_lines() {
        // y = 0.5 + 0.25·x exactly, x = 1..10.
        let ys: Vec<f64> = (1..=10).map(|x| 0.5 + 0.25 * f64::from(x)).collect();
        let line = ols_apache(&ys).unwrap();
        assert!((line.slope - 0.25).abs() < 1e-15, "{line:?}");
        assert!((line.intercept - 0.5).abs() < 1e-14, "{line:?}");
        // 0, 0, 3 on 1, 2, 3: x̄ = 2, ȳ = 1, Sxy = (−1)(−1) + 0 + (1)(2) = 3, Sxx = 2 → b = 1.5, a = 1 − 3 = −2.
        let line = ols_apache(&[0.0, 0.0, 3.0]).unwrap();
        assert_eq!(line, Line { intercept: -2.0, slope: 1.5 });
        // A constant history: dy = 0 throughout, so the slope is exactly 0 and the intercept exactly the value.
        assert_eq!(ols_apache(&[0.5; 10]).unwrap(), Line { intercept: 0.5, slope: 0.0 });
        // Fewer than 3 points: SimpleRegression.regress() throws.
        assert_eq!(ols_apache(&[0.1, 0.2]), None);
    }

    #[test]
    fn wls_solves_the_weighted_normal_equations() {
        // Unit weights: same as OLS. 0, 0, 3 → a = −2, b = 1.5.
        assert_eq!(wls(&[0.0, 0.0, 3.0], |_| 1.0), Some(Line { intercept: -2.0, slope: 1.5 }));
        // Weights 1, 1, 2 on 0, 0, 3: Σw = 4, x̄ = (1 + 2 + 6)/4 = 2.25, ȳ = 6/4 = 1.5;
        // Sxx = 1.5625 + 0.0625 + 2·0.5625 = 2.75; Sxy = (−1.25)(−1.5) + (−0.25)(−1.5) + 2·(0.75)(1.5) = 4.5;
        // b = 4.5/2.75 = 18/11, a = 1.5 − (18/11)·2.25 = −24/11.
        let line = wls(&[0.0, 0.0, 3.0], |i| if i == 2 { 2.0 } else { 1.0 }).unwrap();
        assert!((line.slope - 18.0 / 11.0).abs() < 1e-15, "{line:?}");
        assert!((line.intercept + 24.0 / 11.0).abs() < 1e-15, "{line:?}");
        // Zero weight on a point removes it: 0, 0, 3 without the last point is flat at 0.
        assert_eq!(
            wls(&[0.0, 0.0, 3.0], |i| if i == 2 { 0.0 } else { 1.0 }),
            Some(Line { intercept: 0.0, slope: 0.0 })
        );
        // Only one point weighted: no line.
        assert_eq!(wls(&[0.0, 0.0, 3.0], |i| if i == 2 { 1.0 } else { 0.0 }), None);
        assert_eq!(wls(&[0.0, 0.0, 3.0], |_| 0.0), None);
    }
}
