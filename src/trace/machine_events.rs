//! StarCompactor machine-event CSV, in both layouts: the published 2018 KVM layout (capacity in its own
//! columns) and the current one (capacity inside a Python-dict `PROPERTIES` column).
//!
//! PROPERTIES comes in two flavours. KVM hosts carry `vcpu_capability`, `memory_capability_mb`,
//! `disk_capability_gb` and `rack`. Bare-metal hosts (Ironic + Blazar, as in the real CHI@TACC and CHI@UC
//! files) carry Blazar capabilities instead, which fleetsim maps so that a bare-metal node can stand in as a
//! host:
//! - vCPUs = `architecture.smt_size` (hardware threads, which is what Nova would count as vCPUs on KVM);
//! - memory MB = `main_memory.ram_size` bytes / 2^20, rounded down (Nova's MB are MiB);
//! - disk GB = `storage_devices.0.size` bytes / 10^9, rounded down (disk vendors and Ironic report decimal GB;
//!   only the first disk counts, as Nova's root disk would);
//! - rack = `placement.rack`.
//!
//! The KVM keys win when both are present. `EVENT_TIME` is authoritative; `EVENT_TIME_SEC` is derived from it
//! (and clamped to -1 by StarCompactor), so it is not read.

use super::instance_rows::{is_missing, parse_size, parse_time, SizeText, HOST_NAME, PROPERTIES};
use super::python_dict::{self, PyValue};
use super::starcompactor_csv::{
    check_utf8, csv_row_error, field_text, find_columns, open_with_header, unknown_header, LineCounter,
};
use super::TraceError;
use super::{HostCapacity, MachineEventKind, MachineLayout, MachineRecord, MachineTrace, ReadOptions, SkippedRow};
use csv::ByteRecord;
use fnv::FnvHashMap;
use std::borrow::Cow;
use std::path::Path;

/// The header of the published 2018 KVM machine-event trace.
pub const HEADER_2018: &str =
    "EVENT_TIME,EVENT_TIME_SEC,HOST_NAME (PHYSICAL),RACK,EVENT,VCPU_CAPACITY,MEMORY_CAPACITY_MB,DISK_CAPACITY_GB";
/// The header current StarCompactor writes.
pub const HEADER_PROPERTIES: &str = "EVENT_TIME,EVENT_TIME_SEC,HOST_NAME (PHYSICAL),EVENT,PROPERTIES";

const EVENT_TIME: &str = "EVENT_TIME";
const EVENT: &str = "EVENT";
const VCPU_CAPACITY: &str = "VCPU_CAPACITY";
const MEMORY_CAPACITY_MB: &str = "MEMORY_CAPACITY_MB";
const DISK_CAPACITY_GB: &str = "DISK_CAPACITY_GB";

const ACCEPTED_EVENTS: &str = "CREATE, DELETE, UPDATE, ENABLE, DISABLE";
const BYTES_PER_MIB: u64 = 1 << 20;
const BYTES_PER_GB: u64 = 1_000_000_000;

enum CapacityColumns {
    Separate { rack: usize, vcpus: usize, memory_mb: usize, disk_gb: usize },
    Properties(usize),
}

struct Columns {
    time: usize,
    host: usize,
    event: usize,
    capacity: CapacityColumns,
    names: Vec<String>,
}

/// A checked row, before its host is interned.
struct Row<'r> {
    host: &'r str,
    time_ms: i64,
    kind: MachineEventKind,
    capacity: HostCapacity,
    rack: Option<String>,
}

fn kind_from_text(text: &str) -> Option<MachineEventKind> {
    match text {
        "CREATE" => Some(MachineEventKind::Create),
        "DELETE" => Some(MachineEventKind::Delete),
        "UPDATE" => Some(MachineEventKind::Update),
        "ENABLE" => Some(MachineEventKind::Enable),
        "DISABLE" => Some(MachineEventKind::Disable),
        _ => None,
    }
}

