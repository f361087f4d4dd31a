//! Scenario files (TOML): the raw serde form ([`raw`]), `--set` overrides ([`overrides`]), and the resolved,
//! validated form a run uses ([`Scenario`]).

pub mod overrides;
pub mod plan;
pub mod raw;
pub mod sweep;

use std::path::{Path, PathBuf};

pub use raw::RawScenario;

use crate::consolidation::ConsolidationConfig;
use crate::metrics::EmptyHosts;
use crate::migration::MigrationConfig;
use crate::policy::oversubscription::OversubscriptionConfig;
use crate::policy::placement::PlacementConfig;
use crate::power::PowerModel;
use crate::time::{SimTime, MS_PER_SECOND};
use crate::trace::lifecycle::Preexisting;
use crate::usage::planetlab::Binding;
use crate::usage::UsageConfig;
use crate::workload::planetlab::VmType;

/// An error in a scenario or its overrides: which file, which field, what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: cannot read the scenario: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("--set {assignment}: {message}")]
    Override { assignment: String, message: String },
    #[error("{origin}, field {field}: {message}")]
    Invalid { origin: String, field: String, message: String },
}

/// The built-in default scenario and the data it runs on, compiled into the binary so that `fleetsim run`
/// works from any directory.
pub mod embedded {
    pub const SCENARIO_NAME: &str = "scenarios/default.toml (embedded)";
    pub const SCENARIO: &str = include_str!("../scenarios/default.toml");
    /// Files the embedded scenario names, by the path written in it.
    pub const FILES: [(&str, &[u8]); 2] = [
        ("../data/chameleon-small-instances.csv", include_bytes!("../data/chameleon-small-instances.csv")),
        ("../data/chameleon-small-machines.csv", include_bytes!("../data/chameleon-small-machines.csv")),
    ];
}

/// An input file: on disk, or compiled in (the embedded default's data).
#[derive(Clone, Debug, PartialEq)]
pub enum InputFile {
    Disk(PathBuf),
    Embedded { name: &'static str, bytes: &'static [u8] },
}

impl InputFile {
    pub fn display_name(&self) -> String {
        match self {
            InputFile::Disk(path) => path.display().to_string(),
            InputFile::Embedded { name, .. } => format!("{name} (embedded)"),
        }
    }
}

/// One host type declared in the scenario.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostType {
    pub name: String,
    pub count: u32,
    pub vcpus: u32,
    pub memory_mb: u64,
    pub disk_gb: u64,
    /// Speed of one core (CloudSim's PE), in MIPS. VMs of Nova traces run at 1000 MIPS per vCPU, so the default
    /// makes utilisation demand in cores over cores.
    #[serde(default = "default_core_mips")]
    pub core_mips: f64,
    /// Overrides `hosts.power` for this type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<PowerModel>,
}

fn default_core_mips() -> f64 {
    crate::fleet::DEFAULT_MIPS_PER_VCPU
}

/// In what order declared host types are laid out in the fleet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostLayout {
    /// Each type's hosts together, types in declaration order.
    #[default]
    Grouped,
    /// Host i is of type i mod (number of types), while that type has hosts left (CloudSim's fleet).
    Alternating,
}

/// How CPU admits a VM onto a host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CpuAdmission {
    /// Booked vCPUs within the CPU allocation ratio (Nova).
    #[default]
    Vcpus,
    /// Also: a vCPU's speed fits a core, and the VM's full MIPS fits the host's free MIPS (CloudSim's
    /// `isSuitableForVm` for a VM being created).
    Mips,
}

/// Generate the trace files with `fleetsim synth chameleon` settings when they are absent.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthesizeIfMissing {
    pub seed: u64,
    pub scale: f64,
}

