//! C ABI of kohi. Conventions are written down in `ffi/README.md`; in short:
//! opaque handles, one `*_free` per owned object, outputs written only on success, borrowed
//! `kohi_str` valid until their parent is freed, every function behind one panic boundary,
//! status numbers never reused.

#![allow(non_camel_case_types)]
// Every extern function checks its pointers before use; the safety contract is in the header.
#![allow(clippy::missing_safety_doc)]

mod legacy;
mod request;
mod status;
mod stream;
mod view;
mod watch;

use std::ffi::{CStr, CString, c_char};
use std::ptr;

pub use request::{kohi_request, kohi_request_encoding, kohi_request_field};
use status::{borrowed, boundary, fail};
pub use status::{kohi_error, kohi_status};
pub use stream::kohi_stream;
use view::{Cell, View};
pub use view::{
    kohi_header_field, kohi_kohi_field, kohi_kohi_flag, kohi_patient_field, kohi_qualification_field,
    kohi_string_encoding, kohi_tristate, kohi_unknown_field, kohi_warning_field,
};
pub use watch::{kohi_watch_event, kohi_watch_kind, kohi_watcher};

/// Major version of the library; equals the crate version.
pub const KOHI_VERSION_MAJOR: u32 = 0;
/// Minor version of the library.
pub const KOHI_VERSION_MINOR: u32 = 1;
/// Patch version of the library.
pub const KOHI_VERSION_PATCH: u32 = 0;

/// A borrowed string: `len` bytes at `ptr`, followed by a NUL that `len` does not count.
/// `ptr` is NULL (and `len` 0) when the value is absent; a present value is never empty.
/// Valid until the object it came from is freed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kohi_str {
    pub ptr: *const c_char,
    pub len: usize,
}

impl kohi_str {
    const ABSENT: kohi_str = kohi_str { ptr: ptr::null(), len: 0 };
}

/// Kinds of number for `kohi_check_number`.
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_number_kind {
    /// 保険者番号: 8 digits, or 6 for 国保.
    Insurer = 0,
    /// 公費負担者番号: 8 digits.
    Payer = 1,
    /// 受給者番号 of a national program: 7 digits.
    Recipient = 2,
}

/// Parse options. Create with `kohi_options_new`, free with `kohi_options_free`.
pub struct kohi_options {
    pub(crate) parse: kohi_core::ParseOptions,
    pub(crate) encoding: kohi_string_encoding,
    /// A watcher's pairing rules (`kohi_options_set_pair_by`); `None`: the default ones.
    pub(crate) pair_by: Option<Vec<kohi_terminal::PairBy>>,
    /// A watcher's folder for acknowledged files (`kohi_options_set_done_dir`).
    pub(crate) done_dir: Option<std::path::PathBuf>,
    /// A watcher's ledger (`kohi_options_set_state_file`); `None`: `<root>/.kohi-inbox.sqlite`.
    pub(crate) state_file: Option<std::path::PathBuf>,
}

/// The defaults (`kohi_options_new`, and NULL options): built-in layout, 64 MiB, UTF-8 strings.
impl Default for kohi_options {
    fn default() -> Self {
        kohi_options {
            parse: kohi_core::ParseOptions::default(),
            encoding: kohi_string_encoding::Utf8,
            pair_by: None,
            done_dir: None,
            state_file: None,
        }
    }
}

/// A parsed result file. Immutable: any number of threads may read one at once.
pub struct kohi_result {
    pub(crate) doc: kohi_core::Document,
    pub(crate) view: View,
}

/// # Safety
/// `p` is NULL or points to a NUL-terminated string.
pub(crate) unsafe fn utf8_arg<'a>(p: *const c_char) -> Result<&'a str, kohi_status> {
    if p.is_null() {
        return Err(kohi_status::NullArgument);
    }
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| kohi_status::InvalidArgument)
}

pub(crate) fn argument_error(status: kohi_status, what: &str) -> kohi_error {
    let message = match status {
        kohi_status::NullArgument => format!("argument `{what}` is NULL"),
        kohi_status::OutOfRange => format!("`{what}` is out of range"),
        _ => format!("argument `{what}` is not valid"),
    };
    kohi_error::new(status, message)
}

