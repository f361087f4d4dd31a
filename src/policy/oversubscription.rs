//! How much of a host may be booked: Nova's static allocation ratios, or one of ScroogeVM's dynamic estimators.
//!
//! A dynamic strategy looks at a host's observation [`window`] when an occurrence (a slice of time) ends and
//! returns, per resource, the quantity it considers *used* (ScroogeVM's tier-0 threshold T). The host's free
//! capacity follows as `config − T` (CPU rounded to 0.1 core, memory truncated to whole MB, never negative), and
//! what it may book until the next estimate is what it has booked plus that free capacity. Placement of
//! arriving and migrating VMs checks bookings against it ([`crate::fleet::Fleet::fits`]). With several slices,
//! the free capacity is the smallest over the slice positions (ScroogeVM's online mode).
//!
//! One file per strategy; the stability test some of them use is its own trait ([`stability`]).

pub mod borg;
pub mod doa;
pub mod greedy;
pub mod maxpeak;
pub mod nsigma;
pub mod percentile;
pub mod rclike;
pub mod scroogevm;
pub mod stability;
pub mod static_ratio;
pub mod summary;
pub mod window;

use serde::{Deserialize, Serialize};

use crate::fleet::{Allocatable, Capacity, HostId};
use stability::StabilityConfig;
use window::{Window, WindowConfig};

/// CPU and memory: CPU in cores (vCPUs when booked), memory in MB.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PerResource {
    pub cpu: f64,
    pub memory: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Memory,
}

impl Resource {
    pub const BOTH: [Resource; 2] = [Resource::Cpu, Resource::Memory];
}

impl PerResource {
    pub fn get(&self, resource: Resource) -> f64 {
        match resource {
            Resource::Cpu => self.cpu,
            Resource::Memory => self.memory,
        }
    }

    /// Builds both values from one function of the resource.
    #[inline]
    pub fn from_fn(mut value: impl FnMut(Resource) -> f64) -> PerResource {
        PerResource { cpu: value(Resource::Cpu), memory: value(Resource::Memory) }
    }
}

/// What a strategy sees of one host when an occurrence ends.
#[derive(Clone, Copy, Debug)]
pub struct HostObservation<'a> {
    pub host: HostId,
    /// The slice position whose occurrence ended (0 with one slice per scope).
    pub slice: usize,
    /// Physical capacity (ScroogeVM's "config"): cores and MB.
    pub config: PerResource,
    /// The slice position's window; its newest occurrence is the one that just ended, and carries what the
    /// host had booked (vCPUs, MB) at its end.
    pub window: &'a Window,
    /// The VMs booked on the host, for strategies built from per-VM usage (rclike, maxpeak); empty otherwise.
    pub vms: &'a [VmObservation<'a>],
}

impl HostObservation<'_> {
    /// What was booked when the occurrence ended (0 before any).
    pub fn booked(&self) -> PerResource {
        self.window.newest().map(|occurrence| occurrence.booked).unwrap_or_default()
    }
}

/// One VM booked on the host: its flavor, and its own window (CPU as a fraction of its vCPUs, memory in MB) at
/// the same slice position, if it has run yet.
#[derive(Clone, Copy, Debug)]
pub struct VmObservation<'a> {
    pub vcpus: f64,
    pub memory_mb: f64,
    pub window: Option<&'a Window>,
}

/// A dynamic oversubscription strategy. Stateful strategies keep their state per (host, slice position)
/// inside themselves.
pub trait OversubscriptionStrategy: Send {
    /// The "seen as used" threshold T per resource, now that `host.window`'s newest occurrence has ended.
    fn thresholds(&mut self, host: &HostObservation) -> PerResource;

    /// Whether the strategy reads per-VM windows ([`HostObservation::vms`]); collecting them costs memory and
    /// time, so only strategies that need them get them.
    fn needs_vm_windows(&self) -> bool {
        false
    }
}

