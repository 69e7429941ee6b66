//! The terminal watcher for C: a polling call, no callbacks, no threads of the caller's touched.

use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

use kohi_core::watch::{Outcome, WatchOptions, Watcher};

use crate::status::{boundary, fail};
use crate::view::{Cell, View, encode, kohi_string_encoding};
use crate::{kohi_error, kohi_options, kohi_result, kohi_status, kohi_str, path_and_options, write_cell};

/// What a watch event is.
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_watch_kind {
    /// An answer in `res/` to a request.
    Result = 0,
    /// A result pushed into `face/`.
    Face = 1,
    /// A `.err` file in `res/`: the terminal refused a request.
    Rejected = 2,
}

/// Watches a terminal folder (`res/` and `face/`). Create with `kohi_watcher_new`, poll with
/// `kohi_watcher_next`, free with `kohi_watcher_free`. One thread at a time may poll it.
pub struct kohi_watcher {
    inner: Mutex<Watcher>,
    encoding: kohi_string_encoding,
}

/// One finished file, owned by the caller; free with `kohi_watch_event_free`.
pub struct kohi_watch_event {
    kind: kohi_watch_kind,
    path: Cell,
    request: Cell,
    message: Cell,
    result: Option<Box<kohi_result>>,
    error: Option<Box<kohi_error>>,
}

fn millis(value: u32, default: Duration) -> Duration {
    if value == 0 { default } else { Duration::from_millis(u64::from(value)) }
}

/// Starts watching `utf8_root` (the folder holding `req/`, `res/`, `face/`; it need not exist
/// yet). Reported files are recorded in `<root>/.kohi-watch-state`, so a restart reports nothing
/// twice; originals are never deleted. `settle_ms` (0: 300) is the least time between the two
/// checks that decide a file is complete; `give_up_after_ms` (0: 10000) is how long a
/// complete-looking file may fail to parse before it is reported with its error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watcher_new(
    utf8_root: *const c_char,
    options: *const kohi_options,
    settle_ms: u32,
    give_up_after_ms: u32,
    out: *mut *mut kohi_watcher,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let (root, options) = match unsafe { path_and_options(utf8_root, "utf8_root", options, out, err_out) } {
            Ok(args) => args,
            Err(status) => return status,
        };
        let defaults = WatchOptions::default();
        let watch = WatchOptions {
            parse: options.parse.clone(),
            settle: millis(settle_ms, defaults.settle),
            give_up_after: millis(give_up_after_ms, defaults.give_up_after),
            ..defaults
        };
        match Watcher::new(root, watch) {
            Ok(inner) => {
                let watcher = kohi_watcher { inner: Mutex::new(inner), encoding: options.encoding };
                unsafe { *out = Box::into_raw(Box::new(watcher)) };
                kohi_status::Ok
            }
            Err(e) => unsafe { fail(err_out, kohi_error::from_core(&e)) },
        }
    })
}

/// Waits up to `timeout_ms` for the next finished file. On success `*out` is an event to free
/// with `kohi_watch_event_free`, or NULL when none finished in time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watcher_next(
    watcher: *mut kohi_watcher,
    timeout_ms: u32,
    out: *mut *mut kohi_watch_event,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(watcher) = (unsafe { watcher.as_ref() }) else { return kohi_status::NullArgument };
        if out.is_null() {
            return kohi_status::NullArgument;
        }
        let Ok(mut inner) = watcher.inner.lock() else { return kohi_status::Panic };
        let event = inner.next_event(Duration::from_millis(u64::from(timeout_ms))).map(|e| {
            let enc = |s: Option<String>| encode(s.as_deref(), watcher.encoding);
            let kind = match e.kind {
                kohi_core::watch::FileKind::Result => kohi_watch_kind::Result,
                kohi_core::watch::FileKind::Face => kohi_watch_kind::Face,
                kohi_core::watch::FileKind::Rejected => kohi_watch_kind::Rejected,
            };
            let (mut result, mut error, mut message) = (None, None, None);
            match e.outcome {
                Outcome::Parsed(doc) => {
                    let view = View::build(&doc, watcher.encoding);
                    result = Some(Box::new(kohi_result { doc: *doc, view }));
                }
                Outcome::Failed(err) => error = Some(Box::new(kohi_error::from_core(&err))),
                Outcome::Rejected { message: m } => message = m.map(kohi_core::Personal::into_inner),
            }
            Box::into_raw(Box::new(kohi_watch_event {
                kind,
                path: enc(Some(e.path.to_string_lossy().into_owned())),
                request: enc(e.request.map(|r| r.to_string_lossy().into_owned())),
                message: enc(message),
                result,
                error,
            }))
        });
        unsafe { *out = event.unwrap_or(std::ptr::null_mut()) };
        kohi_status::Ok
    })
}

/// Frees a watcher. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watcher_free(watcher: *mut kohi_watcher) {
    boundary!((), {
        if !watcher.is_null() {
            drop(unsafe { Box::from_raw(watcher) });
        }
    })
}

/// The kind of an event: a `kohi_watch_kind`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_kind(event: *const kohi_watch_event, out: *mut u32) -> kohi_status {
    boundary!(kohi_status::Panic, {
        match (unsafe { event.as_ref() }, out.is_null()) {
            (Some(e), false) => {
                unsafe { *out = e.kind as u32 };
                kohi_status::Ok
            }
            _ => kohi_status::NullArgument,
        }
    })
}

fn event_string(
    event: *const kohi_watch_event,
    out: *mut kohi_str,
    pick: fn(&kohi_watch_event) -> &Cell,
) -> kohi_status {
    match (unsafe { event.as_ref() }, out.is_null()) {
        (Some(e), false) => write_cell(Some(pick(e)), out),
        _ => kohi_status::NullArgument,
    }
}

/// Where the file was found. Borrowed from the event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_path(event: *const kohi_watch_event, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, { event_string(event, out, |e| &e.path) })
}

/// The request file this answers, or absent. Borrowed from the event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_request(event: *const kohi_watch_event, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, { event_string(event, out, |e| &e.request) })
}

/// A rejection's `.err` text, or absent. Borrowed from the event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_message(event: *const kohi_watch_event, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, { event_string(event, out, |e| &e.message) })
}

/// The parsed file (read it with the usual getters), or NULL. Borrowed: valid until the event
/// is freed; do not pass it to `kohi_result_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_result(event: *const kohi_watch_event) -> *const kohi_result {
    boundary!(std::ptr::null(), {
        unsafe { event.as_ref() }.and_then(|e| e.result.as_deref()).map_or(std::ptr::null(), |r| r as *const _)
    })
}

/// Why the file never parsed, or NULL. Borrowed: valid until the event is freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_error(event: *const kohi_watch_event) -> *const kohi_error {
    boundary!(std::ptr::null(), {
        unsafe { event.as_ref() }.and_then(|e| e.error.as_deref()).map_or(std::ptr::null(), |r| r as *const _)
    })
}

/// Frees an event with its result and error. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_free(event: *mut kohi_watch_event) {
    boundary!((), {
        if !event.is_null() {
            drop(unsafe { Box::from_raw(event) });
        }
    })
}