fn into_c_string(s: String) -> *mut c_char {
    // Our JSON never holds a NUL (the parser refuses U+0000 and JSON escapes controls).
    CString::new(s).map(CString::into_raw).unwrap_or(ptr::null_mut())
}

/// Hands `json` to the caller through `out` (checked not NULL by the caller) as a C string to
/// free with `kohi_string_free`, written only on success.
///
/// # Safety
/// `out` is valid for a write.
unsafe fn give_json(json: String, out: *mut *mut c_char) -> kohi_status {
    let json = into_c_string(json);
    if json.is_null() {
        return kohi_status::Panic;
    }
    unsafe { *out = json };
    kohi_status::Ok
}

// ---------------------------------------------------------------------------------------------
// Version

/// The library version, e.g. "0.1.0" (static, never freed).
#[unsafe(no_mangle)]
pub extern "C" fn kohi_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// The snake_case name of a status ("malformed_xml", "null_argument"…); "unknown" for a number
/// that is not a status. Static, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn kohi_status_name(status: u32) -> kohi_str {
    boundary!(kohi_str::ABSENT, { borrowed(kohi_status::from_number(status).map_or("unknown\0", kohi_status::name)) })
}

// ---------------------------------------------------------------------------------------------
// Options

/// New options with the defaults: built-in layout, 64 MiB limit, UTF-8 strings.
/// Free with `kohi_options_free`. NULL only if kohi panicked.
#[unsafe(no_mangle)]
pub extern "C" fn kohi_options_new() -> *mut kohi_options {
    boundary!(ptr::null_mut(), { Box::into_raw(Box::new(kohi_options::default())) })
}

/// Frees options. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_options_free(options: *mut kohi_options) {
    boundary!((), {
        if !options.is_null() {
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

/// Every options setter that takes text: NULL options, text that is NULL or not UTF-8 (named
/// `arg` in the error) and text that `apply` refuses each give their error through `*err_out`
/// (if not NULL), and the options stay as they were (`apply` changes them only once it holds).
unsafe fn set_from_text(
    options: *mut kohi_options,
    text: *const c_char,
    arg: &str,
    err_out: *mut *mut kohi_error,
    apply: impl FnOnce(&mut kohi_options, &str) -> Result<(), kohi_error>,
) -> kohi_status {
    let Some(options) = (unsafe { options.as_mut() }) else {
        return unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "options")) };
    };
    let text = match unsafe { utf8_arg(text) } {
        Ok(text) => text,
        Err(status) => return unsafe { fail(err_out, argument_error(status, arg)) },
    };
    match apply(options, text) {
        Ok(()) => kohi_status::Ok,
        Err(error) => unsafe { fail(err_out, error) },
    }
}

/// Adds element aliases, as JSON text: `{"CanonicalName": ["Alias", …]}`, to the layout file's
/// names if one is set (before or after); a second alias table replaces the first. On failure the
/// options are unchanged and `*err_out` (if not NULL) receives an error to free.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_options_set_aliases_json(
    options: *mut kohi_options,
    aliases_json: *const c_char,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        unsafe {
            set_from_text(options, aliases_json, "aliases_json", err_out, |options, json| {
                options.parse = options.parse.clone().with_aliases_json(json).map_err(|e| kohi_error::from_core(&e))?;
                Ok(())
            })
        }
    })
}

/// Uses a layout file, as JSON text (see the README, "When the official layout arrives"):
/// renamed elements, elements placed under other parents, wrappers, extra roots. An alias table
/// is accepted too. Aliases set with `kohi_options_set_aliases_json`, before or after, are added
/// to its names; a second layout file replaces the first. On failure (`KOHI_STATUS_INVALID_LAYOUT`, the message naming the key) the
/// options are unchanged and `*err_out` (if not NULL) receives an error to free.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_options_set_layout_json(
    options: *mut kohi_options,
    layout_json: *const c_char,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        unsafe {
            set_from_text(options, layout_json, "layout_json", err_out, |options, json| {
                options.parse = options.parse.clone().with_layout_json(json).map_err(|e| kohi_error::from_core(&e))?;
                Ok(())
            })
        }
    })
}

