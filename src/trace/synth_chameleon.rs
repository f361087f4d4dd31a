//! Synthetic Chameleon-like trace generator (stub until the synth branch lands).
use std::path::Path;

pub struct SynthOptions {
    pub seed: u64,
    pub scale: f64,
}
pub struct SynthTrace;
pub fn generate(_options: &SynthOptions) -> Result<SynthTrace, String> {
    Err("not yet".into())
}
pub fn write_files(_trace: &SynthTrace, _instances: &Path, _machines: &Path) -> anyhow::Result<()> {
    Ok(())
}
