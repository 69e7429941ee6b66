//! Status numbers, the error object, and the panic boundary.

use std::ffi::c_char;

use crate::kohi_str;

/// The result of every call that can fail. 1–99 are the core's stable error numbers (the same
/// numbers as `kohi::ERROR_CODES`); 1000 and up belong to the C ABI. A number is never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kohi_status {
    Ok = 0,
    /// Reading the input failed.
    Io = 1,
    /// Input exceeds the size limit.
    InputTooLarge = 2,
    /// Bytes do not decode in the detected encoding.
    InvalidEncoding = 3,
    /// Declared encoding is neither UTF-8 nor Shift_JIS.
    UnsupportedEncoding = 4,
    /// Not well-formed XML.
    MalformedXml = 5,
    /// A DOCTYPE declaration was found.
    DoctypeNotAllowed = 6,
    /// Root element is not XmlMsg.
    UnexpectedRoot = 7,
    /// Elements nested deeper than the limit.
    NestingTooDeep = 8,
    /// The alias table is not valid.
    InvalidAliasTable = 9,
    /// A stored record given to reconcile is not valid.
    InvalidStoredRecord = 10,
    /// A request field is missing or malformed.
    InvalidRequest = 11,
    /// Text holds a character the output encoding cannot represent.
    UnrepresentableCharacter = 12,
    /// The document exceeds a limit on its shape (elements, text, patients, 公費, unknowns, warnings).
    LimitExceeded = 13,
    /// The declared encoding contradicts the bytes.
    EncodingConflict = 14,
    /// Another watcher (in this or another process) holds the folder.
    AlreadyWatched = 15,
    /// The watcher's state store (its SQLite ledger) could not be opened, read or written.
    StateStore = 16,
    /// A setting is out of its allowed range, or puts kohi's files in a watched folder.
    InvalidSetting = 17,
    /// A layout file is not valid (the message names the key).
    InvalidLayout = 18,
    /// A folder given is not the terminal folder (to watch) or its `req/` (for requests).
    NotATerminalFolder = 19,
    /// A pointer that must not be NULL was NULL.
    NullArgument = 1000,
    /// An argument is not valid: a `const char *` that is not UTF-8, an unknown field or kind,
    /// a date that is not YYYY-MM-DD.
    InvalidArgument = 1001,
    /// An index is past the end of its list.
    OutOfRange = 1002,
    /// The field holds a character the requested string encoding (CP932) cannot represent.
    Unrepresentable = 1003,
    /// kohi panicked. The panic was caught; the host process is unharmed. Please report it.
    Panic = 1004,
    /// The watcher was cancelled with `kohi_watcher_cancel`: no event was taken.
    Cancelled = 1005,
}

