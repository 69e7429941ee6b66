//! The one error type of kohi.
//!
//! Every variant has a stable snake_case [`Error::code`] and a stable [`Error::number`]. The
//! numbers are part of the C ABI (they are the `kohi_status` values), so a number is never
//! reused and never changes meaning; new variants take the next free number. The table lives in
//! [`ERROR_CODES`] and in the README's error table (a test keeps them equal).
//!
//! Messages say *where* (byte offset, line, column, element path), never *what*: no text from
//! the document (which could be a patient's name or number) ever reaches a message.

use std::fmt;

/// Why a document is not well-formed XML. Our own closed set, so that no text from the input
/// (which quick-xml's messages sometimes quote) can reach an error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MalformedReason {
    /// The input ended inside markup or before every element was closed.
    UnexpectedEof,
    /// An end tag does not match the open element.
    MismatchedEndTag,
    /// An end tag with no open element.
    UnmatchedEndTag,
    /// Markup that is not XML syntax.
    InvalidSyntax,
    /// A bad attribute (duplicate, unquoted, …).
    InvalidAttribute,
    /// An entity or character reference that is unknown or not a valid character.
    InvalidReference,
    /// Text or a second element outside the root element.
    ContentOutsideRoot,
    /// The document has no root element.
    NoRootElement,
    /// The XML declaration is malformed.
    InvalidDeclaration,
    /// A character XML does not allow (such as U+0000).
    InvalidCharacter,
    /// The JSON form (the Web API's) is not well-formed JSON, or not the form of an `XmlMsg`.
    InvalidJson,
}

impl fmt::Display for MalformedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnexpectedEof => "unexpected end of input",
            Self::MismatchedEndTag => "end tag does not match the open element",
            Self::UnmatchedEndTag => "end tag without an open element",
            Self::InvalidSyntax => "invalid markup",
            Self::InvalidAttribute => "invalid attribute",
            Self::InvalidReference => "invalid entity or character reference",
            Self::ContentOutsideRoot => "content outside the root element",
            Self::NoRootElement => "no root element",
            Self::InvalidDeclaration => "invalid XML declaration",
            Self::InvalidCharacter => "character not allowed in XML",
            Self::InvalidJson => "not well-formed JSON, or not the JSON form of an XmlMsg",
        })
    }
}

/// Which limit an input exceeded (see [`crate::Limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// Elements in a document (or one bulk unit).
    Elements,
    /// Bytes of text in a document.
    TextBytes,
    /// Patients (bulk units) in a document.
    Patients,
    /// 公費 of one patient.
    KohiPerPatient,
    /// Unknown elements kept.
    UnknownElements,
    /// Warnings.
    Warnings,
    /// Bytes in one element or attribute name.
    NameBytes,
    /// Bytes of paths and text kept for unknown elements, attributes and warnings together.
    KeptBytes,
}

impl Limit {
    /// Every limit, in the order of their C numbers (`kohi_limit`), which never change.
    pub const ALL: [Limit; 8] = [
        Self::Elements,
        Self::TextBytes,
        Self::Patients,
        Self::KohiPerPatient,
        Self::UnknownElements,
        Self::Warnings,
        Self::NameBytes,
        Self::KeptBytes,
    ];

    /// The snake_case name the bindings set it by (the field of [`crate::Limits`]).
    pub fn name(self) -> &'static str {
        match self {
            Self::Elements => "elements",
            Self::TextBytes => "text_bytes",
            Self::Patients => "patients",
            Self::KohiPerPatient => "kohi_per_patient",
            Self::UnknownElements => "unknown_elements",
            Self::Warnings => "warnings",
            Self::NameBytes => "name_bytes",
            Self::KeptBytes => "kept_bytes",
        }
    }

    /// The limit named `name` (see [`Limit::name`]).
    pub fn from_name(name: &str) -> Option<Limit> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Elements => "elements",
            Self::TextBytes => "text bytes per element",
            Self::Patients => "patients",
            Self::KohiPerPatient => "公費 per patient",
            Self::UnknownElements => "unknown elements",
            Self::Warnings => "warnings",
            Self::NameBytes => "bytes in an element or attribute name",
            Self::KeptBytes => "bytes kept for unknown elements and warnings",
        })
    }
}

