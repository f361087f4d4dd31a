//! What a run's live migrations did: one record per migration that ended within the run (completed or aborted),
//! summed into the run's migration figures and, when the scenario asks, kept as rows of `migrations.arrow`.
//! Migrations cancelled before their end (their VM deleted, their host removed, or CloudSim's second move of
//! the same VM in one round) and those still running or waiting when the run ends have no record.

use crate::fleet::{HostId, VmId};
use crate::metrics::percentile;
use crate::migration::{MigrationOutcome, MigrationReason};

/// One row of `migrations.arrow`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MigrationRecord {
    pub vm: VmId,
    pub source: HostId,
    pub target: HostId,
    /// When consolidation asked for it, when its copy started (later if it waited for its hosts' links) and
    /// when it ended; seconds since the start.
    pub requested_s: f64,
    pub start_s: f64,
    pub end_s: f64,
    pub rounds: u32,
    pub bytes: u64,
    pub downtime_ms: f64,
    pub outcome: MigrationOutcome,
    pub reason: MigrationReason,
}

/// The run-level migration figures (`runs.arrow`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MigrationMetrics {
    /// `ram-over-bandwidth` or `pre-copy`.
    pub model: &'static str,
    /// Bytes sent by migrations that ended (aborted ones included).
    pub bytes: u64,
    /// Over migrations that ended: start to end, and request to start.
    pub mean_duration_s: f64,
    pub mean_wait_s: f64,
    /// Over completed migrations (the VM moved): mean and 99th percentile of the downtime.
    pub mean_downtime_ms: f64,
    pub p99_downtime_ms: f64,
    pub converged: u64,
    pub forced: u64,
    pub auto_converged: u64,
    pub aborted: u64,
}

#[derive(Clone, Debug, Default)]
pub struct MigrationLog {
    model: &'static str,
    bytes: u64,
    duration_s: f64,
    wait_s: f64,
    /// Downtime of each completed migration.
    downtimes_ms: Vec<f64>,
    counts: [u64; 4],
    /// Every record, when the scenario writes `migrations.arrow`.
    rows: Option<Vec<MigrationRecord>>,
}

impl MigrationLog {
    pub fn new(model: &'static str, keep_rows: bool) -> MigrationLog {
        MigrationLog { model, rows: keep_rows.then(Vec::new), ..MigrationLog::default() }
    }

    pub fn record(&mut self, record: MigrationRecord) {
        self.bytes += record.bytes;
        self.duration_s += record.end_s - record.start_s;
        self.wait_s += record.start_s - record.requested_s;
        if record.outcome.moves_the_vm() {
            self.downtimes_ms.push(record.downtime_ms);
        }
        self.counts[record.outcome as usize] += 1;
        if let Some(rows) = &mut self.rows {
            rows.push(record);
        }
    }

    /// The run's figures, and the rows if kept.
    pub fn finish(mut self) -> (MigrationMetrics, Option<Vec<MigrationRecord>>) {
        let ended: u64 = self.counts.iter().sum();
        let per_ended = |total: f64| if ended > 0 { total / ended as f64 } else { 0.0 };
        let completed = self.downtimes_ms.len();
        let mean_downtime_ms =
            if completed > 0 { self.downtimes_ms.iter().sum::<f64>() / completed as f64 } else { 0.0 };
        let metrics = MigrationMetrics {
            model: self.model,
            bytes: self.bytes,
            mean_duration_s: per_ended(self.duration_s),
            mean_wait_s: per_ended(self.wait_s),
            mean_downtime_ms,
            p99_downtime_ms: percentile(&mut self.downtimes_ms, 99.0),
            converged: self.counts[MigrationOutcome::Converged as usize],
            forced: self.counts[MigrationOutcome::Forced as usize],
            auto_converged: self.counts[MigrationOutcome::AutoConverged as usize],
            aborted: self.counts[MigrationOutcome::Aborted as usize],
        };
        (metrics, self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(outcome: MigrationOutcome, downtime_ms: f64) -> MigrationRecord {
        MigrationRecord {
            vm: 0,
            source: 0,
            target: 1,
            requested_s: 0.0,
            start_s: 10.0,
            end_s: 40.0,
            rounds: 3,
            bytes: 100,
            downtime_ms,
            outcome,
            reason: MigrationReason::Overload,
        }
    }

    #[test]
    fn figures_count_ended_migrations_and_downtime_only_of_completed_ones() {
        let mut log = MigrationLog::new("pre-copy", true);
        log.record(record(MigrationOutcome::Converged, 100.0));
        log.record(record(MigrationOutcome::Forced, 4000.0));
        log.record(record(MigrationOutcome::Aborted, 0.0));
        let (metrics, rows) = log.finish();
        assert_eq!((metrics.bytes, metrics.converged, metrics.forced, metrics.aborted), (300, 1, 1, 1));
        assert_eq!((metrics.mean_duration_s, metrics.mean_wait_s), (30.0, 10.0));
        // The aborted migration paused nothing and moved nothing: downtimes of the two others only.
        assert_eq!(metrics.mean_downtime_ms, 2050.0);
        // NumPy's percentile of [100, 4000] at 99: 100 + 0.99 × 3900.
        assert!((metrics.p99_downtime_ms - 3961.0).abs() < 1e-9);
        assert_eq!(rows.map(|rows| rows.len()), Some(3));
        assert_eq!(MigrationLog::new("x", false).finish().0.p99_downtime_ms, 0.0);
    }
}
