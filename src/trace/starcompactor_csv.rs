//! StarCompactor instance-event CSV, in both layouts: the published 2018 KVM trace (sizes in `MEMORY_MB`,
//! `DISK_GB`, `VCPUS`; the internal 2018-11 file adds columns such as `ERROR_MESSAGE`) and the current one
//! (sizes inside a Python-dict `PROPERTIES` column). Columns are found by name, so extra columns and any order
//! are accepted as long as a layout's whole set of names is present.

use super::instance_rows::{
    InstanceTraceBuilder, RowText, SizeText, SizesText, DISK_GB, EVENT, FINISH_TIME, HOST_NAME, INSTANCE_UUID,
    MEMORY_MB, PROJECT_ID, PROPERTIES, RESULT, START_TIME, VCPUS,
};
use super::{InstanceLayout, InstanceTrace, ReadOptions, TraceError};
use csv::ByteRecord;
use std::borrow::Cow;
use std::path::Path;

/// The header of the published 2018 KVM trace.
pub const HEADER_2018: &str = "INSTANCE_UUID,EVENT,START_TIME,START_SEC,FINISH_TIME,FINISH_SEC,EVENT_DURATION,RESULT,MEMORY_MB,DISK_GB,VCPUS,INSTANCE_NAME,USER_ID,PROJECT_ID,HOST_NAME (PHYSICAL)";
/// The header current StarCompactor writes.
pub const HEADER_PROPERTIES: &str = "INSTANCE_UUID,EVENT,START_TIME,START_SEC,FINISH_TIME,FINISH_SEC,EVENT_DURATION,RESULT,INSTANCE_NAME,USER_ID,PROJECT_ID,HOST_NAME (PHYSICAL),PROPERTIES";

/// Where each column the reader uses sits in a row.
struct Columns {
    uuid: usize,
    event: usize,
    start_time: usize,
    finish_time: usize,
    result: usize,
    project: usize,
    host: usize,
    sizes: SizeColumns,
    names: Vec<String>,
}

enum SizeColumns {
    Separate { memory_mb: usize, disk_gb: usize, vcpus: usize },
    Properties(usize),
}

/// Reads header fields as trimmed text (a UTF-8 byte-order mark on the first name is dropped).
fn header_names(path: &Path, header: &ByteRecord) -> Result<Vec<String>, TraceError> {
    header
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            let bytes = if index == 0 { bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes) } else { bytes };
            std::str::from_utf8(bytes).map(|name| name.trim().to_string()).map_err(|_| {
                TraceError::file(
                    path,
                    format!("line 1: header field {} is not valid UTF-8; the file must be UTF-8 text", index + 1),
                )
            })
        })
        .collect()
}

/// The error for a header that matches neither layout: what was found, both accepted headers, and what the
/// closer layout still lacks.
pub(crate) fn unknown_header(
    path: &Path,
    kind: &str,
    names: &[String],
    accepted_2018: &str,
    accepted_properties: &str,
    (missing_2018, missing_properties): (Vec<&str>, Vec<&str>),
) -> TraceError {
    let (closest, missing) = if missing_2018.len() <= missing_properties.len() {
        ("2018", missing_2018)
    } else {
        ("current", missing_properties)
    };
    TraceError::file(
        path,
        format!(
            "line 1: the header is not a StarCompactor {kind} header.\n  found:    {}\n  accepted: {accepted_2018}\n  or:       {accepted_properties}\n            (the current layout)\n  the closest is the {closest} layout, which also needs: {}",
            names.join(","),
            missing.join(", ")
        ),
    )
}

/// Finds a layout whose whole set of column names is in `names`, or explains which layouts are accepted.
pub(crate) fn find_columns<'n>(names: &[String], wanted: &[&'n str]) -> Result<Vec<usize>, Vec<&'n str>> {
    let mut missing = Vec::new();
    let mut found = Vec::with_capacity(wanted.len());
    for &name in wanted {
        match names.iter().position(|candidate| candidate == name) {
            Some(index) => found.push(index),
            None => missing.push(name),
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(missing)
    }
}

