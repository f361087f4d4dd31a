//! Nova's filter scheduler, as `nova.scheduler.filter_scheduler` runs it with the default filters and weighers
//! that matter for capacity: RamFilter, CoreFilter and DiskFilter (booked + request within capacity times the
//! allocation ratio, applied by [`Fleet::fits_vm`]), then the RAM and CPU weighers.
//!
//! Each weigher's raw value (free RAM MB, free vCPUs) is normalised over the candidate hosts to [0, 1] by
//! min-max, as Nova's `normalize` does (all equal: 0), multiplied by its multiplier and summed. The highest
//! weight wins. Positive multipliers spread VMs (most free first), negative ones stack them. Nova shuffles
//! among the best `host_subset_size` (default 1) hosts; fleetsim breaks exact ties by fleet order so that runs
//! are deterministic.

use crate::fleet::{Fleet, HostId, VmId};
use crate::policy::placement::{candidate_hosts, Placement};

pub struct FilterScheduler {
    pub ram_weight_multiplier: f64,
    pub cpu_weight_multiplier: f64,
}

impl Placement for FilterScheduler {
    fn choose_host(&self, fleet: &Fleet, vm: VmId, exclude: Option<HostId>) -> Option<HostId> {
        // One pass to collect candidates and the weighers' ranges, one to weigh them.
        let mut candidates: Vec<(HostId, f64, f64)> = Vec::new();
        let (mut ram_range, mut cpu_range) = (Range::default(), Range::default());
        for host in candidate_hosts(fleet, vm, exclude) {
            let entry = fleet.host(host);
            let (free_ram, free_cpu) = (entry.free_memory_mb(), entry.free_vcpus());
            ram_range.include(free_ram);
            cpu_range.include(free_cpu);
            candidates.push((host, free_ram, free_cpu));
        }
        let mut best: Option<(HostId, f64)> = None;
        for (host, free_ram, free_cpu) in candidates {
            let weight = self.ram_weight_multiplier * ram_range.normalise(free_ram)
                + self.cpu_weight_multiplier * cpu_range.normalise(free_cpu);
            if best.is_none_or(|(_, best_weight)| weight > best_weight) {
                best = Some((host, weight));
            }
        }
        best.map(|(host, _)| host)
    }
}

/// Min and max of a weigher's raw values over the candidates.
#[derive(Clone, Copy)]
struct Range {
    min: f64,
    max: f64,
}

impl Default for Range {
    fn default() -> Self {
        Range { min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl Range {
    fn include(&mut self, value: f64) {
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    fn normalise(&self, value: f64) -> f64 {
        if self.max > self.min {
            (value - self.min) / (self.max - self.min)
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::placement::test_fleet::fleet;

    fn scheduler(ram: f64, cpu: f64) -> FilterScheduler {
        FilterScheduler { ram_weight_multiplier: ram, cpu_weight_multiplier: cpu }
    }

    #[test]
    fn spreads_with_positive_and_stacks_with_negative_multipliers() {
        let mut fleet = fleet(&[(8, 8192), (8, 8192), (8, 8192)], 3);
        fleet.book(0, 1);
        let vm = 1;
        // Host 1 has 1 vCPU and 1024 MB less free: spreading avoids it, stacking prefers it.
        assert_eq!(scheduler(1.0, 1.0).choose_host(&fleet, vm, None), Some(0));
        assert_eq!(scheduler(-1.0, -1.0).choose_host(&fleet, vm, None), Some(1));
        // Exactly equal weights go to fleet order.
        assert_eq!(scheduler(0.0, 0.0).choose_host(&fleet, vm, None), Some(0));
    }

    #[test]
    fn weighers_are_normalised_and_summed() {
        // h0: most free RAM (16384) but fewest free vCPUs (2); h1: 8192 MB, 16 vCPUs.
        // RAM weight 1, CPU weight 2: h0 = 1*1 + 2*0 = 1, h1 = 1*0 + 2*1 = 2 -> h1.
        let fleet = fleet(&[(2, 16384), (16, 8192)], 1);
        assert_eq!(scheduler(1.0, 2.0).choose_host(&fleet, 0, None), Some(1));
        assert_eq!(scheduler(3.0, 2.0).choose_host(&fleet, 0, None), Some(0));
    }

    #[test]
    fn no_valid_host_when_nothing_fits() {
        let fleet = fleet(&[(1, 512)], 1);
        assert_eq!(scheduler(1.0, 1.0).choose_host(&fleet, 0, None), None);
    }
}