/// ScroogeVM's free capacity from a threshold: `max(0, round(config − T, 1))` cores and
/// `max(0, int(config − T))` MB.
pub fn free_capacity(config: PerResource, threshold: PerResource) -> PerResource {
    PerResource {
        cpu: (((config.cpu - threshold.cpu) * 10.0).round() / 10.0).max(0.0),
        memory: (config.memory - threshold.memory).trunc().max(0.0),
    }
}

/// The strategies a scenario can name: `oversubscription = { kind = "scroogevm" }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OversubscriptionConfig {
    /// Nova's static allocation ratios (defaults as in Nova: CPU 16.0, RAM 1.5, disk 1.0).
    Static {
        #[serde(default = "static_ratio::default_cpu_ratio")]
        cpu_allocation_ratio: f64,
        #[serde(default = "static_ratio::default_ram_ratio")]
        ram_allocation_ratio: f64,
        #[serde(default = "static_ratio::default_disk_ratio")]
        disk_allocation_ratio: f64,
    },
    /// T = the p-th percentile of the window's samples.
    Percentile {
        #[serde(default)]
        window: WindowConfig,
        #[serde(default = "percentile::default_percentile")]
        cpu_percentile: f64,
        #[serde(default = "percentile::default_percentile")]
        memory_percentile: f64,
    },
    /// Step down T by `step_down` × config while the occurrence's peak stays under `trigger` × config (free
    /// capacity capped at `cap` × config), step it up by `step_up` × config otherwise.
    Doa {
        #[serde(default)]
        window: WindowConfig,
        #[serde(default = "doa::default_step_down")]
        step_down: f64,
        #[serde(default = "doa::default_step_up")]
        step_up: f64,
        #[serde(default = "doa::default_trigger")]
        trigger: f64,
        #[serde(default = "doa::default_cap")]
        cap: f64,
    },
    /// ScroogeVM's original estimator: the windows' highest per-occurrence percentile when stable, else the
    /// previous threshold corrected upwards.
    Greedy {
        #[serde(default)]
        window: WindowConfig,
        #[serde(default = "percentile::default_percentile")]
        percentile: f64,
        #[serde(default = "greedy::default_stability")]
        stability: StabilityConfig,
    },
    /// ScroogeVM: T = mean + r·std, r lowered while stable and raised when usage grows, within [r_min, r_max].
    Scroogevm {
        #[serde(default)]
        window: WindowConfig,
        #[serde(default = "scroogevm::default_r_initial")]
        r_initial: f64,
        #[serde(default = "scroogevm::default_r_min")]
        r_min: f64,
        #[serde(default = "scroogevm::default_r_max")]
        r_max: f64,
        #[serde(default = "scroogevm::default_r_decrease")]
        r_decrease: f64,
        #[serde(default = "scroogevm::default_r_increase")]
        r_increase: f64,
        #[serde(default = "scroogevm::default_stability")]
        stability: StabilityConfig,
    },
    /// T = mean + n·std of the window's samples.
    Nsigma {
        #[serde(default)]
        window: WindowConfig,
        #[serde(default = "nsigma::default_n")]
        n: f64,
    },
    /// Borg's default: T = booked / ratio.
    Borg {
        #[serde(default)]
        window: WindowConfig,
        #[serde(default = "borg::default_ratio")]
        ratio: f64,
    },
    /// Resource Central-like: T = Σ over VMs of each VM's percentile usage (its flavor until its window is full).
    Rclike {
        #[serde(default)]
        window: WindowConfig,
        #[serde(default = "rclike::default_cpu_percentile")]
        cpu_percentile: f64,
        #[serde(default = "rclike::default_memory_percentile")]
        memory_percentile: f64,
    },
    /// The larger of nsigma's and rclike's thresholds.
    Maxpeak {
        #[serde(default)]
        window: WindowConfig,
        #[serde(default = "nsigma::default_n")]
        n: f64,
        #[serde(default = "rclike::default_cpu_percentile")]
        cpu_percentile: f64,
        #[serde(default = "rclike::default_memory_percentile")]
        memory_percentile: f64,
    },
}

