//! Minimum migration time with maximum CPU: Neat's default selector (`minimum_migration_time_max_cpu`,
//! `last_n` = 2).
//!
//! Among the VMs with the least RAM, the one with the highest mean absolute CPU use (utilisation ×
//! `capacity_mips`, Neat's MHz) over its last `last_n` samples. As in Neat:
//! - a history shorter than `last_n` is averaged over the samples it has (Neat divides by the length of the
//!   slice `cpu[-last_n:]`, not by `last_n`);
//! - the running maximum starts at 0 and is replaced only by a strictly greater mean, so ties go to the first
//!   candidate in order.
//!
//! Deviations, where Neat has no answer:
//! - when no least-RAM VM has a mean above 0 (all idle), Neat returns no VM (`None`, which its manager then
//!   fails to send); we pick the first least-RAM VM, so an overloaded host still sheds one;
//! - an empty history (Neat divides by zero) counts as one sample, the current utilisation;
//! - Neat's MHz samples are integers (its collector truncates them); ours are not rounded.

use rand_pcg::Pcg64;

use crate::policy::selection::{VmCandidate, VmSelector};

#[derive(Clone, Debug)]
pub struct MmtMaxCpu {
    pub last_n: usize,
}

impl VmSelector for MmtMaxCpu {
    fn select(&mut self, candidates: &[VmCandidate], _rng: &mut Pcg64) -> Option<usize> {
        let least_ram = candidates.iter().map(|c| c.memory_mb).min()?;
        let mut first_least_ram = None;
        let mut busiest = None;
        let mut max_cpu = 0.0;
        for (index, candidate) in candidates.iter().enumerate().filter(|(_, c)| c.memory_mb == least_ram) {
            first_least_ram.get_or_insert(index);
            let cpu = recent_mean_mips(candidate, self.last_n);
            if cpu > max_cpu {
                max_cpu = cpu;
                busiest = Some(index);
            }
        }
        busiest.or(first_least_ram)
    }
}

/// Mean absolute CPU use over the last `last_n` samples (all of them if fewer; the current utilisation if none).
fn recent_mean_mips(candidate: &VmCandidate, last_n: usize) -> f64 {
    let history = candidate.history;
    if history.is_empty() {
        return candidate.utilization * candidate.capacity_mips;
    }
    // `SelectionConfig::validate` rejects `last_n` = 0; read it as 1 rather than average nothing.
    let recent = &history[history.len().saturating_sub(last_n.max(1))..];
    recent.iter().map(|u| u * candidate.capacity_mips).sum::<f64>() / recent.len() as f64
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::policy::selection::test_candidate;

    fn pick(last_n: usize, candidates: &[VmCandidate]) -> Option<usize> {
        MmtMaxCpu { last_n }.select(candidates, &mut Pcg64::seed_from_u64(1))
    }

    #[test]
    fn busiest_of_the_least_ram_vms_in_absolute_cpu() {
        // Least RAM is 613 MB: indices 1, 2, 3. Means of the last 2 samples × capacity:
        //   1: (0.2 + 0.4)/2 × 2500 = 750
        //   2: (0.9 + 0.7)/2 × 500  = 400   (busiest as a fraction, but the smallest VM)
        //   3: (0.3 + 0.5)/2 × 2000 = 800   → picked
        // Index 0 (1740 MB) is busier still (1800) but has more RAM.
        let candidates = [
            test_candidate(1740, 2000.0, 0.9, &[0.9, 0.9]),
            test_candidate(613, 2500.0, 0.4, &[0.2, 0.4]),
            test_candidate(613, 500.0, 0.7, &[0.9, 0.7]),
            test_candidate(613, 2000.0, 0.5, &[0.3, 0.5]),
        ];
        assert_eq!(pick(2, &candidates), Some(3));
    }

    #[test]
    fn only_the_last_n_samples_count() {
        // Capacities 1000. Index 0: [0.9, 0.1, 0.1], index 1: [0.2, 0.2, 0.2].
        //   last_n = 2: 0 → 100, 1 → 200: index 1.
        //   last_n = 3: 0 → 366.7, 1 → 200: index 0.
        let candidates =
            [test_candidate(512, 1000.0, 0.1, &[0.9, 0.1, 0.1]), test_candidate(512, 1000.0, 0.2, &[0.2, 0.2, 0.2])];
        assert_eq!(pick(2, &candidates), Some(1));
        assert_eq!(pick(3, &candidates), Some(0));
    }

    #[test]
    fn short_histories_are_averaged_over_what_they_have() {
        // last_n = 3, capacities 1000. Index 0: [0.6] → 600 (Neat: sum/len of the slice, not sum/3 = 200).
        // Index 1: [0.1, 0.5, 0.5, 0.5] → last 3 → 500. Index 0 wins; dividing by last_n would pick index 1.
        let candidates =
            [test_candidate(512, 1000.0, 0.6, &[0.6]), test_candidate(512, 1000.0, 0.5, &[0.1, 0.5, 0.5, 0.5])];
        assert_eq!(pick(3, &candidates), Some(0));
    }

    #[test]
    fn an_empty_history_counts_as_the_current_utilization() {
        // Index 0 has no history: 0.7 × 1000 = 700 > index 1's 0.5 × 1000 = 500.
        let candidates = [test_candidate(512, 1000.0, 0.7, &[]), test_candidate(512, 1000.0, 0.9, &[0.5])];
        assert_eq!(pick(2, &candidates), Some(0));
    }

    #[test]
    fn ties_go_to_the_first_and_all_idle_picks_the_first_least_ram() {
        // Indices 1 and 2 tie at 0.4 × 1000 = 400; the strict `>` keeps index 1.
        let tied = [
            test_candidate(1024, 1000.0, 0.9, &[0.9]),
            test_candidate(512, 1000.0, 0.4, &[0.4]),
            test_candidate(512, 1000.0, 0.4, &[0.4]),
        ];
        assert_eq!(pick(2, &tied), Some(1));
        // Every least-RAM VM idle: no mean exceeds 0 (Neat would return None); the first least-RAM VM, index 1.
        let idle = [
            test_candidate(1024, 1000.0, 0.9, &[0.9]),
            test_candidate(512, 1000.0, 0.0, &[0.0, 0.0]),
            test_candidate(512, 1000.0, 0.0, &[0.0]),
        ];
        assert_eq!(pick(2, &idle), Some(1));
        assert_eq!(pick(2, &[]), None);
    }
}