impl Columns {
    fn from_header(path: &Path, names: Vec<String>) -> Result<(Columns, InstanceLayout), TraceError> {
        let common = [INSTANCE_UUID, EVENT, START_TIME, FINISH_TIME, RESULT, PROJECT_ID, HOST_NAME];
        let layout_2018: Vec<&str> = HEADER_2018.split(',').collect();
        let layout_properties: Vec<&str> = HEADER_PROPERTIES.split(',').collect();
        let (sizes, layout) = match find_columns(&names, &layout_2018) {
            Ok(_) => {
                let found = find_columns(&names, &[MEMORY_MB, DISK_GB, VCPUS]).unwrap_or_default();
                (
                    SizeColumns::Separate { memory_mb: found[0], disk_gb: found[1], vcpus: found[2] },
                    InstanceLayout::Csv2018,
                )
            }
            Err(missing_2018) => match find_columns(&names, &layout_properties) {
                Ok(_) => {
                    let found = find_columns(&names, &[PROPERTIES]).unwrap_or_default();
                    (SizeColumns::Properties(found[0]), InstanceLayout::CsvProperties)
                }
                Err(missing_properties) => {
                    return Err(unknown_header(
                        path,
                        "instance-event",
                        &names,
                        &format!("{HEADER_2018}\n            (the published 2018 KVM layout; extra columns such as ERROR_MESSAGE are allowed)"),
                        HEADER_PROPERTIES,
                        (missing_2018, missing_properties),
                    ));
                }
            },
        };
        let found = find_columns(&names, &common).unwrap_or_default();
        let columns = Columns {
            uuid: found[0],
            event: found[1],
            start_time: found[2],
            finish_time: found[3],
            result: found[4],
            project: found[5],
            host: found[6],
            sizes,
            names,
        };
        Ok((columns, layout))
    }

    /// One field as text; invalid UTF-8 is a row error naming the column.
    fn text<'r>(&self, path: &Path, line: u64, record: &'r ByteRecord, index: usize) -> Result<&'r str, TraceError> {
        field_text(path, line, record, &self.names, index)
    }

    fn row<'r>(&self, path: &Path, line: u64, record: &'r ByteRecord) -> Result<RowText<'r>, TraceError> {
        check_utf8(path, line, record, &self.names)?;
        let text = |index| self.text(path, line, record, index).map(|text| Some(Cow::Borrowed(text)));
        let sizes = match self.sizes {
            SizeColumns::Separate { memory_mb, disk_gb, vcpus } => SizesText {
                memory_mb: SizeText::new(MEMORY_MB, text(memory_mb)?),
                disk_gb: SizeText::new(DISK_GB, text(disk_gb)?),
                vcpus: SizeText::new(VCPUS, text(vcpus)?),
            },
            SizeColumns::Properties(index) => {
                SizesText::from_python_dict(path, line, self.text(path, line, record, index)?)?
            }
        };
        Ok(RowText {
            line,
            uuid: text(self.uuid)?,
            event: text(self.event)?,
            start_time: text(self.start_time)?,
            finish_time: text(self.finish_time)?,
            result: text(self.result)?,
            project: text(self.project)?,
            host: text(self.host)?,
            sizes,
        })
    }
}

/// Physical line numbers of records, from their byte offsets. The csv crate's own `Position::line` lags by
/// one on some inputs (its fast path does not count every newline), so lines are counted here: the line of a
/// record is the line of its first byte, after any line breaks left over from the previous record or blank
/// lines skipped by the reader. Offsets only grow, so counting is linear over the whole file.
pub(crate) struct LineCounter<'b> {
    bytes: &'b [u8],
    counted_to: usize,
    line: u64,
}

impl<'b> LineCounter<'b> {
    pub fn new(bytes: &'b [u8]) -> LineCounter<'b> {
        LineCounter { bytes, counted_to: 0, line: 1 }
    }

    /// The 1-based line of the record whose reading started at byte `offset`.
    pub fn line_of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return self.line;
        };
        let mut start = usize::try_from(position.byte()).unwrap_or(usize::MAX).min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start >= self.counted_to {
            self.line += self.bytes[self.counted_to..start].iter().filter(|&&byte| byte == b'\n').count() as u64;
            self.counted_to = start;
        }
        self.line
    }
}

/// Checks every field, used or not, so that a file in another encoding is reported rather than half read.
pub(crate) fn check_utf8(path: &Path, line: u64, record: &ByteRecord, names: &[String]) -> Result<(), TraceError> {
    (0..record.len()).try_for_each(|index| field_text(path, line, record, names, index).map(|_| ()))
}

