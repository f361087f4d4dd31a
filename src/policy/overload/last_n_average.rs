//! Neat's last-n average threshold (`trivial.last_n_average_threshold`): overloaded iff the mean of the last `n`
//! values of the history is above `threshold` (strictly). Neat averages what there is when the history holds
//! fewer than `n` values (`utilization[-n:]`), and says "not overloaded" for an empty history. Same in both
//! semantics (CloudSim has no such detector).
//!
//! The history is taken as given: in `neat` semantics it ends with the current utilisation, so a hypothetical host
//! ([`OverloadDetector::check`]) must come with its hypothetical history.

use crate::policy::overload::{thr, HostObservation, OverloadDetector};

#[derive(Clone, Debug)]
pub struct LastNAverage {
    pub threshold: f64,
    pub n: usize,
}

impl OverloadDetector for LastNAverage {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        self.check(observation)
    }

    fn check(&self, observation: &HostObservation) -> bool {
        last_n_mean(observation.history, self.n).is_some_and(|mean| mean > self.threshold)
    }
}

/// The mean of the last `n` values of `history` (of all of them if fewer), summed oldest first as Python's `sum`
/// does; `None` for an empty history or `n = 0`.
pub(crate) fn last_n_mean(history: &[f64], n: usize) -> Option<f64> {
    let tail = &history[history.len().saturating_sub(n)..];
    if tail.is_empty() {
        return None;
    }
    Some(tail.iter().sum::<f64>() / tail.len() as f64)
}

pub fn validate(threshold: f64, n: usize) -> Result<(), String> {
    thr::validate(threshold)?;
    if n == 0 {
        return Err("overload.n must be at least 1 (the number of latest values averaged), got 0".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(history: &[f64]) -> HostObservation<'_> {
        let utilization = history.last().copied().unwrap_or(0.0);
        HostObservation { host: 0, utilization, history, migration_time_s: 0.0, interval_s: 300.0 }
    }

    #[test]
    fn averages_the_last_n_values() {
        // Last two of 0.1, 0.9, 1.0: (0.9 + 1.0)/2 = 0.95. Strictly above 0.95? No. Above 0.94? Yes.
        // The old 0.1 is ignored (over all three the mean would be 0.667).
        let history = [0.1, 0.9, 1.0];
        assert!(!LastNAverage { threshold: 0.95, n: 2 }.check(&observation(&history)));
        assert!(LastNAverage { threshold: 0.94, n: 2 }.check(&observation(&history)));
        // n = 1 is Neat's plain threshold on the last value.
        assert!(LastNAverage { threshold: 0.99, n: 1 }.check(&observation(&history)));
        assert!(!LastNAverage { threshold: 1.0, n: 1 }.check(&observation(&history)));
    }

    #[test]
    fn a_short_history_averages_what_there_is() {
        // One value, n = 2: the mean is that value, 0.75.
        assert!(!LastNAverage { threshold: 0.75, n: 2 }.check(&observation(&[0.75])));
        assert!(LastNAverage { threshold: 0.74, n: 2 }.check(&observation(&[0.75])));
        // Empty: never overloaded, even with utilisation reported above the threshold.
        let empty = HostObservation { host: 0, utilization: 2.0, history: &[], migration_time_s: 0.0, interval_s: 1.0 };
        assert!(!LastNAverage { threshold: 0.5, n: 2 }.check(&empty));
    }

    #[test]
    fn validation_names_the_field_and_range() {
        assert_eq!(validate(0.95, 2), Ok(()));
        assert!(validate(f64::NAN, 2).unwrap_err().starts_with("overload.threshold must be a positive"));
        assert!(validate(-0.1, 2).unwrap_err().starts_with("overload.threshold "));
        assert_eq!(
            validate(0.95, 0).unwrap_err(),
            "overload.n must be at least 1 (the number of latest values averaged), got 0"
        );
    }
}