/// What to do with a VM that fits on no host (Nova's NoValidHost).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnNoValidHost {
    /// Reject it (Nova's behaviour): counted in `vms_rejected`.
    #[default]
    Reject,
    /// Keep it waiting and retry every `retry_interval_s`, rejecting it after `max_wait_s`.
    Queue,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TraceInputs {
    pub instances: InputFile,
    pub machines: Option<InputFile>,
    pub lenient: bool,
    pub preexisting: Preexisting,
    pub synthesize: Option<SynthesizeIfMissing>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Admission {
    pub on_no_valid_host: OnNoValidHost,
    pub retry_interval: SimTime,
    pub max_wait: SimTime,
    pub cpu: CpuAdmission,
}

/// A PlanetLab day run as CloudSim's experiment (`[workload] kind = "planetlab"`).
#[derive(Clone, Debug, PartialEq)]
pub struct PlanetlabWorkload {
    pub dir: PathBuf,
    pub day: String,
    pub vm_types: Vec<VmType>,
    pub duration: SimTime,
    pub ram_utilization: f64,
    pub zero_demand: crate::workload::planetlab::ZeroDemand,
}

/// A parameter value as it appears in `runs.arrow`.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// A resolved, validated scenario: everything one run needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Where the scenario came from (file path or the embedded default's name), for messages.
    pub origin: String,
    pub label: String,
    pub seed: u64,
    /// A Nova trace to replay, or (exactly one of the two) a PlanetLab workload.
    pub trace: Option<TraceInputs>,
    pub planetlab_workload: Option<PlanetlabWorkload>,
    pub host_types: Vec<HostType>,
    pub host_layout: HostLayout,
    pub host_power: PowerModel,
    pub empty_hosts: EmptyHosts,
    pub sleep_w: f64,
    pub power_aware: bool,
    pub oversubscription: OversubscriptionConfig,
    pub placement: PlacementConfig,
    pub admission: Admission,
    pub usage: UsageConfig,
    pub consolidation: ConsolidationConfig,
    pub migration: MigrationConfig,
    pub interval: SimTime,
    pub timeseries: bool,
    pub host_timeseries: bool,
    /// Record every migration for `migrations.arrow`.
    pub migration_rows: bool,
    /// Record every consolidation round for `rounds.arrow`.
    pub round_rows: bool,
    /// Record every VM for `vms.arrow`.
    pub vm_rows: bool,
    /// The PlanetLab day the run's demand comes from, if any (the `day` column).
    pub day: Option<String>,
    /// Every scenario field with its value (defaults included), by dotted path: the run's parameter columns.
    pub params: Vec<(String, ParamValue)>,
    /// Which replication of its sweep point the run is (0-based); it seeds the run's demand.
    pub replication: u32,
    /// FNV-1a hash of the scenario text and overrides, recorded in the output's metadata.
    pub hash: u64,
}

impl Scenario {
    /// Reads, overrides and resolves a scenario file.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ScenarioError::Io { path: path.to_path_buf(), source })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Scenario::from_text(&text, &path.display().to_string(), Some(&base_dir), overrides)
    }

    /// The embedded default scenario, with overrides.
    pub fn embedded_default(overrides: &[String]) -> Result<Scenario, ScenarioError> {
        Scenario::from_text(embedded::SCENARIO, embedded::SCENARIO_NAME, None, overrides)
    }

    /// Every run a scenario file describes ([`plan::ScenarioPlan`]: variants × sweep points × replications),
    /// built.
    pub fn load_runs(path: &Path, overrides: &[String]) -> Result<Vec<Scenario>, ScenarioError> {
        plan::ScenarioPlan::load(path, overrides)?.scenarios()
    }

    /// [`Scenario::load_runs`] on text.
    pub fn runs_from_text(
        text: &str,
        origin: &str,
        base_dir: Option<&Path>,
        overrides: &[String],
    ) -> Result<Vec<Scenario>, ScenarioError> {
        plan::ScenarioPlan::from_text(text, origin, base_dir, overrides)?.scenarios()
    }

    /// Resolves scenario `text`. Relative paths are relative to `base_dir`; `None` means the embedded default,
    /// whose paths name embedded files (or, if not embedded, files relative to the working directory).
    pub fn from_text(
        text: &str,
        origin: &str,
        base_dir: Option<&Path>,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let raw = overrides::parse_with_overrides(text, origin, overrides)?;
        let mut hash_input = text.to_string();
        for assignment in overrides {
            hash_input.push('\n');
            hash_input.push_str(assignment);
        }
        resolve(raw, origin, base_dir, crate::usage::planetlab::stable_hash(&hash_input))
    }
}