impl kohi_status {
    /// The snake_case name (the core's code for core errors).
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok\0",
            Self::Io => "io\0",
            Self::InputTooLarge => "input_too_large\0",
            Self::InvalidEncoding => "invalid_encoding\0",
            Self::UnsupportedEncoding => "unsupported_encoding\0",
            Self::MalformedXml => "malformed_xml\0",
            Self::DoctypeNotAllowed => "doctype_not_allowed\0",
            Self::UnexpectedRoot => "unexpected_root\0",
            Self::NestingTooDeep => "nesting_too_deep\0",
            Self::InvalidAliasTable => "invalid_alias_table\0",
            Self::InvalidStoredRecord => "invalid_stored_record\0",
            Self::InvalidRequest => "invalid_request\0",
            Self::UnrepresentableCharacter => "unrepresentable_character\0",
            Self::LimitExceeded => "limit_exceeded\0",
            Self::EncodingConflict => "encoding_conflict\0",
            Self::AlreadyWatched => "already_watched\0",
            Self::StateStore => "state_store\0",
            Self::InvalidSetting => "invalid_setting\0",
            Self::InvalidLayout => "invalid_layout\0",
            Self::NotATerminalFolder => "not_a_terminal_folder\0",
            Self::NullArgument => "null_argument\0",
            Self::InvalidArgument => "invalid_argument\0",
            Self::OutOfRange => "out_of_range\0",
            Self::Unrepresentable => "unrepresentable\0",
            Self::Panic => "panic\0",
            Self::Cancelled => "cancelled\0",
        }
    }

    pub(crate) const ALL: [kohi_status; 26] = [
        Self::Ok,
        Self::Io,
        Self::InputTooLarge,
        Self::InvalidEncoding,
        Self::UnsupportedEncoding,
        Self::MalformedXml,
        Self::DoctypeNotAllowed,
        Self::UnexpectedRoot,
        Self::NestingTooDeep,
        Self::InvalidAliasTable,
        Self::InvalidStoredRecord,
        Self::InvalidRequest,
        Self::UnrepresentableCharacter,
        Self::LimitExceeded,
        Self::EncodingConflict,
        Self::AlreadyWatched,
        Self::StateStore,
        Self::InvalidSetting,
        Self::InvalidLayout,
        Self::NotATerminalFolder,
        Self::NullArgument,
        Self::InvalidArgument,
        Self::OutOfRange,
        Self::Unrepresentable,
        Self::Panic,
        Self::Cancelled,
    ];

    pub fn from_number(n: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| *s as u32 == n)
    }

    pub(crate) fn from_core(e: &kohi_core::Error) -> Self {
        // The core's numbers are the statuses; an unknown (newer) one cannot happen in one
        // build, but must not become UB either.
        Self::from_number(e.number()).unwrap_or(Self::Panic)
    }
}

/// An error: status, snake_case name and a message that says where, never patient data.
pub struct kohi_error {
    pub(crate) status: kohi_status,
    /// NUL-terminated.
    pub(crate) message: String,
    /// The OS error number of an I/O error (`errno`, or `GetLastError` on Windows); 0 if none.
    pub(crate) os_code: i32,
}

impl kohi_error {
    pub(crate) fn new(status: kohi_status, message: impl Into<String>) -> Self {
        let mut message = message.into();
        message.retain(|c| c != '\0');
        message.push('\0');
        Self { status, message, os_code: 0 }
    }

    pub(crate) fn from_core(e: &kohi_core::Error) -> Self {
        let mut error = Self::new(kohi_status::from_core(e), e.to_string());
        error.os_code = e.os_code().unwrap_or(0);
        error
    }
}

/// Hands an error to the caller when it asked for one; returns its status.
///
/// # Safety
/// `err_out` is NULL or valid for a write.
pub(crate) unsafe fn fail(err_out: *mut *mut kohi_error, error: kohi_error) -> kohi_status {
    let status = error.status;
    if !err_out.is_null() {
        unsafe { *err_out = Box::into_raw(Box::new(error)) };
    }
    status
}

pub(crate) fn borrowed(s: &'static str) -> kohi_str {
    // Our static names end in NUL: the pointer is also a C string; the length excludes it.
    kohi_str { ptr: s.as_ptr() as *const c_char, len: s.len() - 1 }
}

/// Runs the body of an extern function, turning a panic into `fallback`: a panic must never
/// unwind into the vendor's process. Every extern function goes through here.
macro_rules! boundary {
    ($fallback:expr, $body:block) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => $fallback,
        }
    }};
}
pub(crate) use boundary;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_numbers_are_statuses_with_the_same_names() {
        for row in kohi_core::ERROR_CODES {
            let status = kohi_status::from_number(row.number).expect("every core error has a status");
            assert_eq!(status.name().trim_end_matches('\0'), row.code);
        }
        for status in kohi_status::ALL {
            assert!(status.name().ends_with('\0'));
            assert_eq!(kohi_status::from_number(status as u32), Some(status));
        }
    }

    #[test]
    fn the_boundary_catches_a_panic() {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let status = boundary!(kohi_status::Panic, {
            let v: Vec<u8> = Vec::new();
            if v.is_empty() {
                panic!("boom");
            }
            kohi_status::Ok
        });
        std::panic::set_hook(previous);
        assert_eq!(status, kohi_status::Panic);
    }
}
