//! Oversubscription estimation inside a run: every monitoring tick adds each present host's CPU and memory use
//! (and, for strategies that read them, each running VM's) to the occurrence being collected; when a tick
//! falls into a new occurrence, the last one ends: it joins its slice position's window, the strategy gives
//! each host its thresholds, the host's allocatable capacity becomes its booking plus the free capacity that
//! follows, and the oversubscription ledger records the occurrence. Static ratios never change what hosts may
//! book, but their occurrences are recorded too, so that every strategy gets the same figures.

use crate::fleet::{Allocatable, Capacity, HostId, VmId, VmStatus};
use crate::metrics::oversubscription::{percentile_unsorted, HostAccuracy, OccurrenceOutcome, OversubscriptionLedger};
use crate::policy::oversubscription::window::{Occurrence, Window};
use crate::policy::oversubscription::{
    free_capacity, HostObservation, OversubscriptionConfig, OversubscriptionStrategy, PerResource, VmObservation,
};
use crate::simulation::Simulation;

/// A host's or a VM's windows, one per slice position, and the occurrence being collected.
#[derive(Clone, Debug)]
struct Windows {
    collecting: Occurrence,
    by_slice: Vec<Window>,
}

impl Windows {
    fn new(slices: usize, length: usize) -> Windows {
        Windows { collecting: Occurrence::default(), by_slice: vec![Window::new(length); slices] }
    }
}

#[derive(Clone, Debug)]
struct HostEstimate {
    windows: Windows,
    /// The free capacity each slice position's last estimate offered.
    free_by_slice: Vec<Option<PerResource>>,
    accuracy: HostAccuracy,
}

pub(super) struct Estimation {
    strategy: Box<dyn OversubscriptionStrategy>,
    dynamic: bool,
    occurrence_ms: i64,
    slices: usize,
    length: usize,
    /// The occurrence being collected, once a tick has run.
    current: Option<i64>,
    hosts: Vec<HostEstimate>,
    /// Per-VM windows, for strategies that read them.
    vms: Option<Vec<Option<Windows>>>,
    scratch: Vec<f64>,
    pub(super) ledger: OversubscriptionLedger,
}

impl Estimation {
    pub(super) fn new(config: &OversubscriptionConfig, vm_count: usize) -> Estimation {
        let window = config.window();
        let strategy = config.build();
        let vms = strategy.needs_vm_windows().then(|| vec![None; vm_count]);
        Estimation {
            strategy,
            dynamic: config.is_dynamic(),
            occurrence_ms: (window.occurrence_s() as i64 * 1000).max(1),
            slices: window.slices.max(1) as usize,
            length: window.length(),
            current: None,
            hosts: Vec::new(),
            vms,
            scratch: Vec::new(),
            ledger: OversubscriptionLedger::default(),
        }
    }

    pub(super) fn add_host(&mut self) {
        self.hosts.push(HostEstimate {
            windows: Windows::new(self.slices, self.length),
            free_by_slice: vec![None; self.slices],
            accuracy: HostAccuracy::default(),
        });
    }
}

/// What a host may book: its booking plus the free capacity (disk at 1:1: ScroogeVM estimates CPU and memory).
fn allocatable(capacity: &Capacity, booked: PerResource, free: PerResource) -> Allocatable {
    Allocatable {
        vcpus: booked.cpu + free.cpu,
        memory_mb: booked.memory + free.memory,
        disk_gb: capacity.disk_gb as f64,
    }
}