fn resolve(raw: RawScenario, origin: &str, base_dir: Option<&Path>, hash: u64) -> Result<Scenario, ScenarioError> {
    let invalid = |field: &str, message: String| ScenarioError::Invalid {
        origin: origin.to_string(),
        field: field.to_string(),
        message,
    };
    let input = |path: &Path| -> InputFile {
        match base_dir {
            Some(base) => InputFile::Disk(base.join(path)),
            None => match embedded::FILES.iter().find(|(name, _)| Path::new(name) == path) {
                Some((name, bytes)) => InputFile::Embedded { name, bytes },
                None => InputFile::Disk(path.to_path_buf()),
            },
        }
    };

    raw.placement.validate().map_err(|message| invalid("placement", message))?;
    raw.consolidation.validate().map_err(|(field, message)| invalid(field, message))?;
    raw.migration.validate().map_err(|message| invalid("migration", message))?;
    raw.oversubscription.validate(raw.simulation.interval_s).map_err(|message| invalid("oversubscription", message))?;
    raw.usage.validate().map_err(|message| invalid("usage", message))?;
    raw.hosts.power.validate().map_err(|message| invalid("hosts.power", message))?;
    for (index, host_type) in raw.hosts.types.iter().enumerate() {
        let field = format!("hosts.types[{index}]");
        if host_type.count == 0 || host_type.vcpus == 0 || host_type.memory_mb == 0 {
            return Err(invalid(
                &field,
                format!("host type {:?} needs count, vcpus and memory_mb above 0", host_type.name),
            ));
        }
        if !(host_type.core_mips.is_finite() && host_type.core_mips > 0.0) {
            return Err(invalid(
                &format!("{field}.core_mips"),
                format!("core_mips must be positive, got {}", host_type.core_mips),
            ));
        }
        if let Some(power) = &host_type.power {
            power.validate().map_err(|message| invalid(&format!("{field}.power"), message))?;
        }
    }
    if !(raw.hosts.sleep_w.is_finite() && raw.hosts.sleep_w >= 0.0) {
        return Err(invalid(
            "hosts.sleep_w",
            format!("sleep power must be a non-negative number of watts, got {}", raw.hosts.sleep_w),
        ));
    }
    let trace = match (&raw.trace, &raw.workload) {
        (Some(trace), None) => Some(trace),
        (None, Some(_)) => None,
        (None, None) => {
            return Err(invalid(
                "trace",
                "the scenario has no workload: give [trace] (a Nova trace: instances = \"...\") or [workload] \
                 (kind = \"planetlab\")"
                    .to_string(),
            ))
        }
        (Some(_), Some(_)) => {
            return Err(invalid("workload", "give either [trace] or [workload], not both".to_string()));
        }
    };
    let has_machines = trace.is_some_and(|trace| trace.machines.is_some());
    if !has_machines && raw.hosts.types.is_empty() {
        return Err(invalid(
            "hosts.types",
            "the scenario has no hosts: give trace.machines (a machine-events file) or declare hosts.types, e.g. \
             types = [{ name = \"kvm\", count = 10, vcpus = 48, memory_mb = 128536, disk_gb = 2000 }]"
                .to_string(),
        ));
    }
    if raw.simulation.interval_s == 0 {
        return Err(invalid("simulation.interval_s", "the monitoring interval must be at least 1 second".to_string()));
    }
    if raw.admission.retry_interval_s == 0 {
        return Err(invalid("admission.retry_interval_s", "the retry interval must be at least 1 second".to_string()));
    }
    if let Some(synthesize) = trace.and_then(|trace| trace.synthesize) {
        if !(synthesize.scale.is_finite() && synthesize.scale > 0.0 && synthesize.scale <= 10.0) {
            return Err(invalid(
                "trace.synthesize.scale",
                format!("scale must be in (0, 10], got {}", synthesize.scale),
            ));
        }
    }

    let resolve_dir = |dir: &PathBuf| base_dir.map_or_else(|| dir.clone(), |base| base.join(dir));
    let mut usage = raw.usage.clone();
    if let UsageConfig::Planetlab { dir, .. } | UsageConfig::Bitbrains { dir, .. } = &mut usage {
        *dir = resolve_dir(dir);
    }
    let planetlab_workload = match &raw.workload {
        Some(crate::scenario::raw::WorkloadConfig::Planetlab {
            dir,
            day,
            vm_types,
            duration_s,
            ram_utilization,
            zero_demand,
        }) => {
            if !(0.0..=1.0).contains(ram_utilization) {
                return Err(invalid(
                    "workload.ram_utilization",
                    format!("must be between 0 and 1, got {ram_utilization}"),
                ));
            }
            let day_usage = UsageConfig::Planetlab {
                dir: dir.clone(),
                day: day.clone(),
                binding: Binding::Index,
                memory_fraction: crate::usage::default_memory_fraction(),
            };
            day_usage
                .validate()
                .map_err(|message| invalid("workload.day", message.replace("usage.day", "workload.day")))?;
            if vm_types.is_empty()
                || vm_types.iter().any(|vm_type| {
                    !(vm_type.mips.is_finite() && vm_type.mips > 0.0) || vm_type.memory_mb == 0 || vm_type.vcpus == 0
                })
            {
                return Err(invalid(
                    "workload.vm_types",
                    "give at least one VM type, each with mips, memory_mb and vcpus above 0".to_string(),
                ));
            }
            if let Some((index, rate)) = vm_types.iter().enumerate().find_map(|(index, vm_type)| {
                vm_type.dirty_pages_per_s.filter(|rate| !(rate.is_finite() && *rate >= 0.0)).map(|rate| (index, rate))
            }) {
                return Err(invalid(
                    &format!("workload.vm_types[{index}].dirty_pages_per_s"),
                    format!("must be a number of pages per second of 0 or more, got {rate}"),
                ));
            }
            if *duration_s == 0 {
                return Err(invalid("workload.duration_s", "the duration must be at least 1 second".to_string()));
            }
            // The PlanetLab workload brings its own demand: VM i follows file i of the day.
            usage = UsageConfig::Planetlab {
                dir: resolve_dir(dir),
                day: day.clone(),
                binding: Binding::Index,
                memory_fraction: crate::usage::default_memory_fraction(),
            };
            Some(PlanetlabWorkload {
                dir: resolve_dir(dir),
                day: day.clone(),
                vm_types: vm_types.clone(),
                duration: SimTime(*duration_s as i64 * MS_PER_SECOND),
                ram_utilization: *ram_utilization,
                zero_demand: *zero_demand,
            })
        }
        None => None,
    };
    let day = match &usage {
        UsageConfig::Planetlab { day, .. } => Some(day.clone()),
        _ => None,
    };
    let params = raw::flatten_params(&raw).map_err(|message| invalid("(all)", message))?;
    let label = raw
        .name
        .clone()
        .unwrap_or_else(|| format!("{}+{}+{}", raw.placement.name(), raw.oversubscription.name(), raw.usage.name()));

    Ok(Scenario {
        origin: origin.to_string(),
        label,
        seed: raw.seed,
        trace: trace.map(|trace| TraceInputs {
            instances: input(&trace.instances),
            machines: trace.machines.as_deref().map(input),
            lenient: trace.lenient,
            preexisting: trace.preexisting,
            synthesize: trace.synthesize,
        }),
        planetlab_workload,
        host_types: raw.hosts.types,
        host_layout: raw.hosts.layout,
        host_power: raw.hosts.power,
        empty_hosts: raw.hosts.empty,
        sleep_w: raw.hosts.sleep_w,
        power_aware: raw.hosts.power_aware,
        oversubscription: raw.oversubscription,
        placement: raw.placement,
        admission: Admission {
            on_no_valid_host: raw.admission.on_no_valid_host,
            retry_interval: SimTime(raw.admission.retry_interval_s as i64 * MS_PER_SECOND),
            max_wait: SimTime(raw.admission.max_wait_s as i64 * MS_PER_SECOND),
            cpu: raw.admission.cpu,
        },
        usage,
        consolidation: raw.consolidation,
        migration: raw.migration,
        day,
        interval: SimTime(raw.simulation.interval_s as i64 * MS_PER_SECOND),
        timeseries: raw.output.timeseries,
        host_timeseries: raw.output.hosts,
        migration_rows: raw.output.migrations,
        round_rows: raw.output.rounds,
        vm_rows: raw.output.vms,
        params,
        replication: 0,
        hash,
    })
}
