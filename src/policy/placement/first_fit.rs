//! First fit: the first host in fleet order with room.

use crate::fleet::{Fleet, HostId, VmId};
use crate::policy::placement::{candidate_hosts, Placement};

pub struct FirstFit;

impl Placement for FirstFit {
    fn choose_host(&self, fleet: &Fleet, vm: VmId, exclude: Option<HostId>) -> Option<HostId> {
        candidate_hosts(fleet, vm, exclude).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::placement::test_fleet::fleet;

    #[test]
    fn takes_the_first_host_with_room() {
        let mut fleet = fleet(&[(1, 4096), (4, 4096)], 2);
        assert_eq!(FirstFit.choose_host(&fleet, 0, None), Some(0));
        fleet.book(0, 0);
        assert_eq!(FirstFit.choose_host(&fleet, 1, None), Some(1), "host 0 is full");
        assert_eq!(FirstFit.choose_host(&fleet, 1, Some(1)), None);
    }
}
