//! What the CSV and JSON-lines instance readers share: checking one row's values and building the
//! [`InstanceTrace`] from them, so that both formats give identical records and identical error messages.

use super::{python_dict, Action, Flavor, InstanceInfo, InstanceLayout, InstanceRecord, InstanceTrace, ReadOptions};
use super::{SkippedRow, TraceError};
use crate::time::parse_naive_utc_ms;
use fnv::FnvHashMap;
use std::borrow::Cow;
use std::path::Path;

/// Column (and JSON key) names, as StarCompactor writes them.
pub(crate) const INSTANCE_UUID: &str = "INSTANCE_UUID";
pub(crate) const EVENT: &str = "EVENT";
pub(crate) const START_TIME: &str = "START_TIME";
pub(crate) const FINISH_TIME: &str = "FINISH_TIME";
pub(crate) const RESULT: &str = "RESULT";
pub(crate) const MEMORY_MB: &str = "MEMORY_MB";
pub(crate) const DISK_GB: &str = "DISK_GB";
pub(crate) const VCPUS: &str = "VCPUS";
pub(crate) const PROJECT_ID: &str = "PROJECT_ID";
pub(crate) const HOST_NAME: &str = "HOST_NAME (PHYSICAL)";
pub(crate) const PROPERTIES: &str = "PROPERTIES";

/// One size value before checking: the field name for messages and its text (`None` when absent or null).
pub(crate) struct SizeText<'a> {
    pub field: &'static str,
    pub text: Option<Cow<'a, str>>,
}

impl<'a> SizeText<'a> {
    pub fn new(field: &'static str, text: Option<Cow<'a, str>>) -> SizeText<'a> {
        SizeText { field, text }
    }
}

/// Where a row's sizes come from: three columns (2018 layout, JSON keys) or a PROPERTIES dict.
pub(crate) struct SizesText<'a> {
    pub memory_mb: SizeText<'a>,
    pub disk_gb: SizeText<'a>,
    pub vcpus: SizeText<'a>,
}

/// Field names used in messages for sizes read from PROPERTIES.
const PROPERTIES_MEMORY_MB: &str = "PROPERTIES['memory_mb']";
const PROPERTIES_ROOT_GB: &str = "PROPERTIES['root_gb']";
const PROPERTIES_VCPUS: &str = "PROPERTIES['vcpus']";

impl<'a> SizesText<'a> {
    /// Sizes from a Python `str(dict)` PROPERTIES cell (`memory_mb`, `root_gb`, `vcpus`); an empty cell (bare
    /// metal) gives no sizes.
    pub fn from_python_dict(path: &Path, line: u64, text: &str) -> Result<SizesText<'a>, TraceError> {
        let entries = python_dict::parse(text).map_err(|message| {
            TraceError::row(
                path,
                line,
                PROPERTIES,
                format!("cannot read the Python dict {text:?}: {message}; PROPERTIES must look like {{'memory_mb': 2048, 'root_gb': 20, 'vcpus': 1}} or be empty"),
            )
        })?;
        let take = |key: &str, field: &'static str| {
            let text = python_dict::get(&entries, key).and_then(|value| value.as_text()).map(|text| text.into_owned());
            SizeText::new(field, text.map(Cow::Owned))
        };
        Ok(SizesText {
            memory_mb: take("memory_mb", PROPERTIES_MEMORY_MB),
            disk_gb: take("root_gb", PROPERTIES_ROOT_GB),
            vcpus: take("vcpus", PROPERTIES_VCPUS),
        })
    }

    /// Sizes from a JSON object PROPERTIES value.
    pub fn from_json_object(object: &'a serde_json::Map<String, serde_json::Value>) -> SizesText<'a> {
        SizesText {
            memory_mb: SizeText::new(PROPERTIES_MEMORY_MB, object.get("memory_mb").and_then(json_text)),
            disk_gb: SizeText::new(PROPERTIES_ROOT_GB, object.get("root_gb").and_then(json_text)),
            vcpus: SizeText::new(PROPERTIES_VCPUS, object.get("vcpus").and_then(json_text)),
        }
    }

    pub fn none() -> SizesText<'a> {
        SizesText {
            memory_mb: SizeText::new(MEMORY_MB, None),
            disk_gb: SizeText::new(DISK_GB, None),
            vcpus: SizeText::new(VCPUS, None),
        }
    }
}