/// Everything that can make kohi refuse an input. Each has a stable snake_case
/// [`code`](Error::code) and [`number`](Error::number); messages say where, never what.
///
/// ```
/// let error = kohi::parse(b"<!DOCTYPE x><XmlMsg/>").unwrap_err();
/// assert_eq!((error.code(), error.number()), ("doctype_not_allowed", 6));
/// assert_eq!(error.to_string(), "DOCTYPE is not allowed (line 1, column 1)");
///
/// let missing = kohi::parse_file("no/such/file.xml", &kohi::ParseOptions::default()).unwrap_err();
/// assert_eq!(missing.io_kind(), Some(std::io::ErrorKind::NotFound));
/// assert_eq!(missing.io_path(), Some("no/such/file.xml"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a file failed: the kind, the path when there is one, and the OS error number
    /// (never the file's content).
    #[error("I/O error{}: {kind}{}", io_where(.path), os_error(.source))]
    Io {
        /// The OS error's kind (`NotFound`, `PermissionDenied`…).
        kind: std::io::ErrorKind,
        /// The OS error itself (its number: [`Error::os_code`]).
        #[source]
        source: std::io::Error,
        /// The file, when the error is about one.
        path: Option<Box<str>>,
    },
    /// The input is larger than the configured limit.
    #[error("input of {size} bytes exceeds the limit of {limit} bytes")]
    InputTooLarge {
        /// The input's size in bytes (at least; a stream stops counting past the limit).
        size: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The bytes do not decode in the detected encoding.
    #[error("bytes at offset {offset} are not valid {encoding}")]
    InvalidEncoding {
        /// The encoding concerned (`UTF-8`, `Shift_JIS`, …).
        encoding: &'static str,
        /// The byte offset of the first byte that does not decode.
        offset: usize,
    },
    /// The document names an encoding kohi does not read (only UTF-8 and Shift_JIS/CP932 are
    /// used by the terminal).
    #[error("unsupported encoding declared at line {line}")]
    UnsupportedEncoding {
        /// Line of the problem, from 1.
        line: usize,
    },
    /// Not well-formed XML.
    #[error("malformed XML at line {line}, column {column}: {reason}")]
    MalformedXml {
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
        /// Why, in words that never quote the input.
        reason: MalformedReason,
    },
    /// A `<!DOCTYPE …>`: refused so that no entity is ever expanded.
    #[error("DOCTYPE is not allowed (line {line}, column {column})")]
    DoctypeNotAllowed {
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
    },
    /// Well-formed, but the root element is not `XmlMsg`.
    #[error("root element is not XmlMsg (line {line}, column {column})")]
    UnexpectedRoot {
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
    },
    /// Elements nested deeper than the configured limit.
    #[error("elements nested deeper than {limit} at line {line}, column {column}")]
    NestingTooDeep {
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
        /// The nesting limit.
        limit: usize,
    },
    /// The caller's alias table is not valid.
    #[error("invalid alias table: {reason}")]
    InvalidAliasTable {
        /// Why, in words that never quote the input.
        reason: String,
    },
    /// A stored 公費 record given to reconcile (as JSON) is not valid.
    #[error("invalid stored record: {reason}")]
    InvalidStoredRecord {
        /// Why, in words that never quote the input.
        reason: String,
    },
    /// A request field is missing or malformed (the field is named, its value never shown).
    #[error("invalid request field `{field}`")]
    InvalidRequest {
        /// The request field's name.
        field: &'static str,
    },
    /// Text holds a character the output encoding cannot represent.
    #[error("a character cannot be represented in {encoding}")]
    UnrepresentableCharacter {
        /// The encoding concerned (`UTF-8`, `Shift_JIS`, …).
        encoding: &'static str,
    },
    /// The declared encoding contradicts the bytes (UTF-8 bytes declared Shift_JIS, or a UTF-8
    /// BOM with a Shift_JIS declaration): decoding would silently garble every name.
    #[error("the document declares {declared} but its bytes are {found}")]
    EncodingConflict {
        /// The encoding the document declares.
        declared: &'static str,
        /// The encoding its bytes are in.
        found: &'static str,
    },
    /// The document exceeds one of the limits on its shape.
    #[error("more than {max} {limit} at line {line}, column {column}")]
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// The limit's value.
        max: usize,
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
    },
    /// Another watcher (in this or another process) holds the folder: two would deliver every
    /// file twice.
    #[error("another watcher holds this folder")]
    AlreadyWatched,
    /// The watcher's state store could not be opened, read or written (`operation` says which).
    #[error("the watcher's state store failed ({operation}): {kind}")]
    StateStore {
        /// What the store was doing (`open`, `read`, `write`, …).
        operation: &'static str,
        /// The kind of failure (an I/O kind or SQLite's).
        kind: &'static str,
    },
    /// A setting is negative, zero where it must not be, absurdly large, or puts kohi's own files
    /// (`done_dir`, `state_file`) in a folder the watcher watches (the setting is named).
    #[error("setting `{name}` is out of its range or puts kohi's files in a watched folder")]
    InvalidSetting {
        /// The setting's name.
        name: &'static str,
    },
    /// A folder given is certainly not the terminal folder the call needs: a watcher's folder
    /// without `res/` or `face/` that is one of them itself (named so, or holding result files)
    /// or holds the terminal folder one level down; a request's folder that is `res/` or
    /// `face/`, or the terminal folder itself (holding `req/`). A watcher there would deliver
    /// nothing, a request would never be answered, and nothing would say why.
    #[error("{why}")]
    NotATerminalFolder {
        /// What is wrong and what to give instead (a fixed text, never a path).
        why: &'static str,
    },
    /// A layout file is not valid (the key is named; `reason` says why).
    #[error("invalid layout file at `{key}`: {reason}")]
    InvalidLayout {
        /// The key of the layout file that is wrong (`rename.X`, `place.Y`, …).
        key: String,
        /// Why, in words that never quote the input.
        reason: String,
    },
}

