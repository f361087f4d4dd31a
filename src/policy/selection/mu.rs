//! Minimum utilisation (MU): the least busy VM, by semantics.
//!
//! - **CloudSim** (`PowerVmSelectionPolicyMinimumUtilization`): the lowest current utilisation as a fraction of
//!   the VM's own MIPS (`getTotalUtilizationOfCpuMips(now) / getMips()`), i.e. `utilization`. A small VM at
//!   50 % loses to a large VM at 20 %.
//! - **Neat** (`minimum_utilization`): the lowest last sample of the VM's CPU history in MHz, i.e. absolute use:
//!   `history.last() × capacity_mips`. Neat always has a sample; with an empty history we use
//!   `utilization × capacity_mips`.
//!
//! Both keep the first of equal minima (CloudSim's strict `<` from `Double.MAX_VALUE`, Python's `min`), so ties go
//! to the first candidate in order. A NaN metric never wins; if every metric is NaN the first candidate is picked.

use rand_pcg::Pcg64;

use crate::policy::selection::{VmCandidate, VmSelector};
use crate::policy::Semantics;

#[derive(Clone, Debug)]
pub struct MinimumUtilization {
    pub semantics: Semantics,
}

impl MinimumUtilization {
    fn metric(&self, candidate: &VmCandidate) -> f64 {
        match self.semantics {
            // CloudSim's arithmetic, whose rounding can break a tie: `getTotalUtilizationOfCpuMips / getMips`.
            Semantics::Cloudsim => candidate.utilization * candidate.capacity_mips / candidate.capacity_mips,
            Semantics::Neat => {
                candidate.history.last().copied().unwrap_or(candidate.utilization) * candidate.capacity_mips
            }
        }
    }
}

impl VmSelector for MinimumUtilization {
    fn select(&mut self, candidates: &[VmCandidate], _rng: &mut Pcg64) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        let mut best = 0;
        let mut min_metric = f64::INFINITY;
        for (index, candidate) in candidates.iter().enumerate() {
            let metric = self.metric(candidate);
            if metric < min_metric {
                min_metric = metric;
                best = index;
            }
        }
        Some(best)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::policy::selection::test_candidate;

    fn pick(semantics: Semantics, candidates: &[VmCandidate]) -> Option<usize> {
        MinimumUtilization { semantics }.select(candidates, &mut Pcg64::seed_from_u64(1))
    }

    #[test]
    fn cloudsim_compares_fractions_neat_compares_absolute_use() {
        // Index 0: 500 MIPS at 0.5 → 250 MIPS. Index 1: 2500 MIPS at 0.2 → 500 MIPS.
        // CloudSim: 0.2 < 0.5 → index 1. Neat: 250 < 500 → index 0.
        let candidates = [test_candidate(613, 500.0, 0.5, &[0.5]), test_candidate(870, 2500.0, 0.2, &[0.2])];
        assert_eq!(pick(Semantics::Cloudsim, &candidates), Some(1));
        assert_eq!(pick(Semantics::Neat, &candidates), Some(0));
    }

    #[test]
    fn cloudsim_reads_the_current_utilization_neat_the_last_sample() {
        // Capacities 1000. Index 0: now 0.1, last sample 0.8. Index 1: now 0.3, last sample 0.2.
        // CloudSim (now): 0.1 < 0.3 → index 0. Neat (last sample): 200 < 800 → index 1.
        let candidates = [test_candidate(512, 1000.0, 0.1, &[0.0, 0.8]), test_candidate(512, 1000.0, 0.3, &[0.9, 0.2])];
        assert_eq!(pick(Semantics::Cloudsim, &candidates), Some(0));
        assert_eq!(pick(Semantics::Neat, &candidates), Some(1));
    }

    #[test]
    fn neat_without_history_uses_the_current_utilization() {
        // Index 0 has no history: 0.1 × 1000 = 100 < index 1's last sample 0.2 × 1000 = 200.
        let candidates = [test_candidate(512, 1000.0, 0.1, &[]), test_candidate(512, 1000.0, 0.0, &[0.2])];
        assert_eq!(pick(Semantics::Neat, &candidates), Some(0));
    }

    #[test]
    fn ties_go_to_the_first_candidate() {
        // Indices 1 and 2 tie at 0.2 (and 200 MIPS): index 1 in both semantics.
        let candidates = [
            test_candidate(512, 1000.0, 0.6, &[0.6]),
            test_candidate(512, 1000.0, 0.2, &[0.2]),
            test_candidate(512, 1000.0, 0.2, &[0.2]),
        ];
        assert_eq!(pick(Semantics::Cloudsim, &candidates), Some(1));
        assert_eq!(pick(Semantics::Neat, &candidates), Some(1));
        assert_eq!(pick(Semantics::Neat, &[]), None);
    }
}
