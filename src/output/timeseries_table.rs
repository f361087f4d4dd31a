//! `timeseries.arrow` (opt-in): one row per run and monitoring tick.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt32Array, UInt64Array};
use arrow_schema::{Field, Schema};

use crate::simulation::TickSample;

/// Builds the time-series batch from `(run_index, samples)` pairs, in the order given.
pub fn timeseries_batch(
    runs: &[(u64, &[TickSample])],
    metadata: HashMap<String, String>,
) -> anyhow::Result<RecordBatch> {
    let rows = || runs.iter().flat_map(|(run, samples)| samples.iter().map(move |sample| (*run, sample)));
    let uint32 = |get: fn(&TickSample) -> u32| -> ArrayRef {
        Arc::new(rows().map(|(_, sample)| get(sample)).collect::<UInt32Array>())
    };
    let float64 = |get: fn(&TickSample) -> f64| -> ArrayRef {
        Arc::new(rows().map(|(_, sample)| get(sample)).collect::<Float64Array>())
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("run_index", Arc::new(rows().map(|(run, _)| run).collect::<UInt64Array>())),
        ("time_s", float64(|sample| sample.time_s)),
        ("present_hosts", uint32(|sample| sample.present_hosts)),
        ("active_hosts", uint32(|sample| sample.active_hosts)),
        ("overloaded_hosts", uint32(|sample| sample.overloaded_hosts)),
        ("vms", uint32(|sample| sample.vms)),
        ("queued_vms", uint32(|sample| sample.queued_vms)),
        ("migrations_in_flight", uint32(|sample| sample.migrations_in_flight)),
        ("demand_cores", float64(|sample| sample.demand_cores)),
        ("capacity_vcpus", float64(|sample| sample.capacity_vcpus)),
        ("booked_vcpus", float64(|sample| sample.booked_vcpus)),
        ("allocatable_vcpus", float64(|sample| sample.allocatable_vcpus)),
        ("oversubscription_ratio", float64(|sample| sample.oversubscription_ratio)),
        ("memory_oversubscription_ratio", float64(|sample| sample.memory_oversubscription_ratio)),
        ("power_w", float64(|sample| sample.power_w)),
    ];
    let fields: Vec<Field> =
        columns.iter().map(|(name, column)| Field::new(*name, column.data_type().clone(), false)).collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    Ok(RecordBatch::try_new(schema, columns.into_iter().map(|(_, column)| column).collect())?)
}
