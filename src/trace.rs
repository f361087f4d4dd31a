//! Trace data as read from files: Nova instance action events and machine (host) events.
//!
//! Readers (one file per format below) produce an [`InstanceTrace`] and a [`MachineTrace`], both sorted by
//! event time, stably (input order breaks ties). Nothing here knows about simulation; the lifecycle rules that
//! turn raw records into VM arrivals and departures live in [`lifecycle`].

mod instance_rows;
pub mod lifecycle;
pub mod machine_events;
pub mod python_dict;
pub mod starcompactor_csv;
pub mod starcompactor_jsonl;
pub mod synth_chameleon;

use std::path::{Path, PathBuf};

/// An error in a user-supplied trace file, naming the file, the line and field, and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{path}: cannot read the file: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{path}, line {line}, field {field}: {message}")]
    Row { path: PathBuf, line: u64, field: String, message: String },
}

impl TraceError {
    pub fn row(path: &Path, line: u64, field: &str, message: impl Into<String>) -> TraceError {
        TraceError::Row { path: path.to_path_buf(), line, field: field.to_string(), message: message.into() }
    }

    pub fn file(path: &Path, message: impl Into<String>) -> TraceError {
        TraceError::File { path: path.to_path_buf(), message: message.into() }
    }
}

/// A row left out in `--lenient` mode, with the reason it would otherwise have been an error.
#[derive(Clone, Debug)]
pub struct SkippedRow {
    pub line: u64,
    pub reason: String,
}

/// Options shared by all readers.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// Skip (and count) malformed rows instead of failing on the first one.
    pub lenient: bool,
}

/// The size of a VM: a Nova flavor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Flavor {
    pub vcpus: u32,
    pub memory_mb: u64,
    pub disk_gb: u64,
}

/// The eight KVM@TACC flavors of the published Chameleon trace (name, vCPUs, RAM MB, disk GB).
pub const KVM_TACC_FLAVORS: [(&str, Flavor); 8] = [
    ("m1.tiny", Flavor { vcpus: 1, memory_mb: 512, disk_gb: 1 }),
    ("m1.small", Flavor { vcpus: 1, memory_mb: 2048, disk_gb: 20 }),
    ("m1.medium", Flavor { vcpus: 2, memory_mb: 4096, disk_gb: 40 }),
    ("storage.medium", Flavor { vcpus: 1, memory_mb: 4096, disk_gb: 2048 }),
    ("m1.large", Flavor { vcpus: 4, memory_mb: 8192, disk_gb: 80 }),
    ("m1.xlarge", Flavor { vcpus: 8, memory_mb: 16384, disk_gb: 160 }),
    ("m1.xxlarge", Flavor { vcpus: 8, memory_mb: 32768, disk_gb: 160 }),
    ("m1.xxxlarge", Flavor { vcpus: 16, memory_mb: 32768, disk_gb: 160 }),
];

impl Flavor {
    /// The KVM@TACC flavor name for this size, or `"<vcpus>c/<mb>M/<gb>G"` for any other size.
    pub fn name(&self) -> String {
        KVM_TACC_FLAVORS
            .iter()
            .find(|(_, flavor)| flavor == self)
            .map(|(name, _)| name.to_string())
            .unwrap_or_else(|| format!("{}c/{}M/{}G", self.vcpus, self.memory_mb, self.disk_gb))
    }
}

/// What a Nova action event means for an instance's lifecycle. The mapping from Nova's event names is
/// [`Action::from_nova_event`]; `docs/trace-semantics.md` explains each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Create,
    Delete,
    Stop,
    Start,
    Shelve,
    Unshelve,
    Suspend,
    Resume,
    Pause,
    Unpause,
    Reboot,
    Rebuild,
    /// Any step of the resize family (prep, resize, finish, confirm, revert).
    Resize,
    ColdMigrate,
    LiveMigrate,
    Rescue,
    Unrescue,
    /// An event name fleetsim does not model; counted, never applied.
    Other,
}

impl Action {
    pub fn from_nova_event(event: &str) -> Action {
        match event {
            "compute__do_build_and_run_instance" | "compute_build_and_run_instance" => Action::Create,
            "compute_terminate_instance" => Action::Delete,
            "compute_stop_instance" => Action::Stop,
            "compute_start_instance" => Action::Start,
            "compute_shelve_instance" | "compute_shelve_offload_instance" => Action::Shelve,
            "compute_unshelve_instance" => Action::Unshelve,
            "compute_suspend_instance" => Action::Suspend,
            "compute_resume_instance" => Action::Resume,
            "compute_pause_instance" => Action::Pause,
            "compute_unpause_instance" => Action::Unpause,
            "compute_reboot_instance" => Action::Reboot,
            "compute_rebuild_instance" | "rebuild_server" => Action::Rebuild,
            "compute_prep_resize"
            | "compute_resize_instance"
            | "compute_finish_resize"
            | "compute_confirm_resize"
            | "compute_revert_resize"
            | "compute_finish_revert_resize" => Action::Resize,
            "cold_migrate" => Action::ColdMigrate,
            "compute_live_migration" | "live_migration" | "compute_pre_live_migration" => Action::LiveMigrate,
            "compute_rescue_instance" => Action::Rescue,
            "compute_unrescue_instance" => Action::Unrescue,
            _ => Action::Other,
        }
    }
}

/// Which of the instance-event layouts a file used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceLayout {
    /// The published 2018 KVM trace: 15 columns with `MEMORY_MB,DISK_GB,VCPUS`.
    Csv2018,
    /// Current StarCompactor: 13 columns, sizes inside a Python-dict `PROPERTIES` column.
    CsvProperties,
    /// `--jsons` output: one JSON object per line.
    JsonLines,
}

