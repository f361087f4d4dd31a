//! `fleetsim inspect`: the statistics that the Chameleon KVM notebooks compute from an instance-event trace.
//!
//! [`analyse`] reproduces, from an [`InstanceTrace`], what `ChameleonKVMCloudTraces_2018_11_16.ipynb` and
//! `ChameleonKVMCloudTraces.ipynb` show: the time span, events by type and result, the flavor mix, the
//! lifetime histogram with the notebook's power-of-two bins, arrivals by hour of day and by day of week, the
//! notebook's daily "usage" numerator (vCPUs of the instances active each day), and (not in the notebooks, but
//! what a simulator needs to size a fleet) concurrent instances and vCPUs: the peaks, and each day's peak, against
//! the capacity the machine events give ([`analyse_with_machines`]).
//! `docs/inspect.md` explains each table and the Arrow layout of [`TraceReport::write_arrow`].

mod capacity;
mod concurrency;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use comfy_table::{presets, CellAlignment, Table};

use crate::output::atomic::write_atomically;
use crate::time::{format_unix_ms, MS_PER_HOUR};
use crate::trace::{Action, InstanceTrace, MachineTrace};

/// Number of lifetime bins: `(0,1]`, `(1,2]`, `(2,4]`, ..., `(16384,32768]`, as in the notebook's `pd.cut`.
pub const LIFETIME_BIN_COUNT: usize = 16;

const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// Days of the week in `arrivals_by_weekday` order (ISO: Monday first).
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A run of UTC days: `first_day` (days since 1970-01-01) and the `count` days from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DayRange {
    first_day: i64,
    count: usize,
}

impl DayRange {
    /// The days from the one holding `first_ms` to the one holding `last_ms` (Unix ms), both included.
    fn spanning(first_ms: i64, last_ms: i64) -> DayRange {
        let first_day = first_ms.div_euclid(MS_PER_DAY);
        let count = (last_ms.div_euclid(MS_PER_DAY) - first_day + 1).max(0) as usize;
        DayRange { first_day, count }
    }

    /// The index in the range of the day holding `unix_ms` (0 before the range).
    fn index(&self, unix_ms: i64) -> usize {
        (unix_ms.div_euclid(MS_PER_DAY) - self.first_day).max(0) as usize
    }
}

/// `YYYY-MM-DD` of a day given as days since 1970-01-01.
pub fn day_label(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * (MS_PER_DAY / 1000), 0)
        .map_or_else(|| format!("day {day}"), |datetime| datetime.format("%Y-%m-%d").to_string())
}

/// Successful and failed rows of one event name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventCount {
    pub event: String,
    pub success: u64,
    pub failed: u64,
}

/// Distinct instances of one flavor.
#[derive(Clone, Debug, PartialEq)]
pub struct FlavorCount {
    /// [`crate::trace::Flavor::name`], or `"unknown"` for instances without a complete size.
    pub flavor: String,
    pub instances: u64,
    /// `instances` divided by all instances of the trace (0 for an empty trace).
    pub share: f64,
}

/// One bin `(low_hours, high_hours]` of the lifetime histogram, over floored hours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifetimeBin {
    pub low_hours: u64,
    pub high_hours: u64,
    pub instances: u64,
}

impl LifetimeBin {
    /// The notebook's label, e.g. `(2,4]`.
    pub fn label(&self) -> String {
        format!("({},{}]", self.low_hours, self.high_hours)
    }
}

/// Instances that fall in no lifetime bin, and why. `pd.cut` silently drops them in the notebook; we count them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LifetimeUnbinned {
    /// Lived less than one hour: the floored lifetime is 0, outside `(0,1]`.
    pub under_one_hour: u64,
    /// Lived 32769 hours or more (more than the last bin).
    pub beyond_last_bin: u64,
    /// The last successful terminate finished before the first successful build.
    pub terminate_before_build: u64,
    /// No successful build or no successful terminate in the trace.
    pub missing_build_or_terminate: u64,
}

/// One value per UTC day, from the day of the trace's first finish to the day of its last.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DailySeries {
    /// The first day, as days since 1970-01-01 (`None` for an empty trace, whose series are empty).
    pub first_day: Option<i64>,
    /// Highest number of concurrent instances during the day (the level carried in from the day before counts).
    pub peak_instances: Vec<u64>,
    /// Highest number of concurrent vCPUs during the day.
    pub peak_vcpus: Vec<u64>,
    /// vCPUs of the distinct instances with a successful event finishing that day: the numerator of the
    /// notebook's daily "usage" (an activity measure, not concurrency).
    pub active_vcpus: Vec<u64>,
    /// vCPUs of the hosts present at the end of the day, when machine events were given.
    pub capacity_vcpus: Option<Vec<u64>>,
}

