//! Neat's overload time fraction (OTF) detector (`otf.otf`), the same in both semantics (CloudSim has none).
//!
//! Per host, two counters that are never reset: `total` (calls) and `overload` (calls with
//! `u ≥ threshold`). With the migration time in steps `T_m = migration_time_s / interval_s` (fractional), the
//! host is overloaded iff `u ≥ threshold` (now), the history holds at least `limit` values, and
//! `(T_m + overload) / (T_m + total) ≥ otf`. `u` is `utilization` (Neat's `u[-1]`).
//!
//! [`OverloadDetector::observe`] counts the call, then decides, as Neat does on every local-manager tick.
//! [`OverloadDetector::check`] decides as if this call were counted, without storing it: a hypothetical host is
//! judged the way its next tick would be (and `total` is never 0 in the ratio, even when `T_m` is 0 and the host
//! has never been observed).

use crate::policy::overload::{thr, HostObservation, OverloadDetector};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counters {
    total: u64,
    overload: u64,
}

#[derive(Clone, Debug)]
pub struct Otf {
    pub otf: f64,
    pub threshold: f64,
    pub limit: usize,
    /// Indexed by host id, grown on demand.
    counters: Vec<Counters>,
}

impl Otf {
    pub fn new(otf: f64, threshold: f64, limit: usize) -> Otf {
        Otf { otf, threshold, limit, counters: Vec::new() }
    }

    /// The host's counters with `observation` counted.
    fn counted(&self, observation: &HostObservation) -> Counters {
        let before = self.counters.get(observation.host as usize).copied().unwrap_or_default();
        Counters {
            total: before.total + 1,
            overload: before.overload + u64::from(observation.utilization >= self.threshold),
        }
    }

    fn decide(&self, counters: Counters, observation: &HostObservation) -> bool {
        if observation.utilization < self.threshold || observation.history.len() < self.limit {
            return false;
        }
        let steps = observation.migration_time_s / observation.interval_s;
        (steps + counters.overload as f64) / (steps + counters.total as f64) >= self.otf
    }
}

impl OverloadDetector for Otf {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        let counters = self.counted(observation);
        let index = observation.host as usize;
        if index >= self.counters.len() {
            self.counters.resize(index + 1, Counters::default());
        }
        self.counters[index] = counters;
        self.decide(counters, observation)
    }

    fn check(&self, observation: &HostObservation) -> bool {
        self.decide(self.counted(observation), observation)
    }
}

