//! StarCompactor instance-event CSV, both layouts (helper fills this in).
use super::{InstanceTrace, ReadOptions, TraceError};
use std::path::Path;

pub fn parse(path: &Path, bytes: &[u8], options: ReadOptions) -> Result<InstanceTrace, TraceError> {
    let _ = (path, bytes, options);
    todo!()
}
