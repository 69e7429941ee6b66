//! Making a file's new name durable: a synced file is on disk, but the directory entry that names
//! it is the directory's, and is on disk only once the directory is synced (POSIX says nothing
//! of it otherwise; ext4, XFS and network file systems differ).

use std::path::Path;

/// Syncs the directory `dir`, so that names linked, renamed or removed in it survive a power
/// cut. Best effort: some file systems (several network shares) cannot sync a directory and say
/// so (`EINVAL`), and the name's file is synced already; on Windows a directory cannot be opened
/// as a file, and NTFS journals its names.
pub(crate) fn sync_dir(dir: &Path) {
    // A bare name's parent is "": the current folder.
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
