//! A consolidation round's view of the fleet: each host's VM list after the round's hypothetical removals
//! (VMs selected to leave) and additions (VMs placed), as CloudSim's allocation policy sees it between
//! `saveAllocation` and `restoreAllocation`. Nothing here touches the fleet; the simulation starts the
//! migrations the round decides.

use crate::consolidation::free_mips;
use crate::fleet::{Fleet, Host, HostId, VmId};
use crate::migration::MigrationConfig;
use crate::policy::overload::{HostObservation, OverloadDetector, MODERATE_HISTORY};
use crate::policy::reallocation::ranking::Ranking;
use crate::policy::Semantics;

/// Fraction of a migrating VM's request that its target reserves while it moves in (CloudSim).
pub const INCOMING_SHARE: f64 = 0.1;

/// One host in the round.
#[derive(Clone, Debug, Default)]
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
    /// Nine times the 10 % reserved for each VM migrating in (CloudSim's PABFD adds it to the current use).
    incoming_extra_mips: f64,
    /// How many entries at the head of `list` come from the fleet; the round's additions follow them.
    fleet_listed: usize,
    /// What the host's scheduler has allocated (see [`Round::allocated_mips`]).
    allocated_mips: f64,
    /// CloudSim's free MIPS, in its scheduler's order of operations ([`free_mips`]); when `free_mips_rebuilt`,
    /// the scheduler has re-allocated the listed VMs in its map's order since, and they must be computed so.
    free_mips: f64,
    free_mips_rebuilt: bool,
    /// The most VMs the host's CloudSim scheduler map has held, over every round so far (kept when the round
    /// host is reused): its capacity, hence its order.
    peak_listed: usize,
    /// What each entry of `list` adds to the host's sums, in list order.
    terms: Vec<Terms>,
    /// The listed VMs' histories scaled to this host, oldest first, one after another; `terms` say where each
    /// is. A removed VM's values stay here unused (the round is short-lived), so a removal moves no history.
    scaled: Vec<f64>,
    /// The listed VMs' sums of scalars, in list order: always up to date.
    totals: Totals,
    /// The listed VMs' summed history: brought up to date only when a detector reads it.
    history: HistorySums,
    /// Whether every listed VM's history is moderate on this host (see [`Round::is_moderate`]), once known.
    moderate: Option<bool>,
    /// For a host that is idle (no VM, no CPU use at the last update): the index of its class of identical idle
    /// hosts (same power model, capacity and free RAM). Every member of a class looks the same to placement, so
    /// placement need only examine the first member it may use. `None` once a VM is placed on it.
    pub idle_class: Option<u32>,
}

/// One listed VM's terms in its host's sums, computed once when it is listed (the fleet does not change during
/// the round).
#[derive(Clone, Copy, Debug)]
struct Terms {
    /// What the VM asks for now (uncapped).
    requested_mips: f64,
    /// What it requires of the host's scheduler: its capped request, 10 % of it while migrating in.
    required_mips: f64,
    /// Its estimated migration time.
    duration_s: f64,
    /// Where its scaled history is in the host's `scaled`.
    scaled_start: usize,
    scaled_len: usize,
}

/// Sums of scalars over a host's listed VMs, each a left fold in list order (CloudSim's order).
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    requested_mips: f64,
    /// What the listed VMs require of the scheduler (capped requests, those migrating in at 10 %).
    required_mips: f64,
    max_duration_s: f64,
    sum_duration_s: f64,
    count: usize,
}

impl Totals {
    /// The totals of `terms`, from scratch.
    fn of(terms: &[Terms]) -> Totals {
        let mut totals = Totals::default();
        for term in terms {
            totals.count(term.requested_mips, term.duration_s);
        }
        // The scheduler's sum as CloudSim's list sum (`Iterator::sum`, from the same neutral element).
        totals.required_mips = terms.iter().map(|term| term.required_mips).sum();
        totals
    }

    /// One more VM's request and migration time (all but the scheduler's sum).
    fn count(&mut self, requested_mips: f64, duration_s: f64) {
        self.requested_mips += requested_mips;
        self.max_duration_s = self.max_duration_s.max(duration_s);
        self.sum_duration_s += duration_s;
        self.count += 1;
    }

    /// One more VM at the end of the list: the same sums as folding the whole list again.
    fn add(&mut self, term: &Terms) {
        self.count(term.requested_mips, term.duration_s);
        self.required_mips += term.required_mips;
    }
}

