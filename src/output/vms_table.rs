//! `vms.arrow` (opt-in): one row per run and VM, in run order then VM order.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{Field, Schema};

use crate::simulation::VmSample;

/// Builds the VMs batch from `(run_index, samples)` pairs, in the order given.
pub fn vms_batch(runs: &[(u64, &[VmSample])], metadata: HashMap<String, String>) -> anyhow::Result<RecordBatch> {
    let rows = || runs.iter().flat_map(|(run, samples)| samples.iter().map(move |sample| (*run, sample)));
    let uint32 = |get: fn(&VmSample) -> Option<u32>| -> ArrayRef {
        Arc::new(rows().map(|(_, sample)| get(sample)).collect::<UInt32Array>())
    };
    let float64 = |get: fn(&VmSample) -> Option<f64>| -> ArrayRef {
        Arc::new(rows().map(|(_, sample)| get(sample)).collect::<Float64Array>())
    };
    let columns: Vec<(&str, ArrayRef, bool)> = vec![
        ("run_index", Arc::new(rows().map(|(run, _)| run).collect::<UInt64Array>()), false),
        ("vm", uint32(|sample| Some(sample.vm)), false),
        (
            "instance",
            Arc::new(rows().map(|(_, sample)| Some(sample.instance.as_str())).collect::<StringArray>()),
            false,
        ),
        ("first_host", uint32(|sample| sample.first_host), true),
        ("first_placed_s", float64(|sample| sample.first_placed_s), true),
        ("last_host", uint32(|sample| sample.last_host), true),
        ("status", Arc::new(rows().map(|(_, sample)| Some(sample.status)).collect::<StringArray>()), false),
        ("removed_s", float64(|sample| sample.removed_s), true),
        ("migrations", uint32(|sample| Some(sample.migrations)), false),
    ];
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, column, nullable)| Field::new(*name, column.data_type().clone(), *nullable))
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    Ok(RecordBatch::try_new(schema, columns.into_iter().map(|(_, column, _)| column).collect())?)
}
