//! Neat's default underload detector (`underload/trivial.last_n_average_threshold`, default `threshold = 0.5`,
//! `n = 2`): underloaded iff the mean of the last `n` values of the history is at or below `threshold`. With fewer
//! than `n` values Neat averages what there is; an empty history is not underloaded.
//!
//! The history is taken as given: in `neat` semantics it ends with the current utilisation.

use crate::policy::overload::last_n_average::last_n_mean;
use crate::policy::overload::HostObservation;
use crate::policy::underload::{threshold, UnderloadDetector};

#[derive(Clone, Debug)]
pub struct LastNAverage {
    pub threshold: f64,
    pub n: usize,
}

impl UnderloadDetector for LastNAverage {
    fn is_underloaded(&mut self, observation: &HostObservation) -> bool {
        last_n_mean(observation.history, self.n).is_some_and(|mean| mean <= self.threshold)
    }
}

pub fn validate(threshold: f64, n: usize) -> Result<(), String> {
    threshold::validate(threshold)?;
    if n == 0 {
        return Err("underload.n must be at least 1 (the number of latest values averaged), got 0".to_string());
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
        // Last two of 0.9, 0.25, 0.75: (0.25 + 0.75)/2 = 0.5 ≤ 0.5 → underloaded; ≤ 0.49 → not.
        // The old 0.9 is ignored (over all three the mean would be 0.633).
        let history = [0.9, 0.25, 0.75];
        assert!(LastNAverage { threshold: 0.5, n: 2 }.is_underloaded(&observation(&history)));
        assert!(!LastNAverage { threshold: 0.49, n: 2 }.is_underloaded(&observation(&history)));
        // n = 3 brings the 0.9 in: 1.9/3 = 0.633 > 0.5.
        assert!(!LastNAverage { threshold: 0.5, n: 3 }.is_underloaded(&observation(&history)));
    }

    #[test]
    fn a_short_history_averages_what_there_is() {
        assert!(LastNAverage { threshold: 0.5, n: 2 }.is_underloaded(&observation(&[0.5])));
        assert!(!LastNAverage { threshold: 0.5, n: 2 }.is_underloaded(&observation(&[0.51])));
        // Empty: not underloaded, even at utilisation 0.
        assert!(!LastNAverage { threshold: 0.5, n: 2 }.is_underloaded(&observation(&[])));
    }

    #[test]
    fn validation_names_the_field_and_range() {
        assert_eq!(validate(0.5, 2), Ok(()));
        assert!(validate(1.5, 2).unwrap_err().starts_with("underload.threshold must be a utilisation fraction"));
        assert_eq!(
            validate(0.5, 0).unwrap_err(),
            "underload.n must be at least 1 (the number of latest values averaged), got 0"
        );
    }
}
