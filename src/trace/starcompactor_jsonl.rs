//! StarCompactor `--jsons` instance events: one JSON object per line, keyed by the CSV column names. Either
//! layout's keys are accepted on each line: `MEMORY_MB`/`DISK_GB`/`VCPUS`, or `PROPERTIES` as a JSON object or
//! as the Python `str(dict)` text the CSV writer uses. Values may be strings, numbers or null. Blank lines are
//! skipped; line numbers count them, so they match what an editor shows.

use super::instance_rows::{
    json_text, InstanceTraceBuilder, RowText, SizeText, SizesText, DISK_GB, EVENT, FINISH_TIME, HOST_NAME,
    INSTANCE_UUID, MEMORY_MB, PROJECT_ID, PROPERTIES, RESULT, START_TIME, VCPUS,
};
use super::{InstanceLayout, InstanceTrace, ReadOptions, TraceError};
use serde_json::{Map, Value};
use std::path::Path;

/// The field name used in messages about a line as a whole.
const WHOLE_LINE: &str = "(line)";

fn row_from_object<'a>(path: &Path, line: u64, object: &'a Map<String, Value>) -> Result<RowText<'a>, TraceError> {
    let get = |key: &str| object.get(key).and_then(json_text);
    let has_separate_sizes = [MEMORY_MB, DISK_GB, VCPUS].iter().any(|key| object.contains_key(*key));
    let sizes = match object.get(PROPERTIES) {
        _ if has_separate_sizes => SizesText {
            memory_mb: SizeText::new(MEMORY_MB, get(MEMORY_MB)),
            disk_gb: SizeText::new(DISK_GB, get(DISK_GB)),
            vcpus: SizeText::new(VCPUS, get(VCPUS)),
        },
        Some(Value::Object(properties)) => SizesText::from_json_object(properties),
        Some(Value::String(text)) => SizesText::from_python_dict(path, line, text)?,
        Some(Value::Null) | None => SizesText::none(),
        Some(other) => {
            return Err(TraceError::row(
                path,
                line,
                PROPERTIES,
                format!("PROPERTIES is {other}; it must be an object such as {{\"memory_mb\": 2048, \"root_gb\": 20, \"vcpus\": 1}}, a Python-dict string, or null"),
            ))
        }
    };
    Ok(RowText {
        line,
        uuid: get(INSTANCE_UUID),
        event: get(EVENT),
        start_time: get(START_TIME),
        finish_time: get(FINISH_TIME),
        result: get(RESULT),
        project: get(PROJECT_ID),
        host: get(HOST_NAME),
        sizes,
    })
}

fn parse_line(path: &Path, line: u64, bytes: &[u8]) -> Result<Option<Map<String, Value>>, TraceError> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        TraceError::row(
            path,
            line,
            WHOLE_LINE,
            format!(
                "not valid UTF-8 (bad byte at offset {}); the file must be UTF-8 text, so re-save it as UTF-8",
                error.valid_up_to()
            ),
        )
    })?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(Some(object)),
        Ok(other) => Err(TraceError::row(
            path,
            line,
            WHOLE_LINE,
            format!(
                "expected a JSON object {{\"INSTANCE_UUID\": ..., \"EVENT\": ..., ...}}, found {}",
                truncate(&other.to_string())
            ),
        )),
        Err(error) => Err(TraceError::row(
            path,
            line,
            WHOLE_LINE,
            format!("not valid JSON ({error}); each line must hold one JSON object"),
        )),
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// Reads StarCompactor `--jsons` output. Records are sorted by `FINISH_TIME`, stably.
pub fn parse(path: &Path, bytes: &[u8], options: ReadOptions) -> Result<InstanceTrace, TraceError> {
    let mut builder = InstanceTraceBuilder::new(path, InstanceLayout::JsonLines, options, bytes.len() / 400);
    for (index, raw_line) in bytes.split(|&byte| byte == b'\n').enumerate() {
        let line = index as u64 + 1;
        let raw_line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        let outcome = match parse_line(path, line, raw_line) {
            Ok(None) => continue,
            Ok(Some(object)) => row_from_object(path, line, &object).and_then(|row| builder.push(row)),
            Err(error) => Err(error),
        };
        builder.handle(line, outcome)?;
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Action, Flavor};

    fn read(text: &[u8], lenient: bool) -> Result<InstanceTrace, TraceError> {
        parse(Path::new("i.jsonl"), text, ReadOptions { lenient })
    }

    #[test]
    fn reads_both_size_styles_and_skips_blank_lines() {
        let text = br#"{"INSTANCE_UUID": "u1", "EVENT": "compute__do_build_and_run_instance", "START_TIME": "2015-09-17T18:24:56", "FINISH_TIME": "2015-09-17T18:25:06", "RESULT": "Success", "MEMORY_MB": 512, "DISK_GB": "1", "VCPUS": 1.0, "PROJECT_ID": "p", "HOST_NAME (PHYSICAL)": "h"}

{"INSTANCE_UUID": "u2", "EVENT": "compute__do_build_and_run_instance", "START_TIME": null, "FINISH_TIME": "2015-09-17T18:20:00", "RESULT": "Success", "PROPERTIES": {"memory_mb": 2048, "root_gb": 20, "vcpus": 1}}
{"INSTANCE_UUID": "u3", "EVENT": "compute_stop_instance", "FINISH_TIME": "2015-09-17T18:30:00", "RESULT": "Error", "PROPERTIES": "{'memory_mb': 4096, 'root_gb': 40, 'vcpus': 2}"}
"#;
        let trace = read(text, false).unwrap();
        assert_eq!(trace.layout, Some(InstanceLayout::JsonLines));
        assert_eq!(trace.records.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 1, 4]);
        assert_eq!(trace.instances[0].flavor, Some(Flavor { vcpus: 1, memory_mb: 512, disk_gb: 1 }));
        assert_eq!(trace.instances[1].flavor, Some(Flavor { vcpus: 1, memory_mb: 2048, disk_gb: 20 }));
        assert_eq!(trace.instances[2].flavor, Some(Flavor { vcpus: 2, memory_mb: 4096, disk_gb: 40 }));
        assert_eq!(trace.records[2].action, Action::Stop);
        assert!(!trace.records[2].success);
    }

    #[test]
    fn bad_lines_name_line_and_field() {
        let good =
            br#"{"INSTANCE_UUID": "u1", "EVENT": "e", "FINISH_TIME": "2015-09-17T18:25:06", "RESULT": "Success"}"#;
        let mut text = good.to_vec();
        text.extend_from_slice(
            b"\n[1, 2]\n{\"INSTANCE_UUID\": \"u2\", \"EVENT\": \"e\", \"RESULT\": \"Success\"}\n\xff\xfe\n{broken\n",
        );
        let error = read(&text, false).unwrap_err().to_string();
        assert!(error.contains("i.jsonl, line 2, field (line): expected a JSON object"), "{error}");
        let trace = read(&text, true).unwrap();
        let reasons: Vec<_> = trace.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[1].1.contains("line 3, field FINISH_TIME"), "{reasons:?}");
        assert!(reasons[2].1.contains("line 4, field (line): not valid UTF-8"), "{reasons:?}");
        assert!(reasons[3].1.contains("line 5, field (line): not valid JSON"), "{reasons:?}");
        assert_eq!(trace.records.len(), 1);
    }

    #[test]
    fn only_blank_lines_is_no_events() {
        assert!(read(b"\n\n", false).unwrap_err().to_string().contains("no events"));
    }
}
