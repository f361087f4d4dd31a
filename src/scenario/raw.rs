//! The scenario file as written: serde structs with defaults, `deny_unknown_fields` everywhere, so a typo is
//! an error that names the field and lists the accepted ones.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::consolidation::ConsolidationConfig;
use crate::metrics::EmptyHosts;
use crate::migration::MigrationConfig;
use crate::policy::oversubscription::OversubscriptionConfig;
use crate::policy::placement::PlacementConfig;
use crate::power::PowerModel;
use crate::scenario::{CpuAdmission, HostLayout, HostType, OnNoValidHost, ParamValue, SynthesizeIfMissing};
use crate::trace::lifecycle::Preexisting;
use crate::usage::UsageConfig;
use crate::workload::planetlab::VmType;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// The run's label; derived from its policies when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// A Nova trace to replay (StarCompactor files)...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<RawTrace>,
    /// ...or a generated workload (a PlanetLab day as CloudSim runs it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadConfig>,
    #[serde(default)]
    pub hosts: RawHosts,
    #[serde(default)]
    pub oversubscription: OversubscriptionConfig,
    #[serde(default)]
    pub placement: PlacementConfig,
    #[serde(default)]
    pub admission: RawAdmission,
    #[serde(default)]
    pub usage: UsageConfig,
    #[serde(default)]
    pub consolidation: ConsolidationConfig,
    #[serde(default)]
    pub migration: MigrationConfig,
    #[serde(default)]
    pub simulation: RawSimulation,
    #[serde(default)]
    pub output: RawOutput,
    /// Runs of this scenario, each with its label and overrides (`--set` syntax); empty: one run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// Sweep axes (`[sweep]`), expanded into runs by [`crate::scenario::plan::ScenarioPlan`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<toml::Table>,
}

/// One run of a scenario's simple sweep list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub label: String,
    /// Overrides in `--set` syntax: `"consolidation.overload = { kind = \"thr\", threshold = 0.8 }"`.
    #[serde(default)]
    pub set: Vec<String>,
}

/// `[workload]`: a workload generated from data rather than replayed from a Nova trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkloadConfig {
    /// One VM per file of a PlanetLab day, all created at 0 and kept for `duration_s`, demand from its file.
    Planetlab {
        #[serde(default = "crate::usage::planetlab::default_dir")]
        dir: PathBuf,
        #[serde(
            default = "crate::usage::planetlab::default_day",
            deserialize_with = "crate::usage::planetlab::day_from_text_or_number"
        )]
        day: String,
        #[serde(default = "crate::workload::planetlab::cloudsim_vm_types")]
        vm_types: Vec<VmType>,
        #[serde(default = "default_duration_s")]
        duration_s: u64,
        /// Fraction of its RAM a VM keeps requesting once created. CloudSim's PlanetLab cloudlets request none
        /// (`UtilizationModelNull`), so RAM bounds only the initial placement: the default, 0.
        #[serde(default)]
        ram_utilization: f64,
        /// What becomes of a VM whose demand is exactly 0 at an update: `"remove"` (CloudSim, the default) or
        /// `"keep"`.
        #[serde(default)]
        zero_demand: crate::workload::planetlab::ZeroDemand,
    },
}

fn default_duration_s() -> u64 {
    86_400
}

