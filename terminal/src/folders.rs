//! Which folders the inbox and the request writer may be given. A setting that puts kohi's own
//! files in a watched folder, a watcher given a folder that is not the terminal's, a request
//! written outside `req/`: each would go on without end or without a word, so each is refused
//! at the start. [`same_folder`] tells two spellings of one folder apart from two folders.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use kohi::{Error, Result};

use crate::classify::Folder;
use crate::watch::WatchOptions;

/// Whether `a` and `b` are the same folder: by what the file system says when both exist
/// (symlinks and `..` resolved), else by their spelling made absolute, `.` and `..` folded.
pub(crate) fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => folded(a).is_some_and(|a| folded(b).is_some_and(|b| a == b)),
    }
}

/// `path` made absolute with `.` dropped and `..` taking off the name before it (`None` if the
/// working folder cannot be read). Spelling only: a `..` after a symlink may name another
/// folder, which is why the file system's answer is preferred when there is one.
fn folded(path: &Path) -> Option<PathBuf> {
    let mut folded = PathBuf::new();
    for component in std::path::absolute(path).ok()?.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                folded.pop();
            }
            other => folded.push(other),
        }
    }
    Some(folded)
}

/// `invalid_setting` naming the setting when kohi's own files would land in a folder the watcher
/// watches, however spelled: a folder of `done_dir` (`<done>/res`, `<done>/face`), where each
/// acknowledged file would be a new file delivered again under a new name, without end; the
/// folder of `state_file`, whose database, `-wal` and `-shm` change with every acknowledgement
/// and would be delivered after each one, without end.
pub(crate) fn refuse_own_files_in_the_watch(root: &Path, options: &WatchOptions) -> Result<()> {
    let watched = Folder::ALL.map(|folder| root.join(folder.name()));
    let is_watched = |folder: &Path| watched.iter().any(|w| same_folder(folder, w));
    if let Some(done) = &options.done_dir
        && Folder::ALL.iter().any(|folder| is_watched(&done.join(folder.name())))
    {
        return Err(Error::InvalidSetting { name: "done_dir" });
    }
    if let Some(state) = &options.state_file
        && is_watched(state.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
    {
        return Err(Error::InvalidSetting { name: "state_file" });
    }
    Ok(())
}

const NAMED_AS_ONE_OF_THEM: &str = "the folder to watch has no res/ or face/ folder but is named as one of them: \
     give the terminal folder that holds res/ and face/";
const HOLDS_RESULT_FILES: &str = "the folder to watch has no res/ or face/ folder but holds result files: \
     give the terminal folder that holds res/ and face/";
const HOLDS_A_TERMINAL_FOLDER: &str = "the folder to watch has no res/ or face/ folder but holds a terminal folder: \
     give that folder";

/// How many entries of a folder with no `res/` or `face/` are looked at for a sign that it is
/// not the terminal folder: enough for any terminal's folders, few enough for a folder as large
/// as a drive's root to cost nothing.
const ENTRIES_LOOKED_AT: usize = 256;

/// `not_a_terminal_folder` when `root` exists with no `res/` or `face/` and a sign says the
/// terminal folder is elsewhere: the watcher would deliver nothing, and nothing would say why
/// (`kohi watch /mnt/oqs/res`, a share mounted one level up). Its name is `res`, `face` or `req`;
/// or it holds files of the kinds the terminal writes (`.xml`, `.err`, `.zip`); or a folder in
/// it holds `res/` or `face/` (other than `done_dir`, whose folders are named so). An empty
/// folder (a share's mount point before it is mounted) is no sign: it is watched, and its
/// folders are looked for until they appear.
pub(crate) fn refuse_a_folder_of_the_terminal(root: &Path, done_dir: Option<&Path>) -> Result<()> {
    let has_folders = |dir: &Path| Folder::ALL.iter().any(|folder| dir.join(folder.name()).is_dir());
    if has_folders(root) {
        return Ok(());
    }
    let is_a_terminal_name = |name: &OsStr| {
        ["res", "face", "req"].iter().any(|n| name.to_str().is_some_and(|name| name.eq_ignore_ascii_case(n)))
    };
    // `canonicalize`, for a root spelled `.` or `res/.`.
    let named = std::fs::canonicalize(root).ok().and_then(|path| path.file_name().map(is_a_terminal_name));
    if named == Some(true) {
        return Err(Error::NotATerminalFolder { why: NAMED_AS_ONE_OF_THEM });
    }
    let Ok(entries) = std::fs::read_dir(root) else { return Ok(()) };
    for entry in entries.flatten().take(ENTRIES_LOOKED_AT) {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && has_folders(&path) && !done_dir.is_some_and(|done| same_folder(done, &path)) {
            return Err(Error::NotATerminalFolder { why: HOLDS_A_TERMINAL_FOLDER });
        }
        let extension = path.extension().and_then(OsStr::to_str).unwrap_or("");
        if !is_dir && ["xml", "err", "zip"].iter().any(|e| extension.eq_ignore_ascii_case(e)) {
            return Err(Error::NotATerminalFolder { why: HOLDS_RESULT_FILES });
        }
    }
    Ok(())
}

/// `not_a_terminal_folder` when `req_dir` is certainly not the terminal's `req/`: it is `res/` or
/// `face/` (named so), where the terminal writes and never reads a request, or the terminal
/// folder itself (it holds `req/`). A request written there would never be answered, and
/// nothing would say why. A folder that does not exist is left to the write (`io`).
pub(crate) fn refuse_a_folder_other_than_req(req_dir: &Path) -> Result<()> {
    let name = std::fs::canonicalize(req_dir).ok().and_then(|path| path.file_name().map(|n| n.to_owned()));
    let named = |folder: &str| name.as_ref().and_then(|n| n.to_str()).is_some_and(|n| n.eq_ignore_ascii_case(folder));
    if named("res") || named("face") {
        return Err(Error::NotATerminalFolder {
            why: "requests go into the terminal's req/ folder, not res/ or face/, where it never reads one",
        });
    }
    if !named("req") && req_dir.join("req").is_dir() {
        return Err(Error::NotATerminalFolder {
            why: "requests go into the terminal's req/ folder: the folder given holds req/, give req/ itself",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_folder_that_does_not_exist_are_the_same() {
        let root = std::env::temp_dir().join(format!("kohi-same-folder-{}", std::process::id()));
        assert!(same_folder(&root, &root.join("res").join("..")));
        assert!(same_folder(&root.join("."), &root));
        assert!(!same_folder(&root.join("res"), &root.join("face")));
        assert!(!same_folder(&root.join("res"), &root));
    }
}
