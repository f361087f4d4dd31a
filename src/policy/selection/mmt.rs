//! Minimum migration time (MMT): the VM whose migration the migration model expects to take least time.
//!
//! Both reference systems pick the VM with the least RAM, since a live migration's duration grows with the
//! memory it copies: CloudSim's `PowerVmSelectionPolicyMinimumMigrationTime` keeps the VM with the strictly
//! smaller `getRam()` (starting from `Double.MAX_VALUE`), and Neat's `minimum_migration_time` takes Python's
//! `min` over the VMs' RAM. Under RAM over bandwidth the estimate is RAM / bandwidth, so the choice is theirs,
//! ties included; under pre-copy it also weighs how fast each VM dirties its memory. Ties go to the first
//! candidate in order, as with both strict comparisons (Neat iterates a dict, whose order is arbitrary; ours is
//! the candidates' order).
//!
//! MMT is also MC's fallback when its regressions cannot be fitted (`mc.rs`).

use rand_pcg::Pcg64;

use crate::policy::selection::{VmCandidate, VmSelector};

#[derive(Clone, Debug)]
pub struct MinimumMigrationTime;

impl VmSelector for MinimumMigrationTime {
    fn select(&mut self, candidates: &[VmCandidate], _rng: &mut Pcg64) -> Option<usize> {
        least_migration_time(candidates)
    }
}

/// Index of the first candidate with the shortest estimated migration, or `None` when there are no candidates.
pub(crate) fn least_migration_time(candidates: &[VmCandidate]) -> Option<usize> {
    // `min_by` returns the first of equal minima.
    candidates
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| a.migration_time_s.total_cmp(&b.migration_time_s))
        .map(|(index, _)| index)
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
    fn the_migration_models_estimate_decides_not_the_ram() {
        // Under pre-copy a small VM that dirties its memory fast can take longer to move than a larger idle one.
        let mut busy_small = test_candidate(613, 500.0, 0.9, &[]);
        busy_small.migration_time_s = 120.0;
        let candidates = [test_candidate(1740, 1.0, 0.0, &[]), busy_small];
        assert_eq!(pick(&candidates), Some(0));
    }

    #[test]
    fn no_candidates_no_pick() {
        assert_eq!(pick(&[]), None);
    }
}
