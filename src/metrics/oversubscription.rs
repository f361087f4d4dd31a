//! Oversubscription figures, recorded per host each time an occurrence ends.
//!
//! - The achieved oversubscription ratio: (booked + free) / physical capacity, over the hosts holding VMs.
//! - ScroogeVM's accuracy figures (its `scroogevm_analysis` notebook), on CPU, per host and occurrence i:
//!   the truth is `config − P99(usage during i)`; the correction `corr = Δbooked` when the booking grew, else
//!   `P99(i) − P99(i−1)`; the misprediction `truth − (free(i−1) − corr)`; a *violation* when it is negative
//!   (free capacity was over-estimated: the SLO risk); a *decrease* when the new free capacity falls below
//!   `free(i−1) − corr` (capacity handed out then taken back). Each is summed in units of the host's cores
//!   (divided by its config), mispredictions as absolute values.
//! - [`achieved_ratios`]: the same ratio at one instant, for `timeseries.arrow`.

use crate::fleet::Host;
use crate::policy::oversubscription::PerResource;

/// Ratios are kept in a histogram of this resolution, so that the p95 needs no per-sample memory.
const RATIO_BINS_PER_UNIT: f64 = 1000.0;
/// Ratios above this land in the last bin.
const MAX_RATIO: f64 = 1000.0;

/// What the accuracy figures remember of a host's previous occurrence.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostAccuracy {
    previous: Option<Previous>,
}

#[derive(Clone, Copy, Debug)]
struct Previous {
    free_cpu: f64,
    booked_cpu: f64,
    p99_cpu: f64,
}

/// One host's occurrence, as the ledger needs it.
#[derive(Clone, Copy, Debug)]
pub struct OccurrenceOutcome {
    /// Physical capacity: cores, MB.
    pub config: PerResource,
    /// Booked at the occurrence's end: vCPUs, MB.
    pub booked: PerResource,
    /// Free capacity offered from now on: cores, MB.
    pub free: PerResource,
    /// P99 of the host's CPU use during the occurrence, in cores.
    pub p99_cpu: f64,
}

#[derive(Clone, Debug, Default)]
pub struct OversubscriptionLedger {
    ratio_histogram: Vec<u64>,
    ratio_sum: f64,
    memory_ratio_sum: f64,
    samples: u64,
    pub mispredictions: f64,
    pub violations: f64,
    pub decreases: f64,
}

impl OversubscriptionLedger {
    /// Records one host's occurrence; `accuracy` is that host's memory of its previous one.
    pub fn record(&mut self, accuracy: &mut HostAccuracy, outcome: &OccurrenceOutcome) {
        let OccurrenceOutcome { config, booked, free, p99_cpu } = *outcome;
        if booked.cpu > 0.0 && config.cpu > 0.0 && config.memory > 0.0 {
            let ratio = (booked.cpu + free.cpu) / config.cpu;
            self.ratio_sum += ratio;
            self.memory_ratio_sum += (booked.memory + free.memory) / config.memory;
            self.samples += 1;
            let bin = (ratio.clamp(0.0, MAX_RATIO) * RATIO_BINS_PER_UNIT).round() as usize;
            if self.ratio_histogram.len() <= bin {
                self.ratio_histogram.resize(bin + 1, 0);
            }
            self.ratio_histogram[bin] += 1;
            if let Some(previous) = accuracy.previous {
                let truth = config.cpu - p99_cpu;
                let booked_growth = booked.cpu - previous.booked_cpu;
                let correction = if booked_growth >= 0.0 { booked_growth } else { p99_cpu - previous.p99_cpu };
                let expected = previous.free_cpu - correction;
                let misprediction = truth - expected;
                self.mispredictions += misprediction.abs() / config.cpu;
                self.violations += (-misprediction).max(0.0) / config.cpu;
                self.decreases += (expected - free.cpu).max(0.0) / config.cpu;
            }
        }
        accuracy.previous = Some(Previous { free_cpu: free.cpu, booked_cpu: booked.cpu, p99_cpu });
    }