/// One instance known to the trace, interned by UUID in first-seen order.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceInfo {
    pub uuid: String,
    /// The flavor columns hold the instance's *final* flavor on every row (StarCompactor reads them from
    /// Nova's `instances` table). `None` when no row gave a complete size (bare metal, `None` values).
    pub flavor: Option<Flavor>,
    pub project: String,
    /// Physical host named on the instance's last row, if any.
    pub host: Option<String>,
}

/// One row of an instance-event trace.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceRecord {
    /// Index into [`InstanceTrace::instances`].
    pub instance: u32,
    /// Index into [`InstanceTrace::event_names`].
    pub event: u16,
    pub action: Action,
    /// Unix milliseconds (UTC) at which Nova started the event, if known.
    pub start_ms: Option<i64>,
    /// Unix milliseconds (UTC) at which Nova finished the event: the time the event takes effect.
    pub finish_ms: i64,
    /// `RESULT == "Success"`. Failed events change no state and are counted.
    pub success: bool,
    /// 1-based line in the source file (the header is line 1 in CSV files).
    pub line: u64,
}

/// A whole instance-event trace, sorted by `finish_ms`, stably.
#[derive(Clone, Debug, Default)]
pub struct InstanceTrace {
    pub source: PathBuf,
    pub layout: Option<InstanceLayout>,
    pub event_names: Vec<String>,
    pub instances: Vec<InstanceInfo>,
    pub records: Vec<InstanceRecord>,
    pub skipped: Vec<SkippedRow>,
}

impl InstanceTrace {
    pub fn event_name(&self, record: &InstanceRecord) -> &str {
        &self.event_names[record.event as usize]
    }

    /// First and last finish time (Unix ms), or `None` for an empty trace.
    pub fn span_ms(&self) -> Option<(i64, i64)> {
        Some((self.records.first()?.finish_ms, self.records.last()?.finish_ms))
    }
}

/// Reads an instance-event trace, choosing the reader from the file's content: a first line starting with
/// `{` is JSON lines, anything else is CSV whose header picks the layout.
pub fn read_instance_trace(path: &Path, options: ReadOptions) -> Result<InstanceTrace, TraceError> {
    let bytes = std::fs::read(path).map_err(|source| TraceError::Io { path: path.to_path_buf(), source })?;
    parse_instance_trace(path, &bytes, options)
}

/// Parses instance events already in memory; `path` names them in messages.
pub fn parse_instance_trace(path: &Path, bytes: &[u8], options: ReadOptions) -> Result<InstanceTrace, TraceError> {
    let first_non_blank = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
    match first_non_blank {
        None => Err(TraceError::file(path, "the file is empty; expected a StarCompactor instance-event trace")),
        Some(b'{') => starcompactor_jsonl::parse(path, bytes, options),
        Some(_) => starcompactor_csv::parse(path, bytes, options),
    }
}

/// What a machine event does to a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MachineEventKind {
    Create,
    Delete,
    Update,
    Enable,
    Disable,
}

/// Host capacity as given by a machine event; a field is `None` when the event does not state it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostCapacity {
    pub vcpus: Option<u32>,
    pub memory_mb: Option<u64>,
    pub disk_gb: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineLayout {
    /// Published 2018 KVM layout: `EVENT_TIME,EVENT_TIME_SEC,HOST_NAME (PHYSICAL),RACK,EVENT,VCPU_CAPACITY,...`.
    Csv2018,
    /// Current layout: `EVENT_TIME,EVENT_TIME_SEC,HOST_NAME (PHYSICAL),EVENT,PROPERTIES`.
    CsvProperties,
}

/// One row of a machine-event trace.
#[derive(Clone, Debug, PartialEq)]
pub struct MachineRecord {
    /// Index into [`MachineTrace::hosts`].
    pub host: u32,
    pub time_ms: i64,
    pub kind: MachineEventKind,
    pub capacity: HostCapacity,
    pub rack: Option<String>,
    pub line: u64,
}

/// A whole machine-event trace, sorted by `time_ms`, stably.
#[derive(Clone, Debug, Default)]
pub struct MachineTrace {
    pub source: PathBuf,
    pub layout: Option<MachineLayout>,
    /// Host names, interned in first-seen order.
    pub hosts: Vec<String>,
    pub records: Vec<MachineRecord>,
    pub skipped: Vec<SkippedRow>,
}

pub fn read_machine_trace(path: &Path, options: ReadOptions) -> Result<MachineTrace, TraceError> {
    let bytes = std::fs::read(path).map_err(|source| TraceError::Io { path: path.to_path_buf(), source })?;
    machine_events::parse(path, &bytes, options)
}

#[cfg(test)]
/// Test helper: a trace from (instance, Nova event, finish second, success) rows, already sorted by time.
pub(crate) fn trace_from_rows(instances: &[Option<Flavor>], rows: &[(u32, &str, i64, bool)]) -> InstanceTrace {
    let mut event_names: Vec<String> = Vec::new();
    let records = rows
        .iter()
        .enumerate()
        .map(|(index, &(instance, name, finish_s, success))| {
            let event = match event_names.iter().position(|known| known == name) {
                Some(position) => position,
                None => {
                    event_names.push(name.to_string());
                    event_names.len() - 1
                }
            } as u16;
            InstanceRecord {
                instance,
                event,
                action: Action::from_nova_event(name),
                start_ms: None,
                finish_ms: finish_s * 1000,
                success,
                line: index as u64 + 2,
            }
        })
        .collect();
    let instances = instances
        .iter()
        .enumerate()
        .map(|(index, flavor)| InstanceInfo {
            uuid: format!("vm{index}"),
            flavor: *flavor,
            project: String::new(),
            host: None,
        })
        .collect();
    InstanceTrace { event_names, instances, records, ..Default::default() }
}