impl Columns {
    fn from_header(path: &Path, names: Vec<String>) -> Result<(Columns, MachineLayout), TraceError> {
        let layout_2018: Vec<&str> = HEADER_2018.split(',').collect();
        let layout_properties: Vec<&str> = HEADER_PROPERTIES.split(',').collect();
        let (capacity, layout) = match find_columns(&names, &layout_2018) {
            Ok(found) => (
                CapacityColumns::Separate { rack: found[3], vcpus: found[5], memory_mb: found[6], disk_gb: found[7] },
                MachineLayout::Csv2018,
            ),
            Err(missing_2018) => match find_columns(&names, &layout_properties) {
                Ok(found) => (CapacityColumns::Properties(found[4]), MachineLayout::CsvProperties),
                Err(missing_properties) => {
                    return Err(unknown_header(
                        path,
                        "machine-event",
                        &names,
                        &format!("{HEADER_2018}\n            (the published 2018 KVM layout)"),
                        HEADER_PROPERTIES,
                        (missing_2018, missing_properties),
                    ));
                }
            },
        };
        let found = find_columns(&names, &[EVENT_TIME, HOST_NAME, EVENT]).unwrap_or_default();
        Ok((Columns { time: found[0], host: found[1], event: found[2], capacity, names }, layout))
    }

    /// One field as trimmed text; invalid UTF-8 is a row error naming the column.
    fn text<'r>(&self, path: &Path, line: u64, record: &'r ByteRecord, index: usize) -> Result<&'r str, TraceError> {
        field_text(path, line, record, &self.names, index).map(str::trim)
    }

    fn row<'r>(&self, path: &Path, line: u64, record: &'r ByteRecord) -> Result<Row<'r>, TraceError> {
        check_utf8(path, line, record, &self.names)?;
        let time_text = self.text(path, line, record, self.time)?;
        let time_ms = parse_time(path, line, EVENT_TIME, Some(time_text))?.ok_or_else(|| {
            TraceError::row(
                path,
                line,
                EVENT_TIME,
                "EVENT_TIME is empty; every machine event needs the time it happened",
            )
        })?;
        let host = self.text(path, line, record, self.host)?;
        if is_missing(host) {
            return Err(TraceError::row(
                path,
                line,
                HOST_NAME,
                "the host name is empty; every machine event names its host",
            ));
        }
        let event = self.text(path, line, record, self.event)?;
        let kind = kind_from_text(event).ok_or_else(|| {
            TraceError::row(
                path,
                line,
                EVENT,
                format!("{event:?} is not a machine event; use one of {ACCEPTED_EVENTS}"),
            )
        })?;
        let (capacity, rack) = match self.capacity {
            CapacityColumns::Separate { rack, vcpus, memory_mb, disk_gb } => {
                let size = |index: usize, field: &'static str| -> Result<Option<u64>, TraceError> {
                    let text = self.text(path, line, record, index)?;
                    parse_size(path, line, &SizeText::new(field, Some(Cow::Borrowed(text))))
                };
                let capacity = HostCapacity {
                    vcpus: to_vcpus(path, line, VCPU_CAPACITY, size(vcpus, VCPU_CAPACITY)?)?,
                    memory_mb: size(memory_mb, MEMORY_CAPACITY_MB)?,
                    disk_gb: size(disk_gb, DISK_CAPACITY_GB)?,
                };
                let rack = self.text(path, line, record, rack)?;
                (capacity, (!is_missing(rack)).then(|| rack.to_string()))
            }
            CapacityColumns::Properties(index) => {
                properties_capacity(path, line, self.text(path, line, record, index)?)?
            }
        };
        Ok(Row { host, time_ms, kind, capacity, rack })
    }
}

fn to_vcpus(path: &Path, line: u64, field: &str, value: Option<u64>) -> Result<Option<u32>, TraceError> {
    value
        .map(u32::try_from)
        .transpose()
        .map_err(|_| TraceError::row(path, line, field, "the vCPU count is too large; it must fit in 32 bits"))
}

