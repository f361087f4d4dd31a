//! What the interleaved-pairs benchmarks (`migration`, `oversubscription`) share.

/// The median of `values` (sorted in place): the middle value, or the mean of the two middle ones.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// The number of pairs to measure: `cargo bench` passes `--bench`; a bare number on the command line is the
/// count, 9 without one.
pub fn pairs_from_args() -> usize {
    std::env::args().skip(1).find_map(|argument| argument.parse::<usize>().ok()).unwrap_or(9)
}