/// A JSON value as text: strings as written, numbers and booleans printed, `null` as absent. Containers are
/// printed as JSON so that a message can show them.
pub(crate) fn json_text(value: &serde_json::Value) -> Option<Cow<'_, str>> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(Cow::Borrowed(text.as_str())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// One row's values as text, before checking. Text is already trimmed by the reader or not; checking trims.
pub(crate) struct RowText<'a> {
    pub line: u64,
    pub uuid: Option<Cow<'a, str>>,
    pub event: Option<Cow<'a, str>>,
    pub start_time: Option<Cow<'a, str>>,
    pub finish_time: Option<Cow<'a, str>>,
    pub result: Option<Cow<'a, str>>,
    pub project: Option<Cow<'a, str>>,
    pub host: Option<Cow<'a, str>>,
    pub sizes: SizesText<'a>,
}

/// Text that means "no value": StarCompactor writes Python's `None` through `str()`, pandas writes `NaN`.
pub(crate) fn is_missing(text: &str) -> bool {
    matches!(text, "" | "None" | "null" | "NaN" | "nan")
}

/// Checks a size: a whole, non-negative number, or missing. Accepts `512.0` (pandas writes integer columns
/// with missing values as floats).
pub(crate) fn parse_size(path: &Path, line: u64, size: &SizeText<'_>) -> Result<Option<u64>, TraceError> {
    let Some(text) = size.text.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if is_missing(text) {
        return Ok(None);
    }
    let value = match text.parse::<u64>() {
        Ok(value) => Some(value),
        Err(_) => match text.parse::<f64>() {
            Ok(float) if float.fract() == 0.0 && (0.0..1.8e19).contains(&float) => Some(float as u64),
            Ok(float) if float < 0.0 => {
                return Err(TraceError::row(
                    path,
                    line,
                    size.field,
                    format!("size {text:?} is negative; write a whole number of 0 or more, or None if unknown"),
                ))
            }
            _ => None,
        },
    };
    value.map(Some).ok_or_else(|| {
        TraceError::row(
            path,
            line,
            size.field,
            format!("{text:?} is not a whole number; write the size as a whole number (such as 4), or None if unknown"),
        )
    })
}

/// Checks a timestamp with [`parse_naive_utc_ms`]; `None` when missing.
pub(crate) fn parse_time(path: &Path, line: u64, field: &str, text: Option<&str>) -> Result<Option<i64>, TraceError> {
    let Some(text) = text.map(str::trim) else {
        return Ok(None);
    };
    if is_missing(text) {
        return Ok(None);
    }
    fast_naive_utc_ms(text).or_else(|| parse_naive_utc_ms(text)).map(Some).ok_or_else(|| {
        TraceError::row(
            path,
            line,
            field,
            format!("{text:?} is not a timestamp; write naive UTC time as YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD HH:MM:SS, with optional fractional seconds"),
        )
    })
}

/// The common shape `YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}]`, read without chrono's format-string interpreter (which
/// took most of the time of reading a large trace). Anything else, including leap seconds, returns `None` and
/// goes to [`parse_naive_utc_ms`], and a test checks both agree wherever this one answers.
fn fast_naive_utc_ms(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b' ') {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range]
            .iter()
            .try_fold(0_u32, |value, &byte| byte.is_ascii_digit().then(|| value * 10 + u32::from(byte - b'0')))
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if second >= 60 {
        return None;
    }
    let nanos = match &bytes[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(20..bytes.len())? * 10_u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let datetime = date.and_hms_nano_opt(hour, minute, second, nanos)?;
    Some(datetime.and_utc().timestamp_millis())
}

/// A row that passed its checks, with the per-row facts that become [`InstanceInfo`] once rows are sorted.
struct PendingRecord {
    record: InstanceRecord,
    host: Option<u32>,
    flavor: Option<Flavor>,
}

/// Accumulates checked rows and interns UUIDs, event names and hosts.
pub(crate) struct InstanceTraceBuilder<'p> {
    path: &'p Path,
    options: ReadOptions,
    instance_ids: FnvHashMap<String, u32>,
    event_ids: FnvHashMap<String, u16>,
    host_ids: FnvHashMap<String, u32>,
    host_names: Vec<String>,
    trace: InstanceTrace,
    pending: Vec<PendingRecord>,
    rows_seen: u64,
}

