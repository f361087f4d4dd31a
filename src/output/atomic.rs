//! Atomic file output: write into a temporary file beside the target, then rename it into place, so that a
//! killed process never leaves a truncated result file behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

/// How the temporary files of unfinished writes begin, so that a later run can recognise the ones a killed process
/// left behind (a sweep resumed into its folder removes them: see `sweep::parts`).
pub const UNFINISHED_PREFIX: &str = ".fleetsim-unfinished-";

/// Writes `path` atomically: `fill` writes into a buffered temporary file in the same directory, which then
/// replaces `path` in one rename. The parent directory is created if it is missing.
pub fn write_atomically<F>(path: &Path, fill: F) -> anyhow::Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> anyhow::Result<()>,
{
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create output directory {}", parent.display()))?;
    let temporary = tempfile::Builder::new()
        .prefix(UNFINISHED_PREFIX)
        .tempfile_in(parent)
        .with_context(|| format!("cannot create a temporary file in {}", parent.display()))?;
    let file = temporary.reopen().with_context(|| format!("cannot open a temporary file in {}", parent.display()))?;
    let mut writer = BufWriter::new(file);
    fill(&mut writer)?;
    writer.flush().with_context(|| format!("cannot write {}", path.display()))?;
    // Temporary files are private (0600); results are meant to be shared like any file the user writes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(temporary.path(), std::fs::Permissions::from_mode(0o644));
    }
    temporary
        .persist(path)
        .with_context(|| format!("cannot move the finished file into place at {}", path.display()))?;
    Ok(())
}