/// Capacity and rack from a PROPERTIES cell, KVM keys first, then bare-metal Blazar keys (see the module doc).
fn properties_capacity(path: &Path, line: u64, text: &str) -> Result<(HostCapacity, Option<String>), TraceError> {
    let entries = python_dict::parse(text).map_err(|message| {
        TraceError::row(
            path,
            line,
            PROPERTIES,
            format!("cannot read the Python dict {text:?}: {message}; PROPERTIES must look like {{'vcpu_capability': 48, 'memory_capability_mb': 128536, 'disk_capability_gb': 900, 'rack': 'c07'}} or be empty"),
        )
    })?;
    // Reads `key` as a whole number, naming it as PROPERTIES['key'] in messages.
    let number = |key: &str| -> Result<Option<u64>, TraceError> {
        let Some(value) = python_dict::get(&entries, key) else {
            return Ok(None);
        };
        let field = format!("{PROPERTIES}['{key}']");
        let text = value.as_text();
        parse_size(path, line, &SizeText::new("", text)).map_err(|error| match error {
            TraceError::Row { path, line, message, .. } => TraceError::Row { path, line, field, message },
            other => other,
        })
    };
    let vcpus = match number("vcpu_capability")? {
        Some(vcpus) => Some((vcpus, "vcpu_capability")),
        None => number("architecture.smt_size")?.map(|vcpus| (vcpus, "architecture.smt_size")),
    };
    let vcpus = match vcpus {
        Some((vcpus, key)) => to_vcpus(path, line, &format!("{PROPERTIES}['{key}']"), Some(vcpus))?,
        None => None,
    };
    let memory_mb = match number("memory_capability_mb")? {
        Some(memory_mb) => Some(memory_mb),
        None => number("main_memory.ram_size")?.map(|bytes| bytes / BYTES_PER_MIB),
    };
    let disk_gb = match number("disk_capability_gb")? {
        Some(disk_gb) => Some(disk_gb),
        None => number("storage_devices.0.size")?.map(|bytes| bytes / BYTES_PER_GB),
    };
    let rack = ["rack", "placement.rack"].iter().find_map(|key| match python_dict::get(&entries, key)? {
        PyValue::None => None,
        value => value.as_text().map(|text| text.trim().to_string()).filter(|text| !is_missing(text)),
    });
    Ok((HostCapacity { vcpus, memory_mb, disk_gb }, rack))
}