/// What [`analyse`] found. Independent of how the trace was interned (event-name and instance order), so two
/// readings of the same rows compare equal.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceReport {
    /// First and last `finish_ms` (Unix ms), `None` for an empty trace.
    pub first_finish_ms: Option<i64>,
    pub last_finish_ms: Option<i64>,
    /// `(last − first)` in days.
    pub span_days: f64,
    pub instances: u64,
    pub rows: u64,
    /// Sorted by event name.
    pub events: Vec<EventCount>,
    /// Sorted by instances, most first, then by name.
    pub flavors: Vec<FlavorCount>,
    /// Always [`LIFETIME_BIN_COUNT`] bins, in order.
    pub lifetime_bins: Vec<LifetimeBin>,
    pub lifetime_unbinned: LifetimeUnbinned,
    /// Successful build finishes per hour of day (UTC, the trace's clock), index 0..=23.
    pub arrivals_by_hour: [u64; 24],
    /// Successful build finishes per day of the week (UTC), Monday first ([`WEEKDAYS`]).
    pub arrivals_by_weekday: [u64; 7],
    pub peak_instances: u64,
    /// First time (Unix ms) the instance peak was reached.
    pub peak_instances_at_ms: Option<i64>,
    pub peak_vcpus: u64,
    pub peak_vcpus_at_ms: Option<i64>,
    pub daily: DailySeries,
}

/// Per-instance first successful build and last successful terminate, the basis of lifetimes and peaks.
#[derive(Clone, Copy, Default)]
struct Lifespan {
    build_ms: Option<i64>,
    terminate_ms: Option<i64>,
}

/// Computes the notebook statistics of `trace`. Linear in the rows plus one sort of the arrivals and
/// departures, so a 237k-row trace takes a few milliseconds.
pub fn analyse(trace: &InstanceTrace) -> TraceReport {
    analyse_with_machines(trace, None)
}

/// [`analyse`], plus the daily capacity (`DailySeries::capacity_vcpus`) of the fleet `machines` describes.
pub fn analyse_with_machines(trace: &InstanceTrace, machines: Option<&MachineTrace>) -> TraceReport {
    let (first_finish_ms, last_finish_ms) = match trace.span_ms() {
        Some((first, last)) => (Some(first), Some(last)),
        None => (None, None),
    };
    let days = match (first_finish_ms, last_finish_ms) {
        (Some(first), Some(last)) => DayRange::spanning(first, last),
        _ => DayRange { first_day: 0, count: 0 },
    };
    let span_days = match (first_finish_ms, last_finish_ms) {
        (Some(first), Some(last)) => (last - first) as f64 / MS_PER_DAY as f64,
        _ => 0.0,
    };

    // Events by interned name and result; then merged by name so that interning order does not matter.
    let mut by_event = vec![[0u64; 2]; trace.event_names.len()];
    let mut lifespans = vec![Lifespan::default(); trace.instances.len()];
    let mut arrivals_by_hour = [0u64; 24];
    let mut arrivals_by_weekday = [0u64; 7];
    let mut active_vcpus = vec![0u64; days.count];
    // The last day each instance was counted active on (records come in finish order, so days only grow).
    let mut last_active_day = vec![usize::MAX; trace.instances.len()];
    for record in &trace.records {
        if let Some(counts) = by_event.get_mut(record.event as usize) {
            counts[usize::from(!record.success)] += 1;
        }
        if !record.success {
            continue;
        }
        let Some(lifespan) = lifespans.get_mut(record.instance as usize) else { continue };
        let day = days.index(record.finish_ms);
        if last_active_day[record.instance as usize] != day {
            last_active_day[record.instance as usize] = day;
            let vcpus = trace.instances[record.instance as usize].flavor.map_or(0, |flavor| flavor.vcpus);
            if let Some(active) = active_vcpus.get_mut(day) {
                *active += u64::from(vcpus);
            }
        }
        match record.action {
            Action::Create => {
                let hour = record.finish_ms.rem_euclid(MS_PER_DAY) / MS_PER_HOUR;
                arrivals_by_hour[hour as usize] += 1;
                // 1970-01-01 was a Thursday (index 3 from Monday).
                arrivals_by_weekday[(record.finish_ms.div_euclid(MS_PER_DAY) + 3).rem_euclid(7) as usize] += 1;
                // Records are sorted by finish time, so the first one seen is the earliest.
                lifespan.build_ms.get_or_insert(record.finish_ms);
            }
            Action::Delete => lifespan.terminate_ms = Some(record.finish_ms),
            _ => {}
        }
    }
    let mut event_totals: BTreeMap<&str, [u64; 2]> = BTreeMap::new();
    for (name, counts) in trace.event_names.iter().zip(&by_event) {
        if counts[0] + counts[1] == 0 {
            continue;
        }
        let total = event_totals.entry(name.as_str()).or_default();
        total[0] += counts[0];
        total[1] += counts[1];
    }
    let events = event_totals
        .into_iter()
        .map(|(event, [success, failed])| EventCount { event: event.to_string(), success, failed })
        .collect();

    let flavors = flavor_mix(trace);
    let (lifetime_bins, lifetime_unbinned) = lifetime_histogram(&lifespans);
    let concurrency = concurrency::concurrency(trace, &lifespans, days);
    let peaks = concurrency.peaks;
    let daily = DailySeries {
        first_day: first_finish_ms.map(|_| days.first_day),
        peak_instances: concurrency.daily_instances,
        peak_vcpus: concurrency.daily_vcpus,
        active_vcpus,
        capacity_vcpus: machines.map(|machines| capacity::daily_capacity(machines, days)),
    };

    TraceReport {
        first_finish_ms,
        last_finish_ms,
        span_days,
        instances: trace.instances.len() as u64,
        rows: trace.records.len() as u64,
        events,
        flavors,
        lifetime_bins,
        lifetime_unbinned,
        arrivals_by_hour,
        arrivals_by_weekday,
        peak_instances: peaks.instances,
        peak_instances_at_ms: peaks.instances_at_ms,
        peak_vcpus: peaks.vcpus,
        peak_vcpus_at_ms: peaks.vcpus_at_ms,
        daily,
    }
}