/// How a watcher pairs a PMH document with a qualification result (`kohi_watch_event_related`):
/// rule names separated by commas, tried in order (`arbitrary_file_identifier`: the same
/// `ArbitraryFileIdentifier` in both headers; `free_name`: the same free part of the file name),
/// or `none` (or an empty string) for no pairing. The default is
/// `arbitrary_file_identifier,free_name`. Only `kohi_watcher_new` reads it. An unknown name is
/// `KOHI_STATUS_INVALID_SETTING`: the options are unchanged and `*err_out` (if not NULL)
/// receives an error to free.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_options_set_pair_by(
    options: *mut kohi_options,
    utf8_rules: *const c_char,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        unsafe {
            set_from_text(options, utf8_rules, "utf8_rules", err_out, |options, rules| {
                let rules = kohi_terminal::PairBy::from_list(rules)
                    .map_err(|_| kohi_error::from_core(&kohi_core::Error::InvalidSetting { name: "pair_by" }))?;
                options.pair_by = Some(rules);
                Ok(())
            })
        }
    })
}

/// Where a watcher moves each file once it is acknowledged (never deleting, never overwriting:
/// `x.xml`, `x.2.xml`, …), as `kohi watch --done` does; an empty string for none (the default:
/// files stay where the terminal wrote them). Only `kohi_watcher_new` reads it, and refuses with
/// `KOHI_STATUS_INVALID_SETTING` a folder whose `res/` or `face/` is a watched folder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_options_set_done_dir(
    options: *mut kohi_options,
    utf8_path: *const c_char,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        unsafe {
            set_from_text(options, utf8_path, "utf8_path", err_out, |options, path| {
                options.done_dir = (!path.is_empty()).then(|| path.into());
                Ok(())
            })
        }
    })
}

/// Where a watcher keeps its ledger of acknowledged files (SQLite); an empty string for the
/// default, `<root>/.kohi-inbox.sqlite`. Only `kohi_watcher_new` reads it, and refuses with
/// `KOHI_STATUS_INVALID_SETTING` a file in `res/` or `face/` (its files would be delivered).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_options_set_state_file(
    options: *mut kohi_options,
    utf8_path: *const c_char,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        unsafe {
            set_from_text(options, utf8_path, "utf8_path", err_out, |options, path| {
                options.state_file = (!path.is_empty()).then(|| path.into());
                Ok(())
            })
        }
    })
}

/// Sets the input size limit in bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_options_set_max_input_bytes(options: *mut kohi_options, limit: usize) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(options) = (unsafe { options.as_mut() }) else { return kohi_status::NullArgument };
        options.parse = options.parse.clone().with_max_input_bytes(limit);
        kohi_status::Ok
    })
}

/// A limit on a document's shape, for `kohi_options_set_limit` (numbers never change).
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_limit {
    /// Elements in a document (in a stream: in one bulk unit).
    Elements = 0,
    /// Bytes of text in one element or attribute value.
    TextBytes = 1,
    /// Patients (bulk units) in a document; a stream has no such limit.
    Patients = 2,
    /// 公費 sources of one patient.
    KohiPerPatient = 3,
    UnknownElements = 4,
    Warnings = 5,
    /// Bytes in one element or attribute name.
    NameBytes = 6,
    /// Bytes of paths and text kept for unknown elements, attributes and warnings together.
    KeptBytes = 7,
}

/// Sets one limit (a `kohi_limit`) on a document's shape; `KOHI_STATUS_INVALID_ARGUMENT` for a
/// number that is not one. Defaults and meanings: `docs/SECURITY.md`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_options_set_limit(options: *mut kohi_options, limit: u32, value: usize) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(options) = (unsafe { options.as_mut() }) else { return kohi_status::NullArgument };
        let Some(&limit) = kohi_core::Limit::ALL.get(limit as usize) else { return kohi_status::InvalidArgument };
        let mut limits = options.parse.limits();
        limits.set(limit, value);
        options.parse = options.parse.clone().with_limits(limits);
        kohi_status::Ok
    })
}

/// Sets the encoding of every getter string: a `kohi_string_encoding`. JSON stays UTF-8.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_options_set_string_encoding(options: *mut kohi_options, encoding: u32) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(options) = (unsafe { options.as_mut() }) else { return kohi_status::NullArgument };
        options.encoding = match encoding {
            0 => kohi_string_encoding::Utf8,
            1 => kohi_string_encoding::Cp932,
            _ => return kohi_status::InvalidArgument,
        };
        kohi_status::Ok
    })
}