/// Reads a StarCompactor machine-event CSV. Records are sorted by `EVENT_TIME`, stably; hosts are interned in
/// first-seen (file) order.
pub fn parse(path: &Path, bytes: &[u8], options: ReadOptions) -> Result<MachineTrace, TraceError> {
    let (mut reader, names) =
        open_with_header(path, bytes, &format!("machine-event CSV with the header {HEADER_PROPERTIES}"))?;
    let mut record = ByteRecord::new();
    let (columns, layout) = Columns::from_header(path, names)?;
    let mut trace = MachineTrace { source: path.to_path_buf(), layout: Some(layout), ..MachineTrace::default() };
    let mut host_ids: FnvHashMap<String, u32> = FnvHashMap::default();
    let mut rows_seen = 0_u64;
    let mut lines = LineCounter::new(bytes);
    loop {
        let (line, outcome) = match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.line_of(record.position());
                (line, columns.row(path, line, &record))
            }
            Err(error) => {
                let line = lines.line_of(error.position());
                (line, Err(csv_row_error(path, &columns.names, &error, line)))
            }
        };
        rows_seen += 1;
        match outcome {
            Ok(row) => {
                let host = match host_ids.get(row.host) {
                    Some(&id) => id,
                    None => {
                        let id = trace.hosts.len() as u32;
                        host_ids.insert(row.host.to_string(), id);
                        trace.hosts.push(row.host.to_string());
                        id
                    }
                };
                trace.records.push(MachineRecord {
                    host,
                    time_ms: row.time_ms,
                    kind: row.kind,
                    capacity: row.capacity,
                    rack: row.rack,
                    line,
                });
            }
            Err(error) if options.lenient => trace.skipped.push(SkippedRow { line, reason: error.to_string() }),
            Err(error) => return Err(error),
        }
    }
    if rows_seen == 0 {
        return Err(TraceError::file(
            path,
            "no events: the file has a header but no rows; expected at least one machine event",
        ));
    }
    trace.records.sort_by_key(|record| record.time_ms);
    Ok(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, lenient: bool) -> Result<MachineTrace, TraceError> {
        parse(Path::new("m.csv"), text.as_bytes(), ReadOptions { lenient })
    }

    #[test]
    fn reads_the_2018_layout() {
        let text = format!(
            "{HEADER_2018}\n2016-01-01T00:00:00,1,hostB,c07,CREATE,48,128536,156336\n2015-09-17T00:00:00,0,hostA,c08,CREATE,40,None,\n"
        );
        let trace = read(&text, false).unwrap();
        assert_eq!(trace.layout, Some(MachineLayout::Csv2018));
        assert_eq!(trace.hosts, vec!["hostB", "hostA"]);
        assert_eq!(trace.records[0].host, 1);
        assert_eq!(trace.records[0].capacity, HostCapacity { vcpus: Some(40), memory_mb: None, disk_gb: None });
        assert_eq!(
            trace.records[1].capacity,
            HostCapacity { vcpus: Some(48), memory_mb: Some(128536), disk_gb: Some(156336) }
        );
        assert_eq!(trace.records[1].rack.as_deref(), Some("c07"));
        assert_eq!(trace.records[1].line, 2);
    }

    #[test]
    fn reads_kvm_and_bare_metal_properties() {
        let text = format!(
            "{HEADER_PROPERTIES}\n2015-06-26T20:50:58,1.0,h1,CREATE,\"{{'placement.rack': 6, 'architecture.smt_size': '48', 'storage_devices.0.size': '250059350016', 'main_memory.ram_size': '134956859392'}}\"\n2015-06-26T20:50:59,1.0,h2,UPDATE,\"{{'vcpu_capability': 48, 'memory_capability_mb': '128536', 'disk_capability_gb': None, 'rack': 'c07'}}\"\n2015-06-26T20:51:00,1.0,h3,DISABLE,\n2015-06-26T20:51:01,1.0,h4,CREATE,\"{{'placement.rack': None}}\"\n"
        );
        let trace = read(&text, false).unwrap();
        assert_eq!(trace.layout, Some(MachineLayout::CsvProperties));
        // 134956859392 B / 2^20 = 128704 MiB; 250059350016 B / 10^9 = 250 GB.
        assert_eq!(
            trace.records[0].capacity,
            HostCapacity { vcpus: Some(48), memory_mb: Some(128704), disk_gb: Some(250) }
        );
        assert_eq!(trace.records[0].rack.as_deref(), Some("6"));
        assert_eq!(trace.records[1].capacity, HostCapacity { vcpus: Some(48), memory_mb: Some(128536), disk_gb: None });
        assert_eq!(trace.records[1].rack.as_deref(), Some("c07"));
        assert_eq!(trace.records[2].capacity, HostCapacity::default());
        assert_eq!(trace.records[2].kind, MachineEventKind::Disable);
        assert_eq!(trace.records[3].rack, None);
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let text = format!(
            "{HEADER_PROPERTIES}\n2015-06-26T20:50:58,1.0,h1,REBOOT,\n2015-06-26T20:50:58,1.0,h1,CREATE,\"{{'architecture.smt_size': 'lots'}}\"\nyesterday,1.0,h1,CREATE,\n"
        );
        let error = read(&text, false).unwrap_err().to_string();
        assert!(error.contains("m.csv, line 2, field EVENT: \"REBOOT\" is not a machine event; use one of CREATE, DELETE, UPDATE, ENABLE, DISABLE"), "{error}");
        let trace = read(&text, true).unwrap();
        assert_eq!(trace.records.len(), 0);
        assert_eq!(trace.skipped.len(), 3);
        assert!(
            trace.skipped[1]
                .reason
                .contains("line 3, field PROPERTIES['architecture.smt_size']: \"lots\" is not a whole number"),
            "{:?}",
            trace.skipped
        );
        assert!(
            trace.skipped[2].reason.contains("line 4, field EVENT_TIME: \"yesterday\" is not a timestamp"),
            "{:?}",
            trace.skipped
        );
    }

    #[test]
    fn wrong_header_empty_and_header_only() {
        let error = read("A,B\n1,2\n", false).unwrap_err().to_string();
        assert!(error.contains(HEADER_2018) && error.contains(HEADER_PROPERTIES), "{error}");
        assert!(read("", false).unwrap_err().to_string().contains("empty"));
        assert!(read(&format!("{HEADER_PROPERTIES}\n"), false).unwrap_err().to_string().contains("no events"));
    }
}
