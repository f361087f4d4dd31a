//! Migration models: how long moving a VM takes. `ram_over_bandwidth` is CloudSim's and Neat's model (the
//! whole RAM sent once over the share of the link available to migrations).

use serde::{Deserialize, Serialize};

use crate::time::SimTime;

/// `migration = { kind = "ram_over_bandwidth", bandwidth_mbit_s = 1000.0, share = 0.5 }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MigrationConfig {
    /// Duration = RAM / (bandwidth × share). CloudSim: 1 Gbit/s links, half of it for migrations (62.5 MB/s:
    /// 27.84 s for 1740 MB); Neat: `network_migration_bandwidth` = 10 MB/s (80 Mbit/s, share 1).
    RamOverBandwidth {
        #[serde(default = "default_bandwidth_mbit_s")]
        bandwidth_mbit_s: f64,
        #[serde(default = "default_share")]
        share: f64,
        /// Fraction of a migrating VM's CPU lost while it moves, counted in the performance degradation due to
        /// migration (PDM). In `cloudsim` semantics it is also taken from the VM's allocation (CloudSim gives a
        /// migrating VM 90 % of its request on the source and reserves 10 % on the target).
        #[serde(default = "default_cpu_penalty")]
        cpu_penalty: f64,
    },
}

fn default_bandwidth_mbit_s() -> f64 {
    1000.0
}
fn default_share() -> f64 {
    0.5
}
fn default_cpu_penalty() -> f64 {
    0.1
}

impl Default for MigrationConfig {
    fn default() -> Self {
        MigrationConfig::RamOverBandwidth {
            bandwidth_mbit_s: default_bandwidth_mbit_s(),
            share: default_share(),
            cpu_penalty: default_cpu_penalty(),
        }
    }
}

impl MigrationConfig {
    pub fn name(&self) -> &'static str {
        match self {
            MigrationConfig::RamOverBandwidth { .. } => "ram_over_bandwidth",
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        let MigrationConfig::RamOverBandwidth { bandwidth_mbit_s, share, cpu_penalty } = *self;
        if !(bandwidth_mbit_s.is_finite() && bandwidth_mbit_s > 0.0) {
            return Err(format!("migration.bandwidth_mbit_s must be a positive number, got {bandwidth_mbit_s}"));
        }
        if !(share > 0.0 && share <= 1.0) {
            return Err(format!("migration.share must be in (0, 1] (the link's fraction for migrations), got {share}"));
        }
        if !(0.0..1.0).contains(&cpu_penalty) {
            return Err(format!("migration.cpu_penalty must be in [0, 1), got {cpu_penalty}"));
        }
        Ok(())
    }

    /// Seconds to migrate a VM with `memory_mb` of RAM.
    pub fn duration_s(&self, memory_mb: u64) -> f64 {
        let MigrationConfig::RamOverBandwidth { bandwidth_mbit_s, share, .. } = *self;
        memory_mb as f64 * 8.0 / (bandwidth_mbit_s * share)
    }

    /// [`MigrationConfig::duration_s`] in simulated time (milliseconds, rounded to the nearest).
    pub fn duration(&self, memory_mb: u64) -> SimTime {
        SimTime((self.duration_s(memory_mb) * 1000.0).round() as i64)
    }

    pub fn cpu_penalty(&self) -> f64 {
        let MigrationConfig::RamOverBandwidth { cpu_penalty, .. } = *self;
        cpu_penalty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudsim_and_neat_durations() {
        // CloudSim: RAM / (BW / (2 · 8000)) with BW = 1e6: 1740 MB in 27.84 s (reference §2.1).
        let cloudsim = MigrationConfig::default();
        assert!((cloudsim.duration_s(1740) - 27.84).abs() < 1e-9);
        assert_eq!(cloudsim.duration(1740), SimTime(27_840));
        // Neat: 10 MB/s, so 128 MB take 12.8 s.
        let neat = MigrationConfig::RamOverBandwidth { bandwidth_mbit_s: 80.0, share: 1.0, cpu_penalty: 0.1 };
        assert!((neat.duration_s(128) - 12.8).abs() < 1e-9);
        let bad = MigrationConfig::RamOverBandwidth { bandwidth_mbit_s: 0.0, share: 1.0, cpu_penalty: 0.1 };
        assert!(bad.validate().unwrap_err().contains("bandwidth_mbit_s"));
    }
}
