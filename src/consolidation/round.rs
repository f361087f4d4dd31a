//! A consolidation round's view of the fleet: each host's VM list after the round's hypothetical removals
//! (VMs selected to leave) and additions (VMs placed), as CloudSim's allocation policy sees it between
//! `saveAllocation` and `restoreAllocation`. Nothing here touches the fleet; the simulation starts the
//! migrations the round decides.

use crate::fleet::{Fleet, HostId, VmId};
use crate::migration::MigrationConfig;
use crate::policy::overload::{HostObservation, OverloadDetector};
use crate::policy::reallocation::ranking::Ranking;
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
    /// vCPUs the host may still book (its allocation ratio: migrations respect it like placements).
    pub free_vcpus: f64,
    /// CPU use in MIPS at the last update (CloudSim's `getUtilizationOfCpuMips`): fixed for the round.
    pub utilization_mips: f64,
    /// Power at `utilization_mips`: fixed for the round.
    pub power_now_w: f64,
    /// What the listed VMs require of the scheduler (capped requests, those migrating in at 10 %).
    required_mips: f64,
    /// Nine times the 10 % reserved for each VM migrating in (CloudSim's PABFD adds it to the current use).
    incoming_extra_mips: f64,
    /// The listed VMs' sums, kept up to date as VMs are added and removed.
    aggregate: Aggregate,
    /// Each listed VM's history scaled to this host, newest first, one after another in list order (`scaled_ends[i]`
    /// ends list entry i's), so that summing the list again after a removal divides nothing.
    scaled: Vec<f64>,
    scaled_ends: Vec<usize>,
    /// For a host that is idle (no VM, no CPU use at the last update): the index of its class of identical idle
    /// hosts (same power model, capacity and free RAM). Every member of a class looks the same to placement, so
    /// placement need only examine the first member it may use. `None` once a VM is placed on it.
    pub idle_class: Option<u32>,
}

/// Sums over a host's listed VMs, in list order.
#[derive(Clone, Debug, Default)]
struct Aggregate {
    /// Capacity-weighted utilisation history, newest first, untrimmed.
    history_newest_first: Vec<f64>,
    requested_mips: f64,
    max_duration_s: f64,
    sum_duration_s: f64,
    count: usize,
}

impl Aggregate {
    fn clear(&mut self) {
        self.history_newest_first.clear();
        self.requested_mips = 0.0;
        self.max_duration_s = 0.0;
        self.sum_duration_s = 0.0;
        self.count = 0;
    }
}