fn flavor_mix(trace: &InstanceTrace) -> Vec<FlavorCount> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for instance in &trace.instances {
        let name = instance.flavor.map_or_else(|| "unknown".to_string(), |flavor| flavor.name());
        *counts.entry(name).or_default() += 1;
    }
    let total = trace.instances.len() as f64;
    let mut flavors: Vec<FlavorCount> = counts
        .into_iter()
        .map(|(flavor, instances)| FlavorCount {
            flavor,
            instances,
            share: if total > 0.0 { instances as f64 / total } else { 0.0 },
        })
        .collect();
    // Stable sort on a name-sorted list: most instances first, ties by name.
    flavors.sort_by_key(|flavor| std::cmp::Reverse(flavor.instances));
    flavors
}

/// The bin index of a floored lifetime of `hours` ≥ 1: bin `k` is `(2^(k-1), 2^k]`, bin 0 is `(0,1]`.
/// So `h = 1 → 0`, `h = 2 → 1`, `h = 3, 4 → 2`, `h = 5..=8 → 3`.
pub fn lifetime_bin_index(hours: u64) -> Option<usize> {
    if hours == 0 {
        return None;
    }
    let index = (64 - (hours - 1).leading_zeros()) as usize;
    (index < LIFETIME_BIN_COUNT).then_some(index)
}

fn lifetime_histogram(lifespans: &[Lifespan]) -> (Vec<LifetimeBin>, LifetimeUnbinned) {
    let mut bins: Vec<LifetimeBin> = (0..LIFETIME_BIN_COUNT)
        .map(|index| LifetimeBin {
            low_hours: if index == 0 { 0 } else { 1 << (index - 1) },
            high_hours: 1 << index,
            instances: 0,
        })
        .collect();
    let mut unbinned = LifetimeUnbinned::default();
    for lifespan in lifespans {
        let (Some(build), Some(terminate)) = (lifespan.build_ms, lifespan.terminate_ms) else {
            unbinned.missing_build_or_terminate += 1;
            continue;
        };
        if terminate < build {
            unbinned.terminate_before_build += 1;
            continue;
        }
        let hours = ((terminate - build) / MS_PER_HOUR) as u64;
        match lifetime_bin_index(hours) {
            Some(index) => bins[index].instances += 1,
            None if hours == 0 => unbinned.under_one_hour += 1,
            None => unbinned.beyond_last_bin += 1,
        }
    }
    (bins, unbinned)
}

fn format_optional_time(unix_ms: Option<i64>) -> String {
    unix_ms.map_or_else(|| "-".to_string(), format_unix_ms)
}

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN).force_no_tty().set_header(header.to_vec());
    for column in table.column_iter_mut().skip(1) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    table
}

