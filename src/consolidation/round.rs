//! A consolidation round's view of the fleet: each host's VM list after the round's hypothetical removals
//! (VMs selected to leave) and additions (VMs placed), as CloudSim's allocation policy sees it between
//! `saveAllocation` and `restoreAllocation`. Nothing here touches the fleet; the simulation starts the
//! migrations the round decides.

use crate::fleet::{Fleet, HostId, VmId};
use crate::migration::MigrationConfig;
use crate::policy::overload::{HostObservation, OverloadDetector};
use crate::policy::Semantics;

/// Fraction of a migrating VM's request that its target reserves while it moves in (CloudSim).
pub const INCOMING_SHARE: f64 = 0.1;

/// One host in the round.
#[derive(Clone, Debug)]
pub struct RoundHost {
    /// CloudSim's VM list: VMs running here (including those migrating away), then those migrating in, then the
    /// round's hypothetical additions.
    pub list: Vec<VmId>,
    pub free_memory_mb: f64,
    /// CPU use in MIPS at the last update (CloudSim's `getUtilizationOfCpuMips`): fixed for the round.
    pub utilization_mips: f64,
}

pub struct Round<'a> {
    pub fleet: &'a Fleet,
    pub semantics: Semantics,
    pub migration: &'a MigrationConfig,
    pub interval_s: f64,
    /// History values a host's aggregated history keeps (CloudSim 30, Neat 100).
    pub history_length: usize,
    pub hosts: Vec<RoundHost>,
    history: Vec<f64>,
}

impl<'a> Round<'a> {
    pub fn new(
        fleet: &'a Fleet,
        semantics: Semantics,
        migration: &'a MigrationConfig,
        interval_s: f64,
        history_length: usize,
        utilization_mips: &[f64],
    ) -> Round<'a> {
        let hosts = fleet
            .hosts
            .iter()
            .enumerate()
            .map(|(id, host)| RoundHost {
                list: host.vms.iter().chain(&host.incoming).copied().collect(),
                free_memory_mb: host.free_memory_mb(),
                utilization_mips: utilization_mips[id],
            })
            .collect();
        Round { fleet, semantics, migration, interval_s, history_length, hosts, history: Vec::new() }
    }

    /// Is `vm` migrating into `host` (a real migration, started before this round)?
    pub fn is_incoming(&self, host: HostId, vm: VmId) -> bool {
        self.fleet.vm(vm).migration.is_some_and(|migration| migration.target == host)
    }

    /// What the VM asks for now, in MIPS (uncapped).
    pub fn requested_mips(&self, vm: VmId) -> f64 {
        self.fleet.vm(vm).demand_mips()
    }

    /// The request as the host's scheduler grants it: each vCPU capped at the host's core speed.
    fn capped_mips(&self, host: HostId, vm: VmId) -> f64 {
        let entry = self.fleet.vm(vm);
        let per_vcpu = (entry.demand_fraction * entry.mips_per_vcpu).min(self.fleet.host(host).core_mips);
        per_vcpu * f64::from(entry.flavor.vcpus)
    }

    /// CloudSim's free MIPS: capacity minus what the listed VMs require (those migrating in at 10 %), or 0 once
    /// they require more than the capacity.
    pub fn available_mips(&self, host: HostId) -> f64 {
        let total = self.fleet.host(host).total_mips();
        let required: f64 = self.hosts[host as usize]
            .list
            .iter()
            .map(|&vm| {
                let capped = self.capped_mips(host, vm);
                if self.is_incoming(host, vm) {
                    capped * INCOMING_SHARE
                } else {
                    capped
                }
            })
            .sum();
        if required <= total {
            total - required
        } else {
            0.0
        }
    }

    /// CloudSim's `isSuitableForVm`: the host takes VMs, a vCPU's request fits a core, the request fits the free
    /// MIPS, the RAM fits the free RAM.
    pub fn is_suitable(&self, host: HostId, vm: VmId) -> bool {
        let host_entry = self.fleet.host(host);
        let entry = self.fleet.vm(vm);
        host_entry.accepts_vms()
            && entry.demand_fraction * entry.mips_per_vcpu <= host_entry.core_mips
            && self.available_mips(host) >= self.capped_mips(host, vm)
            && self.hosts[host as usize].free_memory_mb >= entry.flavor.memory_mb as f64
    }

    /// Adds `vm` to `host`'s list (a hypothetical placement).
    pub fn add(&mut self, host: HostId, vm: VmId) {
        let memory = self.fleet.vm(vm).flavor.memory_mb as f64;
        let round_host = &mut self.hosts[host as usize];
        round_host.list.push(vm);
        round_host.free_memory_mb -= memory;
    }

    /// Removes `vm` from `host`'s list (selected to leave, or a placement undone).
    pub fn remove(&mut self, host: HostId, vm: VmId) {
        let memory = self.fleet.vm(vm).flavor.memory_mb as f64;
        let round_host = &mut self.hosts[host as usize];
        if let Some(position) = round_host.list.iter().position(|&listed| listed == vm) {
            round_host.list.remove(position);
            round_host.free_memory_mb += memory;
        }
    }

    /// The host as a detector sees it now: utilisation from its listed VMs' requests, history aggregated from
    /// their histories (weighted by their capacity, aligned on the latest value), migration time of its VMs.
    pub fn observe(&mut self, host: HostId) -> HostObservation<'_> {
        let fleet = self.fleet;
        let host_entry = fleet.host(host);
        let total = host_entry.total_mips();
        let list = &self.hosts[host as usize].list;
        self.history.clear();
        let mut utilization = 0.0;
        let (mut max_duration, mut sum_duration) = (0.0f64, 0.0);
        for &vm in list {
            let entry = fleet.vm(vm);
            let weight = if total > 0.0 { entry.capacity_mips() / total } else { 0.0 };
            utilization += entry.demand_mips() / total.max(f64::MIN_POSITIVE);
            let recent = &entry.history[entry.history.len().saturating_sub(self.history_length)..];
            // Aligned on the latest value: `history` is built newest first, reversed below.
            for (age, value) in recent.iter().rev().enumerate() {
                if age == self.history.len() {
                    self.history.push(0.0);
                }
                self.history[age] += value * weight;
            }
            let duration = self.migration.duration_s(entry.flavor.memory_mb);
            max_duration = max_duration.max(duration);
            sum_duration += duration;
        }
        if self.semantics == Semantics::Cloudsim {
            // CloudSim's `MathUtil.trimZeroTail`: the oldest values that are exactly 0 are dropped.
            while self.history.last() == Some(&0.0) {
                self.history.pop();
            }
        }
        self.history.reverse();
        let migration_time_s = match self.semantics {
            Semantics::Cloudsim => max_duration,
            Semantics::Neat if !list.is_empty() => sum_duration / list.len() as f64,
            Semantics::Neat => 0.0,
        };
        HostObservation { host, utilization, history: &self.history, migration_time_s, interval_s: self.interval_s }
    }

    /// Would `host` be overloaded with `vm` added (CloudSim's `isHostOverUtilizedAfterAllocation`)? The round
    /// is left as it was.
    pub fn overloaded_with(&mut self, host: HostId, vm: VmId, detector: &dyn OverloadDetector) -> bool {
        self.hosts[host as usize].list.push(vm);
        let overloaded = {
            let observation = self.observe(host);
            detector.check(&observation)
        };
        self.hosts[host as usize].list.pop();
        overloaded
    }
}