    /// Mean achieved CPU oversubscription ratio (0 with no samples).
    pub fn ratio_mean(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.ratio_sum / self.samples as f64
        }
    }

    pub fn memory_ratio_mean(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.memory_ratio_sum / self.samples as f64
        }
    }

    /// The 95th percentile of the CPU ratio (nearest rank, to 0.001).
    pub fn ratio_p95(&self) -> f64 {
        if self.samples == 0 {
            return 0.0;
        }
        let rank = (0.95 * self.samples as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (bin, &count) in self.ratio_histogram.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bin as f64 / RATIO_BINS_PER_UNIT;
            }
        }
        MAX_RATIO
    }
}

/// The achieved oversubscription ratios of the fleet at one instant, as the ledger samples them at the end of
/// each occurrence: over the present hosts holding VMs (vCPUs booked), the mean of (booked + free) / physical
/// capacity, where booked + free is what the host may book now, or what it has booked if that is more (a machine
/// event may have shrunk it below its booking). CPU in vCPUs per core, memory in MB per MB; both 0 when no host
/// holds VMs.
pub fn achieved_ratios<'a>(hosts: impl IntoIterator<Item = &'a Host>) -> PerResource {
    let (mut sum, mut count) = (PerResource::default(), 0u32);
    for host in hosts {
        let (cores, memory_mb) = (f64::from(host.capacity.vcpus), host.capacity.memory_mb as f64);
        if !host.present || host.booked.vcpus == 0 || cores <= 0.0 || memory_mb <= 0.0 {
            continue;
        }
        sum.cpu += host.allocatable.vcpus.max(host.booked.vcpus as f64) / cores;
        sum.memory += host.allocatable.memory_mb.max(host.booked.memory_mb as f64) / memory_mb;
        count += 1;
    }
    if count == 0 {
        return PerResource::default();
    }
    PerResource { cpu: sum.cpu / f64::from(count), memory: sum.memory / f64::from(count) }
}