/// A host's summed history: capacity-weighted utilisation, oldest first, right-aligned in `values` (the
/// round's history length): the newest sum is last, and slots older than the longest listed history are 0 and
/// not part of it. Each slot is a left fold in list order starting from 0, as CloudSim sums VM by VM.
#[derive(Clone, Debug, Default)]
struct HistorySums {
    values: Vec<f64>,
    /// How many of the newest slots are in use (the longest listed history).
    len: usize,
    /// A VM has been removed since the sums were made: they must be summed again before they are read.
    stale: bool,
}

impl HistorySums {
    /// Adds one history, oldest first, aligned on the newest value.
    fn add(&mut self, scaled: &[f64]) {
        let end = self.values.len();
        for (sum, value) in self.values[end - scaled.len()..].iter_mut().zip(scaled) {
            *sum += value;
        }
        self.len = self.len.max(scaled.len());
    }

    /// No history summed, in `length` slots.
    fn clear(&mut self, length: usize) {
        // Slots beyond `len` are 0 already unless a removal left them stale.
        if self.len > 0 || self.stale || self.values.len() != length {
            self.values.clear();
            self.values.resize(length, 0.0);
        }
        self.len = 0;
        self.stale = false;
    }

    /// The sums over `terms`, from scratch.
    fn refold(&mut self, terms: &[Terms], scaled: &[f64]) {
        self.values.fill(0.0);
        self.len = 0;
        for term in terms {
            self.add(&scaled[term.scaled_start..term.scaled_start + term.scaled_len]);
        }
        self.stale = false;
    }

    /// The history a detector sees, oldest first: the slots in use, less (in CloudSim semantics) the oldest
    /// values that are exactly 0 (CloudSim's `MathUtil.trimZeroTail`).
    fn observed(values: &[f64], len: usize, semantics: Semantics) -> &[f64] {
        let mut history = &values[values.len() - len..];
        if semantics == Semantics::Cloudsim {
            let kept = history.iter().position(|&value| value != 0.0).unwrap_or(history.len());
            history = &history[kept..];
        }
        history
    }
}

/// One VM as [`Round::is_suitable`] tests it.
#[derive(Clone, Copy, Debug)]
pub struct Fit {
    /// A vCPU's request, in MIPS.
    per_vcpu_mips: f64,
    vcpus: f64,
    memory_mb: f64,
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
    /// Reusable buffers for placement: its candidates, the suitable ones with their scores, and those ranked.
    pub candidates: Vec<HostId>,
    pub scored: Vec<(f64, HostId)>,
    pub ranked: Ranking,
    /// Scratch for a hypothetical host's history (a VM added).
    extra_history: Vec<f64>,
    /// For each VM, whether its recent history is moderate (finite values up to 1e100), once known.
    moderate_histories: Vec<Option<bool>>,
}