fn default_seed() -> u64 {
    1
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrace {
    /// StarCompactor instance events (CSV in either layout, or JSON lines).
    pub instances: PathBuf,
    /// StarCompactor machine events; the fleet comes from them when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machines: Option<PathBuf>,
    /// Skip and count malformed rows instead of stopping at the first.
    #[serde(default)]
    pub lenient: bool,
    #[serde(default)]
    pub preexisting: Preexisting,
    /// Generate the files with the synthetic Chameleon generator if they do not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthesize: Option<SynthesizeIfMissing>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHosts {
    /// Hosts present from the start, in addition to any from machine events.
    #[serde(default)]
    pub types: Vec<HostType>,
    /// Power model of every host whose type does not give one.
    #[serde(default)]
    pub power: PowerModel,
    #[serde(default)]
    pub empty: EmptyHosts,
    /// Power of a sleeping host (`empty = "sleep"`): the Neat testbed's 10.4 W.
    #[serde(default = "default_sleep_w")]
    pub sleep_w: f64,
    /// `false`: a non-power-aware data centre, every host charged its full-load power all the time (CloudSim's
    /// NPA baseline).
    #[serde(default = "default_true")]
    pub power_aware: bool,
    /// `grouped`: each type's hosts together, in declaration order; `alternating`: host i is of type i mod n
    /// (CloudSim's PlanetLab fleet).
    #[serde(default)]
    pub layout: HostLayout,
}

fn default_sleep_w() -> f64 {
    10.4
}

fn default_true() -> bool {
    true
}

impl Default for RawHosts {
    fn default() -> Self {
        RawHosts {
            types: Vec::new(),
            power: PowerModel::default(),
            empty: EmptyHosts::default(),
            sleep_w: default_sleep_w(),
            power_aware: true,
            layout: HostLayout::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmission {
    #[serde(default)]
    pub on_no_valid_host: OnNoValidHost,
    #[serde(default = "default_retry_interval_s")]
    pub retry_interval_s: u64,
    #[serde(default = "default_max_wait_s")]
    pub max_wait_s: u64,
    /// How CPU admits a VM: by vCPUs within the allocation ratio (Nova) or, in addition, by free MIPS, with a
    /// new VM asking for its full MIPS (CloudSim).
    #[serde(default)]
    pub cpu: CpuAdmission,
}

fn default_retry_interval_s() -> u64 {
    300
}
fn default_max_wait_s() -> u64 {
    86_400
}

impl Default for RawAdmission {
    fn default() -> Self {
        RawAdmission {
            on_no_valid_host: OnNoValidHost::default(),
            retry_interval_s: default_retry_interval_s(),
            max_wait_s: default_max_wait_s(),
            cpu: CpuAdmission::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    /// Monitoring interval: demand is sampled every `interval_s` seconds.
    #[serde(default = "default_interval_s")]
    pub interval_s: u64,
}

fn default_interval_s() -> u64 {
    300
}

impl Default for RawSimulation {
    fn default() -> Self {
        RawSimulation { interval_s: default_interval_s() }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// Also write `timeseries.arrow`: one row per run and monitoring tick.
    #[serde(default)]
    pub timeseries: bool,
    /// Also write `hosts.arrow`: one row per run, monitoring tick and present host.
    #[serde(default)]
    pub hosts: bool,
    /// Also write `migrations.arrow`: one row per run and migration.
    #[serde(default)]
    pub migrations: bool,
    /// Also write `rounds.arrow`: one row per run and consolidation round (monitoring tick).
    #[serde(default)]
    pub rounds: bool,
    /// Also write `vms.arrow`: one row per run and VM (first and last host, migrations, removal).
    #[serde(default)]
    pub vms: bool,
}

/// Every field of the scenario (defaults filled in) as `(dotted.path, value)`, in file order. Arrays (host
/// types) become one text column holding their TOML.
pub fn flatten_params(raw: &RawScenario) -> Result<Vec<(String, ParamValue)>, String> {
    let mut raw = raw.clone();
    // The variants are runs, not parameters: each run's own overrides are already applied.
    raw.variants.clear();
    raw.sweep = None;
    let value =
        toml::Value::try_from(&raw).map_err(|error| format!("cannot list the scenario's parameters: {error}"))?;
    let mut params = Vec::new();
    flatten_into(&mut params, String::new(), &value);
    // `name` is the run's `label` column already; the scenario's seed is the base the run's `seed` derives
    // from, so it gets its own name rather than a second `seed` column.
    params.retain(|(path, _)| path != "name");
    for (path, _) in &mut params {
        if path == "seed" {
            *path = "base_seed".to_string();
        }
    }
    Ok(params)
}

fn flatten_into(params: &mut Vec<(String, ParamValue)>, path: String, value: &toml::Value) {
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match value {
        toml::Value::Table(table) => {
            for (key, child) in table {
                flatten_into(params, join(key), child);
            }
        }
        toml::Value::Integer(number) => params.push((path, ParamValue::Int(*number))),
        toml::Value::Float(number) => params.push((path, ParamValue::Float(*number))),
        toml::Value::Boolean(flag) => params.push((path, ParamValue::Bool(*flag))),
        toml::Value::String(text) => params.push((path, ParamValue::Text(text.clone()))),
        toml::Value::Datetime(datetime) => params.push((path, ParamValue::Text(datetime.to_string()))),
        toml::Value::Array(items) => {
            let text = items.iter().map(|item| item.to_string()).collect::<Vec<_>>().join(", ");
            params.push((path, ParamValue::Text(format!("[{text}]"))));
        }
    }
}
