//! `kohi watch`'s standard output: one event a line, each whole or not at all, and, when it is a
//! file, on disk before the event is acknowledged.

use std::fs::File;
use std::io::{self, Stdout, Write};

/// Standard output, and a second handle to it when it is a file on disk (not a pipe or a
/// terminal).
pub(crate) struct Lines {
    stdout: Stdout,
    file: Option<File>,
}

impl Lines {
    pub(crate) fn new() -> Lines {
        Lines { stdout: io::stdout(), file: file_of(&io::stdout()) }
    }

    /// Whether standard output is a file on disk.
    pub(crate) fn is_file(&self) -> bool {
        self.file.is_some()
    }

    /// Whether standard output goes nowhere: `/dev/null`, which is also what Rust opens in its
    /// place when it was closed. A line written there is acknowledged unread.
    pub(crate) fn goes_nowhere(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let null = std::fs::metadata("/dev/null");
            let out = std::os::fd::AsFd::as_fd(&self.stdout).try_clone_to_owned().map(File::from);
            if let (Ok(null), Ok(Ok(out))) = (null, out.map(|f| f.metadata())) {
                return (out.dev(), out.ino(), out.rdev()) == (null.dev(), null.ino(), null.rdev());
            }
        }
        false
    }

    /// Ends a line that a kill or a power cut left without its newline (its event was not
    /// acknowledged, and comes again), so that this run's first line is not glued to it, which
    /// would make both unreadable. Checked on Linux, where the file can be opened again for
    /// reading (`>` and `>>` open it write-only); elsewhere a cut line stays as it was.
    pub(crate) fn end_cut_line(&self) -> io::Result<()> {
        match self.file.as_ref() {
            Some(mut file) if last_byte(file).is_some_and(|b| b != b'\n') => file.write_all(b"\n"),
            _ => Ok(()),
        }
    }

    /// Writes `line` (ending in a newline) in one write, and flushes it. To a file, directly (no
    /// buffer that could write a rest later), and a write that fails part-way (a full disk) is
    /// cut back off the file, so no partial line stays behind.
    pub(crate) fn write(&self, line: &[u8]) -> io::Result<()> {
        let Some(mut file) = self.file.as_ref() else {
            let mut out = self.stdout.lock();
            return out.write_all(line).and_then(|()| out.flush());
        };
        let before = file.metadata().map(|m| m.len());
        let written = file.write_all(line);
        if let (Err(_), Ok(len)) = (&written, before) {
            let _ = file.set_len(len);
        }
        written
    }

    /// Syncs the lines written so far to disk (a file only): the ledger syncs each
    /// acknowledgement, and a line left in the page cache could be lost by a power cut while its
    /// acknowledgement survived. A file that cannot be synced at all (`EINVAL`: some special and
    /// network file systems) is taken as a pipe is, unsynced; any other failure is an error.
    pub(crate) fn sync(&self) -> io::Result<()> {
        match self.file.as_ref().map(File::sync_data) {
            Some(Err(e)) if !matches!(e.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported) => Err(e),
            _ => Ok(()),
        }
    }
}

/// A second handle to `stdout` if it is a file on disk.
fn file_of(stdout: &Stdout) -> Option<File> {
    #[cfg(unix)]
    let handle = std::os::fd::AsFd::as_fd(stdout).try_clone_to_owned().ok()?;
    #[cfg(windows)]
    let handle = std::os::windows::io::AsHandle::as_handle(stdout).try_clone_to_owned().ok()?;
    let file = File::from(handle);
    file.metadata().ok()?.is_file().then_some(file)
}

/// The file's last byte, read through a handle of its own (Linux: `/proc/self/fd`); `None` when
/// it is empty or cannot be read.
#[cfg(target_os = "linux")]
fn last_byte(file: &File) -> Option<u8> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::FileExt;
    let len = file.metadata().ok()?.len().checked_sub(1)?;
    let reader = File::open(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
    let mut byte = [0];
    reader.read_exact_at(&mut byte, len).ok()?;
    Some(byte[0])
}

#[cfg(not(target_os = "linux"))]
fn last_byte(_: &File) -> Option<u8> {
    None
}
