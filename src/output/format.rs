//! The two result formats: Arrow IPC (the default: `runs.arrow`) and Parquet (`runs.parquet`), same schema.

use std::path::{Path, PathBuf};

use anyhow::Context;
use arrow_array::RecordBatch;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultFormat {
    #[default]
    Arrow,
    Parquet,
}

impl ResultFormat {
    /// Where a runs table of this format goes in `dir`.
    pub fn runs_path(self, dir: &Path) -> PathBuf {
        match self {
            ResultFormat::Arrow => dir.join("runs.arrow"),
            ResultFormat::Parquet => dir.join("runs.parquet"),
        }
    }

    /// Writes `batch` to `path` in this format, atomically.
    pub fn write(self, path: &Path, batch: &RecordBatch) -> anyhow::Result<()> {
        match self {
            ResultFormat::Arrow => crate::output::write_ipc_file(path, batch),
            ResultFormat::Parquet => crate::output::atomic::write_atomically(path, |writer| {
                let properties = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .build();
                let mut parquet = parquet::arrow::ArrowWriter::try_new(writer, batch.schema(), Some(properties))?;
                parquet.write(batch)?;
                parquet.close()?;
                Ok(())
            }),
        }
    }
}

/// Reads a whole table from an Arrow IPC file, or a Parquet file (by its `.parquet` extension), as one batch.
pub fn read_table(path: &Path) -> anyhow::Result<RecordBatch> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let (schema, batches) = if path.extension().is_some_and(|extension| extension == "parquet") {
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .with_context(|| format!("{} is not a Parquet file", path.display()))?;
        // Parquet keeps the Arrow schema (metadata included) in its footer; the builder restores it.
        let schema = reader.schema().clone();
        let batches: Result<Vec<_>, _> = reader.build()?.collect();
        (schema, batches.with_context(|| format!("cannot read {}", path.display()))?)
    } else {
        let reader = arrow_ipc::reader::FileReader::try_new(file, None)
            .with_context(|| format!("{} is not an Arrow IPC file", path.display()))?;
        let schema = reader.schema();
        let batches: Result<Vec<_>, _> = reader.collect();
        (schema, batches.with_context(|| format!("cannot read {}", path.display()))?)
    };
    Ok(arrow_select::concat::concat_batches(&schema, &batches)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn both_formats_round_trip_the_same_table() {
        let record = crate::output::runs_table::RunRecord {
            index: 3,
            label: "x".into(),
            day: None,
            seed: 9,
            replication: 1,
            status: crate::output::runs_table::RunStatus::Ok,
            error: None,
            params: vec![("a.b".into(), crate::scenario::ParamValue::Float(0.5))],
            metrics: Some(crate::metrics::RunMetrics::default()),
        };
        let metadata = HashMap::from([("scenario_hash".to_string(), "00ff".to_string())]);
        let batch = crate::output::runs_table::runs_batch(&[record], metadata).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for format in [ResultFormat::Arrow, ResultFormat::Parquet] {
            let path = format.runs_path(dir.path());
            format.write(&path, &batch).unwrap();
            let read = read_table(&path).unwrap();
            assert_eq!(read.schema().metadata().get("scenario_hash").map(String::as_str), Some("00ff"));
            assert_eq!(read.columns(), batch.columns(), "{format:?}");
            assert_eq!(read.schema().fields(), batch.schema().fields(), "{format:?}");
        }
    }
}
