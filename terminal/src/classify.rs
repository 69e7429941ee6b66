//! What a name in `res/` or `face/` is. Every name but a temporary one is delivered: a file the
//! inbox does not understand is still handed over (kind `other`), never ignored.

use std::ffi::OsStr;

use crate::request::split_interface_name;

/// Which folder a file came from, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// An answer in `res/` to a request from `req/` (`OQS…res_….xml`).
    Result,
    /// A result pushed into `face/` after a マイナンバーカード check (`OQS…res_….xml`).
    Face,
    /// A `.err` file in `res/`: the terminal refused a request.
    Rejected,
    /// A `.zip` in `res/` (bulk 一括照会 downloads may arrive zipped): every entry listed, each
    /// XML one parsed.
    BulkArchive,
    /// Not read: a special file (FIFO, device, directory) or a file over the size limit.
    Skipped,
    /// A document of PMH data of its own: its name starts with a prefix the layout file
    /// declares (`file_prefixes`, e.g. `PMHsimsm`). Parsed with the layout; paired with the
    /// qualification result of the same patient (see `WatchEvent::related`).
    Pmh,
    /// Anything else: an unknown extension or interface prefix (`PMHsimsm…`, a face output that
    /// is not XML). An `.xml` one is parsed when it parses; the rest is handed over unread.
    Other,
}

impl FileKind {
    /// The stable name used in JSON and by every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Result => "result",
            Self::Face => "face",
            Self::Rejected => "rejected",
            Self::BulkArchive => "bulk_archive",
            Self::Skipped => "skipped",
            Self::Other => "other",
            Self::Pmh => "pmh",
        }
    }

    /// Every kind, in the order of their C numbers (which never change).
    pub const ALL: [FileKind; 7] =
        [Self::Result, Self::Face, Self::Rejected, Self::BulkArchive, Self::Skipped, Self::Other, Self::Pmh];
}

/// The two folders the terminal writes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Folder {
    Res,
    Face,
}

impl Folder {
    pub(crate) const ALL: [Folder; 2] = [Folder::Res, Folder::Face];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Folder::Res => "res",
            Folder::Face => "face",
        }
    }
}

/// Names a writer uses while a file is incomplete (and our own hidden files): never delivered.
pub(crate) fn is_temporary(name: &OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    let lower = bytes.to_ascii_lowercase();
    bytes.starts_with(b".") || lower.ends_with(b".tmp") || lower.ends_with(b".part") || bytes.ends_with(b"~")
}

/// The kind of a (non-temporary) regular file by folder and name (and the layout's PMH file
/// prefixes). A name that is not UTF-8 (a share mounted with another character set, a free part
/// written in Shift_JIS) is told by its interface and extension as any other: both are ASCII.
/// Such a file was `other`, so a rejected request (`.err`) or a bulk archive came as `other`, and
/// a consumer taking `result` and `face` passed its answer by. It is delivered with its exact
/// bytes as the path; what needs its free part as text (pairing) leaves it out.
pub(crate) fn kind_of<'a>(folder: Folder, name: &OsStr, pmh_prefixes: impl IntoIterator<Item = &'a str>) -> FileKind {
    let name = name.to_string_lossy();
    let name = name.as_ref();
    let lower = name.to_ascii_lowercase();
    let result_of_ours = || matches!(split_interface_name(name), Some((i, "res", _)) if i.starts_with("OQS"));
    let document = lower.ends_with(".xml") || lower.ends_with(".json");
    let pmh = || pmh_prefixes.into_iter().any(|p| !p.is_empty() && name.starts_with(p));
    match folder {
        Folder::Res if lower.ends_with(".err") => FileKind::Rejected,
        Folder::Res if lower.ends_with(".zip") => FileKind::BulkArchive,
        _ if document && pmh() => FileKind::Pmh,
        Folder::Res if lower.ends_with(".xml") && result_of_ours() => FileKind::Result,
        Folder::Face if lower.ends_with(".xml") && result_of_ours() => FileKind::Face,
        _ => FileKind::Other,
    }
}

