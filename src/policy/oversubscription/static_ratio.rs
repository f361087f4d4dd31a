//! Nova's static allocation ratios: a host may book `ratio × capacity` of each resource, whatever its use.

use crate::fleet::{Allocatable, Capacity};
use crate::policy::oversubscription::{HostObservation, OversubscriptionStrategy, PerResource};

pub fn default_cpu_ratio() -> f64 {
    16.0
}
pub fn default_ram_ratio() -> f64 {
    1.5
}
pub fn default_disk_ratio() -> f64 {
    1.0
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StaticRatios {
    pub cpu: f64,
    pub memory: f64,
    pub disk: f64,
}

impl StaticRatios {
    /// What a host of `capacity` may book.
    pub fn allocatable(&self, capacity: &Capacity) -> Allocatable {
        Allocatable {
            vcpus: f64::from(capacity.vcpus) * self.cpu,
            memory_mb: capacity.memory_mb as f64 * self.memory,
            disk_gb: capacity.disk_gb as f64 * self.disk,
        }
    }
}

impl OversubscriptionStrategy for StaticRatios {
    /// In ScroogeVM's terms, static ratios see `config − ratio × config + booked` as used, so that the free
    /// capacity is `ratio × config − booked` (negative thresholds offer more than the host has).
    fn thresholds(&mut self, host: &HostObservation) -> PerResource {
        let booked = host.booked();
        PerResource {
            cpu: host.config.cpu * (1.0 - self.cpu) + booked.cpu,
            memory: host.config.memory * (1.0 - self.memory) + booked.memory,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oversubscription::free_capacity;
    use crate::policy::oversubscription::testing::{host, window};

    #[test]
    fn free_capacity_is_ratio_times_config_minus_booked() {
        let mut ratios = StaticRatios { cpu: 16.0, memory: 1.5, disk: 1.0 };
        let window = window(&[&[9.0, 9.5]], PerResource { cpu: 40.0, memory: 600.0 });
        let host = host(&window, &[]);
        let free = free_capacity(host.config, ratios.thresholds(&host));
        // 16 × 10 − 40 = 120 cores; 1.5 × 1000 − 600 = 900 MB: usage plays no part.
        assert_eq!(free, PerResource { cpu: 120.0, memory: 900.0 });
        let capacity = Capacity { vcpus: 10, memory_mb: 1000, disk_gb: 50 };
        assert_eq!(ratios.allocatable(&capacity), Allocatable { vcpus: 160.0, memory_mb: 1500.0, disk_gb: 50.0 });
    }
}
