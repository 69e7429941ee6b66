//! Streaming for C: `kohi_stream_next` returns one patient at a time as a one-patient
//! `kohi_result`, read with the usual getters, in memory that does not grow with the file.

use std::ffi::c_char;
use std::fs::File;
use std::sync::Mutex;

use kohi_core::PatientReader;

use crate::status::{boundary, fail};
use crate::view::{View, kohi_string_encoding};
use crate::{argument_error, kohi_error, kohi_options, kohi_result, kohi_status, path_and_options};

/// Reads a (bulk) result file one patient at a time. Open with `kohi_stream_open`, read with
/// `kohi_stream_next`, free with `kohi_stream_free`. One thread at a time may read it.
pub struct kohi_stream {
    reader: Mutex<PatientReader<File>>,
    encoding: kohi_string_encoding,
}

/// Opens a file for streaming; its encoding is detected from its first bytes. A file larger
/// than the input size limit is refused here (`KOHI_STATUS_INPUT_TOO_LARGE`), before any patient.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_stream_open(
    utf8_path: *const c_char,
    options: *const kohi_options,
    out: *mut *mut kohi_stream,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let (path, options) = match unsafe { path_and_options(utf8_path, "utf8_path", options, out, err_out) } {
            Ok(args) => args,
            Err(status) => return status,
        };
        match kohi_core::stream_file(path, &options.parse) {
            Ok(reader) => {
                let stream = kohi_stream { reader: Mutex::new(reader), encoding: options.encoding };
                unsafe { *out = Box::into_raw(Box::new(stream)) };
                kohi_status::Ok
            }
            Err(e) => unsafe { fail(err_out, kohi_error::from_core(&e)) },
        }
    })
}

/// The next patient as a one-patient result (free it with `kohi_result_free`), or NULL at the
/// end. On a status other than OK the stream has ended with that error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_stream_next(
    stream: *mut kohi_stream,
    out: *mut *mut kohi_result,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(stream) = (unsafe { stream.as_ref() }) else {
            return unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "stream")) };
        };
        if out.is_null() {
            return unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "out")) };
        }
        let Ok(mut reader) = stream.reader.lock() else { return kohi_status::Panic };
        match reader.next_document() {
            None => {
                unsafe { *out = std::ptr::null_mut() };
                kohi_status::Ok
            }
            Some(Ok(doc)) => {
                let view = View::build(&doc, stream.encoding);
                unsafe { *out = Box::into_raw(Box::new(kohi_result { doc, view })) };
                kohi_status::Ok
            }
            Some(Err(e)) => unsafe { fail(err_out, kohi_error::from_core(&e)) },
        }
    })
}

/// What the file said besides its patients, once the stream has read it to its end: a result with no
/// patients (free it with `kohi_result_free`) holding the header (a failed request's
/// `SegmentOfResult` and `ErrorCode`: such a file has no patient to carry them), a bulk file's
/// status (受付番号, 処理結果状況) and the warnings and unknown elements of no one unit (a
/// single result's go with its patient). `*out` is NULL, with `KOHI_STATUS_OK`, until the
/// stream has read to the end of the file (at the latest when `kohi_stream_next` gives NULL),
/// and after a stream that ended with an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_stream_remainder(stream: *const kohi_stream, out: *mut *mut kohi_result) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(stream) = (unsafe { stream.as_ref() }) else { return kohi_status::NullArgument };
        if out.is_null() {
            return kohi_status::NullArgument;
        }
        let Ok(reader) = stream.reader.lock() else { return kohi_status::Panic };
        let rest = match reader.remainder() {
            Some(doc) => {
                let doc = doc.clone();
                let view = View::build(&doc, stream.encoding);
                Box::into_raw(Box::new(kohi_result { doc, view }))
            }
            None => std::ptr::null_mut(),
        };
        unsafe { *out = rest };
        kohi_status::Ok
    })
}

/// Frees a stream. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_stream_free(stream: *mut kohi_stream) {
    boundary!((), {
        if !stream.is_null() {
            drop(unsafe { Box::from_raw(stream) });
        }
    })
}
