//! `fleetsim inspect` (stub until the synth branch lands).
use crate::trace::InstanceTrace;
pub struct TraceReport;
pub fn analyse(_trace: &InstanceTrace) -> TraceReport {
    TraceReport
}
impl std::fmt::Display for TraceReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "")
    }
}
impl TraceReport {
    pub fn write_arrow(&self, _path: &std::path::Path) -> anyhow::Result<()> {
        Ok(())
    }
}
