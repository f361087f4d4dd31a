//! `rounds.arrow` (opt-in): one row per run and consolidation round, in run order then time order. The columns
//! are those of CloudSim's per-round trace (`../shared/reference/cloudsim/README.md`); `docs/output-schema.md`
//! describes each.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt32Array, UInt64Array};
use arrow_schema::{Field, Schema};

use crate::simulation::RoundSample;

/// Builds the rounds batch from `(run_index, samples)` pairs, in the order given.
pub fn rounds_batch(runs: &[(u64, &[RoundSample])], metadata: HashMap<String, String>) -> anyhow::Result<RecordBatch> {
    let rows = || runs.iter().flat_map(|(run, samples)| samples.iter().map(move |sample| (*run, sample)));
    let uint32 = |get: fn(&RoundSample) -> u32| -> ArrayRef {
        Arc::new(rows().map(|(_, sample)| get(sample)).collect::<UInt32Array>())
    };
    let float64 = |get: fn(&RoundSample) -> f64| -> ArrayRef {
        Arc::new(rows().map(|(_, sample)| get(sample)).collect::<Float64Array>())
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("run_index", Arc::new(rows().map(|(run, _)| run).collect::<UInt64Array>())),
        ("time_s", float64(|sample| sample.time_s)),
        ("active_hosts", uint32(|sample| sample.active_hosts)),
        ("overloaded_hosts", uint32(|sample| sample.round.overloaded_hosts)),
        ("vms_selected_overload", uint32(|sample| sample.round.vms_selected_overload)),
        ("migrations_overload", uint32(|sample| sample.round.migrations_overload)),
        ("hosts_underload_evacuated", uint32(|sample| sample.round.hosts_underload_evacuated)),
        ("migrations_underload", uint32(|sample| sample.round.migrations_underload)),
        ("interval_energy_kwh", float64(|sample| sample.interval_energy_kwh)),
        ("cumulative_energy_kwh", float64(|sample| sample.cumulative_energy_kwh)),
        ("sla_time_cumulative_s", float64(|sample| sample.sla_time_cumulative_s)),
        ("active_host_time_cumulative_s", float64(|sample| sample.active_host_time_cumulative_s)),
        ("hosts_with_vms", uint32(|sample| sample.hosts_with_vms)),
        ("vms_alive", uint32(|sample| sample.vms_alive)),
        ("vms_removed_zero_demand", uint32(|sample| sample.vms_removed_zero_demand)),
        ("hosts_underload_tried", uint32(|sample| sample.round.hosts_underload_tried)),
        ("vms_migrated_twice", uint32(|sample| sample.round.vms_migrated_twice)),
    ];
    let fields: Vec<Field> =
        columns.iter().map(|(name, column)| Field::new(*name, column.data_type().clone(), false)).collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    Ok(RecordBatch::try_new(schema, columns.into_iter().map(|(_, column)| column).collect())?)
}
