//! MMT with max CPU. (Stub: to be implemented.)

use rand_pcg::Pcg64;

use crate::policy::selection::{VmCandidate, VmSelector};

#[derive(Clone, Debug)]
pub struct MmtMaxCpu {
    pub last_n: usize,
}

impl VmSelector for MmtMaxCpu {
    fn select(&mut self, candidates: &[VmCandidate], _rng: &mut Pcg64) -> Option<usize> {
        (!candidates.is_empty()).then_some(0)
    }
}