/// `limit` may be anything, 0 included (no minimum history; Neat accepts any `limit >= 0`).
pub fn validate(otf: f64, threshold: f64, _limit: usize) -> Result<(), String> {
    if !(otf > 0.0 && otf <= 1.0) {
        return Err(format!(
            "overload.otf must be a fraction of time in (0, 1] (e.g. 0.2 for at most 20 % of time overloaded), \
             got {otf}"
        ));
    }
    thr::validate(threshold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::HostId;

    impl Otf {
        fn counters_of(&self, host: HostId) -> Counters {
            self.counters.get(host as usize).copied().unwrap_or_default()
        }
    }

    /// Host `host` at utilisation `u`, with a history of `len` values, migration `migration_time_s` on 300 s steps.
    fn at(host: HostId, u: f64, history: &[f64], migration_time_s: f64) -> HostObservation<'_> {
        HostObservation { host, utilization: u, history, migration_time_s, interval_s: 300.0 }
    }

    #[test]
    fn counts_every_call_and_decides_on_the_running_fraction() {
        // otf 0.4, threshold 0.8, limit 3, no migration time. Utilisations 0.5, 0.5, 0.9, 0.5, 0.9:
        // 1: total 1, overload 0, u < 0.8 → no.     2: total 2, overload 0 → no.
        // 3: total 3, overload 1, 1/3 < 0.4 → no.   4: total 4, overload 1, u < 0.8 → no.
        // 5: total 5, overload 2, 2/5 = 0.4 ≥ 0.4 → yes (inclusive).
        let history = [0.5; 3];
        let mut otf = Otf::new(0.4, 0.8, 3);
        let decisions: Vec<bool> =
            [0.5, 0.5, 0.9, 0.5, 0.9].iter().map(|&u| otf.observe(&at(0, u, &history, 0.0))).collect();
        assert_eq!(decisions, [false, false, false, false, true]);
        assert_eq!(otf.counters_of(0), Counters { total: 5, overload: 2 });
    }

    #[test]
    fn migration_time_counts_as_overloaded_time() {
        // Same third call with T_m = 150/300 = 0.5 steps: (0.5 + 1)/(0.5 + 3) = 0.4286 ≥ 0.4 → yes.
        let history = [0.5; 3];
        let mut otf = Otf::new(0.4, 0.8, 3);
        otf.observe(&at(0, 0.5, &history, 150.0));
        otf.observe(&at(0, 0.5, &history, 150.0));
        assert!(otf.observe(&at(0, 0.9, &history, 150.0)));
    }

    #[test]
    fn needs_the_utilisation_at_threshold_now_and_a_long_enough_history() {
        // otf 0.2: the first call at u = 0.8 (inclusive) gives 1/1 ≥ 0.2, but only with 3 history values.
        let mut otf = Otf::new(0.2, 0.8, 3);
        assert!(!otf.observe(&at(0, 0.8, &[0.8, 0.8], 0.0)));
        assert!(otf.observe(&at(0, 0.8, &[0.8, 0.8, 0.8], 0.0)));
        // Fraction 2/3 now, but u = 0.79 < 0.8: no.
        assert!(!otf.observe(&at(0, 0.79, &[0.8, 0.8, 0.8], 0.0)));
    }

    #[test]
    fn check_counts_the_call_without_storing_it() {
        let history = [0.5; 3];
        let mut otf = Otf::new(0.4, 0.8, 3);
        for u in [0.5, 0.5, 0.9, 0.5] {
            otf.observe(&at(0, u, &history, 0.0));
        }
        // Counters total 4, overload 1. A check at 0.9 judges total 5, overload 2: 0.4 → yes, every time,
        // and the counters stay at 4 and 1.
        assert!(otf.check(&at(0, 0.9, &history, 0.0)));
        assert!(otf.check(&at(0, 0.9, &history, 0.0)));
        assert_eq!(otf.counters_of(0), Counters { total: 4, overload: 1 });
        // A never-seen host with no migration time: 1/1, no division by zero.
        assert!(otf.check(&at(7, 0.9, &history, 0.0)));
        assert_eq!(otf.counters_of(7), Counters::default());
    }

    #[test]
    fn hosts_have_their_own_counters() {
        let history = [0.5; 3];
        let mut otf = Otf::new(0.5, 0.8, 0);
        // Host 5 first: the vector grows to 6. One call at 0.9: 1/1 → yes.
        assert!(otf.observe(&at(5, 0.9, &history, 0.0)));
        // Host 2 has seen nothing: 0.5, then 0.9 → 1/2 = 0.5 ≥ 0.5 → yes; host 5's counters are untouched.
        assert!(!otf.observe(&at(2, 0.5, &history, 0.0)));
        assert!(otf.observe(&at(2, 0.9, &history, 0.0)));
        assert_eq!(otf.counters_of(5), Counters { total: 1, overload: 1 });
        assert_eq!(otf.counters_of(2), Counters { total: 2, overload: 1 });
    }

    #[test]
    fn validation_names_the_field_and_range() {
        assert_eq!(validate(0.2, 0.8, 10), Ok(()));
        assert_eq!(validate(1.0, 0.8, 0), Ok(()));
        let err = validate(0.0, 0.8, 10).unwrap_err();
        assert!(err.starts_with("overload.otf must be a fraction of time in (0, 1]") && err.ends_with("got 0"));
        assert!(validate(1.5, 0.8, 10).unwrap_err().ends_with("got 1.5"));
        assert!(validate(f64::NAN, 0.8, 10).unwrap_err().starts_with("overload.otf "));
        assert!(validate(0.2, 0.0, 10).unwrap_err().starts_with("overload.threshold must be a positive"));
    }
}