/// One row of the stable error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The number (C `kohi_status`, `.number` in the bindings); never reused.
    pub number: u32,
    /// The snake_case code (`.code` in the bindings); never renamed.
    pub code: &'static str,
    /// What it means, in one line.
    pub meaning: &'static str,
}

/// One row per error: number, variant, code, meaning. The rows give [`ERROR_CODES`] and each
/// variant's number; the C statuses, the README table and the Python classes are checked
/// against them by tests. Numbers are never reused: append only.
macro_rules! error_codes {
    ($($number:literal $variant:ident $code:literal $meaning:literal,)+) => {
        /// The stable table: numbers are never reused. Append only.
        pub const ERROR_CODES: &[ErrorCode] = &[
            $(ErrorCode { number: $number, code: $code, meaning: $meaning },)+
        ];

        impl Error {
            fn table_row(&self) -> &'static ErrorCode {
                let number = match self {
                    $(Self::$variant { .. } => $number,)+
                };
                &ERROR_CODES[number as usize - 1]
            }
        }
    };
}

error_codes! {
    1 Io "io" "reading the input failed",
    2 InputTooLarge "input_too_large" "input exceeds the size limit",
    3 InvalidEncoding "invalid_encoding" "bytes do not decode in the detected encoding",
    4 UnsupportedEncoding "unsupported_encoding" "declared encoding is neither UTF-8 nor Shift_JIS",
    5 MalformedXml "malformed_xml" "not well-formed XML",
    6 DoctypeNotAllowed "doctype_not_allowed" "a DOCTYPE declaration was found",
    7 UnexpectedRoot "unexpected_root" "root element is not XmlMsg",
    8 NestingTooDeep "nesting_too_deep" "elements nested deeper than the limit",
    9 InvalidAliasTable "invalid_alias_table" "the caller's alias table is not valid",
    10 InvalidStoredRecord "invalid_stored_record" "a stored record given to reconcile is not valid",
    11 InvalidRequest "invalid_request" "a request field is missing or malformed",
    12 UnrepresentableCharacter "unrepresentable_character" "a character the output encoding cannot represent",
    13 LimitExceeded "limit_exceeded" "more elements, text, patients, 公費, unknown elements or warnings than the limits allow",
    14 EncodingConflict "encoding_conflict" "the declared encoding contradicts the bytes",
    15 AlreadyWatched "already_watched" "another watcher holds this folder",
    16 StateStore "state_store" "the watcher's state store could not be opened, read or written",
    17 InvalidSetting "invalid_setting" "a setting is out of its allowed range, or puts kohi's files in a watched folder",
    18 InvalidLayout "invalid_layout" "a layout file is not valid (the message names the key)",
    19 NotATerminalFolder "not_a_terminal_folder" "a folder given is not the terminal folder (to watch) or its req/ (for requests)",
}

