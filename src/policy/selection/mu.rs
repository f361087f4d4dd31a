//! Minimum utilisation (MU). (Stub: to be implemented.)

use rand_pcg::Pcg64;

use crate::policy::selection::{VmCandidate, VmSelector};

#[derive(Clone, Debug)]
pub struct MinimumUtilization {
    pub semantics: crate::policy::Semantics,
}

impl VmSelector for MinimumUtilization {
    fn select(&mut self, candidates: &[VmCandidate], _rng: &mut Pcg64) -> Option<usize> {
        (!candidates.is_empty()).then_some(0)
    }
}
