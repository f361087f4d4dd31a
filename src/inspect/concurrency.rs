//! Concurrent instances and vCPUs over a trace: the overall peaks and the peak of each UTC day.
//!
//! One sweep over, per instance, +1 at its first successful build finish and −1 at its last successful terminate
//! finish (when not earlier than the build). An instance with a build but no terminate stays until the end; one
//! without a successful build is never counted; an unknown flavor counts 0 vCPU. At equal times departures are
//! applied before arrivals (Nova frees a VM's resources when its terminate finishes, so a VM arriving that second
//! can use them).

use super::{DayRange, Lifespan};
use crate::trace::InstanceTrace;

/// The largest concurrency of the whole trace, and the first time (Unix ms) each was reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Peaks {
    pub instances: u64,
    pub instances_at_ms: Option<i64>,
    pub vcpus: u64,
    pub vcpus_at_ms: Option<i64>,
}

/// The sweep's results: overall peaks, and per day of `days` the highest concurrency reached during that day
/// (counting the level carried in from the day before).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Concurrency {
    pub peaks: Peaks,
    pub daily_instances: Vec<u64>,
    pub daily_vcpus: Vec<u64>,
}

pub(super) fn concurrency(trace: &InstanceTrace, lifespans: &[Lifespan], days: DayRange) -> Concurrency {
    // (time, 0 = departure / 1 = arrival, vcpus): sorting the tuples puts departures first at equal times.
    let mut changes: Vec<(i64, u8, u64)> = Vec::with_capacity(2 * lifespans.len());
    for (instance, lifespan) in trace.instances.iter().zip(lifespans) {
        let Some(build) = lifespan.build_ms else { continue };
        let vcpus = instance.flavor.map_or(0, |flavor| u64::from(flavor.vcpus));
        changes.push((build, 1, vcpus));
        if let Some(terminate) = lifespan.terminate_ms.filter(|&terminate| terminate >= build) {
            changes.push((terminate, 0, vcpus));
        }
    }
    changes.sort_unstable();
    let mut result =
        Concurrency { peaks: Peaks::default(), daily_instances: vec![0; days.count], daily_vcpus: vec![0; days.count] };
    let (mut instances, mut vcpus) = (0u64, 0u64);
    // Days before `next_day` have been given the level they started with.
    let mut next_day = 0usize;
    for (time, kind, change) in changes {
        // Every change lies within the trace's span; clamping only guards the indexing.
        let day = days.index(time).min(days.count.saturating_sub(1));
        while next_day <= day && next_day < days.count {
            result.daily_instances[next_day] = instances;
            result.daily_vcpus[next_day] = vcpus;
            next_day += 1;
        }
        if kind == 0 {
            instances -= 1;
            vcpus -= change;
            continue;
        }
        instances += 1;
        vcpus += change;
        if let (Some(daily_instances), Some(daily_vcpus)) =
            (result.daily_instances.get_mut(day), result.daily_vcpus.get_mut(day))
        {
            *daily_instances = (*daily_instances).max(instances);
            *daily_vcpus = (*daily_vcpus).max(vcpus);
        }
        let peaks = &mut result.peaks;
        if instances > peaks.instances {
            peaks.instances = instances;
            peaks.instances_at_ms = Some(time);
        }
        if vcpus > peaks.vcpus {
            peaks.vcpus = vcpus;
            peaks.vcpus_at_ms = Some(time);
        }
    }
    for day in next_day..days.count {
        result.daily_instances[day] = instances;
        result.daily_vcpus[day] = vcpus;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::{analyse, MS_PER_DAY};
    use crate::trace::{trace_from_rows, KVM_TACC_FLAVORS};

    const BUILD: &str = "compute__do_build_and_run_instance";
    const TERMINATE: &str = "compute_terminate_instance";
    /// 2015-09-17 00:00:00 UTC in seconds.
    const DAY0_S: i64 = 1_442_448_000;
    const DAY_S: i64 = MS_PER_DAY / 1000;

    #[test]
    fn daily_peaks_carry_the_level_across_quiet_days() {
        let large = Some(KVM_TACC_FLAVORS[4].1); // 4 vCPU
        let small = Some(KVM_TACC_FLAVORS[1].1); // 1 vCPU
                                                 // Day 0: instance 0 (4 vCPU) arrives at 10:00, instance 1 (1 vCPU) at 11:00 and leaves at 12:00.
                                                 // Day 1: nothing happens: the level carried in (1 instance, 4 vCPU) is the day's peak.
                                                 // Day 2: instance 0 leaves at 09:00 exactly when instance 2 (1 vCPU) arrives: departure first, so the
                                                 // day's peak is the carried level, 1 instance and 4 vCPU, not 2 and 5. Instance 2 never leaves.
        let rows = [
            (0, BUILD, DAY0_S + 10 * 3600, true),
            (1, BUILD, DAY0_S + 11 * 3600, true),
            (1, TERMINATE, DAY0_S + 12 * 3600, true),
            (0, TERMINATE, DAY0_S + 2 * DAY_S + 9 * 3600, true),
            (2, BUILD, DAY0_S + 2 * DAY_S + 9 * 3600, true),
        ];
        let report = analyse(&trace_from_rows(&[large, small, small], &rows));
        assert_eq!(report.daily.first_day, Some(DAY0_S / DAY_S));
        assert_eq!(report.daily.peak_instances, vec![2, 1, 1]);
        assert_eq!(report.daily.peak_vcpus, vec![5, 4, 4]);
        assert_eq!((report.peak_instances, report.peak_vcpus), (2, 5));
        assert_eq!(report.peak_instances_at_ms, Some((DAY0_S + 11 * 3600) * 1000));
    }
}