impl Error {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        self.table_row().code
    }

    /// The stable number (the C ABI status).
    pub fn number(&self) -> u32 {
        self.table_row().number
    }

    /// `{"code": …, "number": …, "message": …}`: the error form of the JSON contract.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "code": self.code(), "number": self.number(), "message": self.to_string() }).to_string()
    }

    /// A failed read or write (the kind is kept; the OS message is the source, never the
    /// message).
    pub fn io(source: std::io::Error) -> Self {
        Self::Io { kind: source.kind(), source, path: None }
    }

    /// A failed read or write of `path`: the message names the file (where, never what).
    pub fn io_at(source: std::io::Error, path: &std::path::Path) -> Self {
        Self::Io { kind: source.kind(), source, path: Some(path.to_string_lossy().into()) }
    }

    /// The line and column an error of the document's markup gives, to be moved where they
    /// lie in the JSON form a document was read from (`json_form::locate`). None for every
    /// other error, and for one that is placed in the JSON already (`InvalidJson`).
    pub(crate) fn markup_position_mut(&mut self) -> Option<(&mut usize, &mut usize)> {
        match self {
            Self::MalformedXml { reason: MalformedReason::InvalidJson, .. } => None,
            Self::MalformedXml { line, column, .. }
            | Self::DoctypeNotAllowed { line, column }
            | Self::UnexpectedRoot { line, column }
            | Self::NestingTooDeep { line, column, .. }
            | Self::LimitExceeded { line, column, .. } => Some((line, column)),
            _ => None,
        }
    }

    /// The OS error number of an I/O error (`ENOENT` is 2 on Unix), if there is one.
    pub fn os_code(&self) -> Option<i32> {
        match self {
            Self::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// The kind of an I/O error (`NotFound`, `PermissionDenied`…), for the bindings' own error
    /// classes (Python's `FileNotFoundError`, Node's `ENOENT`).
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            Self::Io { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The path an I/O error is about, when there is one (a path, never file contents).
    pub fn io_path(&self) -> Option<&str> {
        match self {
            Self::Io { path, .. } => path.as_deref(),
            _ => None,
        }
    }

    /// The POSIX name of an I/O error's kind (`"ENOENT"`, `"EACCES"`…) as Node reports it in
    /// `error.code`, on every platform; `None` for kinds without one and for other errors.
    pub fn io_code_name(&self) -> Option<&'static str> {
        use std::io::ErrorKind as K;
        Some(match self.io_kind()? {
            K::NotFound => "ENOENT",
            K::PermissionDenied => "EACCES",
            K::IsADirectory => "EISDIR",
            K::NotADirectory => "ENOTDIR",
            K::AlreadyExists => "EEXIST",
            K::InvalidFilename => "ENAMETOOLONG",
            K::TooManyLinks => "EMLINK",
            K::ResourceBusy => "EBUSY",
            K::Interrupted => "EINTR",
            K::WouldBlock => "EAGAIN",
            K::TimedOut => "ETIMEDOUT",
            K::StorageFull => "ENOSPC",
            K::ReadOnlyFilesystem => "EROFS",
            _ => return None,
        })
    }
}

/// kohi's `Result`: the error is an [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn io_where(path: &Option<Box<str>>) -> String {
    path.as_deref().map(|p| format!(" reading `{p}`")).unwrap_or_default()
}

fn os_error(source: &std::io::Error) -> String {
    source.raw_os_error().map(|n| format!(" (os error {n})")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn io_errors_keep_kind_path_and_os_number() {
        let missing = std::io::Error::from_raw_os_error(2);
        let e = Error::io_at(missing, std::path::Path::new("res/a.xml"));
        assert_eq!(e.io_kind(), Some(std::io::ErrorKind::NotFound));
        assert_eq!(e.io_path(), Some("res/a.xml"));
        assert_eq!(e.io_code_name(), Some("ENOENT"));
        assert_eq!(e.os_code(), Some(2));
        assert_eq!(e.code(), "io");
        let denied = Error::io(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!((denied.io_code_name(), denied.io_path(), denied.os_code()), (Some("EACCES"), None, None));
        assert_eq!(Error::io(std::io::Error::other("x")).io_code_name(), None);
        assert_eq!(Error::InvalidSetting { name: "settle" }.io_kind(), None);
    }

    #[test]
    fn table_is_dense_unique_and_frozen() {
        let numbers: Vec<u32> = ERROR_CODES.iter().map(|e| e.number).collect();
        assert_eq!(numbers, (1..=ERROR_CODES.len() as u32).collect::<Vec<_>>());
        let codes: HashSet<&str> = ERROR_CODES.iter().map(|e| e.code).collect();
        assert_eq!(codes.len(), ERROR_CODES.len());
        // Frozen: these pairs are part of the C ABI. Changing one is a breaking change.
        let frozen = [
            (1, "io"),
            (2, "input_too_large"),
            (3, "invalid_encoding"),
            (4, "unsupported_encoding"),
            (5, "malformed_xml"),
            (6, "doctype_not_allowed"),
            (7, "unexpected_root"),
            (8, "nesting_too_deep"),
            (9, "invalid_alias_table"),
            (10, "invalid_stored_record"),
            (11, "invalid_request"),
            (12, "unrepresentable_character"),
            (13, "limit_exceeded"),
            (14, "encoding_conflict"),
            (15, "already_watched"),
            (16, "state_store"),
            (17, "invalid_setting"),
            (18, "invalid_layout"),
            (19, "not_a_terminal_folder"),
        ];
        for (n, c) in frozen {
            assert_eq!(ERROR_CODES[n - 1].code, c);
        }
    }

    #[test]
    fn variants_map_to_their_row() {
        let e = Error::MalformedXml { line: 3, column: 7, reason: MalformedReason::UnexpectedEof };
        assert_eq!((e.code(), e.number()), ("malformed_xml", 5));
        assert_eq!(e.to_string(), "malformed XML at line 3, column 7: unexpected end of input");
        let e = Error::io(std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!((e.code(), e.number()), ("io", 1));
        let e = Error::InvalidStoredRecord { reason: "x".into() };
        assert_eq!(e.number(), 10);
    }
}