/// Field `index` as text; invalid UTF-8 is a row error naming the column.
pub(crate) fn field_text<'r>(
    path: &Path,
    line: u64,
    record: &'r ByteRecord,
    names: &[String],
    index: usize,
) -> Result<&'r str, TraceError> {
    std::str::from_utf8(record.get(index).unwrap_or_default()).map_err(|error| {
        TraceError::row(
            path,
            line,
            names.get(index).map_or("(unnamed column)", String::as_str),
            format!(
                "not valid UTF-8 (bad byte at offset {}); the file must be UTF-8 text, so re-save it as UTF-8",
                error.valid_up_to()
            ),
        )
    })
}

/// Turns a CSV parse error into a row error; a row with the wrong number of fields names the first column it
/// lacks (or the header's count when it has too many).
pub(crate) fn csv_row_error(path: &Path, names: &[String], error: &csv::Error, line: u64) -> TraceError {
    match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            let expected = *expected_len as usize;
            let found = *len as usize;
            if found < expected {
                TraceError::row(
                    path,
                    line,
                    names.get(found).map_or("(end of row)", String::as_str),
                    format!("the row has {found} fields but the header has {expected}; the line is truncated or a quoted field is not closed"),
                )
            } else {
                TraceError::row(
                    path,
                    line,
                    "(end of row)",
                    format!(
                        "the row has {found} fields but the header has {expected}; quote fields that contain commas"
                    ),
                )
            }
        }
        _ => TraceError::row(path, line, "(row)", format!("cannot read the CSV row: {error}")),
    }
}

/// Opens `bytes` as CSV (strict field counts) and reads its header row. An empty file is an error saying what
/// was `expected`.
pub(crate) fn open_with_header<'b>(
    path: &Path,
    bytes: &'b [u8],
    expected: &str,
) -> Result<(csv::Reader<&'b [u8]>, Vec<String>), TraceError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(false).from_reader(bytes);
    let mut record = ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => Ok((reader, header_names(path, &record)?)),
        Ok(false) => Err(TraceError::file(path, format!("the file is empty; expected a StarCompactor {expected}"))),
        Err(error) => Err(TraceError::file(path, format!("line 1: cannot read the header: {error}"))),
    }
}

