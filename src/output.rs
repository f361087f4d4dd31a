//! Result files: `runs.arrow` (one row per run), `timeseries.arrow` (opt-in, one row per run and tick),
//! `hosts.arrow`, `migrations.arrow`, `rounds.arrow` and `vms.arrow` (opt-in), the human summary on stdout. Schemas are described in `docs/output-schema.md`.

pub mod atomic;
pub mod format;
pub mod hosts_table;
pub mod migrations_table;
pub mod rounds_table;
pub mod runs_table;
pub mod summary;
pub mod timeseries_table;
pub mod vms_table;

/// Schema metadata every result file carries.
pub fn file_metadata(scenario_hash: u64) -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([
        ("fleetsim_version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ("scenario_hash".to_string(), format!("{scenario_hash:016x}")),
    ])
}

/// Writes one record batch as an Arrow IPC file, atomically.
pub fn write_ipc_file(path: &std::path::Path, batch: &arrow_array::RecordBatch) -> anyhow::Result<()> {
    atomic::write_atomically(path, |writer| {
        let mut ipc = arrow_ipc::writer::FileWriter::try_new(writer, &batch.schema())?;
        ipc.write(batch)?;
        ipc.finish()?;
        Ok(())
    })
}