impl RoundHost {
    /// The most VMs the host's CloudSim scheduler map has held (see [`free_mips`]).
    pub fn peak_listed(&self) -> usize {
        self.peak_listed
    }
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
        Round::reusing(Vec::new(), fleet, semantics, migration, interval_s, history_length, utilization_mips)
    }

    /// [`Round::new`], reusing the buffers of an earlier round's hosts (see [`Round::into_hosts`]): a round is
    /// built at every monitoring tick for every host, so allocating them anew would cost more than filling them.
    pub fn reusing(
        mut hosts: Vec<RoundHost>,
        fleet: &'a Fleet,
        semantics: Semantics,
        migration: &'a MigrationConfig,
        interval_s: f64,
        history_length: usize,
        utilization_mips: &[f64],
    ) -> Round<'a> {
        hosts.resize_with(fleet.hosts.len(), RoundHost::default);
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
            scored: Vec::new(),
            ranked: Ranking::default(),
            extra_history: Vec::new(),
            moderate_histories: vec![None; fleet.vms.len()],
        };
        for host in 0..fleet.hosts.len() as HostId {
            round.list_host(host, utilization_mips[host as usize]);
        }
        round.classify_idle_hosts();
        round
    }

    /// The hosts, for the next round to reuse.
    pub fn into_hosts(self) -> Vec<RoundHost> {
        self.hosts
    }

    /// Sets up `host` as the fleet has it: its VM list, their terms and histories, its sums.
    fn list_host(&mut self, host: HostId, utilization_mips: f64) {
        let fleet = self.fleet;
        let entry = fleet.host(host);
        self.list_vms(host);
        let round_host = &mut self.hosts[host as usize];
        round_host.free_memory_mb = entry.free_memory_mb();
        round_host.free_vcpus = entry.free_vcpus();
        round_host.utilization_mips = utilization_mips;
        // An idle host's power is its class's, computed once per class (see `classify_idle_hosts`).
        round_host.power_now_w = if Self::may_be_idle(&round_host.list, utilization_mips, entry) {
            f64::NAN
        } else {
            Self::power_at(entry, utilization_mips)
        };
        round_host.incoming_extra_mips = 0.0;
        for &vm in &entry.incoming {
            // A migration waiting for its links (pre-copy) reserves nothing yet: all of it is to come.
            let to_come = if fleet.vm(vm).is_moving() { 1.0 - INCOMING_SHARE } else { 1.0 };
            round_host.incoming_extra_mips += fleet.vm(vm).demand_mips() * to_come;
        }
        round_host.fleet_listed = round_host.list.len();
        round_host.allocated_mips = round_host.utilization_mips + round_host.incoming_extra_mips;
        // The update allocated the listed VMs in list order; a removal since has the scheduler start again.
        round_host.free_mips = round_host
            .terms
            .iter()
            .fold(entry.total_mips(), |free, term| free_mips::allocate(free, term.required_mips));
        round_host.free_mips_rebuilt = entry.scheduler_rebuilt;
        round_host.peak_listed = round_host.peak_listed.max(entry.most_listed);
        round_host.moderate = None;
        round_host.idle_class = None;
    }

    /// Lists `host`'s VMs as the fleet has them (running, then migrating in), with their terms and sums.
    fn list_vms(&mut self, host: HostId) {
        let entry = self.fleet.host(host);
        let round_host = &mut self.hosts[host as usize];
        if entry.vms.is_empty() && entry.incoming.is_empty() {
            // Most of a consolidated fleet: nothing to list or sum.
            round_host.list.clear();
            round_host.terms.clear();
            round_host.scaled.clear();
            round_host.totals = Totals::of(&[]);
            round_host.history.clear(self.history_length);
            return;
        }
        let mut list = std::mem::take(&mut round_host.list);
        let mut terms = std::mem::take(&mut round_host.terms);
        let mut scaled = std::mem::take(&mut round_host.scaled);
        list.clear();
        list.extend(entry.vms.iter().chain(&entry.incoming));
        terms.clear();
        scaled.clear();
        for &vm in &list {
            terms.push(self.terms(host, vm, &mut scaled));
        }
        let round_host = &mut self.hosts[host as usize];
        round_host.totals = Totals::of(&terms);
        round_host.history.values.resize(self.history_length, 0.0);
        round_host.history.refold(&terms, &scaled);
        (round_host.list, round_host.terms, round_host.scaled) = (list, terms, scaled);
    }

    /// Is a host idle (see [`RoundHost::idle_class`]): no VM listed, no CPU use at the last update, taking VMs?
    fn may_be_idle(list: &[VmId], utilization_mips: f64, entry: &Host) -> bool {
        list.is_empty() && utilization_mips == 0.0 && entry.accepts_vms()
    }

    /// The host's power at `utilization_mips`.
    fn power_at(entry: &Host, utilization_mips: f64) -> f64 {
        let total = entry.total_mips();
        entry.power.watts(if total > 0.0 { utilization_mips / total } else { 0.0 })
    }

    /// `vm`'s terms in `host`'s sums, its history scaled to the host appended to `scaled`.
    fn terms(&self, host: HostId, vm: VmId, scaled: &mut Vec<f64>) -> Terms {
        let entry = self.fleet.vm(vm);
        let scaled_start = scaled.len();
        self.scale_history(vm, self.fleet.host(host).total_mips(), scaled);
        Terms {
            requested_mips: entry.demand_mips(),
            required_mips: self.required_mips(host, vm),
            duration_s: self.migration.estimated_duration_of(entry),
            scaled_start,
            scaled_len: scaled.len() - scaled_start,
        }
    }

    /// Groups the idle hosts into classes of identical ones; the others are busy.
    fn classify_idle_hosts(&mut self) {
        let mut classes: Vec<HostId> = Vec::new(); // a representative of each class
        for host in 0..self.hosts.len() as HostId {
            let round_host = &self.hosts[host as usize];
            let entry = self.fleet.host(host);
            if !Self::may_be_idle(&round_host.list, round_host.utilization_mips, entry) {
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
            let (class, representative) = match classes.iter().position(|&representative| same(representative)) {
                Some(class) => (class, Some(&self.hosts[classes[class] as usize])),
                None => {
                    classes.push(host);
                    self.idle_classes.push(Vec::new());
                    (classes.len() - 1, None)
                }
            };
            // The same power model and capacity: the same power at the same CPU use.
            let power_now_w = match representative {
                Some(first) if first.utilization_mips.to_bits() == round_host.utilization_mips.to_bits() => {
                    first.power_now_w
                }
                _ => Self::power_at(entry, round_host.utilization_mips),
            };
            self.idle_classes[class].push(host);
            let round_host = &mut self.hosts[host as usize];
            round_host.idle_class = Some(class as u32);
            round_host.power_now_w = power_now_w;
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

    /// What `vm` requires of `host`'s scheduler: its capped request, 10 % of it while migrating in.
    fn required_mips(&self, host: HostId, vm: VmId) -> f64 {
        let capped = self.capped_mips(host, vm);
        if self.is_incoming(host, vm) {
            capped * INCOMING_SHARE
        } else {
            capped
        }
    }

    /// What the host's scheduler has allocated, as CloudSim's PABFD reads it (`getUtilizationOfCpuMips`): the
    /// CPU use at the last update, plus nine times each incoming VM's 10 % reservation, plus the request of each
    /// VM the round has placed here so far (summed in list order, as CloudSim sums its VM list).
    pub fn allocated_mips(&self, host: HostId) -> f64 {
        self.hosts[host as usize].allocated_mips
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

    /// CloudSim's free MIPS on `host` (`VmScheduler.getAvailableMips`), in its scheduler's order of operations
    /// ([`free_mips`]).
    pub fn available_mips(&mut self, host: HostId) -> f64 {
        let total = self.fleet.host(host).total_mips();
        let round_host = &mut self.hosts[host as usize];
        if round_host.free_mips_rebuilt {
            let capacity = free_mips::map_capacity(round_host.peak_listed);
            let listed = round_host.list.iter().zip(&round_host.terms).map(|(&vm, term)| (vm, term.required_mips));
            round_host.free_mips = free_mips::reallocated(total, listed, capacity);
            round_host.free_mips_rebuilt = false;
        }
        round_host.free_mips
    }

    /// CloudSim's `isHostOverUtilizedAfterAllocation` creates `vm` on `host` and destroys it again, whatever the
    /// detector says: the host's scheduler map held one more VM, and re-allocated the listed ones in its order.
    pub fn note_probe(&mut self, host: HostId) {
        let round_host = &mut self.hosts[host as usize];
        round_host.peak_listed = round_host.peak_listed.max(round_host.list.len() + 1);
        round_host.free_mips_rebuilt = true;
    }

    /// What [`Round::is_suitable`] needs of `vm`, read from the fleet once for all the hosts placement examines.
    pub fn fit_of(&self, vm: VmId) -> Fit {
        let entry = self.fleet.vm(vm);
        Fit {
            per_vcpu_mips: entry.demand_fraction * entry.mips_per_vcpu,
            vcpus: f64::from(entry.flavor.vcpus),
            memory_mb: entry.booked_memory_mb as f64,
        }
    }

    /// CloudSim's `isSuitableForVm` for the VM of `fit`: the host takes VMs, a vCPU's request fits a core, the
    /// request (capped at the host's core speed) fits the free MIPS, the RAM fits the free RAM; and (Nova's rule,
    /// which CloudSim lacks) the vCPUs fit the allocation ratio.
    pub fn is_suitable(&mut self, host: HostId, fit: &Fit) -> bool {
        let fleet = self.fleet;
        let host_entry = fleet.host(host);
        let round_host = &self.hosts[host as usize];
        // RAM first: on a consolidated fleet it is the test that fails most.
        round_host.free_memory_mb >= fit.memory_mb
            && round_host.free_vcpus >= fit.vcpus
            && host_entry.accepts_vms()
            && fit.per_vcpu_mips <= host_entry.core_mips
            && self.available_mips(host) >= fit.per_vcpu_mips.min(host_entry.core_mips) * fit.vcpus
    }

    /// Adds `vm` to `host`'s list (a hypothetical placement).
    pub fn add(&mut self, host: HostId, vm: VmId) {
        let memory = self.fleet.vm(vm).booked_memory_mb as f64;
        let vcpus = f64::from(self.fleet.vm(vm).flavor.vcpus);
        // Only the scaled histories leave the host while the VM's terms are computed (moving the whole host
        // out and back would copy it twice).
        let mut scaled = std::mem::take(&mut self.hosts[host as usize].scaled);
        let term = self.terms(host, vm, &mut scaled);
        let moderate = self.hosts[host as usize].moderate == Some(true) && self.is_moderate(host, vm);
        // The scheduler subtracts the new VM's request from what it had free (which may need computing first).
        let free = free_mips::allocate(self.available_mips(host), term.required_mips);
        let round_host = &mut self.hosts[host as usize];
        round_host.free_mips = free;
        round_host.scaled = scaled;
        round_host.list.push(vm);
        round_host.free_memory_mb -= memory;
        round_host.free_vcpus -= vcpus;
        if round_host.idle_class.take().is_some() {
            self.busy.push(host);
        }
        // Appending adds the VM's terms after the others: the same sums as folding the list again in order.
        round_host.peak_listed = round_host.peak_listed.max(round_host.list.len());
        round_host.terms.push(term);
        round_host.totals.add(&term);
        // (Each placed VM is allocated its request: it was suitable, so the request fits.)
        round_host.allocated_mips += term.required_mips;
        if !round_host.history.stale {
            round_host.history.add(&round_host.scaled[term.scaled_start..]);
        }
        if round_host.moderate == Some(true) {
            round_host.moderate = Some(moderate);
        }
    }

    /// Removes `vm` from `host`'s list (selected to leave, or a placement undone).
    pub fn remove(&mut self, host: HostId, vm: VmId) {
        let memory = self.fleet.vm(vm).booked_memory_mb as f64;
        let vcpus = f64::from(self.fleet.vm(vm).flavor.vcpus);
        if self.remove_listed(host, vm) {
            let round_host = &mut self.hosts[host as usize];
            round_host.free_memory_mb += memory;
            round_host.free_vcpus += vcpus;
        }
    }

    /// Takes `vm`'s first entry out of `host`'s list and its terms out of the sums (summed again in list order,
    /// without moving the histories; the history only when next read); whether it was listed.
    fn remove_listed(&mut self, host: HostId, vm: VmId) -> bool {
        let round_host = &mut self.hosts[host as usize];
        let Some(position) = round_host.list.iter().position(|&listed| listed == vm) else {
            return false;
        };
        round_host.list.remove(position);
        round_host.terms.remove(position);
        round_host.totals = Totals::of(&round_host.terms);
        if position < round_host.fleet_listed {
            round_host.fleet_listed -= 1;
        }
        // CloudSim's `deallocatePesForVm` re-allocates the others in its map's order.
        round_host.free_mips_rebuilt = true;
        let before_round = round_host.utilization_mips + round_host.incoming_extra_mips;
        round_host.allocated_mips =
            round_host.terms[round_host.fleet_listed..].iter().fold(before_round, |sum, term| sum + term.required_mips);
        // Summed again only when next read: a detector that reads none, or whose answer the utilisation
        // settles (a host shedding VMs often still asks for more than its capacity), never needs it.
        round_host.history.stale = true;
        if round_host.moderate == Some(false) {
            round_host.moderate = None;
        }
        true
    }

    /// The host as a detector sees it now: utilisation from its listed VMs' requests, history aggregated from
    /// their histories (weighted by their capacity, aligned on the latest value), migration time of its VMs.
    pub fn observe(&mut self, host: HostId) -> HostObservation<'_> {
        self.observe_with(host, None, self.hosts[host as usize].totals)
    }

    /// Is `host` overloaded as it is now (CloudSim's `isHostOverUtilized` once a VM has been removed)?
    pub fn overloaded(&mut self, host: HostId, detector: &dyn OverloadDetector) -> bool {
        self.overloaded_with_extra(host, None, detector)
    }

    /// Would `host` be overloaded with `vm` added (CloudSim's `isHostOverUtilizedAfterAllocation`)? The round
    /// is left as it was.
    pub fn overloaded_with(&mut self, host: HostId, vm: VmId, detector: &dyn OverloadDetector) -> bool {
        self.overloaded_with_extra(host, Some(vm), detector)
    }

    /// The detector's answer for `host` with `extra` appended to its list: without a history if it reads none or
    /// if the utilisation alone settles it (the history being moderate, as it then requires), else from the
    /// whole observation.
    fn overloaded_with_extra(&mut self, host: HostId, extra: Option<VmId>, detector: &dyn OverloadDetector) -> bool {
        let totals = self.totals_with(host, extra);
        if !detector.reads_history() {
            return detector.check(&self.observe_without_history(host, &totals));
        }
        if let Some(decision) = detector.decided_by_utilization(self.utilization(host, &totals)) {
            if self.is_host_moderate(host) && extra.is_none_or(|vm| self.is_moderate(host, vm)) {
                return decision;
            }
        }
        let observation = self.observe_with(host, extra, totals);
        detector.check(&observation)
    }

    /// The observation of `host` with `totals` (from [`Round::totals_with`]) and no history.
    fn observe_without_history(&self, host: HostId, totals: &Totals) -> HostObservation<'static> {
        let utilization = self.utilization(host, totals);
        let migration_time_s = self.migration_time_s(totals);
        HostObservation { host, utilization, history: &[], migration_time_s, interval_s: self.interval_s }
    }

    /// The host's totals with `extra` appended to its list.
    fn totals_with(&self, host: HostId, extra: Option<VmId>) -> Totals {
        let mut totals = self.hosts[host as usize].totals;
        if let Some(vm) = extra {
            let entry = self.fleet.vm(vm);
            totals.count(entry.demand_mips(), self.migration.estimated_duration_of(entry));
        }
        totals
    }

    /// Time to migrate a VM off the host: CloudSim the longest of its VMs', Neat the mean.
    fn migration_time_s(&self, totals: &Totals) -> f64 {
        match self.semantics {
            Semantics::Cloudsim => totals.max_duration_s,
            Semantics::Neat if totals.count > 0 => totals.sum_duration_s / totals.count as f64,
            Semantics::Neat => 0.0,
        }
    }

    /// Utilisation from the listed VMs' requests.
    fn utilization(&self, host: HostId, totals: &Totals) -> f64 {
        let total = self.fleet.host(host).total_mips();
        if total > 0.0 {
            totals.requested_mips / total
        } else {
            0.0
        }
    }

    /// Is `vm`'s history, scaled to `host`, moderate: finite and small enough that the host's sums stay within
    /// [`MODERATE_HISTORY`] (values up to 1e100, scaled by at most 1e40, summed over fewer than 1e10 VMs)?
    fn is_moderate(&mut self, host: HostId, vm: VmId) -> bool {
        const { assert!(MODERATE_HISTORY >= 1e150) };
        let total = self.fleet.host(host).total_mips();
        // A host of no MIPS scales every history to 0.
        total <= 0.0 || (self.fleet.vm(vm).capacity_mips().abs() <= 1e40 * total && self.is_history_moderate(vm))
    }

    /// Are `vm`'s recent history values finite and up to 1e100 in size? Remembered for the round.
    fn is_history_moderate(&mut self, vm: VmId) -> bool {
        *self.moderate_histories[vm as usize].get_or_insert_with(|| {
            let recent = recent(&self.fleet.vm(vm).history, self.history_length);
            // Not short-circuiting, so that it vectorises.
            recent.iter().fold(true, |moderate, value| moderate & (value.abs() <= 1e100))
        })
    }

    /// Is every listed VM's history moderate on `host`? Remembered until the list changes.
    fn is_host_moderate(&mut self, host: HostId) -> bool {
        if let Some(moderate) = self.hosts[host as usize].moderate {
            return moderate;
        }
        let list = std::mem::take(&mut self.hosts[host as usize].list);
        let moderate = list.iter().all(|&vm| self.is_moderate(host, vm));
        self.hosts[host as usize].list = list;
        self.hosts[host as usize].moderate = Some(moderate);
        moderate
    }

    /// The observation of `host`'s listed VMs, plus `extra` appended to the list (`totals`, from
    /// [`Round::totals_with`]). Starts from the host's sums, which hold the same folds in the same order
    /// (CloudSim adds VM by VM in list order), so the result is exactly what summing the whole list would give.
    fn observe_with(&mut self, host: HostId, extra: Option<VmId>, totals: Totals) -> HostObservation<'_> {
        let fleet = self.fleet;
        let total = fleet.host(host).total_mips();
        let migration_time_s = self.migration_time_s(&totals);
        let utilization = self.utilization(host, &totals);
        let round_host = &mut self.hosts[host as usize];
        if round_host.history.stale {
            round_host.history.refold(&round_host.terms, &round_host.scaled);
        }
        let history = match extra {
            Some(vm) => {
                let recent = recent(&fleet.vm(vm).history, self.history_length);
                let sums = &mut self.extra_history;
                sums.clear();
                sums.extend_from_slice(&round_host.history.values);
                let capacity = fleet.vm(vm).capacity_mips();
                let end = sums.len();
                // CloudSim's `history[i] * vm.getMips() / hostMips`, added as `HistorySums::add` would.
                for (sum, value) in sums[end - recent.len()..].iter_mut().zip(recent) {
                    *sum += if total > 0.0 { value * capacity / total } else { 0.0 };
                }
                let len = round_host.history.len.max(recent.len());
                HistorySums::observed(sums, len, self.semantics)
            }
            None => HistorySums::observed(&round_host.history.values, round_host.history.len, self.semantics),
        };
        HostObservation { host, utilization, history, migration_time_s, interval_s: self.interval_s }
    }

    /// Appends `vm`'s history scaled to a host of `total` MIPS, oldest first, to `into`: CloudSim's
    /// `history[i] * vm.getMips() / hostMips` (a plain loop, so that it vectorises).
    fn scale_history(&self, vm: VmId, total: f64, into: &mut Vec<f64>) {
        let entry = self.fleet.vm(vm);
        let (capacity, recent) = (entry.capacity_mips(), recent(&entry.history, self.history_length));
        if total > 0.0 {
            into.extend(recent.iter().map(|value| value * capacity / total));
        } else {
            into.resize(into.len() + recent.len(), 0.0);
        }
    }
}

