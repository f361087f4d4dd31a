//! `hosts.arrow` (opt-in): one row per run, monitoring tick and present host.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt32Array, UInt64Array};
use arrow_schema::{Field, Schema};

use crate::simulation::HostSample;

/// Builds the per-host batch from `(run_index, samples)` pairs, in the order given.
pub fn hosts_batch(runs: &[(u64, &[HostSample])], metadata: HashMap<String, String>) -> anyhow::Result<RecordBatch> {
    let rows = || runs.iter().flat_map(|(run, samples)| samples.iter().map(move |sample| (*run, sample)));
    let uint32 = |get: fn(&HostSample) -> u32| -> ArrayRef {
        Arc::new(rows().map(|(_, sample)| get(sample)).collect::<UInt32Array>())
    };
    let float64 = |get: fn(&HostSample) -> f64| -> ArrayRef {
        Arc::new(rows().map(|(_, sample)| get(sample)).collect::<Float64Array>())
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("run_index", Arc::new(rows().map(|(run, _)| run).collect::<UInt64Array>())),
        ("time_s", float64(|sample| sample.time_s)),
        ("host", uint32(|sample| sample.host)),
        ("vms", uint32(|sample| sample.vms)),
        ("incoming_vms", uint32(|sample| sample.incoming_vms)),
        ("requested_utilization", float64(|sample| sample.requested_utilization)),
        ("utilization", float64(|sample| sample.utilization)),
        ("booked_memory_mb", Arc::new(rows().map(|(_, sample)| sample.booked_memory_mb).collect::<UInt64Array>())),
        ("power_w", float64(|sample| sample.power_w)),
    ];
    let fields: Vec<Field> =
        columns.iter().map(|(name, column)| Field::new(*name, column.data_type().clone(), false)).collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    Ok(RecordBatch::try_new(schema, columns.into_iter().map(|(_, column)| column).collect())?)
}
