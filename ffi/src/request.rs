//! The request writer: a 被保険者証 query filled in field by field (`kohi_request_set`) and
//! written into the terminal's `req/` (`kohi_request_write`), as `kohi request` writes it.

use std::ffi::c_char;
use std::path::Path;

use kohi_terminal::{REQUEST_FIELDS, RequestFields};

use crate::status::{boundary, fail};
use crate::{argument_error, into_c_string, kohi_error, kohi_status, utf8_arg};

/// A 被保険者証 query being filled in. Create with `kohi_request_new`, free with
/// `kohi_request_free`.
pub struct kohi_request {
    fields: RequestFields,
}

/// Fields of `kohi_request_set`: the names of the result's `search_info` and header.
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_request_field {
    /// 医療機関コード (10 digits). Required.
    MedicalInstitutionCode = 0,
    /// 資格確認日, `YYYYMMDD`, `YYYY-MM-DD` or `YYYY/MM/DD`, full-width digits too (unset: today in Japan).
    QualificationConfirmationDate = 1,
    /// 保険者番号 (8 digits, or 6 for 国保). Required.
    InsurerNumber = 2,
    /// 被保険者証記号.
    InsuredCardSymbol = 3,
    /// 被保険者証番号. Required.
    InsuredIdentificationNumber = 4,
    /// 枝番 (2 digits).
    InsuredBranchNumber = 5,
    /// 生年月日, as the 資格確認日. Required.
    Birthdate = 6,
    /// 限度額適用認定証関連情報の同意: `1` or `0` (unset: `0`).
    LimitApplicationConsent = 7,
    /// 任意のファイル識別子, echoed in the result (pairs it with this request).
    ArbitraryFileIdentifier = 8,
}

// The C numbers are the places in REQUEST_FIELDS: one list of names, in one order.
const _: () = assert!(kohi_request_field::ArbitraryFileIdentifier as usize + 1 == REQUEST_FIELDS.len());

/// The encoding of a request file (`kohi_request_write`).
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_request_encoding {
    /// Shift_JIS (CP932), as the terminal reads requests: the default of `kohi request`.
    ShiftJis = 0,
    Utf8 = 1,
}

/// A new, empty request. Free with `kohi_request_free`. NULL only if kohi panicked.
#[unsafe(no_mangle)]
pub extern "C" fn kohi_request_new() -> *mut kohi_request {
    boundary!(std::ptr::null_mut(), { Box::into_raw(Box::new(kohi_request { fields: RequestFields::default() })) })
}

/// Frees a request. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_request_free(request: *mut kohi_request) {
    boundary!((), {
        if !request.is_null() {
            drop(unsafe { Box::from_raw(request) });
        }
    })
}

/// Sets a field (`field` is a `kohi_request_field`) to `utf8_value`, or unsets it when
/// `utf8_value` is NULL. Values are checked by `kohi_request_write`. `KOHI_STATUS_INVALID_ARGUMENT`
/// for a field number that is not one, or a value that is not UTF-8.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_request_set(
    request: *mut kohi_request,
    field: u32,
    utf8_value: *const c_char,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(request) = (unsafe { request.as_mut() }) else {
            return unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "request")) };
        };
        let value = match utf8_value.is_null() {
            true => None,
            false => match unsafe { utf8_arg(utf8_value) } {
                Ok(value) => Some(value),
                Err(status) => return unsafe { fail(err_out, argument_error(status, "utf8_value")) },
            },
        };
        match request.fields.set_index(field as usize, value) {
            Ok(()) => kohi_status::Ok,
            Err(_) => unsafe { fail(err_out, argument_error(kohi_status::InvalidArgument, "field")) },
        }
    })
}

/// Writes the request as `OQSsiquc01req_<free part>.xml` into `utf8_req_dir` (the terminal's
/// `req/`), atomically and durably (on disk, name included, when this returns), in `encoding`
/// (a `kohi_request_encoding`). `utf8_free_part`: letters, digits, `-` and `_`, or NULL for one
/// no other request of this process has had. On success `*path_out` (if not NULL) receives the
/// file's path, to free with `kohi_string_free`. `KOHI_STATUS_INVALID_REQUEST` for a field
/// missing or malformed (the message names it, never its value), `KOHI_STATUS_UNREPRESENTABLE_CHARACTER`
/// for a character Shift_JIS cannot hold, `KOHI_STATUS_NOT_A_TERMINAL_FOLDER` for `res/`,
/// `face/` or the terminal folder, `KOHI_STATUS_IO` for a request of the same name already
/// there or a folder that cannot be written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_request_write(
    request: *const kohi_request,
    utf8_req_dir: *const c_char,
    utf8_free_part: *const c_char,
    encoding: u32,
    path_out: *mut *mut c_char,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(request) = (unsafe { request.as_ref() }) else {
            return unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "request")) };
        };
        let dir = match unsafe { utf8_arg(utf8_req_dir) } {
            Ok(dir) => dir,
            Err(status) => return unsafe { fail(err_out, argument_error(status, "utf8_req_dir")) },
        };
        let free_part = match utf8_free_part.is_null() {
            true => kohi_terminal::fresh_free_part(),
            false => match unsafe { utf8_arg(utf8_free_part) } {
                Ok(free) => free.to_owned(),
                Err(status) => return unsafe { fail(err_out, argument_error(status, "utf8_free_part")) },
            },
        };
        let encoding = match encoding {
            e if e == kohi_request_encoding::ShiftJis as u32 => kohi_core::Encoding::ShiftJis,
            e if e == kohi_request_encoding::Utf8 as u32 => kohi_core::Encoding::Utf8,
            _ => return unsafe { fail(err_out, argument_error(kohi_status::InvalidArgument, "encoding")) },
        };
        let written = request.fields.build().and_then(|r| r.write_to(Path::new(dir), &free_part, encoding));
        match written {
            Ok(path) => {
                if !path_out.is_null() {
                    unsafe { *path_out = into_c_string(path.to_string_lossy().into_owned()) };
                }
                kohi_status::Ok
            }
            Err(e) => unsafe { fail(err_out, kohi_error::from_core(&e)) },
        }
    })
}
