//! Neat's underload threshold (`underload/trivial.threshold`): underloaded iff `u[-1] <= threshold`
//! (inclusive), with `utilization` as `u[-1]`.

use crate::policy::overload::HostObservation;
use crate::policy::underload::UnderloadDetector;

#[derive(Clone, Debug)]
pub struct Threshold {
    pub threshold: f64,
}

impl UnderloadDetector for Threshold {
    fn is_underloaded(&mut self, observation: &HostObservation) -> bool {
        observation.utilization <= self.threshold
    }
}

/// Neat's contract for both underload thresholds: a utilisation fraction in `[0, 1]`.
pub fn validate(threshold: f64) -> Result<(), String> {
    if !(0.0..=1.0).contains(&threshold) {
        return Err(format!(
            "underload.threshold must be a utilisation fraction in [0, 1] (e.g. 0.5), got {threshold}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(utilization: f64) -> HostObservation<'static> {
        HostObservation { host: 0, utilization, history: &[], migration_time_s: 0.0, interval_s: 300.0 }
    }

    #[test]
    fn at_or_below_the_threshold() {
        let mut detector = Threshold { threshold: 0.5 };
        assert!(detector.is_underloaded(&observation(0.5)));
        assert!(detector.is_underloaded(&observation(0.0)));
        assert!(!detector.is_underloaded(&observation(0.501)));
    }

    #[test]
    fn validation_names_the_field_and_range() {
        assert_eq!(validate(0.0), Ok(()));
        assert_eq!(validate(1.0), Ok(()));
        assert_eq!(
            validate(1.2).unwrap_err(),
            "underload.threshold must be a utilisation fraction in [0, 1] (e.g. 0.5), got 1.2"
        );
        assert!(validate(-0.1).unwrap_err().ends_with("got -0.1"));
        assert!(validate(f64::NAN).unwrap_err().ends_with("got NaN"));
    }
}