pub struct Round<'a> {
    pub fleet: &'a Fleet,
    pub semantics: Semantics,
    pub migration: &'a MigrationConfig,
    pub interval_s: f64,
    /// History values a host's aggregated history keeps (CloudSim 30, Neat 100).
    pub history_length: usize,
    pub hosts: Vec<RoundHost>,
    /// Hosts not idle (see [`RoundHost::idle_class`]), in the order they became so.
    pub busy: Vec<HostId>,
    /// The members of each class of identical idle hosts, in fleet order (a member stays listed after a VM is
    /// placed on it; its `idle_class` is then `None`).
    pub idle_classes: Vec<Vec<HostId>>,
    /// Reusable buffers for placement: its candidates, and the suitable ones ranked by a score.
    pub candidates: Vec<HostId>,
    pub ranked: Ranking,
    history: Vec<f64>,
    /// Scratch for a hypothetical VM's scaled history.
    scaled_scratch: Vec<f64>,
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
            .map(|(id, host)| {
                let total = host.total_mips();
                let mut round_host = RoundHost {
                    list: host.vms.iter().chain(&host.incoming).copied().collect(),
                    free_memory_mb: host.free_memory_mb(),
                    free_vcpus: host.free_vcpus(),
                    utilization_mips: utilization_mips[id],
                    power_now_w: host.power.watts(if total > 0.0 { utilization_mips[id] / total } else { 0.0 }),
                    required_mips: 0.0,
                    incoming_extra_mips: 0.0,
                    aggregate: Aggregate::default(),
                    scaled: Vec::new(),
                    scaled_ends: Vec::new(),
                    idle_class: None,
                };
                for &vm in &host.incoming {
                    // A migration waiting for its links (pre-copy) reserves nothing yet: all of it is to come.
                    let to_come = if fleet.vm(vm).is_moving() { 1.0 - INCOMING_SHARE } else { 1.0 };
                    round_host.incoming_extra_mips += fleet.vm(vm).demand_mips() * to_come;
                }
                round_host
            })
            .collect();
        let mut round = Round {
            fleet,
            semantics,
            migration,
            interval_s,
            history_length,
            hosts,
            busy: Vec::new(),
            idle_classes: Vec::new(),
            candidates: Vec::new(),
            ranked: Ranking::default(),
            history: Vec::new(),
            scaled_scratch: Vec::new(),
        };
        for host in 0..round.hosts.len() as HostId {
            round.scale_list(host);
            round.recompute(host);
        }
        round.classify_idle_hosts();
        round
    }

    /// Groups the idle hosts into classes of identical ones; the others are busy.
    fn classify_idle_hosts(&mut self) {
        let mut classes: Vec<HostId> = Vec::new(); // a representative of each class
        for host in 0..self.hosts.len() as HostId {
            let round_host = &self.hosts[host as usize];
            let entry = self.fleet.host(host);
            if !round_host.list.is_empty() || round_host.utilization_mips != 0.0 || !entry.accepts_vms() {
                self.busy.push(host);
                continue;
            }
            let same = |other: HostId| {
                let other_entry = self.fleet.host(other);
                other_entry.power == entry.power
                    && other_entry.capacity == entry.capacity
                    && other_entry.core_mips == entry.core_mips
                    && self.hosts[other as usize].free_memory_mb == round_host.free_memory_mb
                    && self.hosts[other as usize].free_vcpus == round_host.free_vcpus
            };
            let class = match classes.iter().position(|&representative| same(representative)) {
                Some(class) => class,
                None => {
                    classes.push(host);
                    self.idle_classes.push(Vec::new());
                    classes.len() - 1
                }
            };
            self.idle_classes[class].push(host);
            self.hosts[host as usize].idle_class = Some(class as u32);
        }
    }

    /// The hosts placement must examine, in no particular order, into `into`: every busy host, and (unless
    /// `idle_excluded`) the first member of each idle class that `excluded` allows (the others would give the
    /// same answer and lose the tie).
    pub fn placement_candidates(&self, excluded: &[bool], idle_excluded: bool, into: &mut Vec<HostId>) {
        let allowed = |host: &HostId| !excluded.get(*host as usize).copied().unwrap_or(false);
        into.clear();
        into.extend(self.busy.iter().copied().filter(allowed));
        if !idle_excluded {
            for members in &self.idle_classes {
                let first = members
                    .iter()
                    .copied()
                    .find(|host| self.hosts[*host as usize].idle_class.is_some() && allowed(host));
                into.extend(first);
            }
        }
    }

    /// What the host's listed VMs require of its scheduler, summed in list order.
    fn list_required_mips(&self, host: HostId) -> f64 {
        self.hosts[host as usize].list.iter().map(|&vm| self.required_mips(host, vm)).sum()
    }

    /// What `vm` requires of `host`'s scheduler: its capped request, 10 % of it while migrating in.
    fn required_mips(&self, host: HostId, vm: VmId) -> f64 {
        let capped = self.capped_mips(host, vm);
        if self.is_incoming(host, vm) {
            capped * INCOMING_SHARE
        } else {
            capped
        }
    }

    /// The PABFD base: CPU use at the last update plus nine times each incoming VM's reservation.
    pub fn pabfd_base_mips(&self, host: HostId) -> f64 {
        let round_host = &self.hosts[host as usize];
        round_host.utilization_mips + round_host.incoming_extra_mips
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
        let required = self.hosts[host as usize].required_mips;
        if required <= total {
            total - required
        } else {
            0.0
        }
    }

    /// CloudSim's `isSuitableForVm`: the host takes VMs, a vCPU's request fits a core, the request fits the free
    /// MIPS, the RAM fits the free RAM; and (Nova's rule, which CloudSim lacks) the vCPUs fit the allocation
    /// ratio.
    pub fn is_suitable(&self, host: HostId, vm: VmId) -> bool {
        let host_entry = self.fleet.host(host);
        let entry = self.fleet.vm(vm);
        host_entry.accepts_vms()
            && entry.demand_fraction * entry.mips_per_vcpu <= host_entry.core_mips
            && self.available_mips(host) >= self.capped_mips(host, vm)
            && self.hosts[host as usize].free_memory_mb >= entry.booked_memory_mb as f64
            && self.hosts[host as usize].free_vcpus >= f64::from(entry.flavor.vcpus)
    }

    /// Adds `vm` to `host`'s list (a hypothetical placement).
    pub fn add(&mut self, host: HostId, vm: VmId) {
        let memory = self.fleet.vm(vm).booked_memory_mb as f64;
        let vcpus = f64::from(self.fleet.vm(vm).flavor.vcpus);
        let total = self.fleet.host(host).total_mips();
        let round_host = &mut self.hosts[host as usize];
        round_host.list.push(vm);
        round_host.free_memory_mb -= memory;
        round_host.free_vcpus -= vcpus;
        if round_host.idle_class.take().is_some() {
            self.busy.push(host);
        }
        // Appending adds the VM's terms after the others: the same sums as recomputing in list order.
        let mut scaled = std::mem::take(&mut self.hosts[host as usize].scaled);
        let start = scaled.len();
        self.scale_history(vm, total, &mut scaled);
        let mut aggregate = std::mem::take(&mut self.hosts[host as usize].aggregate);
        self.add_to(&mut aggregate, vm, &scaled[start..]);
        let round_host = &mut self.hosts[host as usize];
        round_host.scaled_ends.push(scaled.len());
        round_host.scaled = scaled;
        round_host.aggregate = aggregate;
        // One more term at the end of the list's sum, in list order.
        self.hosts[host as usize].required_mips += self.required_mips(host, vm);
    }

    /// Removes `vm` from `host`'s list (selected to leave, or a placement undone).
    pub fn remove(&mut self, host: HostId, vm: VmId) {
        let memory = self.fleet.vm(vm).booked_memory_mb as f64;
        let vcpus = f64::from(self.fleet.vm(vm).flavor.vcpus);
        let round_host = &mut self.hosts[host as usize];
        if let Some(position) = round_host.list.iter().position(|&listed| listed == vm) {
            round_host.list.remove(position);
            round_host.free_memory_mb += memory;
            round_host.free_vcpus += vcpus;
            let start = if position == 0 { 0 } else { round_host.scaled_ends[position - 1] };
            let end = round_host.scaled_ends.remove(position);
            round_host.scaled.drain(start..end);
            for later in &mut round_host.scaled_ends[position..] {
                *later -= end - start;
            }
            self.recompute(host);
        }
    }

    /// The host as a detector sees it now: utilisation from its listed VMs' requests, history aggregated from
    /// their histories (weighted by their capacity, aligned on the latest value), migration time of its VMs.
    pub fn observe(&mut self, host: HostId) -> HostObservation<'_> {
        self.observe_with(host, None)
    }

    /// Would `host` be overloaded with `vm` added (CloudSim's `isHostOverUtilizedAfterAllocation`)? The round
    /// is left as it was.
    pub fn overloaded_with(&mut self, host: HostId, vm: VmId, detector: &dyn OverloadDetector) -> bool {
        let observation = self.observe_with(host, Some(vm));
        detector.check(&observation)
    }

    /// The observation of `host`'s listed VMs, plus `extra` appended to the list. Starts from the host's cached
    /// aggregate, which holds the same sums in the same order (CloudSim adds VM by VM in list order), so the
    /// result is exactly what summing the whole list would give.
    fn observe_with(&mut self, host: HostId, extra: Option<VmId>) -> HostObservation<'_> {
        let fleet = self.fleet;
        let total = fleet.host(host).total_mips();
        let mut aggregate = std::mem::take(&mut self.history);
        let cached = &self.hosts[host as usize].aggregate;
        aggregate.clear();
        aggregate.extend_from_slice(&cached.history_newest_first);
        let (mut requested_mips, mut max_duration, mut sum_duration, mut count) =
            (cached.requested_mips, cached.max_duration_s, cached.sum_duration_s, cached.count);
        if let Some(vm) = extra {
            let mut scratch = Aggregate {
                history_newest_first: aggregate,
                requested_mips,
                max_duration_s: max_duration,
                sum_duration_s: sum_duration,
                count,
            };
            let mut scaled = std::mem::take(&mut self.scaled_scratch);
            scaled.clear();
            self.scale_history(vm, total, &mut scaled);
            self.add_to(&mut scratch, vm, &scaled);
            self.scaled_scratch = scaled;
            aggregate = scratch.history_newest_first;
            (requested_mips, max_duration, sum_duration, count) =
                (scratch.requested_mips, scratch.max_duration_s, scratch.sum_duration_s, scratch.count);
        }
        if self.semantics == Semantics::Cloudsim {
            // CloudSim's `MathUtil.trimZeroTail`: the oldest values that are exactly 0 are dropped.
            while aggregate.last() == Some(&0.0) {
                aggregate.pop();
            }
        }
        aggregate.reverse();
        self.history = aggregate;
        let migration_time_s = match self.semantics {
            Semantics::Cloudsim => max_duration,
            Semantics::Neat if count > 0 => sum_duration / count as f64,
            Semantics::Neat => 0.0,
        };
        let utilization = if total > 0.0 { requested_mips / total } else { 0.0 };
        HostObservation { host, utilization, history: &self.history, migration_time_s, interval_s: self.interval_s }
    }

    /// Appends `vm`'s history scaled to a host of `total` MIPS, newest first, to `into`: CloudSim's
    /// `history[i] * vm.getMips() / hostMips` (a plain loop, so that it vectorises).
    fn scale_history(&self, vm: VmId, total: f64, into: &mut Vec<f64>) {
        let entry = self.fleet.vm(vm);
        let capacity = entry.capacity_mips();
        let recent = &entry.history[entry.history.len().saturating_sub(self.history_length)..];
        if total > 0.0 {
            into.extend(recent.iter().rev().map(|value| value * capacity / total));
        } else {
            into.resize(into.len() + recent.len(), 0.0);
        }
    }

    /// Adds `vm`'s terms to an aggregate: its history `scaled` to the host (newest first), its request, its
    /// migration time.
    fn add_to(&self, aggregate: &mut Aggregate, vm: VmId, scaled: &[f64]) {
        let entry = self.fleet.vm(vm);
        aggregate.requested_mips += entry.demand_mips();
        let sums = &mut aggregate.history_newest_first;
        if sums.len() < scaled.len() {
            sums.resize(scaled.len(), 0.0);
        }
        for (sum, value) in sums.iter_mut().zip(scaled) {
            *sum += value;
        }
        let duration = self.migration.estimated_duration_of(entry);
        aggregate.max_duration_s = aggregate.max_duration_s.max(duration);
        aggregate.sum_duration_s += duration;
        aggregate.count += 1;
    }

    /// Scales every listed VM's history to `host`, from scratch.
    fn scale_list(&mut self, host: HostId) {
        let total = self.fleet.host(host).total_mips();
        let round_host = &mut self.hosts[host as usize];
        let list = std::mem::take(&mut round_host.list);
        let mut scaled = std::mem::take(&mut round_host.scaled);
        let mut ends = std::mem::take(&mut round_host.scaled_ends);
        scaled.clear();
        ends.clear();
        for &vm in &list {
            self.scale_history(vm, total, &mut scaled);
            ends.push(scaled.len());
        }
        let round_host = &mut self.hosts[host as usize];
        (round_host.list, round_host.scaled, round_host.scaled_ends) = (list, scaled, ends);
    }

    /// Rebuilds `host`'s cached aggregate and scheduler requirement from its list and their scaled histories.
    fn recompute(&mut self, host: HostId) {
        let round_host = &mut self.hosts[host as usize];
        let mut aggregate = std::mem::take(&mut round_host.aggregate);
        let scaled = std::mem::take(&mut round_host.scaled);
        aggregate.clear();
        let mut start = 0;
        for (index, &end) in self.hosts[host as usize].scaled_ends.iter().enumerate() {
            let vm = self.hosts[host as usize].list[index];
            self.add_to(&mut aggregate, vm, &scaled[start..end]);
            start = end;
        }
        let round_host = &mut self.hosts[host as usize];
        round_host.scaled = scaled;
        round_host.aggregate = aggregate;
        self.hosts[host as usize].required_mips = self.list_required_mips(host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consolidation::testing::{add_vm, fleet, g5, utilization_mips};
    use crate::policy::overload::thr::Threshold;

    /// A G5 (5320 MIPS) with a (2660 MIPS, 1740 MB, asking 0.5, history [0, 0.5, 1]) and b (1330 MIPS, 870 MB,
    /// asking 1.0, history [0.25, 0.5]); c (2660 MIPS, 613 MB, asking 0.75) not placed.
    fn fleet_with_history() -> Fleet {
        let mut fleet = fleet([g5()]);
        let a = add_vm(&mut fleet, Some(0), 1, 2660.0, 1740, 0.5);
        fleet.vm_mut(a).history = vec![0.0, 0.5, 1.0];
        let b = add_vm(&mut fleet, Some(0), 1, 1330.0, 870, 1.0);
        fleet.vm_mut(b).history = vec![0.25, 0.5];
        add_vm(&mut fleet, None, 1, 2660.0, 613, 0.75);
        fleet
    }

    #[test]
    fn a_host_is_observed_through_its_vms_requests_and_histories() {
        let fleet = fleet_with_history();
        let migration = MigrationConfig::default();
        let utilization = utilization_mips(&fleet);
        // Histories weighted by VM MIPS / host MIPS, aligned on the latest value: a × 0.5 = [0, 0.25, 0.5],
        // b × 0.25 = [0.0625, 0.125]; summed: [0, 0.3125, 0.625]. Utilisation from the requests: (1330 + 1330)
        // / 5320 = 0.5. Migration times (RAM / 62.5 MB/s): a 27.84 s, b 13.92 s.
        let mut round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
        let observation = round.observe(0);
        // CloudSim drops the oldest values that are 0 and takes the longest migration time.
        assert_eq!((observation.utilization, observation.history), (0.5, &[0.3125, 0.625][..]));
        assert!((observation.migration_time_s - 27.84).abs() < 1e-9);
        let mut round = Round::new(&fleet, Semantics::Neat, &migration, 300.0, 100, &utilization);
        let observation = round.observe(0);
        // Neat keeps the whole history and takes the mean migration time.
        assert_eq!(observation.history, &[0.0, 0.3125, 0.625][..]);
        assert!((observation.migration_time_s - 20.88).abs() < 1e-9);
    }

    #[test]
    fn overloaded_with_asks_about_a_hypothetical_host_and_leaves_the_round_alone() {
        let fleet = fleet_with_history();
        let migration = MigrationConfig::default();
        let utilization = utilization_mips(&fleet);
        let mut round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
        let thr = Threshold { threshold: 0.8 };
        // With c (1995 MIPS): (2660 + 1995) / 5320 = 0.875 > 0.8.
        assert!(round.overloaded_with(0, 2, &thr));
        assert!(!round.overloaded_with(0, 2, &Threshold { threshold: 0.9 }));
        assert_eq!(round.observe(0).utilization, 0.5);
        assert_eq!(round.available_mips(0), 5320.0 - 2660.0);
        // Placing c for real gives the same observation; removing it restores the host.
        round.add(0, 2);
        let observation = round.observe(0);
        assert_eq!(observation.utilization, 0.875);
        // c's history [0.75] weighs 0.5: the latest value becomes 0.625 + 0.375 = 1.0.
        assert_eq!(observation.history, &[0.3125, 1.0][..]);
        assert_eq!(round.available_mips(0), 5320.0 - 2660.0 - 1995.0);
        round.remove(0, 2);
        assert_eq!((round.observe(0).utilization, round.observe(0).history.len()), (0.5, 2));
        assert_eq!(round.hosts[0].free_memory_mb, 4096.0 - 1740.0 - 870.0);
    }
}
