//! RAM over bandwidth: CloudSim's and Neat's migration model. The VM's whole RAM crosses the link once, at
//! `bandwidth × share`, while the VM keeps running (losing `cpu_penalty` of its CPU); it never pauses, so its
//! downtime is 0, and nothing it writes meanwhile is resent. CloudSim's links are independent (a host can send
//! any number of VMs at full speed at once) and its migrations never wait: [`LinkPolicy::Independent`].

use serde::{Deserialize, Serialize};

use crate::migration::{
    default_bandwidth_mbit_s, default_cpu_penalty, default_share, validate_link, LinkPolicy, MigratingVm,
    MigrationModel, MigrationOutcome, MigrationPlan,
};

/// `migration = { kind = "ram_over_bandwidth", bandwidth_mbit_s = 1000.0, share = 0.5, cpu_penalty = 0.1 }`.
/// CloudSim: 1 Gbit/s links, half of each for migrations (62.5 MB/s: 27.84 s for 1740 MB); Neat:
/// `network_migration_bandwidth` = 10 MB/s (80 Mbit/s, share 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RamOverBandwidth {
    #[serde(default = "default_bandwidth_mbit_s")]
    pub bandwidth_mbit_s: f64,
    #[serde(default = "default_share")]
    pub share: f64,
    /// Fraction of a migrating VM's CPU lost while it moves, counted in the performance degradation due to
    /// migration (PDM). In `cloudsim` semantics it is also taken from the VM's allocation (CloudSim gives a
    /// migrating VM 90 % of its request on the source and reserves 10 % on the target).
    #[serde(default = "default_cpu_penalty")]
    pub cpu_penalty: f64,
}

impl Default for RamOverBandwidth {
    fn default() -> Self {
        RamOverBandwidth {
            bandwidth_mbit_s: default_bandwidth_mbit_s(),
            share: default_share(),
            cpu_penalty: default_cpu_penalty(),
        }
    }
}

impl RamOverBandwidth {
    pub fn validate(&self) -> Result<(), String> {
        validate_link(self.bandwidth_mbit_s, self.share, self.cpu_penalty)
    }

    /// Seconds to send `memory_mb` over the whole migration share. (This exact expression is what CloudSim's
    /// results were reproduced with: keep it.)
    fn seconds(&self, memory_mb: u64) -> f64 {
        memory_mb as f64 * 8.0 / (self.bandwidth_mbit_s * self.share)
    }
}

impl MigrationModel for RamOverBandwidth {
    fn label(&self) -> &'static str {
        "ram-over-bandwidth"
    }

    fn cpu_penalty(&self) -> f64 {
        self.cpu_penalty
    }

    fn estimated_duration_s(&self, vm: &MigratingVm) -> f64 {
        self.seconds(vm.memory_mb)
    }

    fn plan(&self, vm: &MigratingVm, link_fraction: f64) -> MigrationPlan {
        let alone = self.seconds(vm.memory_mb);
        MigrationPlan {
            duration_s: if link_fraction == 1.0 { alone } else { alone / link_fraction },
            rounds: 1,
            sent_mb: vm.memory_mb as f64,
            downtime_s: 0.0,
            outcome: MigrationOutcome::Converged,
            extra_loss_fraction: 0.0,
        }
    }

    fn links(&self) -> LinkPolicy {
        LinkPolicy::Independent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimTime;

    fn vm(memory_mb: u64) -> MigratingVm {
        MigratingVm { memory_mb, vcpus: 1, cpu_demand: 1.0, dirty_pages_per_s: Some(1e9) }
    }

    #[test]
    fn cloudsim_and_neat_durations() {
        // CloudSim: RAM / (BW / (2 · 8000)) with BW = 1e6: 1740 MB in 27.84 s (reference §2.1).
        let cloudsim = RamOverBandwidth::default();
        let plan = cloudsim.plan(&vm(1740), 1.0);
        assert!((plan.duration_s - 27.84).abs() < 1e-9);
        assert_eq!(plan.duration(), SimTime(27_840));
        assert_eq!(cloudsim.estimated_duration_s(&vm(1740)), plan.duration_s);
        // Whatever the VM does: one copy of its RAM, no downtime.
        assert_eq!((plan.rounds, plan.sent_mb, plan.downtime_s, plan.extra_loss_fraction), (1, 1740.0, 0.0, 0.0));
        assert_eq!((plan.outcome, plan.bytes()), (MigrationOutcome::Converged, 1740 * 1_048_576));
        // Neat: 10 MB/s, so 128 MB take 12.8 s.
        let neat = RamOverBandwidth { bandwidth_mbit_s: 80.0, share: 1.0, cpu_penalty: 0.1 };
        assert!((neat.plan(&vm(128), 1.0).duration_s - 12.8).abs() < 1e-9);
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let bad = RamOverBandwidth { bandwidth_mbit_s: -1.0, ..RamOverBandwidth::default() };
        assert!(bad.validate().unwrap_err().contains("migration.bandwidth_mbit_s must be a positive"));
        let bad = RamOverBandwidth { share: 0.0, ..RamOverBandwidth::default() };
        assert!(bad.validate().unwrap_err().contains("migration.share"));
        let bad = RamOverBandwidth { cpu_penalty: 1.0, ..RamOverBandwidth::default() };
        assert!(bad.validate().unwrap_err().contains("migration.cpu_penalty"));
    }
}
