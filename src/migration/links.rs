//! Hosts' links under [`LinkPolicy::Shared`](crate::migration::LinkPolicy): which migrations may run now, and
//! what share of the migration bandwidth each gets.
//!
//! A host's link carries its incoming and outgoing migrations alike. At most `max_concurrent_per_host` run on a
//! host at once (0: no limit); a migration whose source or target is full waits. When a host's slot frees, its
//! waiting migrations get it first come first served (those whose other host is full keep waiting), and a
//! migration whose hosts are free starts at once, even when an earlier one still waits for its own hosts. A migration gets
//! `1 / max(migrations on its source's link, migrations on its target's link)` of the bandwidth, counted when
//! it starts with every migration starting at the same instant (two migrations out of one host started by the
//! same consolidation round each get half). The share is then fixed: a migration's bandwidth does not grow when
//! another ends nor shrink when another starts beside it (a limit of this model; docs/migration.md).

use fnv::FnvHashMap;

use crate::fleet::{HostId, VmId};
use crate::time::SimTime;

/// A migration decided and booked on its target, waiting for its hosts' links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub vm: VmId,
    pub source: HostId,
    pub target: HostId,
    /// When consolidation asked for it, and why.
    pub requested: SimTime,
    pub reason: crate::migration::MigrationReason,
}

/// A migration allowed to start now, and its share of the migration bandwidth.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Admitted {
    pub migration: Waiting,
    pub link_fraction: f64,
}

#[derive(Clone, Debug, Default)]
pub struct Links {
    /// 0: no limit.
    max_concurrent_per_host: u32,
    /// Migrations running into or out of each host.
    running: Vec<u32>,
    /// Every migration requested, by request order (`None` once started or dropped).
    requests: Vec<Option<Waiting>>,
    /// The waiting request of each VM that has one.
    waiting_of: FnvHashMap<VmId, u64>,
    /// Per host, the waiting migrations into or out of it, in request order.
    waiting_on: Vec<Vec<u64>>,
    /// Since the last [`Links::admit`]: new requests, and hosts whose slots freed. (Any other waiting migration
    /// waits for a host that is still full.)
    new_requests: Vec<u64>,
    freed: Vec<HostId>,
}

impl Links {
    pub fn new(max_concurrent_per_host: u32) -> Links {
        Links { max_concurrent_per_host, ..Links::default() }
    }

    pub fn request(&mut self, migration: Waiting) {
        let request = self.requests.len() as u64;
        self.requests.push(Some(migration));
        if let Some(earlier) = self.waiting_of.insert(migration.vm, request) {
            self.forget(earlier); // a VM waits for one migration at a time
        }
        for host in [migration.source, migration.target] {
            self.waiting_on_mut(host).push(request);
        }
        self.new_requests.push(request);
    }

    /// Removes `vm`'s waiting migration, if any (it was cancelled before it started).
    pub fn withdraw(&mut self, vm: VmId) {
        if let Some(request) = self.waiting_of.get(&vm).copied() {
            self.forget(request);
        }
    }

    /// Migrations running into or out of `host`.
    pub fn running(&self, host: HostId) -> u32 {
        self.running.get(host as usize).copied().unwrap_or(0)
    }

    pub fn waiting(&self) -> usize {
        self.waiting_of.len()
    }

    /// Starts waiting migrations whose hosts have room and returns them with their shares: first those on hosts
    /// freed since the last call, each host's in request order until it is full again, then new requests in
    /// order. Migrations `still_wanted` refuses (their VM left, or moved again) are dropped when their turn comes.
    /// Costs O(migrations tried), never a pass over the whole queue.
    pub fn admit(&mut self, mut still_wanted: impl FnMut(&Waiting) -> bool) -> Vec<Admitted> {
        let mut admitted = Vec::new();
        let freed = std::mem::take(&mut self.freed);
        for &host in &freed {
            let mut position = 0;
            while self.has_room(host) {
                let Some(&request) = self.waiting_on.get(host as usize).and_then(|list| list.get(position)) else {
                    break;
                };
                if !self.try_start(request, &mut still_wanted, &mut admitted) {
                    position += 1; // blocked by its other host
                }
            }
        }
        self.freed = freed;
        self.freed.clear();
        let new_requests = std::mem::take(&mut self.new_requests);
        for &request in &new_requests {
            self.try_start(request, &mut still_wanted, &mut admitted);
        }
        self.new_requests = new_requests;
        self.new_requests.clear();
        // Shares counted once all of this instant's migrations are in.
        for started in &mut admitted {
            let sharing = self.running(started.migration.source).max(self.running(started.migration.target));
            started.link_fraction = 1.0 / f64::from(sharing.max(1));
        }
        admitted
    }

