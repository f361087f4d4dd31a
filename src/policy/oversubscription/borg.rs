//! Borg's default: T = booked / ratio (1.1: the booking seen as 91 % used), whatever the usage.

use crate::policy::oversubscription::{HostObservation, OversubscriptionStrategy, PerResource};

pub fn default_ratio() -> f64 {
    1.1
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Borg {
    pub ratio: f64,
}

impl OversubscriptionStrategy for Borg {
    fn thresholds(&mut self, host: &HostObservation) -> PerResource {
        let booked = host.booked();
        PerResource { cpu: booked.cpu / self.ratio, memory: booked.memory / self.ratio }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oversubscription::free_capacity;
    use crate::policy::oversubscription::testing::{host, window};

    #[test]
    fn booking_over_ratio() {
        let window = window(&[&[1.0]], PerResource { cpu: 11.0, memory: 550.0 });
        let host = host(&window, &[]);
        let thresholds = Borg { ratio: 1.1 }.thresholds(&host);
        assert!((thresholds.cpu - 10.0).abs() < 1e-12 && (thresholds.memory - 500.0).abs() < 1e-9);
        // 11 vCPUs booked on 10 cores leave 0 free: the host stops at 1.1:1.
        assert_eq!(free_capacity(host.config, thresholds).cpu, 0.0);
    }
}
