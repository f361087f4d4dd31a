//! How much of a host may be booked. Nova's static allocation ratios here; dynamic estimators come later.

use serde::{Deserialize, Serialize};

use crate::fleet::{Allocatable, Capacity};

/// `oversubscription = { kind = "static", cpu_allocation_ratio = 16.0, ... }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OversubscriptionConfig {
    /// Nova's static allocation ratios (defaults as in Nova: CPU 16.0, RAM 1.5, disk 1.0).
    Static {
        #[serde(default = "default_cpu_ratio")]
        cpu_allocation_ratio: f64,
        #[serde(default = "default_ram_ratio")]
        ram_allocation_ratio: f64,
        #[serde(default = "default_disk_ratio")]
        disk_allocation_ratio: f64,
    },
}

fn default_cpu_ratio() -> f64 {
    16.0
}
fn default_ram_ratio() -> f64 {
    1.5
}
fn default_disk_ratio() -> f64 {
    1.0
}

impl Default for OversubscriptionConfig {
    fn default() -> Self {
        OversubscriptionConfig::Static {
            cpu_allocation_ratio: default_cpu_ratio(),
            ram_allocation_ratio: default_ram_ratio(),
            disk_allocation_ratio: default_disk_ratio(),
        }
    }
}

impl OversubscriptionConfig {
    pub fn validate(&self) -> Result<(), String> {
        let OversubscriptionConfig::Static { cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio } =
            *self;
        for (name, value) in [
            ("cpu_allocation_ratio", cpu_allocation_ratio),
            ("ram_allocation_ratio", ram_allocation_ratio),
            ("disk_allocation_ratio", disk_allocation_ratio),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("oversubscription.{name} must be a positive number, got {value}"));
            }
        }
        Ok(())
    }

    /// What a host of `capacity` may book.
    pub fn allocatable(&self, capacity: &Capacity) -> Allocatable {
        let OversubscriptionConfig::Static { cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio } =
            *self;
        Allocatable {
            vcpus: f64::from(capacity.vcpus) * cpu_allocation_ratio,
            memory_mb: capacity.memory_mb as f64 * ram_allocation_ratio,
            disk_gb: capacity.disk_gb as f64 * disk_allocation_ratio,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            OversubscriptionConfig::Static { .. } => "static",
        }
    }
}