/// Reads a StarCompactor instance-event CSV. Rows are sorted by `FINISH_TIME`, stably.
pub fn parse(path: &Path, bytes: &[u8], options: ReadOptions) -> Result<InstanceTrace, TraceError> {
    let (mut reader, names) =
        open_with_header(path, bytes, &format!("instance-event CSV with the header {HEADER_PROPERTIES}"))?;
    let mut record = ByteRecord::new();
    let (columns, layout) = Columns::from_header(path, names)?;
    let mut builder = InstanceTraceBuilder::new(path, layout, options, bytes.len() / 160);
    let mut lines = LineCounter::new(bytes);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.line_of(record.position());
                let outcome = columns.row(path, line, &record).and_then(|row| builder.push(row));
                builder.handle(line, outcome)?;
            }
            Err(error) => {
                let line = lines.line_of(error.position());
                builder.handle(line, Err(csv_row_error(path, &columns.names, &error, line)))?;
            }
        }
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Action, Flavor};

    const ROW_BUILD: &str = "u1,compute__do_build_and_run_instance,2015-09-17 18:24:56,66296.0,2015-09-17 18:25:06,66306.0,10.0,Success,512,1,1,name,user,proj,host1";

    fn read(text: &str, lenient: bool) -> Result<InstanceTrace, TraceError> {
        parse(Path::new("i.csv"), text.as_bytes(), ReadOptions { lenient })
    }

    #[test]
    fn reads_the_2018_layout() {
        let text = format!("{HEADER_2018}\n{ROW_BUILD}\nu1,compute_terminate_instance,,None,2015-09-17 19:00:00,,,Error,512,1,1,name,user,proj,host2\n");
        let trace = read(&text, false).unwrap();
        assert_eq!(trace.layout, Some(InstanceLayout::Csv2018));
        assert_eq!(trace.records.len(), 2);
        assert_eq!(trace.records[0].action, Action::Create);
        assert_eq!(trace.records[0].line, 2);
        assert!(trace.records[0].success);
        assert_eq!(trace.records[0].finish_ms - trace.records[0].start_ms.unwrap(), 10_000);
        assert_eq!(trace.records[1].start_ms, None);
        assert!(!trace.records[1].success);
        assert_eq!(trace.instances[0].flavor, Some(Flavor { vcpus: 1, memory_mb: 512, disk_gb: 1 }));
        assert_eq!(trace.instances[0].host.as_deref(), Some("host2"));
        assert_eq!(trace.instances[0].project, "proj");
    }

    #[test]
    fn reads_the_properties_layout_with_padded_names_and_extra_columns() {
        let header = HEADER_PROPERTIES.replace(',', " , ") + ",EXTRA";
        let text = format!(
            "{header}\nu1,compute__do_build_and_run_instance,2015-09-17T18:24:56,0,2015-09-17T18:25:06,0,10,Success,n,u,p,h,\"{{'memory_mb': 2048, 'root_gb': 20, 'vcpus': 1}}\",x\nu2,compute__do_build_and_run_instance,None,None,2015-09-17T18:25:00,None,None,Success,n,u,p,,,x\n"
        );
        let trace = read(&text, false).unwrap();
        assert_eq!(trace.layout, Some(InstanceLayout::CsvProperties));
        assert_eq!(trace.instances[0].flavor, Some(Flavor { vcpus: 1, memory_mb: 2048, disk_gb: 20 }));
        assert_eq!(trace.instances[1].flavor, None);
        assert_eq!(trace.instances[1].host, None);
        // Sorted by finish time: u2 finishes first.
        assert_eq!(trace.records[0].instance, 1);
    }

    #[test]
    fn accepts_the_17_column_internal_layout() {
        let header = format!("{HEADER_2018},ERROR_MESSAGE,TRACEBACK");
        let text = format!("{header}\n{ROW_BUILD},,\n");
        assert_eq!(read(&text, false).unwrap().records.len(), 1);
    }

    #[test]
    fn wrong_header_lists_both_layouts() {
        let error = read("A,B,C\n1,2,3\n", false).unwrap_err().to_string();
        assert!(error.contains(HEADER_2018) && error.contains(HEADER_PROPERTIES), "{error}");
        assert!(error.contains("found:    A,B,C"), "{error}");
    }

    #[test]
    fn bad_rows_are_errors_or_skipped() {
        let text = format!("{HEADER_2018}\n{ROW_BUILD}\n{}\n", ROW_BUILD.replace(",1,1,name", ",1,four,name"));
        let error = read(&text, false).unwrap_err().to_string();
        assert!(error.contains("i.csv, line 3, field VCPUS: \"four\" is not a whole number"), "{error}");
        let trace = read(&text, true).unwrap();
        assert_eq!(trace.records.len(), 1);
        assert_eq!(trace.skipped.len(), 1);
        assert_eq!(trace.skipped[0].line, 3);
        assert_eq!(trace.skipped[0].reason, error);
    }

    #[test]
    fn truncated_last_line_names_the_line_and_column() {
        let text = format!("{HEADER_2018}\n{ROW_BUILD}\nu2,compute_stop_instance,2015");
        let error = read(&text, false).unwrap_err().to_string();
        assert!(error.contains("line 3, field START_SEC: the row has 3 fields but the header has 15"), "{error}");
    }

    #[test]
    fn line_numbers_survive_quoted_fields_crlf_and_blank_lines() {
        let header = HEADER_PROPERTIES;
        let row = |uuid: &str| {
            format!("{uuid},compute_stop_instance,,,2015-09-17T18:25:06,,,Success,n,u,p,h,\"{{'vcpus': 1}}\"")
        };
        let text = format!("{header}\r\n{}\r\n\r\n{}\r\n\n{}", row("a"), row("b"), row("c"));
        let trace = read(&text, false).unwrap();
        assert_eq!(trace.records.iter().map(|record| record.line).collect::<Vec<_>>(), vec![2, 4, 6]);
    }

    #[test]
    fn empty_and_header_only() {
        assert!(read("", false).unwrap_err().to_string().contains("empty"));
        assert!(read(&format!("{HEADER_2018}\n"), false).unwrap_err().to_string().contains("no events"));
    }
}