/// The p-th percentile (NumPy's interpolation) of a few values, reordering them; 0 for none. Linear time.
pub fn percentile_unsorted(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let rank = p / 100.0 * (values.len() - 1) as f64;
    let low = rank.floor() as usize;
    if values.len() >= 2 && low == values.len() - 2 {
        // A high percentile of few values (P99 of up to 101) lies between the two largest: one scan.
        let (mut first, mut second) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for &value in values.iter() {
            if value > first {
                (first, second) = (value, first);
            } else if value > second {
                second = value;
            }
        }
        return second + (first - second) * (rank - low as f64);
    }
    let (_, &mut at_low, above) = values.select_nth_unstable_by(low, f64::total_cmp);
    let at_high = if rank > low as f64 { above.iter().copied().fold(f64::INFINITY, f64::min) } else { at_low };
    at_low + (at_high - at_low) * (rank - low as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(booked: f64, free: f64, p99: f64) -> OccurrenceOutcome {
        OccurrenceOutcome {
            config: PerResource { cpu: 10.0, memory: 100.0 },
            booked: PerResource { cpu: booked, memory: 50.0 },
            free: PerResource { cpu: free, memory: 100.0 },
            p99_cpu: p99,
        }
    }

    #[test]
    fn scroogevm_accuracy_figures_by_hand() {
        let (mut ledger, mut host) = (OversubscriptionLedger::default(), HostAccuracy::default());
        // i = 0: no previous, only the ratio: (8 + 4) / 10 = 1.2.
        ledger.record(&mut host, &outcome(8.0, 4.0, 5.0));
        assert_eq!((ledger.mispredictions, ledger.violations, ledger.decreases), (0.0, 0.0, 0.0));
        // i = 1: booking +2 (corr 2); expected free 4 − 2 = 2; truth 10 − 9 = 1: misprediction −1 → a violation of
        // 1 core (0.1 host); new free 1 < 2: a decrease of 1 (0.1).
        ledger.record(&mut host, &outcome(10.0, 1.0, 9.0));
        // i = 2: booking −4, so corr = P99 change 3 − 9 = −6; expected 1 + 6 = 7; truth 7: exact. Free 7: none.
        ledger.record(&mut host, &outcome(6.0, 7.0, 3.0));
        assert!((ledger.mispredictions - 0.1).abs() < 1e-12);
        assert!((ledger.violations - 0.1).abs() < 1e-12);
        assert!((ledger.decreases - 0.1).abs() < 1e-12);
        assert!((ledger.ratio_mean() - (1.2 + 1.1 + 1.3) / 3.0).abs() < 1e-12);
        assert_eq!(ledger.ratio_p95(), 1.3);
        assert!((ledger.memory_ratio_mean() - 1.5).abs() < 1e-12);
    }

    #[test]
    fn empty_hosts_are_not_counted_but_remembered() {
        let (mut ledger, mut host) = (OversubscriptionLedger::default(), HostAccuracy::default());
        ledger.record(&mut host, &outcome(0.0, 10.0, 0.0));
        assert_eq!(ledger.ratio_mean(), 0.0);
        // The host fills: corr = +4, expected 10 − 4 = 6, truth 10 − 3 = 7: misprediction +1 (under-estimate).
        ledger.record(&mut host, &outcome(4.0, 6.0, 3.0));
        assert!((ledger.mispredictions - 0.1).abs() < 1e-12);
        assert_eq!(ledger.violations, 0.0);
    }

    #[test]
    fn achieved_ratios_average_the_hosts_holding_vms() {
        use crate::fleet::host::{Allocatable, Booked, Capacity};
        use crate::power::PowerModel;
        let host = |present: bool, booked: (u64, u64), allocatable: (f64, f64)| {
            let capacity = Capacity { vcpus: 4, memory_mb: 1000, disk_gb: 10 };
            let mut host = Host::new("h".to_string(), capacity, 1000.0, PowerModel::default());
            host.present = present;
            host.booked = Booked { vcpus: booked.0, memory_mb: booked.1, disk_gb: 0 };
            host.allocatable = Allocatable { vcpus: allocatable.0, memory_mb: allocatable.1, disk_gb: 10.0 };
            host
        };
        let hosts = [
            // Nova's static ratios (16, 1.5) on 4 cores and 1000 MB: 64 / 4 = 16, 1500 / 1000 = 1.5.
            host(true, (8, 800), (64.0, 1500.0)),
            // A dynamic estimate: booked 2 + free 4 = 6 of 4 cores = 1.5; 2000 of 1000 MB = 2.
            host(true, (2, 500), (6.0, 2000.0)),
            // Shrunk below its booking: the booking counts, 10 / 4 = 2.5 and 1000 / 1000 = 1.
            host(true, (10, 1000), (8.0, 900.0)),
            // Holding no VMs, or deleted: not counted.
            host(true, (0, 0), (64.0, 1500.0)),
            host(false, (8, 800), (64.0, 1500.0)),
        ];
        let ratios = achieved_ratios(&hosts);
        assert!((ratios.cpu - (16.0 + 1.5 + 2.5) / 3.0).abs() < 1e-12);
        assert!((ratios.memory - (1.5 + 2.0 + 1.0) / 3.0).abs() < 1e-12);
        assert_eq!(achieved_ratios(&hosts[3..]), PerResource::default());
    }

    #[test]
    fn percentile_unsorted_matches_the_sorting_one() {
        for p in [0.0, 50.0, 79.0, 90.0, 99.0, 100.0] {
            let values = [3.0, 9.0, 1.0, 7.0, 9.0, 2.0];
            let mut sorted = values;
            let want = crate::metrics::percentile(&mut sorted, p);
            let mut unsorted = values;
            assert!((percentile_unsorted(&mut unsorted, p) - want).abs() < 1e-12, "p{p}");
        }
        assert_eq!(percentile_unsorted(&mut [], 99.0), 0.0);
    }
}