// ---------------------------------------------------------------------------------------------
// Parse

/// The common start of the functions that take a path and options: `out` must not be NULL, the
/// path must be UTF-8, NULL options mean the defaults.
///
/// # Safety
/// `utf8_path` is NULL or a NUL-terminated string; `options` is NULL or valid; `err_out` is NULL
/// or valid for a write.
pub(crate) unsafe fn path_and_options<'a, T>(
    utf8_path: *const c_char,
    path_name: &str,
    options: *const kohi_options,
    out: *mut T,
    err_out: *mut *mut kohi_error,
) -> Result<(&'a str, &'a kohi_options), kohi_status> {
    if out.is_null() {
        return Err(unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "out")) });
    }
    let path =
        unsafe { utf8_arg(utf8_path) }.map_err(|status| unsafe { fail(err_out, argument_error(status, path_name)) })?;
    Ok((path, unsafe { options.as_ref() }.unwrap_or_else(default_options)))
}

pub(crate) fn finish_parse(
    parsed: kohi_core::Result<kohi_core::Document>,
    encoding: kohi_string_encoding,
    out: *mut *mut kohi_result,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    match parsed {
        Ok(doc) => {
            let view = View::build(&doc, encoding);
            unsafe { *out = Box::into_raw(Box::new(kohi_result { doc, view })) };
            kohi_status::Ok
        }
        Err(e) => unsafe { fail(err_out, kohi_error::from_core(&e)) },
    }
}

pub(crate) fn default_options() -> &'static kohi_options {
    static DEFAULT: std::sync::OnceLock<kohi_options> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(kohi_options::default)
}

/// Parses a result file held in memory (UTF-8 or Shift_JIS, detected). `data` may be NULL only
/// when `len` is 0; `options` and `err_out` may be NULL. On success `*out` receives a result to
/// free with `kohi_result_free`; on failure `*out` is untouched and `*err_out` (if not NULL)
/// receives an error to free with `kohi_error_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_parse(
    data: *const u8,
    len: usize,
    options: *const kohi_options,
    out: *mut *mut kohi_result,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        if out.is_null() {
            return unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "out")) };
        }
        if data.is_null() && len != 0 {
            return unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "data")) };
        }
        let options = unsafe { options.as_ref() }.unwrap_or_else(default_options);
        // Checked before the slice is made: a slice longer than isize::MAX is undefined
        // behaviour (a debug build aborts), and no real buffer exceeds the limit anyway.
        let limit = options.parse.max_input_bytes();
        if len > limit || len > isize::MAX as usize {
            let error = kohi_error::from_core(&kohi_core::Error::InputTooLarge { size: len, limit });
            return unsafe { fail(err_out, error) };
        }
        let bytes: &[u8] = if len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(data, len) } };
        finish_parse(kohi_core::parse_with(bytes, &options.parse), options.encoding, out, err_out)
    })
}

/// Reads and parses a file; `utf8_path` is a NUL-terminated UTF-8 path. Otherwise as `kohi_parse`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_parse_file(
    utf8_path: *const c_char,
    options: *const kohi_options,
    out: *mut *mut kohi_result,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let (path, options) = match unsafe { path_and_options(utf8_path, "utf8_path", options, out, err_out) } {
            Ok(args) => args,
            Err(status) => return status,
        };
        finish_parse(kohi_core::parse_file(path, &options.parse), options.encoding, out, err_out)
    })
}

