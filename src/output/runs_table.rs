//! `runs.arrow`: one row per run. Columns, in order: `run_index`, `label`, `day` (the PlanetLab day the demand
//! comes from, null otherwise), `status`, `error`, `seed`, then one
//! typed column per scenario parameter (dotted path), then the metrics of [`RunMetrics::columns`].

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};

use crate::metrics::{MetricValue, RunMetrics};
use crate::scenario::ParamValue;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Ok,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
        }
    }
}

/// Everything `runs.arrow` records about one run.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub index: u64,
    pub label: String,
    /// The PlanetLab day (YYYYMMDD) the run's demand comes from, if any.
    pub day: Option<String>,
    pub seed: u64,
    /// Which replication of its sweep point (0-based).
    pub replication: u32,
    pub status: RunStatus,
    pub error: Option<String>,
    pub params: Vec<(String, ParamValue)>,
    /// `None` for a failed run: its metric columns are null.
    pub metrics: Option<RunMetrics>,
}

/// The Arrow type a column needs to hold `value` as well as what it held (`kind`): integers widen to floats
/// when both occur, anything else mixed is text.
fn widen(kind: Option<DataType>, value: &ParamValue) -> DataType {
    let this = match value {
        ParamValue::Int(_) => DataType::Int64,
        ParamValue::Float(_) => DataType::Float64,
        ParamValue::Bool(_) => DataType::Boolean,
        ParamValue::Text(_) => DataType::Utf8,
    };
    match (kind, this) {
        (None, this) => this,
        (Some(previous), this) if previous == this => previous,
        (Some(DataType::Int64), DataType::Float64) | (Some(DataType::Float64), DataType::Int64) => DataType::Float64,
        _ => DataType::Utf8,
    }
}

/// The parameter columns of a runs table: every run's parameter names in first-seen order, each with the type
/// that holds all its values. A sweep fixes them from its whole plan, so that every batch it writes has the
/// same schema.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamColumns {
    columns: Vec<(String, DataType)>,
}

impl ParamColumns {
    pub fn of(records: &[RunRecord]) -> ParamColumns {
        let mut columns = ParamColumns::default();
        for record in records {
            columns.observe(&record.params);
        }
        columns
    }

    /// Adds one run's parameters.
    pub fn observe(&mut self, params: &[(String, ParamValue)]) {
        for (name, value) in params {
            match self.columns.iter_mut().find(|(known, _)| known == name) {
                Some((_, kind)) => *kind = widen(Some(kind.clone()), value),
                None => self.columns.push((name.clone(), widen(None, value))),
            }
        }
    }
}

fn param_column(values: &[Option<&ParamValue>], kind: &DataType) -> ArrayRef {
    match kind {
        DataType::Int64 => {
            let mut builder = Int64Builder::new();
            for value in values {
                builder.append_option(match value {
                    Some(ParamValue::Int(number)) => Some(*number),
                    _ => None,
                });
            }
            Arc::new(builder.finish())
        }
        DataType::Float64 => {
            let mut builder = Float64Builder::new();
            for value in values {
                builder.append_option(match value {
                    Some(ParamValue::Int(number)) => Some(*number as f64),
                    Some(ParamValue::Float(number)) => Some(*number),
                    _ => None,
                });
            }
            Arc::new(builder.finish())
        }
        DataType::Boolean => {
            let mut builder = BooleanBuilder::new();
            for value in values {
                builder.append_option(match value {
                    Some(ParamValue::Bool(flag)) => Some(*flag),
                    _ => None,
                });
            }
            Arc::new(builder.finish())
        }
        _ => {
            let mut builder = StringBuilder::new();
            for value in values {
                builder.append_option(value.map(|value| match value {
                    ParamValue::Int(number) => number.to_string(),
                    ParamValue::Float(number) => number.to_string(),
                    ParamValue::Bool(flag) => flag.to_string(),
                    ParamValue::Text(text) => text.clone(),
                }));
            }
            Arc::new(builder.finish())
        }
    }
}

/// Builds the `runs` record batch; `metadata` goes into the schema.
pub fn runs_batch(records: &[RunRecord], metadata: HashMap<String, String>) -> anyhow::Result<RecordBatch> {
    runs_batch_with(records, &ParamColumns::of(records), metadata)
}