impl Default for OversubscriptionConfig {
    fn default() -> Self {
        OversubscriptionConfig::Static {
            cpu_allocation_ratio: static_ratio::default_cpu_ratio(),
            ram_allocation_ratio: static_ratio::default_ram_ratio(),
            disk_allocation_ratio: static_ratio::default_disk_ratio(),
        }
    }
}

impl OversubscriptionConfig {
    pub fn name(&self) -> &'static str {
        match self {
            OversubscriptionConfig::Static { .. } => "static",
            OversubscriptionConfig::Percentile { .. } => "percentile",
            OversubscriptionConfig::Doa { .. } => "doa",
            OversubscriptionConfig::Greedy { .. } => "greedy",
            OversubscriptionConfig::Scroogevm { .. } => "scroogevm",
            OversubscriptionConfig::Nsigma { .. } => "nsigma",
            OversubscriptionConfig::Borg { .. } => "borg",
            OversubscriptionConfig::Rclike { .. } => "rclike",
            OversubscriptionConfig::Maxpeak { .. } => "maxpeak",
        }
    }

    /// The windowing; static ratios observe with ScroogeVM's defaults (for the accuracy metrics only).
    pub fn window(&self) -> WindowConfig {
        match *self {
            OversubscriptionConfig::Static { .. } => WindowConfig::default(),
            OversubscriptionConfig::Percentile { window, .. }
            | OversubscriptionConfig::Doa { window, .. }
            | OversubscriptionConfig::Greedy { window, .. }
            | OversubscriptionConfig::Scroogevm { window, .. }
            | OversubscriptionConfig::Nsigma { window, .. }
            | OversubscriptionConfig::Borg { window, .. }
            | OversubscriptionConfig::Rclike { window, .. }
            | OversubscriptionConfig::Maxpeak { window, .. } => window,
        }
    }

    /// Checks the parameters against the monitoring interval; messages name the field and the accepted range.
    pub fn validate(&self, interval_s: u64) -> Result<(), String> {
        let percentile = |name: &str, value: f64| {
            if (0.0..=100.0).contains(&value) {
                Ok(())
            } else {
                Err(format!("oversubscription.{name} must be a percentile between 0 and 100, got {value}"))
            }
        };
        let positive = |name: &str, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(format!("oversubscription.{name} must be a positive number, got {value}"))
            }
        };
        let non_negative = |name: &str, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(format!("oversubscription.{name} must be zero or more, got {value}"))
            }
        };
        match *self {
            OversubscriptionConfig::Static { cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio } => {
                positive("cpu_allocation_ratio", cpu_allocation_ratio)?;
                positive("ram_allocation_ratio", ram_allocation_ratio)?;
                positive("disk_allocation_ratio", disk_allocation_ratio)?;
                return Ok(());
            }
            OversubscriptionConfig::Percentile { cpu_percentile, memory_percentile, .. } => {
                percentile("cpu_percentile", cpu_percentile)?;
                percentile("memory_percentile", memory_percentile)?;
            }
            OversubscriptionConfig::Doa { step_down, step_up, trigger, cap, .. } => {
                non_negative("step_down", step_down)?;
                non_negative("step_up", step_up)?;
                positive("trigger", trigger)?;
                if !(cap.is_finite() && cap >= 1.0) {
                    return Err(format!(
                        "oversubscription.cap must be at least 1 (free capacity ≤ cap × config), got {cap}"
                    ));
                }
            }
            OversubscriptionConfig::Greedy { percentile: value, stability, .. } => {
                percentile("percentile", value)?;
                stability.validate()?;
            }
            OversubscriptionConfig::Scroogevm {
                r_initial, r_min, r_max, r_decrease, r_increase, stability, ..
            } => {
                non_negative("r_min", r_min)?;
                non_negative("r_decrease", r_decrease)?;
                non_negative("r_increase", r_increase)?;
                if !(r_max.is_finite() && r_min <= r_max && (r_min..=r_max).contains(&r_initial)) {
                    return Err(format!(
                        "oversubscription: need r_min ≤ r_initial ≤ r_max, got {r_min} ≤ {r_initial} ≤ {r_max}"
                    ));
                }
                stability.validate()?;
            }
            OversubscriptionConfig::Nsigma { n, .. } => non_negative("n", n)?,
            OversubscriptionConfig::Borg { ratio, .. } => positive("ratio", ratio)?,
            OversubscriptionConfig::Rclike { cpu_percentile, memory_percentile, .. } => {
                percentile("cpu_percentile", cpu_percentile)?;
                percentile("memory_percentile", memory_percentile)?;
            }
            OversubscriptionConfig::Maxpeak { n, cpu_percentile, memory_percentile, .. } => {
                non_negative("n", n)?;
                percentile("cpu_percentile", cpu_percentile)?;
                percentile("memory_percentile", memory_percentile)?;
            }
        }
        self.window().validate(interval_s)
    }

    /// What a host of `capacity` may book before any estimate: the static ratios, or 1:1 for dynamic strategies
    /// (ScroogeVM starts from the booking).
    pub fn initial_allocatable(&self, capacity: &Capacity) -> Allocatable {
        match *self {
            OversubscriptionConfig::Static { cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio } => {
                static_ratio::StaticRatios {
                    cpu: cpu_allocation_ratio,
                    memory: ram_allocation_ratio,
                    disk: disk_allocation_ratio,
                }
                .allocatable(capacity)
            }
            _ => static_ratio::StaticRatios { cpu: 1.0, memory: 1.0, disk: 1.0 }.allocatable(capacity),
        }
    }

    /// The strategy for a run. Static ratios are a strategy too (their threshold is `config − ratio × config +
    /// booked`), though the simulation needs not ask them: their allocatable capacity never changes.
    pub fn build(&self) -> Box<dyn OversubscriptionStrategy> {
        match *self {
            OversubscriptionConfig::Static { cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio } => {
                Box::new(static_ratio::StaticRatios {
                    cpu: cpu_allocation_ratio,
                    memory: ram_allocation_ratio,
                    disk: disk_allocation_ratio,
                })
            }
            OversubscriptionConfig::Percentile { cpu_percentile, memory_percentile, .. } => {
                Box::new(percentile::Percentile::new(cpu_percentile, memory_percentile))
            }
            OversubscriptionConfig::Doa { step_down, step_up, trigger, cap, .. } => {
                Box::new(doa::Doa::new(step_down, step_up, trigger, cap))
            }
            OversubscriptionConfig::Greedy { percentile, stability, .. } => {
                Box::new(greedy::Greedy::new(percentile, stability.build()))
            }
            OversubscriptionConfig::Scroogevm {
                r_initial, r_min, r_max, r_decrease, r_increase, stability, ..
            } => Box::new(scroogevm::Scroogevm::new(
                scroogevm::RAdaptation {
                    initial: r_initial,
                    min: r_min,
                    max: r_max,
                    decrease: r_decrease,
                    increase: r_increase,
                },
                stability.build(),
            )),
            OversubscriptionConfig::Nsigma { n, .. } => Box::new(nsigma::Nsigma { n }),
            OversubscriptionConfig::Borg { ratio, .. } => Box::new(borg::Borg { ratio }),
            OversubscriptionConfig::Rclike { cpu_percentile, memory_percentile, .. } => {
                Box::new(rclike::Rclike::new(cpu_percentile, memory_percentile))
            }
            OversubscriptionConfig::Maxpeak { n, cpu_percentile, memory_percentile, .. } => {
                Box::new(maxpeak::Maxpeak {
                    nsigma: nsigma::Nsigma { n },
                    rclike: rclike::Rclike::new(cpu_percentile, memory_percentile),
                })
            }
        }
    }

    /// Whether hosts' allocatable capacity follows estimates (every kind but `static`).
    pub fn is_dynamic(&self) -> bool {
        !matches!(self, OversubscriptionConfig::Static { .. })
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Hand-made windows for the strategies' tests.
    use super::window::{Occurrence, Window};
    use super::{HostObservation, PerResource, VmObservation};

    /// An occurrence with the given CPU samples (cores), memory samples 100× the CPU ones (MB), and bookings.
    pub fn occurrence(cpu: &[f64], booked: PerResource) -> Occurrence {
        Occurrence::new(cpu.to_vec(), cpu.iter().map(|value| value * 100.0).collect(), booked)
    }

    /// A window of occurrences of the given CPU samples, all booked `booked`.
    pub fn window(occurrences: &[&[f64]], booked: PerResource) -> Window {
        Window::of(occurrences.iter().map(|cpu| occurrence(cpu, booked)).collect())
    }

    /// Host 0, slice 0, a 10-core / 1000 MB host.
    pub fn host<'a>(window: &'a Window, vms: &'a [VmObservation<'a>]) -> HostObservation<'a> {
        HostObservation { host: 0, slice: 0, config: PerResource { cpu: 10.0, memory: 1000.0 }, window, vms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<OversubscriptionConfig, String> {
        let config: OversubscriptionConfig = toml::from_str(text).map_err(|error| error.to_string())?;
        config.validate(300).map(|()| config)
    }

    #[test]
    fn free_capacity_rounds_as_scroogevm() {
        let config = PerResource { cpu: 10.0, memory: 1000.0 };
        let free = free_capacity(config, PerResource { cpu: 3.04, memory: 400.7 });
        assert_eq!(free, PerResource { cpu: 7.0, memory: 599.0 });
        let none = free_capacity(config, PerResource { cpu: 12.0, memory: 2000.0 });
        assert_eq!(none, PerResource { cpu: 0.0, memory: 0.0 });
        // A negative threshold (doa) offers more than the host has.
        assert_eq!(free_capacity(config, PerResource { cpu: -5.0, memory: 0.0 }).cpu, 15.0);
    }

    #[test]
    fn every_kind_parses_with_its_defaults() {
        for kind in ["static", "percentile", "doa", "greedy", "scroogevm", "nsigma", "borg", "rclike", "maxpeak"] {
            let config = parse(&format!("kind = \"{kind}\"")).unwrap();
            assert_eq!(config.name(), kind);
            assert_eq!(config.is_dynamic(), kind != "static");
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        let error = parse("kind = \"percentile\"\ncpu_percentile = 120").unwrap_err();
        assert!(error.contains("oversubscription.cpu_percentile") && error.contains("0 and 100"), "{error}");
        let error = parse("kind = \"doa\"\nstep_down = -0.05").unwrap_err();
        assert!(error.contains("oversubscription.step_down") && error.contains("zero or more"), "{error}");
        let error = parse("kind = \"scroogevm\"\nr_initial = 6.0").unwrap_err();
        assert!(error.contains("r_min ≤ r_initial ≤ r_max"), "{error}");
        let error = parse("kind = \"nsigma\"\nwindow = { scope_s = 600, slices = 4 }").unwrap_err();
        assert!(error.contains("no samples"), "{error}");
        let error = parse("kind = \"borg\"\nratio = 0").unwrap_err();
        assert!(error.contains("oversubscription.ratio"), "{error}");
        let error = parse("kind = \"greedy\"\nstability = { kind = \"ar1\", tolerance = -1 }").unwrap_err();
        assert!(error.contains("tolerance"), "{error}");
        assert!(parse("kind = \"nsigma\"\nsigma = 3").unwrap_err().contains("unknown field"));
    }
}