impl<'p> InstanceTraceBuilder<'p> {
    /// `expected_rows` only sizes the tables up front (growing them was a tenth of the time on large traces).
    pub fn new(
        path: &'p Path,
        layout: InstanceLayout,
        options: ReadOptions,
        expected_rows: usize,
    ) -> InstanceTraceBuilder<'p> {
        InstanceTraceBuilder {
            path,
            options,
            instance_ids: FnvHashMap::with_capacity_and_hasher(expected_rows / 2, Default::default()),
            event_ids: FnvHashMap::default(),
            host_ids: FnvHashMap::default(),
            host_names: Vec::new(),
            trace: InstanceTrace { source: path.to_path_buf(), layout: Some(layout), ..InstanceTrace::default() },
            pending: Vec::with_capacity(expected_rows),
            rows_seen: 0,
        }
    }

    /// Routes a row's outcome: an error stops the read, unless lenient mode records it as skipped.
    pub fn handle(&mut self, line: u64, outcome: Result<(), TraceError>) -> Result<(), TraceError> {
        self.rows_seen += 1;
        match outcome {
            Ok(()) => Ok(()),
            Err(error) if self.options.lenient => {
                self.trace.skipped.push(SkippedRow { line, reason: error.to_string() });
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Checks a row and, if it is valid, adds it. Nothing is interned unless the whole row is valid.
    pub fn push(&mut self, row: RowText<'_>) -> Result<(), TraceError> {
        let path = self.path;
        let line = row.line;
        fn required<'t>(
            path: &Path,
            line: u64,
            field: &str,
            text: &'t Option<Cow<'_, str>>,
        ) -> Result<&'t str, TraceError> {
            match text.as_deref().map(str::trim) {
                Some(text) if !is_missing(text) => Ok(text),
                _ => Err(TraceError::row(path, line, field, format!("{field} is empty; every event needs one"))),
            }
        }
        let uuid = required(path, line, INSTANCE_UUID, &row.uuid)?;
        let event = required(path, line, EVENT, &row.event)?;
        let finish_ms = parse_time(path, line, FINISH_TIME, row.finish_time.as_deref())?.ok_or_else(|| {
            TraceError::row(
                path,
                line,
                FINISH_TIME,
                "FINISH_TIME is empty; the event needs the time it finished, which is when it takes effect",
            )
        })?;
        let start_ms = parse_time(path, line, START_TIME, row.start_time.as_deref())?;
        if let Some(start_ms) = start_ms.filter(|&start_ms| start_ms > finish_ms) {
            let start_text = row.start_time.as_deref().unwrap_or_default().trim();
            let finish_text = row.finish_time.as_deref().unwrap_or_default().trim();
            return Err(TraceError::row(
                path,
                line,
                FINISH_TIME,
                format!(
                    "FINISH_TIME {finish_text:?} is before START_TIME {start_text:?} (a duration of {} s); fix whichever time is wrong",
                    (finish_ms - start_ms) as f64 / 1000.0
                ),
            ));
        }
        let success = row.result.as_deref().map(str::trim) == Some("Success");
        let memory_mb = parse_size(path, line, &row.sizes.memory_mb)?;
        let disk_gb = parse_size(path, line, &row.sizes.disk_gb)?;
        let vcpus = parse_size(path, line, &row.sizes.vcpus)?;
        let vcpus = match vcpus.map(u32::try_from).transpose() {
            Ok(vcpus) => vcpus,
            Err(_) => {
                return Err(TraceError::row(
                    path,
                    line,
                    row.sizes.vcpus.field,
                    "the vCPU count is too large; it must fit in 32 bits",
                ))
            }
        };
        let flavor = match (vcpus, memory_mb, disk_gb) {
            (Some(vcpus), Some(memory_mb), Some(disk_gb)) => Some(Flavor { vcpus, memory_mb, disk_gb }),
            _ => None,
        };
        let event_id = match self.event_ids.get(event) {
            Some(&id) => id,
            None => {
                let Ok(id) = u16::try_from(self.trace.event_names.len()) else {
                    return Err(TraceError::row(
                        path,
                        line,
                        EVENT,
                        format!("{event:?} would be the 65,537th distinct event name; fleetsim holds at most 65,536 (check that EVENT holds Nova event names)"),
                    ));
                };
                self.event_ids.insert(event.to_string(), id);
                self.trace.event_names.push(event.to_string());
                id
            }
        };
        let project = row.project.as_deref().map(str::trim).filter(|text| !is_missing(text));
        let instance_id = match self.instance_ids.get(uuid) {
            Some(&id) => {
                let info = &mut self.trace.instances[id as usize];
                if info.project.is_empty() {
                    if let Some(project) = project {
                        info.project = project.to_string();
                    }
                }
                id
            }
            None => {
                let id = self.trace.instances.len() as u32;
                self.instance_ids.insert(uuid.to_string(), id);
                self.trace.instances.push(InstanceInfo {
                    uuid: uuid.to_string(),
                    flavor: None,
                    project: project.unwrap_or_default().to_string(),
                    host: None,
                });
                id
            }
        };
        let host = match row.host.as_deref().map(str::trim).filter(|text| !is_missing(text)) {
            None => None,
            Some(name) => Some(match self.host_ids.get(name) {
                Some(&id) => id,
                None => {
                    let id = self.host_names.len() as u32;
                    self.host_ids.insert(name.to_string(), id);
                    self.host_names.push(name.to_string());
                    id
                }
            }),
        };
        self.pending.push(PendingRecord {
            record: InstanceRecord {
                instance: instance_id,
                event: event_id,
                action: Action::from_nova_event(&self.trace.event_names[event_id as usize]),
                start_ms,
                finish_ms,
                success,
                line,
            },
            host,
            flavor,
        });
        Ok(())
    }

    /// Sorts by finish time (stably) and fills each instance's flavor (from its earliest row with all three
    /// sizes) and host (from its latest row naming one).
    pub fn finish(mut self) -> Result<InstanceTrace, TraceError> {
        if self.rows_seen == 0 {
            return Err(TraceError::file(
                self.path,
                "no events: the file has no rows after the header (or only blank lines); expected at least one instance event",
            ));
        }
        self.pending.sort_by_key(|pending| pending.record.finish_ms);
        let mut records = Vec::with_capacity(self.pending.len());
        for pending in self.pending {
            let info = &mut self.trace.instances[pending.record.instance as usize];
            if info.flavor.is_none() {
                info.flavor = pending.flavor;
            }
            if let Some(host) = pending.host {
                info.host = Some(self.host_names[host as usize].clone());
            }
            records.push(pending.record);
        }
        self.trace.records = records;
        Ok(self.trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(text: &str) -> Result<Option<u64>, String> {
        parse_size(Path::new("t.csv"), 3, &SizeText::new(VCPUS, Some(Cow::Borrowed(text)))).map_err(|e| e.to_string())
    }

    #[test]
    fn sizes_are_whole_numbers_or_missing() {
        assert_eq!(size("4"), Ok(Some(4)));
        assert_eq!(size(" 512.0 "), Ok(Some(512)));
        assert_eq!(size("None"), Ok(None));
        assert_eq!(size(""), Ok(None));
        let error = size("four").unwrap_err();
        assert!(error.contains("t.csv, line 3, field VCPUS"), "{error}");
        assert!(error.contains("\"four\" is not a whole number"), "{error}");
        assert!(size("-2").unwrap_err().contains("negative"));
        assert!(size("1.5").unwrap_err().contains("not a whole number"));
    }

    #[test]
    fn fast_timestamps_agree_with_parse_naive_utc_ms() {
        let samples = [
            "2015-09-17 18:24:56",
            "2015-09-17T18:24:56",
            "2015-09-17T18:24:56.5",
            "2015-09-17 18:24:56.250",
            "2015-09-17 18:24:56.123456789",
            "2016-02-29 00:00:00",
            "1969-12-31 23:59:59.999",
            "0001-01-01T00:00:00",
        ];
        for text in samples {
            assert_eq!(fast_naive_utc_ms(text), parse_naive_utc_ms(text), "{text}");
            assert!(fast_naive_utc_ms(text).is_some(), "{text}");
        }
        // Shapes the fast path leaves to chrono (it must answer None, never a different value).
        for text in [
            "2015-02-30 00:00:00",
            "2015-13-01 00:00:00",
            "2015-09-17 24:00:00",
            "2015-09-17 23:59:60",
            "2015-09-17 18:24:56.",
            "2015-09-17 18:24:56.1234567890",
            "2015-09-17",
            "15-09-17 18:24:56",
            "2015-09-17 18:24:5x",
        ] {
            assert_eq!(fast_naive_utc_ms(text), None, "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_timestamps_never_disagree(year in 0_u32..10000, month in 0_u32..14, day in 0_u32..33, hour in 0_u32..26,
            minute in 0_u32..62, second in 0_u32..62, fraction in proptest::option::of(0_u32..1_000_000_000), space: bool)
        {
            let separator = if space { ' ' } else { 'T' };
            let mut text = format!("{year:04}-{month:02}-{day:02}{separator}{hour:02}:{minute:02}:{second:02}");
            if let Some(fraction) = fraction {
                text.push_str(&format!(".{fraction}"));
            }
            if let Some(fast) = fast_naive_utc_ms(&text) {
                proptest::prop_assert_eq!(Some(fast), parse_naive_utc_ms(&text), "{}", text);
            }
        }
    }

    #[test]
    fn properties_sizes_come_from_the_python_dict() {
        let sizes =
            SizesText::from_python_dict(Path::new("t.csv"), 2, "{'memory_mb': 2048, 'root_gb': '20', 'vcpus': None}")
                .unwrap();
        assert_eq!(sizes.memory_mb.text.as_deref(), Some("2048"));
        assert_eq!(sizes.disk_gb.text.as_deref(), Some("20"));
        assert_eq!(sizes.vcpus.text, None);
        let error = SizesText::from_python_dict(Path::new("t.csv"), 2, "{'vcpus' 1}").err().unwrap().to_string();
        assert!(error.contains("line 2, field PROPERTIES: cannot read the Python dict"), "{error}");
    }
}