/// Whether a file of this kind is parsed as a result document.
pub(crate) fn parses_as_xml(kind: FileKind, name: &OsStr) -> bool {
    match kind {
        FileKind::Result | FileKind::Face | FileKind::Pmh => true,
        FileKind::Other => name.as_encoded_bytes().to_ascii_lowercase().ends_with(b".xml"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(folder: Folder, name: &str) -> FileKind {
        kind_of(folder, OsStr::new(name), [])
    }

    #[test]
    fn kinds_by_folder_and_name() {
        assert_eq!(kind(Folder::Res, "OQSsiquc01res_1.xml"), FileKind::Result);
        assert_eq!(kind(Folder::Res, "OQSsiquc01res_PREQ_7.xml"), FileKind::Result);
        assert_eq!(kind(Folder::Res, "OQSsiquc01req_1.err"), FileKind::Rejected);
        // The refused request the terminal puts back beside its .err: handed over, not a result.
        assert_eq!(kind(Folder::Res, "OQSsiquc01req_1.xml"), FileKind::Other);
        assert_eq!(kind(Folder::Res, "OQSmuquc02res_1.zip"), FileKind::BulkArchive);
        assert_eq!(kind(Folder::Res, "PMHsimsm01res_1.xml"), FileKind::Other);
        assert_eq!(kind(Folder::Res, "notes.txt"), FileKind::Other);
        assert_eq!(kind(Folder::Face, "OQSsiquc01res_face_x_1.xml"), FileKind::Face);
        let pmh = |folder, name| kind_of(folder, OsStr::new(name), ["PMHsimsm"]);
        assert_eq!(pmh(Folder::Res, "PMHsimsm01res_1.xml"), FileKind::Pmh);
        assert_eq!(pmh(Folder::Face, "PMHsimsm01res_face_1.json"), FileKind::Pmh);
        assert_eq!(pmh(Folder::Res, "PMHsimsm01res_1.err"), FileKind::Rejected);
        assert_eq!(pmh(Folder::Res, "OQSsiquc01res_1.xml"), FileKind::Result);
        assert_eq!(kind(Folder::Res, "PMHsimsm01res_1.xml"), FileKind::Other, "no layout prefix: other");
        assert_eq!(kind(Folder::Face, "publicmedicalhub_1.json"), FileKind::Other);
        for temp in [".partial.xml", "x.xml.tmp", "x.XML.TMP", "x.xml.part", "x.xml~"] {
            assert!(is_temporary(OsStr::new(temp)), "{temp}");
        }
        assert!(!is_temporary(OsStr::new("OQSsiquc01res_1.xml")));
    }

    #[test]
    fn which_kinds_are_parsed() {
        assert!(parses_as_xml(FileKind::Result, OsStr::new("a.xml")));
        assert!(parses_as_xml(FileKind::Other, OsStr::new("PMHsimsm01res_1.XML")));
        assert!(!parses_as_xml(FileKind::Other, OsStr::new("a.json")));
        assert!(!parses_as_xml(FileKind::Rejected, OsStr::new("a.err")));
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_told_by_its_interface_and_extension() {
        use std::os::unix::ffi::OsStrExt;
        let kind = |folder, name: &[u8]| kind_of(folder, OsStr::from_bytes(name), ["PMHsimsm"]);
        // A free part in Shift_JIS (見本).
        assert_eq!(kind(Folder::Res, b"OQSsiquc01res_\x8c\xa9\x96\x7b.xml"), FileKind::Result);
        assert_eq!(kind(Folder::Face, b"OQSsiquc01res_\x8c\xa9\x96\x7b.xml"), FileKind::Face);
        assert_eq!(kind(Folder::Res, b"OQSsiquc01req_\xff.err"), FileKind::Rejected);
        assert_eq!(kind(Folder::Res, b"OQSmuquc02res_\xff.zip"), FileKind::BulkArchive);
        assert_eq!(kind(Folder::Res, b"PMHsimsm01res_\xff.xml"), FileKind::Pmh);
        // Not in the interface's part: nothing to tell it by.
        assert_eq!(kind(Folder::Res, b"OQS\xffsiquc01res_1.xml"), FileKind::Other);
    }
}
