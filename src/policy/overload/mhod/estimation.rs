//! Multisize sliding-window estimation of MHOD's transition probabilities, rebuilt from the whole history on
//! every decision, as Neat does (`mhod/multisize_estimation.py`, driven by `mhod/core.py`).
//!
//! The chain starts in an assumed state 0 before the history's first value, so the first transition is 0 → state of
//! the first value. Each transition i → j appends j to row i's request window (at most `max(window_sizes)` entries).
//! After each append to row i, every k and window w get the estimate `count(k in the last w requests of row i) / w`
//! (divided by w even while the row holds fewer than w requests), kept in a window of the last w estimates.
//! For (i, k) the variance at w is 1.0 while fewer than w estimates exist, else their sample variance (mean
//! `Σ/w`, divisor `w − 1`); the acceptable variance is `p̂(1 − p̂)/w` with p̂ the latest estimate. Windows are tried
//! in ascending order and the last one before the first whose variance exceeds its acceptable variance is kept
//! (the first window if that one already fails); `P[i][k]` is its latest estimate, 0 for a row never left.
//!
//! Row i's request window only ever holds the successors of i, so everything here derives from that successor
//! list: the estimate after its j-th entry at window w is `(c[j] − c[j − w]) / w` with `c` the running count of k.
//! Nothing is kept between calls, so only the rows the decision needs are computed.

/// Buffers reused across calls.
#[derive(Clone, Debug, Default)]
pub(super) struct Buffers {
    /// The successors of the row being estimated, oldest first.
    successors: Vec<usize>,
    /// `counts[j]`: how many of the first j successors equal the target state.
    counts: Vec<u32>,
}

/// Fills `row` (one entry per state) with the estimates `P[from][k]` from the state sequence `states` (one state
/// per history value, oldest first).
pub(super) fn estimate_row(
    states: &[usize],
    from: usize,
    window_sizes: &[usize],
    buffers: &mut Buffers,
    row: &mut [f64],
) {
    let Buffers { successors, counts } = buffers;
    successors.clear();
    let mut previous = 0;
    for &state in states {
        if previous == from {
            successors.push(state);
        }
        previous = state;
    }
    for (to, probability) in row.iter_mut().enumerate() {
        counts.clear();
        counts.push(0);
        let mut count = 0;
        for &state in successors.iter() {
            count += u32::from(state == to);
            counts.push(count);
        }
        *probability = best_estimate(counts, window_sizes);
    }
}

/// The latest estimate at the selected window; 0 for a row never left (or with no window sizes).
fn best_estimate(counts: &[u32], window_sizes: &[usize]) -> f64 {
    let visits = counts.len() - 1;
    if visits == 0 {
        return 0.0;
    }
    match selected_window(counts, window_sizes) {
        Some(window) => estimate(counts, visits, window),
        None => 0.0,
    }
}

/// The window-selection rule: the largest window, in ascending order, before the first whose variance exceeds its
/// acceptable variance; the first window when that one already fails. `None` only without window sizes.
fn selected_window(counts: &[u32], window_sizes: &[usize]) -> Option<usize> {
    let visits = counts.len() - 1;
    let mut selected = *window_sizes.first()?;
    for &window in window_sizes {
        let latest = estimate(counts, visits, window);
        let acceptable = latest * (1.0 - latest) / window as f64;
        let variance = if visits < window { 1.0 } else { sample_variance(counts, visits, window) };
        if variance > acceptable {
            break;
        }
        selected = window;
    }
    Some(selected)
}

/// The estimate made after the `visit`-th request (1-based): the target's count among the last `window` requests
/// divided by `window`.
fn estimate(counts: &[u32], visit: usize, window: usize) -> f64 {
    f64::from(counts[visit] - counts[visit.saturating_sub(window)]) / window as f64
}

