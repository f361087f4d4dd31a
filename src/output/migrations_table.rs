//! `migrations.arrow` (opt-in): one row per run and migration that ended within the run, in run order then
//! end order.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{Field, Schema};

use crate::metrics::migrations::MigrationRecord;

/// Builds the migrations batch from `(run_index, records)` pairs, in the order given.
pub fn migrations_batch(
    runs: &[(u64, &[MigrationRecord])],
    metadata: HashMap<String, String>,
) -> anyhow::Result<RecordBatch> {
    let rows = || runs.iter().flat_map(|(run, records)| records.iter().map(move |record| (*run, record)));
    let uint32 = |get: fn(&MigrationRecord) -> u32| -> ArrayRef {
        Arc::new(rows().map(|(_, record)| get(record)).collect::<UInt32Array>())
    };
    let float64 = |get: fn(&MigrationRecord) -> f64| -> ArrayRef {
        Arc::new(rows().map(|(_, record)| get(record)).collect::<Float64Array>())
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("run_index", Arc::new(rows().map(|(run, _)| run).collect::<UInt64Array>())),
        ("vm", uint32(|record| record.vm)),
        ("source", uint32(|record| record.source)),
        ("target", uint32(|record| record.target)),
        ("requested_s", float64(|record| record.requested_s)),
        ("start_s", float64(|record| record.start_s)),
        ("end_s", float64(|record| record.end_s)),
        ("duration_s", float64(|record| record.end_s - record.start_s)),
        ("rounds", uint32(|record| record.rounds)),
        ("bytes", Arc::new(rows().map(|(_, record)| record.bytes).collect::<UInt64Array>())),
        ("downtime_ms", float64(|record| record.downtime_ms)),
        ("outcome", Arc::new(rows().map(|(_, record)| Some(record.outcome.as_str())).collect::<StringArray>())),
        ("reason", Arc::new(rows().map(|(_, record)| Some(record.reason.as_str())).collect::<StringArray>())),
    ];
    let fields: Vec<Field> =
        columns.iter().map(|(name, column)| Field::new(*name, column.data_type().clone(), false)).collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    Ok(RecordBatch::try_new(schema, columns.into_iter().map(|(_, column)| column).collect())?)
}