    /// Starts `request` if both its hosts have room (or drops it if no longer wanted). Returns whether it left the
    /// queue now.
    fn try_start(
        &mut self,
        request: u64,
        still_wanted: &mut impl FnMut(&Waiting) -> bool,
        admitted: &mut Vec<Admitted>,
    ) -> bool {
        let Some(waiting) = self.requests[request as usize] else { return false };
        if !(self.has_room(waiting.source) && self.has_room(waiting.target)) {
            return false;
        }
        self.forget(request);
        if still_wanted(&waiting) {
            *self.slot(waiting.source) += 1;
            *self.slot(waiting.target) += 1;
            admitted.push(Admitted { migration: waiting, link_fraction: 1.0 });
        }
        true
    }

    /// A running migration between `source` and `target` ended (or was cancelled): its slots are free.
    pub fn release(&mut self, source: HostId, target: HostId) {
        for host in [source, target] {
            let slot = self.slot(host);
            *slot = slot.saturating_sub(1);
            self.freed.push(host);
        }
    }

    fn forget(&mut self, request: u64) {
        let Some(waiting) = self.requests[request as usize].take() else { return };
        if self.waiting_of.get(&waiting.vm) == Some(&request) {
            self.waiting_of.remove(&waiting.vm);
        }
        for host in [waiting.source, waiting.target] {
            let list = self.waiting_on_mut(host);
            if let Ok(position) = list.binary_search(&request) {
                list.remove(position);
            }
        }
    }

    fn has_room(&self, host: HostId) -> bool {
        self.max_concurrent_per_host == 0 || self.running(host) < self.max_concurrent_per_host
    }

    fn slot(&mut self, host: HostId) -> &mut u32 {
        let index = host as usize;
        if index >= self.running.len() {
            self.running.resize(index + 1, 0);
        }
        &mut self.running[index]
    }

    fn waiting_on_mut(&mut self, host: HostId) -> &mut Vec<u64> {
        let index = host as usize;
        if index >= self.waiting_on.len() {
            self.waiting_on.resize_with(index + 1, Vec::new);
        }
        &mut self.waiting_on[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(vm: VmId, source: HostId, target: HostId) -> Waiting {
        Waiting { vm, source, target, requested: SimTime::ZERO, reason: crate::migration::MigrationReason::Overload }
    }

    fn fractions(admitted: &[Admitted]) -> Vec<(VmId, f64)> {
        admitted.iter().map(|started| (started.migration.vm, started.link_fraction)).collect()
    }

    #[test]
    fn migrations_started_together_share_their_link() {
        // Two VMs leave host 0 for hosts 1 and 2 at once: host 0's link carries both, each gets half. A third,
        // between hosts 3 and 4, has its links to itself.
        let mut links = Links::new(0);
        for (vm, source, target) in [(10, 0, 1), (11, 0, 2), (12, 3, 4)] {
            links.request(waiting(vm, source, target));
        }
        let admitted = links.admit(|_| true);
        assert_eq!(fractions(&admitted), vec![(10, 0.5), (11, 0.5), (12, 1.0)]);
        assert_eq!((links.running(0), links.running(1), links.running(3)), (2, 1, 1));
        // One into host 1 now shares host 1's link with vm 10: half, while vm 10 keeps its half.
        links.request(waiting(13, 5, 1));
        assert_eq!(fractions(&links.admit(|_| true)), vec![(13, 0.5)]);
    }

    #[test]
    fn a_full_host_makes_its_migrations_wait_first_come_first_served() {
        // Nova's default: one migration per host. vm 10 (0 → 1) starts; vm 11 (0 → 2) waits for host 0;
        // vm 12 (3 → 1) waits for host 1; vm 13 (4 → 5) starts although it asked after them.
        let mut links = Links::new(1);
        for (vm, source, target) in [(10, 0, 1), (11, 0, 2), (12, 3, 1), (13, 4, 5)] {
            links.request(waiting(vm, source, target));
        }
        assert_eq!(fractions(&links.admit(|_| true)), vec![(10, 1.0), (13, 1.0)]);
        assert_eq!(links.waiting(), 2);
        // vm 10 ends: hosts 0 and 1 are free; vm 11 (asked first) and vm 12 both fit, each alone on its links.
        links.release(0, 1);
        assert_eq!(fractions(&links.admit(|_| true)), vec![(11, 1.0), (12, 1.0)]);
        // A waiting migration whose VM no longer wants it is dropped when its turn comes, not started.
        links.request(waiting(14, 6, 7));
        assert!(links.admit(|waiting| waiting.vm != 14).is_empty());
        assert_eq!((links.waiting(), links.running(6)), (0, 0));
    }
}