/// Sample variance of the last `window` estimates (those after requests `visits − window + 1 ..= visits`), summed
/// oldest first as Neat does, so that the result is the same to the last bit.
fn sample_variance(counts: &[u32], visits: usize, window: usize) -> f64 {
    let first = visits + 1 - window;
    let mut sum = 0.0;
    for visit in first..=visits {
        sum += estimate(counts, visit, window);
    }
    let mean = sum / window as f64;
    let mut squares = 0.0;
    for visit in first..=visits {
        let deviation = estimate(counts, visit, window) - mean;
        squares += deviation * deviation;
    }
    squares / (window - 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(states: &[usize], from: usize, window_sizes: &[usize]) -> [f64; 2] {
        let mut out = [f64::NAN; 2];
        estimate_row(states, from, window_sizes, &mut Buffers::default(), &mut out);
        out
    }

    fn counts_of(successors: &[usize], target: usize) -> Vec<u32> {
        let mut counts = vec![0];
        for &state in successors {
            counts.push(counts.last().unwrap() + u32::from(state == target));
        }
        counts
    }

    /// States [0, 0, 0, 1, 0, 0], windows [2, 3]. Transitions from the assumed start 0: 0→0, 0→0, 0→0, 0→1, 1→0,
    /// 0→0, so row 0's successors are [0, 0, 0, 1, 0] and row 1's are [0].
    ///
    /// Row 0, k = 0. w = 2: estimates after requests 1..5 are 1/2 (one request, still divided by 2), 1, 1, 1/2,
    /// 1/2; the last two are equal, variance 0 ≤ acceptable 0.5·0.5/2 = 0.125, keep 2. w = 3: the last three are
    /// 3/3, 2/3, 2/3, mean 7/9, variance ((2/9)² + 2(1/9)²)/2 = 1/27 ≈ 0.037 ≤ acceptable (2/3)(1/3)/3 = 2/27,
    /// keep 3. So P00 = 2/3, where window 2 alone would give 1/2.
    /// Row 0, k = 1: mirror image (0, 1/3, 1/3 at w = 3, variance 1/27 ≤ 2/27): window 3, P01 = 1/3.
    /// Row 1 (one request, 0): fewer estimates than w = 2, variance 1.0 > acceptable, so the first window, 2:
    /// P10 = 1/2 (not 1: divided by the window), P11 = 0.
    #[test]
    fn tiny_history_estimates_by_hand() {
        let states = [0, 0, 0, 1, 0, 0];
        assert_eq!(row(&states, 0, &[2, 3]), [2.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(row(&states, 1, &[2, 3]), [0.5, 0.0]);
        // With window 2 only, row 0 is the last two requests [1, 0]: 1/2 each.
        assert_eq!(row(&states, 0, &[2]), [0.5, 0.5]);
    }

    /// Row 0's successors [0, 0, 0, 0, 0], windows [2, 3, 4], k = 0. Estimates at w = 2: 1/2, 1, 1, 1, 1 (last two
    /// equal: variance 0 ≤ acceptable 1·0/2 = 0, keep 2). At w = 3: 1/3, 2/3, 1, 1, 1 (last three equal, keep 3).
    /// At w = 4: 1/4, 2/4, 3/4, 1, 1, the last four have mean 3.25/4 = 0.8125 and variance
    /// (0.3125² + 0.0625² + 2·0.1875²)/3 = 0.171875/3 ≈ 0.0573 > acceptable 0: stop, window 3.
    /// k = 1: every estimate is 0, variance 0 ≤ 0 at every window, so the largest, 4.
    /// With only one request the variance is 1.0 at every window: the first window.
    #[test]
    fn window_selection_stops_at_the_first_window_too_noisy() {
        let successors = [0, 0, 0, 0, 0];
        assert_eq!(selected_window(&counts_of(&successors, 0), &[2, 3, 4]), Some(3));
        assert_eq!(selected_window(&counts_of(&successors, 1), &[2, 3, 4]), Some(4));
        assert_eq!(selected_window(&counts_of(&[1], 1), &[2, 3, 4]), Some(2));
        assert_eq!(selected_window(&counts_of(&[1], 1), &[]), None);
        // The w = 4 variance itself.
        assert!((sample_variance(&counts_of(&successors, 0), 5, 4) - 0.171875 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn a_row_never_left_is_all_zero() {
        // States [0, 0]: only 0→0 transitions, so row 1 has no requests.
        assert_eq!(row(&[0, 0], 1, &[2, 3]), [0.0, 0.0]);
        assert_eq!(row(&[], 0, &[2, 3]), [0.0, 0.0]);
    }
}