/// The newest `length` values of a VM's history (the ones a round keeps), oldest first.
fn recent(history: &[f64], length: usize) -> &[f64] {
    &history[history.len().saturating_sub(length)..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consolidation::testing::{add_vm, fleet, g4, g5, utilization_mips};
    use crate::policy::overload::thr::Threshold;

    /// A G5 (5320 MIPS) with a (2660 MIPS, 1740 MB, asking 0.5, history [0, 0.5, 1]) and b (1330 MIPS, 870 MB,
    /// asking 1.0, history [0.25, 0.5]); c (2660 MIPS, 613 MB, asking 0.75) not placed.
    fn fleet_with_history() -> Fleet {
        let mut fleet = fleet([g5()]);
        let a = add_vm(&mut fleet, Some(0), 1, 2660.0, 1740, 0.5);
        fleet.vm_mut(a).history = vec![0.0, 0.5, 1.0].into();
        let b = add_vm(&mut fleet, Some(0), 1, 1330.0, 870, 1.0);
        fleet.vm_mut(b).history = vec![0.25, 0.5].into();
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

    /// A G5 with seven VMs whose histories (lengths 3 to 30, values with long binary expansions) make the sums
    /// depend on the order of the additions; `skip` leaves one VM unplaced.
    fn fleet_with_irregular_histories(skip: Option<VmId>) -> Fleet {
        let mut fleet = fleet([g5()]);
        for vm in 0..7u32 {
            let host = if Some(vm) == skip { None } else { Some(0) };
            let id = add_vm(&mut fleet, host, 1, 300.0 + 70.0 * f64::from(vm), 256, 0.1 * f64::from(vm + 1));
            let length = [30, 3, 17, 30, 8, 25, 12][vm as usize];
            fleet.vm_mut(id).history = (0..length).map(|i| (f64::from(vm * 31 + i) * 0.37).sin().abs() / 3.0).collect();
        }
        fleet
    }

    fn observed(round: &mut Round, host: HostId) -> (u64, Vec<u64>, u64) {
        let observation = round.observe(host);
        let history = observation.history.iter().map(|value| value.to_bits()).collect();
        (observation.utilization.to_bits(), history, observation.migration_time_s.to_bits())
    }

    #[test]
    fn a_removal_anywhere_gives_the_sums_of_the_list_without_the_vm() {
        let migration = MigrationConfig::default();
        for removed in 0..7 {
            let fleet = fleet_with_irregular_histories(None);
            let mut round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization_mips(&fleet));
            round.remove(0, removed);
            let without = fleet_with_irregular_histories(Some(removed));
            let utilization = utilization_mips(&without);
            let mut fresh = Round::new(&without, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
            assert_eq!(observed(&mut round, 0), observed(&mut fresh, 0), "VM {removed} removed");
            assert_eq!(round.available_mips(0).to_bits(), fresh.available_mips(0).to_bits());
            // Placed again, it is last in the list: the sums of a round that lists it last.
            round.add(0, removed);
            fresh.add(0, removed);
            assert_eq!(observed(&mut round, 0), observed(&mut fresh, 0), "VM {removed} placed again");
        }
    }

    #[test]
    fn a_hypothetical_vm_is_observed_as_if_it_were_added() {
        let migration = MigrationConfig::default();
        let fleet = fleet_with_irregular_histories(Some(3));
        let utilization = utilization_mips(&fleet);
        let mut round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
        // VM 3's history (30 values) is longer than any but VM 0's: the sums grow older slots.
        round.remove(0, 0);
        let detector = Threshold { threshold: 0.8 };
        let _ = round.overloaded_with(0, 3, &detector);
        let hypothetical = {
            let observation = round.observe_with(0, Some(3), round.totals_with(0, Some(3)));
            observation.history.iter().map(|value| value.to_bits()).collect::<Vec<_>>()
        };
        round.add(0, 3);
        assert_eq!(observed(&mut round, 0).1, hypothetical);
    }

    /// Records the history it is shown; decides by the utilisation alone above the threshold if given; reads the
    /// history if told to.
    struct Recorder(std::cell::RefCell<Option<Vec<f64>>>, Option<f64>, bool);

    impl OverloadDetector for Recorder {
        fn observe(&mut self, observation: &HostObservation) -> bool {
            self.check(observation)
        }

        fn check(&self, observation: &HostObservation) -> bool {
            *self.0.borrow_mut() = Some(observation.history.to_vec());
            false
        }

        fn reads_history(&self) -> bool {
            self.2
        }

        fn decided_by_utilization(&self, utilization: f64) -> Option<bool> {
            self.1.filter(|&above| utilization > above).map(|_| true)
        }
    }

    #[test]
    fn the_history_is_summed_after_a_removal_only_if_the_utilisation_does_not_decide() {
        let fleet = fleet_with_irregular_histories(None);
        let migration = MigrationConfig::default();
        let mut round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization_mips(&fleet));
        round.remove(0, 4);
        // The six VMs left ask (30 + 74 + 132 + 204 + 390 + 504) / 5320 = 0.2508 of the host.
        let utilization = round.observe(0).utilization;
        assert_eq!(utilization, 1334.0 / 5320.0);
        let decided = Recorder(Default::default(), Some(utilization - 0.01), true);
        assert!(round.overloaded(0, &decided));
        assert!(round.overloaded_with(0, 4, &decided));
        assert_eq!(*decided.0.borrow(), None, "the detector was not asked");
        let undecided = Recorder(Default::default(), Some(utilization + 0.5), true);
        assert!(!round.overloaded(0, &undecided));
        let expected = round.observe(0).history.to_vec();
        assert_eq!(expected.len(), 30);
        assert_eq!(*undecided.0.borrow(), Some(expected));
        // A detector that reads no history (THR) is shown none.
        assert!(!Threshold { threshold: 0.25 }.reads_history());
        let blind = Recorder(Default::default(), None, false);
        round.remove(0, 5);
        assert!(!round.overloaded(0, &blind));
        assert_eq!(*blind.0.borrow(), Some(vec![]));
        assert!(!round.overloaded_with(0, 5, &blind));
        assert_eq!(*blind.0.borrow(), Some(vec![]));
    }

    #[test]
    fn a_history_that_is_not_moderate_is_always_shown_to_the_detector() {
        let migration = MigrationConfig::default();
        for value in [f64::NAN, f64::INFINITY, -1e200] {
            let mut fleet = fleet_with_irregular_histories(None);
            fleet.vm_mut(5).history[3] = value;
            let mut round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization_mips(&fleet));
            let decided = Recorder(Default::default(), Some(0.0), true);
            round.overloaded(0, &decided);
            assert!(decided.0.borrow().is_some(), "{value}");
            // Without VM 5 the host's history is moderate again; with it as the hypothetical VM, it is not.
            round.remove(0, 5);
            let decided = Recorder(Default::default(), Some(0.0), true);
            assert!(round.overloaded(0, &decided));
            assert!(decided.0.borrow().is_none());
            round.overloaded_with(0, 5, &decided);
            assert!(decided.0.borrow().is_some(), "{value}");
        }
    }

    #[test]
    fn idle_hosts_take_their_class_power_at_no_use() {
        // h0 and h2 idle G4s (one class), h1 an idle G5, h3 a G5 with a VM (no class).
        let mut fleet = fleet([g4(), g5(), g4(), g5()]);
        add_vm(&mut fleet, Some(3), 1, 2660.0, 1024, 1.0);
        let migration = MigrationConfig::default();
        let round = Round::new(&fleet, Semantics::Cloudsim, &migration, 300.0, 30, &utilization_mips(&fleet));
        let power: Vec<f64> = round.hosts.iter().map(|host| host.power_now_w).collect();
        // G4 86 W and G5 93.7 W idle; the G5 at 2660 of 5320 MIPS, 116 W.
        assert_eq!(power, vec![86.0, 93.7, 86.0, 116.0]);
        assert_eq!(round.idle_classes, vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn a_round_reusing_another_rounds_hosts_sees_only_its_own_fleet() {
        let migration = MigrationConfig::default();
        let busy = fleet_with_irregular_histories(None);
        let mut earlier = Round::new(&busy, Semantics::Cloudsim, &migration, 300.0, 30, &utilization_mips(&busy));
        earlier.remove(0, 2); // left stale
        earlier.add(0, 2);
        let hosts = earlier.into_hosts();
        // The same host empty now, then busy again with other VMs.
        let empty = fleet([g5()]);
        let mut round = Round::reusing(hosts, &empty, Semantics::Cloudsim, &migration, 300.0, 30, &[0.0]);
        assert_eq!(observed(&mut round, 0), (0, vec![], 0));
        assert_eq!(round.available_mips(0), 5320.0);
        let other = fleet_with_irregular_histories(Some(6));
        let utilization = utilization_mips(&other);
        let hosts = round.into_hosts();
        let mut reused = Round::reusing(hosts, &other, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
        let mut fresh = Round::new(&other, Semantics::Cloudsim, &migration, 300.0, 30, &utilization);
        assert_eq!(observed(&mut reused, 0), observed(&mut fresh, 0));
        assert_eq!(reused.hosts[0].list, fresh.hosts[0].list);
    }
}