/// Frees a result and every string borrowed from it. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_result_free(result: *mut kohi_result) {
    boundary!((), {
        if !result.is_null() {
            drop(unsafe { Box::from_raw(result) });
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Errors

/// The status of an error (NULL_ARGUMENT for NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_error_code(error: *const kohi_error) -> kohi_status {
    boundary!(kohi_status::Panic, { unsafe { error.as_ref() }.map_or(kohi_status::NullArgument, |e| e.status) })
}

/// The snake_case name of an error's status, e.g. "malformed_xml". Static.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_error_name(error: *const kohi_error) -> kohi_str {
    boundary!(kohi_str::ABSENT, { unsafe { error.as_ref() }.map_or(kohi_str::ABSENT, |e| borrowed(e.status.name())) })
}

/// The message (ASCII; says where, never patient data). Borrowed from the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_error_message(error: *const kohi_error) -> kohi_str {
    boundary!(kohi_str::ABSENT, {
        unsafe { error.as_ref() }.map_or(kohi_str::ABSENT, |e| kohi_str {
            ptr: e.message.as_ptr() as *const c_char,
            len: e.message.len() - 1,
        })
    })
}

/// Frees an error. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_error_free(error: *mut kohi_error) {
    boundary!((), {
        if !error.is_null() {
            drop(unsafe { Box::from_raw(error) });
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Reading a result

pub(crate) fn write_cell(cell: Option<&Cell>, out: *mut kohi_str) -> kohi_status {
    let value = match cell {
        None => return kohi_status::InvalidArgument,
        Some(Cell::Unrepresentable) => return kohi_status::Unrepresentable,
        Some(Cell::Absent) => kohi_str::ABSENT,
        Some(Cell::Text(bytes)) => kohi_str { ptr: bytes.as_ptr() as *const c_char, len: bytes.len() - 1 },
    };
    unsafe { *out = value };
    kohi_status::Ok
}

fn write_count(n: usize, out: *mut usize) -> kohi_status {
    unsafe { *out = n };
    kohi_status::Ok
}

/// Resolves the result and a patient, or the status to return.
unsafe fn patient<'a>(result: *const kohi_result, index: usize) -> Result<&'a view::PatientView, kohi_status> {
    let result = unsafe { result.as_ref() }.ok_or(kohi_status::NullArgument)?;
    result.view.patients.get(index).ok_or(kohi_status::OutOfRange)
}

/// Resolves a 公費 entry.
unsafe fn kohi_entry<'a>(
    result: *const kohi_result,
    patient_index: usize,
    index: usize,
) -> Result<&'a view::KohiView, kohi_status> {
    unsafe { patient(result, patient_index) }?.kohi.get(index).ok_or(kohi_status::OutOfRange)
}

macro_rules! with_out {
    ($out:expr, $body:expr) => {{
        if $out.is_null() {
            return kohi_status::NullArgument;
        }
        match $body {
            Ok(status) => status,
            Err(status) => status,
        }
    }};
}

/// A header field: `field` is a `kohi_header_field` (a bulk result's file-level status among
/// them, `KOHI_HEADER_FIELD_BULK_…`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_header_get(result: *const kohi_result, field: u32, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { result.as_ref() }
                .ok_or(kohi_status::NullArgument)
                .map(|r| write_cell(r.view.header.get(field as usize), out))
        )
    })
}

/// The number of patients (one for a single result, one per unit of a bulk result, none for
/// an empty body).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_patient_count(result: *const kohi_result, out: *mut usize) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { result.as_ref() }
                .ok_or(kohi_status::NullArgument)
                .map(|r| write_count(r.view.patients.len(), out))
        )
    })
}

/// A patient field: `field` is a `kohi_patient_field`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_patient_get(
    result: *const kohi_result,
    patient_index: usize,
    field: u32,
    out: *mut kohi_str,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(out, unsafe { patient(result, patient_index) }.map(|p| write_cell(p.fields.get(field as usize), out)))
    })
}

/// The number of qualification results (`ResultOfQualificationConfirmation`) of a patient.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_qualification_count(
    result: *const kohi_result,
    patient_index: usize,
    out: *mut usize,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(out, unsafe { patient(result, patient_index) }.map(|p| write_count(p.qualifications.len(), out)))
    })
}

/// A qualification field: `field` is a `kohi_qualification_field`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_qualification_get(
    result: *const kohi_result,
    patient_index: usize,
    index: usize,
    field: u32,
    out: *mut kohi_str,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { patient(result, patient_index) }
                .and_then(|p| p.qualifications.get(index).ok_or(kohi_status::OutOfRange))
                .map(|q| write_cell(q.get(field as usize), out))
        )
    })
}

