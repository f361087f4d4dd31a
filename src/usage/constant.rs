//! Constant demand: every running VM uses the same fraction of its vCPUs.

pub struct ConstantDemand {
    pub fraction: f64,
}
