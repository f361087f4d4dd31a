//! Random selection (RS): a uniformly random candidate.
//!
//! CloudSim (`PowerVmSelectionPolicyRandomSelection`) draws `new Random().nextInt(n)` and Neat (`random`) draws
//! Python's `random.choice`, both unseeded. Here the index is drawn from the run's seeded `Pcg64`, one draw per
//! call, so a run is reproducible from its seed (the sequence cannot match either reference system's).

use rand::RngExt;
use rand_pcg::Pcg64;

use crate::policy::selection::{VmCandidate, VmSelector};

#[derive(Clone, Debug)]
pub struct RandomSelection;

impl VmSelector for RandomSelection {
    fn select(&mut self, candidates: &[VmCandidate], rng: &mut Pcg64) -> Option<usize> {
        (!candidates.is_empty()).then(|| rng.random_range(0..candidates.len()))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::policy::selection::test_candidate;

    fn picks(seed: u64, candidates: &[VmCandidate], draws: usize) -> Vec<Option<usize>> {
        let mut rng = Pcg64::seed_from_u64(seed);
        (0..draws).map(|_| RandomSelection.select(candidates, &mut rng)).collect()
    }

    fn five() -> Vec<VmCandidate<'static>> {
        (0..5).map(|i| test_candidate(512 + i, 1000.0, 0.5, &[])).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_picks() {
        let candidates = five();
        assert_eq!(picks(42, &candidates, 50), picks(42, &candidates, 50));
        // The generator advances: 50 draws among 5 are not all equal (probability 5^-49 for a fair draw).
        let draws = picks(42, &candidates, 50);
        assert!(draws.iter().any(|&d| d != draws[0]), "{draws:?}");
        // Another seed gives another sequence.
        assert_ne!(picks(42, &candidates, 50), picks(43, &candidates, 50));
    }

    #[test]
    fn every_index_appears_roughly_uniformly() {
        // 5000 draws among 5: each index expects 1000 (sd ≈ 28); 850..1150 is over 5 sd either side.
        let candidates = five();
        let mut counts = [0usize; 5];
        for draw in picks(7, &candidates, 5000) {
            counts[draw.expect("candidates are not empty")] += 1;
        }
        assert!(counts.iter().all(|&c| (850..=1150).contains(&c)), "{counts:?}");
    }

    #[test]
    fn empty_gives_none_and_one_gives_it() {
        assert_eq!(picks(1, &[], 3), vec![None; 3]);
        let one = [test_candidate(512, 1000.0, 0.5, &[])];
        assert_eq!(picks(1, &one, 3), vec![Some(0); 3]);
    }
}