impl Simulation<'_> {
    /// Called at each tick after demand is sampled: ends the previous occurrence if this tick starts a new one,
    /// then records the tick's samples.
    pub(super) fn observe_for_oversubscription(&mut self) {
        let occurrence = self.now.as_ms().div_euclid(self.estimation.occurrence_ms);
        if self.estimation.current.is_some_and(|current| current != occurrence) {
            let ended = self.estimation.current.unwrap_or(occurrence);
            self.end_occurrence(ended.rem_euclid(self.estimation.slices as i64) as usize);
        }
        self.estimation.current = Some(occurrence);
        let estimation = &mut self.estimation;
        for (host, estimate) in self.fleet.hosts.iter().zip(&mut estimation.hosts) {
            if !host.present {
                continue;
            }
            let cores = host.demand_mips.min(host.total_mips()) / host.core_mips.max(f64::MIN_POSITIVE);
            let memory = host.memory_demand_mb.min(host.capacity.memory_mb as f64);
            estimate.windows.collecting.push(PerResource { cpu: cores, memory });
            let Some(vm_windows) = estimation.vms.as_mut() else { continue };
            for &vm in &host.vms {
                let entry = &self.fleet.vms[vm as usize];
                if entry.status != VmStatus::Running {
                    continue;
                }
                let windows =
                    vm_windows[vm as usize].get_or_insert_with(|| Windows::new(estimation.slices, estimation.length));
                let sample = PerResource { cpu: entry.demand_fraction.min(1.0), memory: entry.memory_demand_mb() };
                windows.collecting.push(sample);
            }
        }
    }

    /// Ends the occurrence of slice position `slice` for every host (and VM) that has samples in it.
    fn end_occurrence(&mut self, slice: usize) {
        let estimation = &mut self.estimation;
        if let Some(vm_windows) = estimation.vms.as_mut() {
            for host in &self.fleet.hosts {
                for &vm in &host.vms {
                    if let Some(windows) =
                        vm_windows[vm as usize].as_mut().filter(|windows| !windows.collecting.is_empty())
                    {
                        windows.by_slice[slice].push(&mut windows.collecting);
                    }
                }
            }
        }
        for id in 0..self.fleet.hosts.len() {
            let estimate = &mut estimation.hosts[id];
            if estimate.windows.collecting.is_empty() {
                continue;
            }
            let host = &self.fleet.hosts[id];
            let config = PerResource { cpu: f64::from(host.capacity.vcpus), memory: host.capacity.memory_mb as f64 };
            let booked = PerResource { cpu: host.booked.vcpus as f64, memory: host.booked.memory_mb as f64 };
            estimation.scratch.clear();
            estimation.scratch.extend_from_slice(&estimate.windows.collecting.cpu);
            let p99_cpu = percentile_unsorted(&mut estimation.scratch, 99.0);
            estimate.windows.collecting.booked = booked;
            if estimation.dynamic {
                estimate.windows.by_slice[slice].push(&mut estimate.windows.collecting);
            } else {
                // Static ratios read no window: the occurrence only feeds the ledger.
                estimate.windows.collecting.clear();
            }

            let free = if estimation.dynamic {
                let vms: Vec<VmObservation> = match &estimation.vms {
                    Some(vm_windows) => host
                        .vms
                        .iter()
                        .chain(&host.incoming)
                        .map(|&vm: &VmId| {
                            let entry = &self.fleet.vms[vm as usize];
                            VmObservation {
                                vcpus: f64::from(entry.flavor.vcpus),
                                memory_mb: entry.booked_memory_mb as f64,
                                window: vm_windows[vm as usize].as_ref().map(|windows| &windows.by_slice[slice]),
                            }
                        })
                        .collect(),
                    None => Vec::new(),
                };
                let observation = HostObservation {
                    host: id as HostId,
                    slice,
                    config,
                    window: &estimate.windows.by_slice[slice],
                    vms: &vms,
                };
                let thresholds = estimation.strategy.thresholds(&observation);
                estimate.free_by_slice[slice] = Some(free_capacity(config, thresholds));
                // With several slices the host offers the least of their estimates (ScroogeVM's online mode).
                let free = estimate.free_by_slice.iter().flatten().fold(
                    PerResource { cpu: f64::INFINITY, memory: f64::INFINITY },
                    |least, free| PerResource { cpu: least.cpu.min(free.cpu), memory: least.memory.min(free.memory) },
                );
                let host = &mut self.fleet.hosts[id];
                host.allocatable = allocatable(&host.capacity, booked, free);
                free
            } else {
                let allocatable = &host.allocatable;
                PerResource {
                    cpu: (allocatable.vcpus - booked.cpu).max(0.0),
                    memory: (allocatable.memory_mb - booked.memory).max(0.0),
                }
            };
            estimation.ledger.record(&mut estimate.accuracy, &OccurrenceOutcome { config, booked, free, p99_cpu });
        }
    }

    /// Drops a VM's windows when it leaves its host for good (departed, shelved, evicted): a VM that comes back
    /// starts a new history, as ScroogeVM sees a new VM.
    pub(super) fn forget_vm_windows(&mut self, vm: VmId) {
        if let Some(vm_windows) = self.estimation.vms.as_mut() {
            vm_windows[vm as usize] = None;
        }
    }

    /// What a host whose capacity just changed may book: static ratios of the new capacity, or, for dynamic
    /// strategies, 1:1 from its booking until its next estimate (as ScroogeVM starts).
    pub(super) fn reset_allocatable(&mut self, host: HostId) {
        let entry = self.fleet.host_mut(host);
        let config = &self.scenario.oversubscription;
        entry.allocatable = if config.is_dynamic() {
            let capacity =
                PerResource { cpu: f64::from(entry.capacity.vcpus), memory: entry.capacity.memory_mb as f64 };
            let booked = PerResource { cpu: entry.booked.vcpus as f64, memory: entry.booked.memory_mb as f64 };
            allocatable(&entry.capacity, booked, free_capacity(capacity, booked))
        } else {
            config.initial_allocatable(&entry.capacity)
        };
        if let Some(estimate) = self.estimation.hosts.get_mut(host as usize) {
            estimate.free_by_slice.iter_mut().for_each(|free| *free = None);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::simulation::run;
    use crate::simulation::test_support::{scenario, workload, CREATE, DELETE};
    use crate::usage::DemandModel;

    /// One 8-core, 8192 MB host; each VM runs at a quarter of its vCPUs and RAM. vm0 (8 vCPUs, 4096 MB) arrives
    /// at 0 s, vm1 and vm2 (4 vCPUs, 4096 MB each) at 900 s and 2000 s; all leave at 3000 s.
    fn outcome(oversubscription: &str) -> crate::metrics::RunMetrics {
        let scenario = scenario(&format!(
            r#"
[trace]
instances = "unused.csv"
[hosts]
types = [{{ name = "h", count = 1, vcpus = 8, memory_mb = 8192, disk_gb = 100 }}]
[oversubscription]
{oversubscription}
[usage]
kind = "constant"
fraction = 0.25
memory_fraction = 0.25
"#
        ));
        let rows = [(0, CREATE, 0), (1, CREATE, 900), (2, CREATE, 2000), (0, DELETE, 3000), (2, DELETE, 3000)];
        let workload = workload(&[(8, 1000.0, 4096), (4, 1000.0, 4096), (4, 1000.0, 4096)], &rows);
        let demand = DemandModel::new(&scenario.usage, 3, 1, None).unwrap();
        run(&workload, &scenario, demand, 1, &|_| {}).metrics
    }

    #[test]
    fn an_estimate_opens_room_that_static_ratios_do_not() {
        // 1:1 until the first occurrence ends (1800 s): vm1 (8 + 4 > 8 vCPUs) is rejected. nsigma sees a flat
        // use of 2 cores and 1024 MB (std 0): free 6 cores and 7168 MB, so the host may book 8 + 6 = 14 vCPUs
        // and 4096 + 7168 MB: vm2 fits at 2000 s.
        let metrics = outcome("kind = \"nsigma\"");
        assert_eq!((metrics.counters.vms_placed, metrics.counters.vms_rejected), (2, 1));
        // One occurrence ended with VMs booked: (8 + 6) / 8 = 1.75; memory (4096 + 7168) / 8192 = 1.375.
        assert_eq!(metrics.oversubscription.ratio_mean, 1.75);
        assert_eq!(metrics.oversubscription.ratio_p95, 1.75);
        assert_eq!(metrics.oversubscription.memory_ratio_mean, 1.375);

        let metrics = outcome("kind = \"static\"\ncpu_allocation_ratio = 1.0\nram_allocation_ratio = 1.0");
        assert_eq!((metrics.counters.vms_placed, metrics.counters.vms_rejected), (1, 2));
        assert_eq!(metrics.oversubscription.ratio_mean, 1.0);
    }
}
