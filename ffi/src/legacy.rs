//! For callers that cannot take a struct by value or a UTF-8 path: Delphi and VB (32-bit above
//! all), some FFI layers, and Windows programs whose strings are UTF-16 or CP932. Additions
//! only: each function here has a UTF-8 or by-value twin that stays as it is.

use std::ffi::c_char;

use crate::status::{borrowed, boundary, fail};
use crate::{
    argument_error, default_options, finish_parse, kohi_error, kohi_options, kohi_result, kohi_status, kohi_str,
};

/// The longest path accepted, in code units (Windows' extended-length limit).
const MAX_PATH_UNITS: usize = 32_767;

/// `kohi_status_name` through an out-parameter (`*out` is written only on success).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_status_name_out(status: u32, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(out) = (unsafe { out.as_mut() }) else { return kohi_status::NullArgument };
        *out = borrowed(kohi_status::from_number(status).map_or("unknown\0", kohi_status::name));
        kohi_status::Ok
    })
}

/// `kohi_error_name` through an out-parameter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_error_name_out(error: *const kohi_error, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let (Some(error), Some(out)) = (unsafe { error.as_ref() }, unsafe { out.as_mut() }) else {
            return kohi_status::NullArgument;
        };
        *out = borrowed(error.status.name());
        kohi_status::Ok
    })
}

/// `kohi_error_message` through an out-parameter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_error_message_out(error: *const kohi_error, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let (Some(error), Some(out)) = (unsafe { error.as_ref() }, unsafe { out.as_mut() }) else {
            return kohi_status::NullArgument;
        };
        *out = kohi_str { ptr: error.message.as_ptr() as *const c_char, len: error.message.len() - 1 };
        kohi_status::Ok
    })
}

/// The OS error number of an I/O error (`errno` on Unix, `GetLastError` on Windows), or 0 when
/// the error is not one or the OS gave none. The message names the file too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_error_os_code(error: *const kohi_error, out: *mut i32) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let (Some(error), Some(out)) = (unsafe { error.as_ref() }, unsafe { out.as_mut() }) else {
            return kohi_status::NullArgument;
        };
        *out = error.os_code;
        kohi_status::Ok
    })
}

/// Reads a NUL-terminated string of `T` units (at most `MAX_PATH_UNITS`).
unsafe fn units<'a, T: Copy + PartialEq + Default>(p: *const T) -> Option<&'a [T]> {
    if p.is_null() {
        return None;
    }
    let mut len = 0;
    while len <= MAX_PATH_UNITS && unsafe { *p.add(len) } != T::default() {
        len += 1;
    }
    (len <= MAX_PATH_UNITS).then(|| unsafe { std::slice::from_raw_parts(p, len) })
}

/// Parses the file at a path given some other way than UTF-8 (`path`: decoded, or `None` when
/// it was NULL or did not decode), as `kohi_parse_file` does.
fn parse_decoded_path(
    path: Option<String>,
    null: bool,
    what: &str,
    options: *const kohi_options,
    out: *mut *mut kohi_result,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    if out.is_null() {
        return unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "out")) };
    }
    let Some(path) = path else {
        let status = if null { kohi_status::NullArgument } else { kohi_status::InvalidArgument };
        return unsafe { fail(err_out, argument_error(status, what)) };
    };
    let options = unsafe { options.as_ref() }.unwrap_or_else(default_options);
    finish_parse(kohi_core::parse_file(path, &options.parse), options.encoding, out, err_out)
}

/// `kohi_parse_file` with a UTF-16 path (NUL-terminated, Windows' native form: a .NET or VB
/// `String`, a Delphi `WideString`). A lone surrogate is `KOHI_STATUS_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_parse_file_utf16(
    utf16_path: *const u16,
    options: *const kohi_options,
    out: *mut *mut kohi_result,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let path = unsafe { units(utf16_path) }.and_then(|u| String::from_utf16(u).ok());
        parse_decoded_path(path, utf16_path.is_null(), "utf16_path", options, out, err_out)
    })
}

/// `kohi_parse_file` with a CP932 (Shift_JIS, Windows-31J) path, NUL-terminated: the ANSI code
/// page of a Japanese Windows. Bytes that are not CP932 are `KOHI_STATUS_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_parse_file_cp932(
    cp932_path: *const c_char,
    options: *const kohi_options,
    out: *mut *mut kohi_result,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let path = unsafe { units(cp932_path as *const u8) }.and_then(kohi_core::cp932::decode);
        parse_decoded_path(path, cp932_path.is_null(), "cp932_path", options, out, err_out)
    })
}