impl fmt::Display for TraceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Summary")?;
        let mut summary = new_table(&["", "value"]);
        summary.add_row(vec!["first finish".to_string(), format_optional_time(self.first_finish_ms)]);
        summary.add_row(vec!["last finish".to_string(), format_optional_time(self.last_finish_ms)]);
        summary.add_row(vec!["span (days)".to_string(), format!("{:.1}", self.span_days)]);
        summary.add_row(vec!["instances".to_string(), self.instances.to_string()]);
        summary.add_row(vec!["rows".to_string(), self.rows.to_string()]);
        writeln!(f, "{summary}\n")?;

        writeln!(f, "Events by type and result")?;
        let mut events = new_table(&["event", "success", "failed", "total", "success %"]);
        for event in &self.events {
            let total = event.success + event.failed;
            let rate = if total > 0 { 100.0 * event.success as f64 / total as f64 } else { 0.0 };
            events.add_row(vec![
                event.event.clone(),
                event.success.to_string(),
                event.failed.to_string(),
                total.to_string(),
                format!("{rate:.1}"),
            ]);
        }
        writeln!(f, "{events}\n")?;

        writeln!(f, "Flavor mix (distinct instances)")?;
        let mut flavors = new_table(&["flavor", "instances", "share %"]);
        for flavor in &self.flavors {
            flavors.add_row(vec![
                flavor.flavor.clone(),
                flavor.instances.to_string(),
                format!("{:.1}", 100.0 * flavor.share),
            ]);
        }
        writeln!(f, "{flavors}\n")?;

        writeln!(f, "Lifetime (first successful build to last successful terminate, hours floored)")?;
        let mut lifetimes = new_table(&["bin (h)", "instances"]);
        for bin in &self.lifetime_bins {
            lifetimes.add_row(vec![bin.label(), bin.instances.to_string()]);
        }
        let binned: u64 = self.lifetime_bins.iter().map(|bin| bin.instances).sum();
        let unbinned = &self.lifetime_unbinned;
        lifetimes.add_row(vec!["all bins".to_string(), binned.to_string()]);
        lifetimes.add_row(vec!["under 1 h (in no bin)".to_string(), unbinned.under_one_hour.to_string()]);
        lifetimes.add_row(vec!["over 32768 h".to_string(), unbinned.beyond_last_bin.to_string()]);
        lifetimes.add_row(vec!["terminate before build".to_string(), unbinned.terminate_before_build.to_string()]);
        lifetimes
            .add_row(vec!["no build or no terminate".to_string(), unbinned.missing_build_or_terminate.to_string()]);
        writeln!(f, "{lifetimes}\n")?;

        writeln!(f, "Arrivals (successful build finishes) by hour of day, UTC")?;
        let mut arrivals = new_table(&["hour", "builds"]);
        for (hour, count) in self.arrivals_by_hour.iter().enumerate() {
            arrivals.add_row(vec![format!("{hour:02}"), count.to_string()]);
        }
        writeln!(f, "{arrivals}\n")?;

        writeln!(f, "Arrivals (successful build finishes) by day of week, UTC")?;
        let mut weekdays = new_table(&["day", "builds"]);
        for (day, count) in WEEKDAYS.iter().zip(&self.arrivals_by_weekday) {
            weekdays.add_row(vec![day.to_string(), count.to_string()]);
        }
        writeln!(f, "{weekdays}\n")?;

        let daily = &self.daily;
        writeln!(f, "Daily series ({} days; every day in --out)", daily.peak_instances.len())?;
        let mut series = new_table(&["", "highest", "on"]);
        let first_day = daily.first_day.unwrap_or(0);
        let highest = |values: &[u64]| -> (String, String) {
            match values.iter().enumerate().max_by_key(|(index, value)| (**value, std::cmp::Reverse(*index))) {
                Some((index, value)) => (value.to_string(), day_label(first_day + index as i64)),
                None => ("-".to_string(), "-".to_string()),
            }
        };
        for (name, values) in [
            ("peak concurrent instances", &daily.peak_instances),
            ("peak concurrent vCPUs", &daily.peak_vcpus),
            ("vCPUs of instances active that day", &daily.active_vcpus),
        ] {
            let (value, day) = highest(values);
            series.add_row(vec![name.to_string(), value, day]);
        }
        writeln!(f, "{series}\n")?;
        if let Some(capacity) = &daily.capacity_vcpus {
            writeln!(f, "Capacity (vCPUs of present hosts at the end of the day, from the machine events)")?;
            let mut changes = new_table(&["from", "vCPUs"]);
            let mut previous = None;
            for (index, &value) in capacity.iter().enumerate() {
                if previous != Some(value) {
                    changes.add_row(vec![day_label(first_day + index as i64), value.to_string()]);
                    previous = Some(value);
                }
            }
            writeln!(f, "{changes}\n")?;
        }

        writeln!(f, "Peak concurrency (departures before arrivals at equal times)")?;
        let mut peaks = new_table(&["", "peak", "first reached"]);
        peaks.add_row(vec![
            "instances".to_string(),
            self.peak_instances.to_string(),
            format_optional_time(self.peak_instances_at_ms),
        ]);
        peaks.add_row(vec![
            "vCPUs".to_string(),
            self.peak_vcpus.to_string(),
            format_optional_time(self.peak_vcpus_at_ms),
        ]);
        write!(f, "{peaks}")
    }
}

