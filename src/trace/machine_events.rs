//! StarCompactor machine-event CSV, both layouts (helper fills this in).
use super::{MachineTrace, ReadOptions, TraceError};
use std::path::Path;

pub fn parse(path: &Path, bytes: &[u8], options: ReadOptions) -> Result<MachineTrace, TraceError> {
    let _ = (path, bytes, options);
    todo!()
}
