//! The scenario file as written: serde structs with defaults, `deny_unknown_fields` everywhere, so a typo is
//! an error that names the field and lists the accepted ones.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::metrics::EmptyHosts;
use crate::policy::oversubscription::OversubscriptionConfig;
use crate::policy::placement::PlacementConfig;
use crate::power::PowerModel;
use crate::scenario::{HostType, OnNoValidHost, ParamValue, SynthesizeIfMissing};
use crate::trace::lifecycle::Preexisting;
use crate::usage::UsageConfig;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// The run's label; derived from its policies when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub trace: RawTrace,
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
    pub simulation: RawSimulation,
    #[serde(default)]
    pub output: RawOutput,
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

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
}

/// Every field of the scenario (defaults filled in) as `(dotted.path, value)`, in file order. Arrays (host
/// types) become one text column holding their TOML.
pub fn flatten_params(raw: &RawScenario) -> Result<Vec<(String, ParamValue)>, String> {
    let value =
        toml::Value::try_from(raw).map_err(|error| format!("cannot list the scenario's parameters: {error}"))?;
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
