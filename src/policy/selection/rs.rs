//! Random selection (RS). (Stub: to be implemented.)

use rand_pcg::Pcg64;

use crate::policy::selection::{VmCandidate, VmSelector};

#[derive(Clone, Debug)]
pub struct RandomSelection;

impl VmSelector for RandomSelection {
    fn select(&mut self, candidates: &[VmCandidate], _rng: &mut Pcg64) -> Option<usize> {
        (!candidates.is_empty()).then_some(0)
    }
}