/// The number of 公費 of a patient, in レセプト order (slots 1–4 first).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_kohi_count(
    result: *const kohi_result,
    patient_index: usize,
    out: *mut usize,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(out, unsafe { patient(result, patient_index) }.map(|p| write_count(p.kohi.len(), out)))
    })
}

/// A 公費 string field: `field` is a `kohi_kohi_field`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_kohi_get(
    result: *const kohi_result,
    patient_index: usize,
    index: usize,
    field: u32,
    out: *mut kohi_str,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { kohi_entry(result, patient_index, index) }.map(|k| write_cell(k.fields.get(field as usize), out))
        )
    })
}

/// The レセプト slot of a 公費: 1–4 for 第1〜第4公費, 0 for a fifth or later.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_kohi_slot(
    result: *const kohi_result,
    patient_index: usize,
    index: usize,
    out: *mut u32,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { kohi_entry(result, patient_index, index) }.map(|k| {
                unsafe { *out = k.slot };
                kohi_status::Ok
            })
        )
    })
}

/// A yes/no field of a 公費: `flag` is a `kohi_kohi_flag`; `*out` is a `kohi_tristate`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_kohi_get_flag(
    result: *const kohi_result,
    patient_index: usize,
    index: usize,
    flag: u32,
    out: *mut i32,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { kohi_entry(result, patient_index, index) }.map(|k| match k.flags.get(flag as usize) {
                Some(value) => {
                    unsafe { *out = *value as i32 };
                    kohi_status::Ok
                }
                None => kohi_status::InvalidArgument,
            })
        )
    })
}

/// The number of warnings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_warning_count(result: *const kohi_result, out: *mut usize) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { result.as_ref() }
                .ok_or(kohi_status::NullArgument)
                .map(|r| write_count(r.view.warnings.len(), out))
        )
    })
}

/// A warning field: `field` is a `kohi_warning_field`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_warning_get(
    result: *const kohi_result,
    index: usize,
    field: u32,
    out: *mut kohi_str,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { result.as_ref() }
                .ok_or(kohi_status::NullArgument)
                .and_then(|r| r.view.warnings.get(index).ok_or(kohi_status::OutOfRange))
                .map(|w| write_cell(w.get(field as usize), out))
        )
    })
}

/// The number of unknown elements (kept with their path and text).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_unknown_count(result: *const kohi_result, out: *mut usize) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { result.as_ref() }.ok_or(kohi_status::NullArgument).map(|r| write_count(r.view.unknown.len(), out))
        )
    })
}

/// An unknown element's field: `field` is a `kohi_unknown_field`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_unknown_get(
    result: *const kohi_result,
    index: usize,
    field: u32,
    out: *mut kohi_str,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        with_out!(
            out,
            unsafe { result.as_ref() }
                .ok_or(kohi_status::NullArgument)
                .and_then(|r| r.view.unknown.get(index).ok_or(kohi_status::OutOfRange))
                .map(|u| write_cell(u.get(field as usize), out))
        )
    })
}

// ---------------------------------------------------------------------------------------------
// JSON, reconcile, numbers

/// The core's JSON contract (UTF-8, whatever the string encoding option). `*out` receives a
/// NUL-terminated string to free with `kohi_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_result_to_json(result: *const kohi_result, out: *mut *mut c_char) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(result) = (unsafe { result.as_ref() }) else { return kohi_status::NullArgument };
        if out.is_null() {
            return kohi_status::NullArgument;
        }
        unsafe { give_json(kohi_core::to_json(&result.doc), out) }
    })
}

/// One patient of the result as in the JSON contract (what its `"patients"` array holds at
/// `patient_index`), UTF-8: for storing one person of a bulk file without the whole file's
/// JSON. `*out` receives a NUL-terminated string to free with `kohi_string_free`, written only
/// on success; an index past the patients is `KOHI_STATUS_OUT_OF_RANGE`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_patient_to_json(
    result: *const kohi_result,
    patient_index: usize,
    out: *mut *mut c_char,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(result) = (unsafe { result.as_ref() }) else { return kohi_status::NullArgument };
        if out.is_null() {
            return kohi_status::NullArgument;
        }
        let Some(patient) = result.doc.patients.get(patient_index) else { return kohi_status::OutOfRange };
        unsafe { give_json(kohi_core::patient_to_json(patient), out) }
    })
}