/// [`runs_batch`] with given parameter columns (a sweep's, fixed for all its batches).
pub fn runs_batch_with(
    records: &[RunRecord],
    params: &ParamColumns,
    metadata: HashMap<String, String>,
) -> anyhow::Result<RecordBatch> {
    let mut fields = vec![
        Field::new("run_index", DataType::UInt64, false),
        Field::new("label", DataType::Utf8, false),
        Field::new("day", DataType::Utf8, true),
        Field::new("status", DataType::Utf8, false),
        Field::new("error", DataType::Utf8, true),
        Field::new("seed", DataType::UInt64, false),
        Field::new("replication", DataType::UInt32, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(records.iter().map(|record| record.index).collect::<arrow_array::UInt64Array>()),
        Arc::new(records.iter().map(|record| Some(record.label.as_str())).collect::<arrow_array::StringArray>()),
        Arc::new(records.iter().map(|record| record.day.as_deref()).collect::<arrow_array::StringArray>()),
        Arc::new(records.iter().map(|record| Some(record.status.as_str())).collect::<arrow_array::StringArray>()),
        Arc::new(records.iter().map(|record| record.error.as_deref()).collect::<arrow_array::StringArray>()),
        Arc::new(records.iter().map(|record| record.seed).collect::<arrow_array::UInt64Array>()),
        Arc::new(records.iter().map(|record| record.replication).collect::<arrow_array::UInt32Array>()),
    ];

    for (name, kind) in &params.columns {
        let values: Vec<Option<&ParamValue>> = records
            .iter()
            .map(|record| record.params.iter().find(|(param, _)| param == name).map(|(_, value)| value))
            .collect();
        columns.push(param_column(&values, kind));
        fields.push(Field::new(name, kind.clone(), true));
    }

    // Metric columns: names and types from the metric list itself, so failed-only tables have them too.
    let per_run: Vec<Option<Vec<(&'static str, MetricValue)>>> =
        records.iter().map(|record| record.metrics.as_ref().map(RunMetrics::columns)).collect();
    for (position, (name, template)) in RunMetrics::default().columns().into_iter().enumerate() {
        let value_at = |row: &Option<Vec<(&'static str, MetricValue)>>| row.as_ref().map(|columns| columns[position].1);
        match template {
            MetricValue::Count(_) => {
                let mut builder = UInt64Builder::new();
                for row in &per_run {
                    builder.append_option(match value_at(row) {
                        Some(MetricValue::Count(count)) => Some(count),
                        _ => None,
                    });
                }
                columns.push(Arc::new(builder.finish()));
                fields.push(Field::new(name, DataType::UInt64, true));
            }
            MetricValue::Real(_) => {
                let mut builder = Float64Builder::new();
                for row in &per_run {
                    builder.append_option(match value_at(row) {
                        Some(MetricValue::Real(value)) => Some(value),
                        _ => None,
                    });
                }
                columns.push(Arc::new(builder.finish()));
                fields.push(Field::new(name, DataType::Float64, true));
            }
            MetricValue::Text(_) => {
                let mut builder = StringBuilder::new();
                for row in &per_run {
                    builder.append_option(match value_at(row) {
                        Some(MetricValue::Text(text)) => Some(text),
                        _ => None,
                    });
                }
                columns.push(Arc::new(builder.finish()));
                fields.push(Field::new(name, DataType::Utf8, true));
            }
        }
    }
    if let Some(duplicate) = fields.iter().enumerate().find_map(|(index, field)| {
        fields[..index].iter().any(|earlier| earlier.name() == field.name()).then(|| field.name().clone())
    }) {
        anyhow::bail!("internal error: runs.arrow would have two columns named {duplicate}");
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    Ok(RecordBatch::try_new(schema, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_types_widen_and_failed_runs_have_null_metrics() {
        let ok = RunRecord {
            index: 0,
            label: "a".into(),
            day: None,
            seed: 1,
            replication: 0,
            status: RunStatus::Ok,
            error: None,
            params: vec![("ratio".into(), ParamValue::Int(16)), ("kind".into(), ParamValue::Text("x".into()))],
            metrics: Some(RunMetrics::default()),
        };
        let failed = RunRecord {
            index: 1,
            label: "b".into(),
            status: RunStatus::Failed,
            error: Some("boom".into()),
            params: vec![("ratio".into(), ParamValue::Float(1.5))],
            metrics: None,
            ..ok.clone()
        };
        let batch = runs_batch(&[ok, failed], HashMap::new()).unwrap();
        let schema = batch.schema();
        assert_eq!(schema.field_with_name("ratio").unwrap().data_type(), &DataType::Float64);
        assert_eq!(schema.field_with_name("kind").unwrap().data_type(), &DataType::Utf8);
        let energy = batch.column_by_name("energy_kwh").unwrap();
        assert_eq!(energy.null_count(), 1);
        assert_eq!(batch.num_rows(), 2);
    }
}