/// Rows of the long-form Arrow table, gathered column by column.
#[derive(Default)]
struct LongForm {
    table: Vec<&'static str>,
    key: Vec<String>,
    result: Vec<Option<&'static str>>,
    value: Vec<f64>,
}

impl LongForm {
    fn push(&mut self, table: &'static str, key: impl Into<String>, result: Option<&'static str>, value: f64) {
        self.table.push(table);
        self.key.push(key.into());
        self.result.push(result);
        self.value.push(value);
    }
}

impl TraceReport {
    /// The report as one long-form table: columns `table`, `key`, `result` (nullable), `value`
    /// (see `docs/inspect.md` for the keys of each table). Unix times are exact in `Float64` (below 2^53 ms).
    pub fn to_record_batch(&self) -> anyhow::Result<RecordBatch> {
        let mut rows = LongForm::default();
        if let Some(first) = self.first_finish_ms {
            rows.push("summary", "first_finish_unix_ms", None, first as f64);
        }
        if let Some(last) = self.last_finish_ms {
            rows.push("summary", "last_finish_unix_ms", None, last as f64);
        }
        rows.push("summary", "span_days", None, self.span_days);
        rows.push("summary", "instances", None, self.instances as f64);
        rows.push("summary", "rows", None, self.rows as f64);
        for event in &self.events {
            rows.push("events", event.event.clone(), Some("Success"), event.success as f64);
            rows.push("events", event.event.clone(), Some("failed"), event.failed as f64);
        }
        for flavor in &self.flavors {
            rows.push("flavors", flavor.flavor.clone(), None, flavor.instances as f64);
        }
        for bin in &self.lifetime_bins {
            rows.push("lifetime_hours", bin.label(), None, bin.instances as f64);
        }
        let unbinned = &self.lifetime_unbinned;
        rows.push("lifetime_hours", "under_1h", None, unbinned.under_one_hour as f64);
        rows.push("lifetime_hours", "over_32768h", None, unbinned.beyond_last_bin as f64);
        rows.push("lifetime_hours", "terminate_before_build", None, unbinned.terminate_before_build as f64);
        rows.push("lifetime_hours", "missing_build_or_terminate", None, unbinned.missing_build_or_terminate as f64);
        for (hour, count) in self.arrivals_by_hour.iter().enumerate() {
            rows.push("arrivals_by_hour", format!("{hour:02}"), None, *count as f64);
        }
        for (day, count) in WEEKDAYS.iter().zip(&self.arrivals_by_weekday) {
            rows.push("arrivals_by_weekday", *day, None, *count as f64);
        }
        let daily = &self.daily;
        let first_day = daily.first_day.unwrap_or(0);
        let mut daily_tables = vec![
            ("daily_peak_instances", &daily.peak_instances),
            ("daily_peak_vcpus", &daily.peak_vcpus),
            ("daily_active_vcpus", &daily.active_vcpus),
        ];
        if let Some(capacity) = &daily.capacity_vcpus {
            daily_tables.push(("daily_capacity_vcpus", capacity));
        }
        for (table, values) in daily_tables {
            for (index, value) in values.iter().enumerate() {
                rows.push(table, day_label(first_day + index as i64), None, *value as f64);
            }
        }
        rows.push("peaks", "instances", None, self.peak_instances as f64);
        rows.push("peaks", "vcpus", None, self.peak_vcpus as f64);
        if let Some(at) = self.peak_instances_at_ms {
            rows.push("peaks", "instances_at_unix_ms", None, at as f64);
        }
        if let Some(at) = self.peak_vcpus_at_ms {
            rows.push("peaks", "vcpus_at_unix_ms", None, at as f64);
        }

        let schema = Arc::new(Schema::new(vec![
            Field::new("table", DataType::Utf8, false),
            Field::new("key", DataType::Utf8, false),
            Field::new("result", DataType::Utf8, true),
            Field::new("value", DataType::Float64, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(rows.table)),
            Arc::new(StringArray::from(rows.key)),
            Arc::new(StringArray::from(rows.result)),
            Arc::new(Float64Array::from(rows.value)),
        ];
        RecordBatch::try_new(schema, columns).context("cannot build the report's Arrow table")
    }

    /// Writes [`TraceReport::to_record_batch`] as one Arrow IPC file, atomically.
    pub fn write_arrow(&self, path: &Path) -> anyhow::Result<()> {
        let batch = self.to_record_batch()?;
        write_atomically(path, |writer| {
            let mut arrow_writer = arrow_ipc::writer::FileWriter::try_new(writer, &batch.schema())
                .with_context(|| format!("cannot start the Arrow file {}", path.display()))?;
            arrow_writer.write(&batch).with_context(|| format!("cannot write {}", path.display()))?;
            arrow_writer.finish().with_context(|| format!("cannot finish {}", path.display()))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Flavor, InstanceInfo, InstanceRecord};
    use arrow_array::Array;

    const H: i64 = MS_PER_HOUR;
    /// 2015-09-17 00:00:00 UTC, the StarCompactor epoch (a midnight, so hours of day are easy to read).
    const DAY0: i64 = 1_442_448_000_000;

    fn tiny_trace(rows: &[(u32, &str, i64, bool)], flavors: &[Option<Flavor>]) -> InstanceTrace {
        let mut trace = InstanceTrace::default();
        for (index, flavor) in flavors.iter().enumerate() {
            trace.instances.push(InstanceInfo {
                uuid: format!("i{index}"),
                flavor: *flavor,
                project: "p".to_string(),
                host: None,
            });
        }
        for (line, &(instance, event, finish_ms, success)) in rows.iter().enumerate() {
            let index = match trace.event_names.iter().position(|name| name == event) {
                Some(index) => index,
                None => {
                    trace.event_names.push(event.to_string());
                    trace.event_names.len() - 1
                }
            };
            trace.records.push(InstanceRecord {
                instance,
                event: index as u16,
                action: Action::from_nova_event(event),
                start_ms: Some(finish_ms - 1000),
                finish_ms,
                success,
                line: line as u64 + 2,
            });
        }
        trace.records.sort_by_key(|record| record.finish_ms);
        trace
    }

    const BUILD: &str = "compute__do_build_and_run_instance";
    const TERMINATE: &str = "compute_terminate_instance";

    #[test]
    fn bin_index_follows_the_notebook_bins() {
        assert_eq!(lifetime_bin_index(0), None);
        assert_eq!(lifetime_bin_index(1), Some(0)); // (0,1]
        assert_eq!(lifetime_bin_index(2), Some(1)); // (1,2]
        assert_eq!(lifetime_bin_index(3), Some(2)); // (2,4]
        assert_eq!(lifetime_bin_index(4), Some(2));
        assert_eq!(lifetime_bin_index(5), Some(3)); // (4,8]
        assert_eq!(lifetime_bin_index(32768), Some(15));
        assert_eq!(lifetime_bin_index(32769), None);
    }

    #[test]
    fn hand_worked_trace() {
        let small = KVM_SMALL;
        let large = KVM_LARGE;
        // Instance 0 (m1.small, 1 vCPU): built 08:30, terminated 10:29:59 → 1 h 59 m 59 s, floored 1 → (0,1].
        // Instance 1 (m1.large, 4 vCPU): built 08:00, failed terminate 08:10, terminated 12:00 → 4 h → (2,4].
        // Instance 2 (m1.large): built 12:00 exactly when 1 leaves; never terminated → missing terminate.
        // Instance 3 (no flavor): terminate only → missing build; build failed at 16:20 → not an arrival.
        // Instance 4 (m1.small): built 16:05, terminated 16:35 → under 1 h.
        let rows = [
            (0, BUILD, DAY0 + 8 * H + H / 2, true),
            (0, TERMINATE, DAY0 + 10 * H + H / 2 - 1000, true),
            (1, BUILD, DAY0 + 8 * H, true),
            (1, TERMINATE, DAY0 + 8 * H + H / 6, false),
            (1, TERMINATE, DAY0 + 12 * H, true),
            (2, BUILD, DAY0 + 12 * H, true),
            (3, BUILD, DAY0 + 16 * H + H / 3, false),
            (3, TERMINATE, DAY0 + 20 * H, true),
            (4, BUILD, DAY0 + 16 * H + H / 12, true),
            (4, TERMINATE, DAY0 + 16 * H + 7 * H / 12, true),
        ];
        let trace = tiny_trace(&rows, &[Some(small), Some(large), Some(large), None, Some(small)]);
        let report = analyse(&trace);

        assert_eq!(report.first_finish_ms, Some(DAY0 + 8 * H));
        assert_eq!(report.last_finish_ms, Some(DAY0 + 20 * H));
        assert!((report.span_days - 0.5).abs() < 1e-12);
        assert_eq!((report.instances, report.rows), (5, 10));
        assert_eq!(
            report.events,
            vec![
                EventCount { event: BUILD.to_string(), success: 4, failed: 1 },
                EventCount { event: TERMINATE.to_string(), success: 4, failed: 1 },
            ]
        );
        let flavors: Vec<(&str, u64)> =
            report.flavors.iter().map(|flavor| (flavor.flavor.as_str(), flavor.instances)).collect();
        assert_eq!(flavors, vec![("m1.large", 2), ("m1.small", 2), ("unknown", 1)]);
        assert!((report.flavors[0].share - 0.4).abs() < 1e-12);

        let bins: Vec<u64> = report.lifetime_bins.iter().map(|bin| bin.instances).collect();
        let mut expected = vec![0u64; LIFETIME_BIN_COUNT];
        expected[0] = 1;
        expected[2] = 1;
        assert_eq!(bins, expected);
        assert_eq!(report.lifetime_bins[2].label(), "(2,4]");
        assert_eq!(
            report.lifetime_unbinned,
            LifetimeUnbinned {
                under_one_hour: 1,
                beyond_last_bin: 0,
                terminate_before_build: 0,
                missing_build_or_terminate: 2
            }
        );

        let mut hours = [0u64; 24];
        hours[8] = 2;
        hours[12] = 1;
        hours[16] = 1;
        assert_eq!(report.arrivals_by_hour, hours);
        // 2015-09-17 was a Thursday.
        assert_eq!(report.arrivals_by_weekday, [0, 0, 0, 4, 0, 0, 0]);
        // One day; active: instances 0, 1, 2, 4 (successful events), 1 + 4 + 4 + 1 vCPUs; instance 3 has a
        // successful terminate but no flavor (0 vCPU).
        assert_eq!(report.daily.first_day, Some(DAY0 / MS_PER_DAY));
        assert_eq!(report.daily.active_vcpus, vec![10]);
        assert_eq!((report.daily.peak_instances.clone(), report.daily.peak_vcpus.clone()), (vec![2], vec![5]));
        assert_eq!(report.daily.capacity_vcpus, None);

        // Timeline: 08:00 +1 (1 inst, 4 vCPU), 08:30 +1 (2, 5), 10:30 −1 (1, 4), 12:00 −1 then +1 (1, 4),
        // 16:05 +1 (2, 5), 16:35 −1. Peak 2 instances first at 08:30; peak 5 vCPUs first at 08:30.
        assert_eq!((report.peak_instances, report.peak_instances_at_ms), (2, Some(DAY0 + 8 * H + H / 2)));
        assert_eq!((report.peak_vcpus, report.peak_vcpus_at_ms), (5, Some(DAY0 + 8 * H + H / 2)));
    }

    #[test]
    fn departures_come_before_arrivals_at_equal_times() {
        // Instance 0 leaves at 10:00 exactly when instance 1 arrives: the peak is 1, not 2.
        let rows = [(0, BUILD, DAY0, true), (0, TERMINATE, DAY0 + 10 * H, true), (1, BUILD, DAY0 + 10 * H, true)];
        let report = analyse(&tiny_trace(&rows, &[Some(KVM_LARGE), Some(KVM_LARGE)]));
        assert_eq!((report.peak_instances, report.peak_vcpus), (1, 4));
        assert_eq!(report.peak_instances_at_ms, Some(DAY0));
    }

    #[test]
    fn terminate_before_build_and_very_long_lives_are_counted_outside_the_bins() {
        let rows = [
            (0, TERMINATE, DAY0, true),
            (0, BUILD, DAY0 + H, true),
            (1, BUILD, DAY0, true),
            (1, TERMINATE, DAY0 + 32769 * H, true),
        ];
        let report = analyse(&tiny_trace(&rows, &[None, None]));
        assert_eq!(report.lifetime_unbinned.terminate_before_build, 1);
        assert_eq!(report.lifetime_unbinned.beyond_last_bin, 1);
        assert!(report.lifetime_bins.iter().all(|bin| bin.instances == 0));
        // Instance 0's terminate precedes its build, so it never leaves; both are up from 01:00. Unknown flavors
        // count as instances with 0 vCPU.
        assert_eq!((report.peak_instances, report.peak_vcpus), (2, 0));
    }

    #[test]
    fn empty_trace_gives_an_empty_report() {
        let report = analyse(&InstanceTrace::default());
        assert_eq!((report.instances, report.rows, report.peak_instances), (0, 0, 0));
        assert_eq!(report.first_finish_ms, None);
        assert!(report.to_string().contains("Summary"));
    }

    #[test]
    fn display_and_arrow_hold_every_table() -> anyhow::Result<()> {
        let rows = [(0, BUILD, DAY0 + 8 * H, true), (0, TERMINATE, DAY0 + 11 * H, true)];
        let report = analyse(&tiny_trace(&rows, &[Some(KVM_SMALL)]));
        let text = report.to_string();
        for section in ["Summary", "Events", "Flavor mix", "Lifetime", "Arrivals", "day of week", "Daily", "Peak"] {
            assert!(text.contains(section), "missing section {section} in\n{text}");
        }
        assert!(text.contains("(2,4]"));

        let directory = tempfile::tempdir()?;
        let path = directory.path().join("report.arrow");
        report.write_arrow(&path)?;
        let reader = arrow_ipc::reader::FileReader::try_new(std::fs::File::open(&path)?, None)?;
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>()?;
        assert_eq!(batches.len(), 1);
        let batch = &batches[0];
        let table = batch.column(0).as_any().downcast_ref::<StringArray>().context("table column")?;
        let key = batch.column(1).as_any().downcast_ref::<StringArray>().context("key column")?;
        let result = batch.column(2).as_any().downcast_ref::<StringArray>().context("result column")?;
        let value = batch.column(3).as_any().downcast_ref::<Float64Array>().context("value column")?;
        let find = |wanted_table: &str, wanted_key: &str, wanted_result: Option<&str>| {
            (0..batch.num_rows()).find(|&row| {
                table.value(row) == wanted_table
                    && key.value(row) == wanted_key
                    && (if result.is_null(row) { None } else { Some(result.value(row)) }) == wanted_result
            })
        };
        let row = find("events", BUILD, Some("Success")).context("build success row")?;
        assert_eq!(value.value(row), 1.0);
        let row = find("lifetime_hours", "(2,4]", None).context("lifetime row")?;
        assert_eq!(value.value(row), 1.0);
        let row = find("arrivals_by_hour", "08", None).context("hour row")?;
        assert_eq!(value.value(row), 1.0);
        let row = find("peaks", "vcpus", None).context("peak row")?;
        assert_eq!(value.value(row), 1.0);
        let row = find("flavors", "m1.small", None).context("flavor row")?;
        assert_eq!(value.value(row), 1.0);
        let row = find("summary", "first_finish_unix_ms", None).context("summary row")?;
        assert_eq!(value.value(row), (DAY0 + 8 * H) as f64);
        let row = find("arrivals_by_weekday", "Thu", None).context("weekday row")?;
        assert_eq!(value.value(row), 1.0);
        let row = find("daily_active_vcpus", "2015-09-17", None).context("daily row")?;
        assert_eq!(value.value(row), 1.0);
        assert!(find("daily_capacity_vcpus", "2015-09-17", None).is_none(), "no machine events, no capacity");
        Ok(())
    }

    #[test]
    fn active_vcpus_count_each_instance_once_a_day_and_capacity_comes_from_machine_events() -> anyhow::Result<()> {
        use crate::trace::{HostCapacity, MachineEventKind, MachineRecord, MachineTrace};
        // Instance 0 (1 vCPU): built day 0, rebooted and terminated day 2 (two events that day: counted once).
        // Instance 1 (4 vCPU): a failed build on day 1 (not active), built on day 2. Day 1: nobody active.
        let rows = [
            (0, BUILD, DAY0 + H, true),
            (1, BUILD, DAY0 + 24 * H + H, false),
            (0, "compute_reboot_instance", DAY0 + 48 * H + H, true),
            (1, BUILD, DAY0 + 48 * H + 2 * H, true),
            (0, TERMINATE, DAY0 + 48 * H + 3 * H, true),
        ];
        let trace = tiny_trace(&rows, &[Some(KVM_SMALL), Some(KVM_LARGE)]);
        // One 48-vCPU host from before the trace, deleted on day 1 at noon: capacity 48 at the end of day 0, then 0.
        let host = |time_ms, kind| MachineRecord {
            host: 0,
            time_ms,
            kind,
            capacity: HostCapacity { vcpus: Some(48), memory_mb: None, disk_gb: None },
            rack: None,
            line: 0,
        };
        let machines = MachineTrace {
            hosts: vec!["h".to_string()],
            records: vec![host(DAY0 - H, MachineEventKind::Create), host(DAY0 + 36 * H, MachineEventKind::Delete)],
            ..Default::default()
        };
        let report = analyse_with_machines(&trace, Some(&machines));
        assert_eq!(report.daily.active_vcpus, vec![1, 0, 5]);
        assert_eq!(report.daily.capacity_vcpus, Some(vec![48, 0, 0]));
        assert_eq!(report.arrivals_by_weekday, [0, 0, 0, 1, 0, 1, 0]); // Thursday, Saturday
        let text = report.to_string();
        assert!(text.contains("Capacity") && text.contains("2015-09-18"), "capacity changes in\n{text}");

        let batch = report.to_record_batch()?;
        let table = batch.column(0).as_any().downcast_ref::<StringArray>().context("table column")?;
        let capacity_rows = (0..batch.num_rows()).filter(|&row| table.value(row) == "daily_capacity_vcpus").count();
        assert_eq!(capacity_rows, 3);
        Ok(())
    }

    const KVM_SMALL: Flavor = crate::trace::KVM_TACC_FLAVORS[1].1;
    const KVM_LARGE: Flavor = crate::trace::KVM_TACC_FLAVORS[4].1;
}
