//! First fit: the first host in fleet order with room.

use crate::fleet::{Fleet, HostId};
use crate::policy::placement::{candidate_hosts, Placement};
use crate::trace::Flavor;

pub struct FirstFit;

impl Placement for FirstFit {
    fn choose_host(&self, fleet: &Fleet, flavor: &Flavor, exclude: Option<HostId>) -> Option<HostId> {
        candidate_hosts(fleet, flavor, exclude).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::placement::test_fleet::{fleet, SMALL};

    #[test]
    fn takes_the_first_host_with_room() {
        let mut fleet = fleet(&[(1, 4096), (4, 4096)], 2);
        assert_eq!(FirstFit.choose_host(&fleet, &SMALL, None), Some(0));
        fleet.book(0, 0);
        assert_eq!(FirstFit.choose_host(&fleet, &SMALL, None), Some(1), "host 0 is full");
        assert_eq!(FirstFit.choose_host(&fleet, &SMALL, Some(1)), None);
    }
}
