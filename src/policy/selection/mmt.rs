//! Minimum migration time (MMT): the VM with the least RAM, since a live migration's duration grows with the
//! memory it copies.
//!
//! Both reference systems agree: CloudSim's `PowerVmSelectionPolicyMinimumMigrationTime` keeps the VM with the
//! strictly smaller `getRam()` (starting from `Double.MAX_VALUE`), and Neat's `minimum_migration_time` takes
//! Python's `min` over the VMs' RAM. Ties go to the first candidate in order, as with both strict comparisons
//! (Neat iterates a dict, whose order is arbitrary; ours is the candidates' order).
//!
//! MMT is also MC's fallback when its regressions cannot be fitted (`mc.rs`).

use rand_pcg::Pcg64;

use crate::policy::selection::{VmCandidate, VmSelector};

#[derive(Clone, Debug)]
pub struct MinimumMigrationTime;

impl VmSelector for MinimumMigrationTime {
    fn select(&mut self, candidates: &[VmCandidate], _rng: &mut Pcg64) -> Option<usize> {
        least_ram(candidates)
    }
}

/// Index of the first candidate with the least RAM, or `None` when there are no candidates.
pub(crate) fn least_ram(candidates: &[VmCandidate]) -> Option<usize> {
    // `min_by_key` returns the first of equal minima.
    candidates.iter().enumerate().min_by_key(|(_, c)| c.memory_mb).map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::policy::selection::test_candidate;

    fn pick(candidates: &[VmCandidate]) -> Option<usize> {
        MinimumMigrationTime.select(candidates, &mut Pcg64::seed_from_u64(1))
    }

    #[test]
    fn picks_the_least_ram_wherever_it_is() {
        // RAM 1740, 870, 613, 2000: the 613 MB VM (index 2) copies least. CPU plays no part: the 613 MB VM is
        // the busiest one.
        let h = [0.5];
        let candidates = [
            test_candidate(1740, 2000.0, 0.1, &h),
            test_candidate(870, 2500.0, 0.2, &h),
            test_candidate(613, 500.0, 0.9, &h),
            test_candidate(2000, 1000.0, 0.0, &h),
        ];
        assert_eq!(pick(&candidates), Some(2));
        assert_eq!(pick(&candidates[..2]), Some(1));
    }

    #[test]
    fn ties_go_to_the_first_candidate() {
        // RAM 1740, 613, 613: indices 1 and 2 tie; the strict `<` keeps the first, index 1.
        let candidates = [
            test_candidate(1740, 1.0, 0.0, &[]),
            test_candidate(613, 1.0, 0.0, &[]),
            test_candidate(613, 1.0, 0.0, &[]),
        ];
        assert_eq!(pick(&candidates), Some(1));
    }

    #[test]
    fn no_candidates_no_pick() {
        assert_eq!(pick(&[]), None);
    }
}