/// Compares stored 公費 (a JSON array of `{"payer_number", "recipient_number", "valid_from",
/// "valid_to", "income_segment", "max_copayment"}`) with a patient of the result, as of `today`
/// ("YYYY-MM-DD"). `*out` receives a JSON array of changes to free with `kohi_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_reconcile_json(
    stored_json: *const c_char,
    result: *const kohi_result,
    patient_index: usize,
    today: *const c_char,
    out: *mut *mut c_char,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(result) = (unsafe { result.as_ref() }) else { return kohi_status::NullArgument };
        if out.is_null() {
            return kohi_status::NullArgument;
        }
        let stored = match unsafe { utf8_arg(stored_json) } {
            Ok(s) => s,
            Err(status) => return status,
        };
        let today = match unsafe { utf8_arg(today) }.map(kohi_core::reconcile::parse_day) {
            Ok(Some(date)) => date,
            Ok(None) => return kohi_status::InvalidArgument,
            Err(status) => return status,
        };
        let Some(patient) = result.doc.patients.get(patient_index) else { return kohi_status::OutOfRange };
        let records = match kohi_core::KohiRecord::list_from_json(stored) {
            Ok(records) => records,
            Err(e) => return kohi_status::from_core(&e),
        };
        let changes = kohi_core::reconcile(&records, patient, today);
        unsafe { give_json(kohi_core::reconcile::changes_to_json(&changes), out) }
    })
}

/// Surveys files (an array of `count` NUL-terminated UTF-8 paths) with the layout of `options`
/// (may be NULL): the element tree by shape, the proposals and the proposed layout file, as
/// the JSON `kohi survey --json` prints (`"layout"` is the file to give
/// `kohi_options_set_layout_json`, or null). No value from the files is in it. A file that
/// cannot be read is counted in `"failed"` by its error code. `*out` receives a string to free
/// with `kohi_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_survey_files_json(
    utf8_paths: *const *const c_char,
    count: usize,
    options: *const kohi_options,
    out: *mut *mut c_char,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        if out.is_null() || (utf8_paths.is_null() && count != 0) {
            return kohi_status::NullArgument;
        }
        if count > isize::MAX as usize / std::mem::size_of::<*const c_char>() {
            return kohi_status::InvalidArgument;
        }
        let options = unsafe { options.as_ref() }.unwrap_or_else(default_options);
        let paths: &[*const c_char] =
            if count == 0 { &[] } else { unsafe { std::slice::from_raw_parts(utf8_paths, count) } };
        let mut surveyor = kohi_core::survey::Surveyor::new(&options.parse);
        for &path in paths {
            match unsafe { utf8_arg(path) } {
                Ok(path) => surveyor.add_file(path),
                Err(status) => return status,
            }
        }
        unsafe { give_json(surveyor.finish().to_json(), out) }
    })
}

/// Frees a string returned by kohi. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_string_free(s: *mut c_char) {
    boundary!((), {
        if !s.is_null() {
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// Checks a number (full-width digits and space padding allowed): `kind` is a
/// `kohi_number_kind`. `*valid_out` receives 1 when length, digits and 検証番号 hold, else 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_check_number(kind: u32, number: *const c_char, valid_out: *mut i32) -> kohi_status {
    boundary!(kohi_status::Panic, {
        if valid_out.is_null() {
            return kohi_status::NullArgument;
        }
        let kind = match kind {
            0 => kohi_core::NumberKind::Insurer,
            1 => kohi_core::NumberKind::Payer,
            2 => kohi_core::NumberKind::Recipient,
            _ => return kohi_status::InvalidArgument,
        };
        let number = match unsafe { utf8_arg(number) } {
            Ok(n) => n,
            Err(status) => return status,
        };
        unsafe { *valid_out = i32::from(kohi_core::check_number(kind, number).valid) };
        kohi_status::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constants_equal_the_crate_version() {
        let v = format!("{KOHI_VERSION_MAJOR}.{KOHI_VERSION_MINOR}.{KOHI_VERSION_PATCH}");
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
        let s = unsafe { CStr::from_ptr(kohi_version()) }.to_str().unwrap();
        assert_eq!(s, v);
    }
}
