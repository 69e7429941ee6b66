//! Whether two paths name one folder, before or after it exists: the check that keeps
//! `done_dir` from being a folder the inbox watches.

use std::path::{Component, Path, PathBuf};

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
