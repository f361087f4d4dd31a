//! Constant demand: every running VM uses the same fraction of its vCPUs and of its RAM.

use crate::usage::Demand;

pub struct ConstantDemand {
    pub fraction: f64,
    pub memory_fraction: f64,
}

impl ConstantDemand {
    pub fn demand(&self) -> Demand {
        Demand { cpu: self.fraction, memory: self.memory_fraction }
    }
}
