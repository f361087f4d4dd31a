//! DOA (dynamic oversubscription, ScroogeVM's reimplementation): a step rule on the threshold.
//!
//! Starting from the booking (1:1), each occurrence whose peak stays under `trigger × config` (95 %) lowers the
//! "seen as used" threshold by `round(step_down × config)` (5 %), never below `−(cap − 1) × config` (free
//! capacity at most `cap` × config, 3×); a peak at or above it raises the threshold by `round(step_up ×
//! config)`. ScroogeVM's comment calls that step 20 %; its code uses config / 2, 50 %, which is the default
//! here. Rounding is Python's (half to even).

use crate::policy::oversubscription::window::SliceStates;
use crate::policy::oversubscription::{HostObservation, OversubscriptionStrategy, PerResource, Resource};

pub fn default_step_down() -> f64 {
    0.05
}
pub fn default_step_up() -> f64 {
    0.5
}
pub fn default_trigger() -> f64 {
    0.95
}
pub fn default_cap() -> f64 {
    3.0
}

#[derive(Clone, Debug)]
pub struct Doa {
    step_down: f64,
    step_up: f64,
    trigger: f64,
    cap: f64,
    previous: SliceStates<PerResource>,
}

impl Doa {
    pub fn new(step_down: f64, step_up: f64, trigger: f64, cap: f64) -> Doa {
        Doa { step_down, step_up, trigger, cap, previous: SliceStates::default() }
    }

    fn step(&self, peak: f64, previous: f64, config: f64) -> f64 {
        if peak < self.trigger * config {
            (previous - (self.step_down * config).round_ties_even()).max(-(self.cap - 1.0) * config)
        } else {
            previous + (self.step_up * config).round_ties_even()
        }
    }
}

impl OversubscriptionStrategy for Doa {
    fn thresholds(&mut self, host: &HostObservation) -> PerResource {
        let Some(newest) = host.window.newest() else { return host.booked() };
        let previous = self.previous.get_mut(host.host, host.slice).unwrap_or(newest.booked);
        let thresholds = PerResource::from_fn(|resource: Resource| {
            self.step(newest.max(resource), previous.get(resource), host.config.get(resource))
        });
        *self.previous.get_mut(host.host, host.slice) = Some(thresholds);
        thresholds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oversubscription::free_capacity;
    use crate::policy::oversubscription::testing::{host, window};

    fn doa() -> Doa {
        Doa::new(default_step_down(), default_step_up(), default_trigger(), default_cap())
    }

    #[test]
    fn steps_down_from_the_booking_then_up_on_a_peak_and_is_capped() {
        let mut doa = doa();
        let booked = PerResource { cpu: 8.0, memory: 800.0 };
        let quiet = window(&[&[2.0, 3.0]], booked);
        // 10 cores: peak 3 < 9.5, so T = 8 − round(0.5) = 8 − 0 = 8 (Python rounds half to even: ScroogeVM's
        // step is 0 on a 10-core host); memory 800 − 50 = 750 MB.
        assert_eq!(doa.thresholds(&host(&quiet, &[])), PerResource { cpu: 8.0, memory: 750.0 });
        let busy = window(&[&[9.6]], booked);
        // Peak 9.6 ≥ 9.5: T = 8 + round(5) = 13 cores; memory peak 960 ≥ 950: 750 + 500 = 1250 MB.
        let raised = doa.thresholds(&host(&busy, &[]));
        assert_eq!(raised, PerResource { cpu: 13.0, memory: 1250.0 });
        assert_eq!(free_capacity(host(&busy, &[]).config, raised).cpu, 0.0);
    }

    #[test]
    fn the_cap_bounds_free_capacity_at_three_times_config() {
        let mut doa = doa();
        let quiet = window(&[&[1.0]], PerResource { cpu: 0.0, memory: 0.0 });
        let mut last = PerResource::default();
        // Memory config 1000 MB steps by 50 MB: from 0 down to the floor −2000 MB in 40 occurrences, then stays.
        for _ in 0..60 {
            last = doa.thresholds(&host(&quiet, &[]));
        }
        assert_eq!(last.memory, -2000.0);
        assert_eq!(free_capacity(host(&quiet, &[]).config, last).memory, 3000.0);
    }

    #[test]
    fn state_is_kept_per_host_and_slice() {
        let mut doa = doa();
        let quiet = window(&[&[1.0]], PerResource { cpu: 0.0, memory: 1000.0 });
        doa.thresholds(&host(&quiet, &[]));
        let mut other = host(&quiet, &[]);
        other.slice = 1;
        // A fresh slice starts again from the booking.
        assert_eq!(doa.thresholds(&other).memory, 950.0);
        assert_eq!(doa.thresholds(&host(&quiet, &[])).memory, 900.0);
    }
}
