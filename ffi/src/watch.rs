//! The terminal inbox for C: a polling call, no callbacks, no threads of the caller's touched.
//!
//! Delivery contract: every event is delivered until `kohi_watcher_ack` records it; an event
//! not acknowledged when the watcher is freed (or the process dies) is delivered again by the
//! next watcher, with the same `kohi_watch_event_id`.
//!
//! Threads: `kohi_watcher_next` by one thread at a time; `kohi_watcher_ack`,
//! `kohi_watcher_expect` and `kohi_watcher_cancel` from any thread at any time (they never wait
//! for a blocked `next`); `kohi_watcher_free` only once no other call on the watcher is running:
//! cancel, let the blocked `next` return `KOHI_STATUS_CANCELLED`, then free.

use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

use kohi_terminal::{FileKind, Outcome, WatchOptions, Watcher, WatcherHandle};

use crate::status::{boundary, fail};
use crate::view::{Cell, View, encode, kohi_string_encoding};
use crate::{
    argument_error, kohi_error, kohi_options, kohi_result, kohi_status, kohi_str, path_and_options, utf8_arg,
    write_cell,
};

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
    /// A `.zip` in `res/` (bulk download), handed over unread: read the file at its path.
    BulkArchive = 3,
    /// Not read: a special file (FIFO, device, directory) or over the size limit; see the error.
    Skipped = 4,
    /// Any other file (unknown prefix or extension); parsed when it is XML that parses.
    Other = 5,
    /// A document of PMH data of its own (a name prefix the layout file declares), parsed with
    /// the layout; `kohi_watch_event_related` names the result of the same patient.
    Pmh = 6,
}

impl From<FileKind> for kohi_watch_kind {
    fn from(kind: FileKind) -> Self {
        match kind {
            FileKind::Result => Self::Result,
            FileKind::Face => Self::Face,
            FileKind::Rejected => Self::Rejected,
            FileKind::BulkArchive => Self::BulkArchive,
            FileKind::Skipped => Self::Skipped,
            FileKind::Pmh => Self::Pmh,
            _ => Self::Other,
        }
    }
}

/// Watches a terminal folder (`res/` and `face/`). Create with `kohi_watcher_new`, poll with
/// `kohi_watcher_next`, acknowledge with `kohi_watcher_ack`, free with `kohi_watcher_free`.
pub struct kohi_watcher {
    inner: Mutex<Watcher>,
    handle: WatcherHandle,
    recovered: Cell,
    encoding: kohi_string_encoding,
}

/// One delivered file, owned by the caller; free with `kohi_watch_event_free`.
pub struct kohi_watch_event {
    /// The id as the core knows it (for `kohi_watcher_ack`), and as a borrowed string.
    raw_id: String,
    id: Cell,
    kind: kohi_watch_kind,
    path: Cell,
    request: Cell,
    related: Cell,
    message: Cell,
    result: Option<Box<kohi_result>>,
    error: Option<Box<kohi_error>>,
    entries: Vec<Entry>,
}

/// One entry of a bulk archive.
struct Entry {
    name: Cell,
    result: Option<Box<kohi_result>>,
    error: Option<Box<kohi_error>>,
}

fn result_of(doc: kohi_core::Document, encoding: kohi_string_encoding) -> Box<kohi_result> {
    let view = View::build(&doc, encoding);
    Box::new(kohi_result { doc, view })
}

fn millis(value: u32, default: Duration) -> Duration {
    if value == 0 { default } else { Duration::from_millis(u64::from(value)) }
}

/// Starts watching `utf8_root` (the folder holding `req/`, `res/`, `face/`; it need not exist
/// yet). Acknowledged files are recorded in `<root>/.kohi-inbox.sqlite` (or the options'
/// `kohi_options_set_state_file`); originals are never deleted (with
/// `kohi_options_set_done_dir`, moved once acknowledged). `settle_ms` (0: 300) is how long a file's size and times must stay unchanged before
/// it is read; `give_up_after_ms` (0: 30000) is how long after its last change a file that does
/// not parse is delivered with its error. `KOHI_STATUS_ALREADY_WATCHED` if another watcher
/// holds the folder, `KOHI_STATUS_STATE_STORE` if the ledger cannot be opened,
/// `KOHI_STATUS_INVALID_SETTING` for a setting out of range, `KOHI_STATUS_NOT_A_TERMINAL_FOLDER`
/// for a folder that is not the terminal's (its `res/`, say).
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
        let mut watch = WatchOptions::default();
        watch.parse = options.parse.clone();
        watch.settle = millis(settle_ms, watch.settle);
        watch.give_up_after = millis(give_up_after_ms, watch.give_up_after);
        if let Some(rules) = &options.pair_by {
            watch.pair_by = rules.clone();
        }
        watch.done_dir = options.done_dir.clone();
        watch.state_file = options.state_file.clone();
        match Watcher::new(root, watch) {
            Ok(inner) => {
                let recovered = inner.recovered_store().map(|p| p.to_string_lossy().into_owned());
                let watcher = kohi_watcher {
                    handle: inner.handle(),
                    inner: Mutex::new(inner),
                    recovered: encode(recovered.as_deref(), options.encoding),
                    encoding: options.encoding,
                };
                unsafe { *out = Box::into_raw(Box::new(watcher)) };
                kohi_status::Ok
            }
            Err(e) => unsafe { fail(err_out, kohi_error::from_core(&e)) },
        }
    })
}

/// Waits up to `timeout_ms` for the next delivered file. On success `*out` is an event to free
/// with `kohi_watch_event_free`, or NULL when none was ready in time. `KOHI_STATUS_CANCELLED`
/// once `kohi_watcher_cancel` was called; `KOHI_STATUS_STATE_STORE` or
/// `KOHI_STATUS_ALREADY_WATCHED` when a folder that appeared later cannot be opened (nothing is
/// lost: call again later).
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
        let next = inner.next_event(Duration::from_millis(u64::from(timeout_ms)));
        drop(inner);
        let event = match next {
            Ok(event) => event,
            Err(e) => return kohi_status::from_core(&e),
        };
        if event.is_none() && watcher.handle.is_cancelled() {
            return kohi_status::Cancelled;
        }
        let event = event.map(|e| {
            let enc = |s: Option<String>| encode(s.as_deref(), watcher.encoding);
            let (mut result, mut error, mut message, mut entries) = (None, None, None, Vec::new());
            match e.outcome {
                Outcome::Parsed(doc) => result = Some(result_of(*doc, watcher.encoding)),
                Outcome::Failed(err) => error = Some(Box::new(kohi_error::from_core(&err))),
                Outcome::Rejected { message: m } => message = m.map(kohi_core::Personal::into_inner),
                Outcome::Archive(list) => {
                    entries = list
                        .into_iter()
                        .map(|entry| {
                            let (result, error) = match entry.outcome {
                                Ok(doc) => (Some(result_of(*doc, watcher.encoding)), None),
                                Err(err) => (None, Some(Box::new(kohi_error::from_core(&err)))),
                            };
                            Entry { name: enc(Some(entry.name)), result, error }
                        })
                        .collect()
                }
                _ => {}
            }
            Box::into_raw(Box::new(kohi_watch_event {
                id: encode(Some(&e.id), kohi_string_encoding::Utf8),
                raw_id: e.id,
                kind: e.kind.into(),
                path: enc(Some(e.path.to_string_lossy().into_owned())),
                request: enc(e.request.map(|r| r.to_string_lossy().into_owned())),
                related: enc(e.related.map(|r| r.to_string_lossy().into_owned())),
                message: enc(message),
                result,
                error,
                entries,
            }))
        });
        unsafe { *out = event.unwrap_or(std::ptr::null_mut()) };
        kohi_status::Ok
    })
}

/// Marks an event done: recorded durably before this returns (and the file moved to the done
/// folder, if one is set). Until then the event is delivered again after a restart. Acknowledging
/// an event twice is `KOHI_STATUS_OK`. Safe from any thread while another waits in
/// `kohi_watcher_next`. On `KOHI_STATUS_STATE_STORE` (disk full, …) the event stays pending.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watcher_ack(
    watcher: *const kohi_watcher,
    event: *const kohi_watch_event,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let (Some(watcher), Some(event)) = (unsafe { watcher.as_ref() }, unsafe { event.as_ref() }) else {
            return kohi_status::NullArgument;
        };
        match watcher.handle.ack(&event.raw_id) {
            Ok(_) => kohi_status::Ok,
            Err(e) => unsafe { fail(err_out, kohi_error::from_core(&e)) },
        }
    })
}

/// Pairs a future result carrying this `ArbitraryFileIdentifier` with its request file (read
/// back with `kohi_watch_event_request`), in this run and after a restart: the registration is
/// in the ledger when this returns `KOHI_STATUS_OK` (while the folder does not exist yet, when
/// the ledger opens). The last 4,096 registrations are kept; registering an id again replaces
/// its request. Both strings are UTF-8 (`KOHI_STATUS_INVALID_ARGUMENT` if not).
/// `KOHI_STATUS_STATE_STORE` if the ledger cannot be written or the watcher is closed: nothing
/// is registered, call again. On failure `*err_out` (if not NULL) receives an error to free.
/// Safe from any thread while another waits in `kohi_watcher_next`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watcher_expect(
    watcher: *const kohi_watcher,
    utf8_arbitrary_file_identifier: *const c_char,
    utf8_request: *const c_char,
    err_out: *mut *mut kohi_error,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(watcher) = (unsafe { watcher.as_ref() }) else {
            return unsafe { fail(err_out, argument_error(kohi_status::NullArgument, "watcher")) };
        };
        let id = match unsafe { utf8_arg(utf8_arbitrary_file_identifier) } {
            Ok(id) => id,
            Err(status) => {
                return unsafe { fail(err_out, argument_error(status, "utf8_arbitrary_file_identifier")) };
            }
        };
        let request = match unsafe { utf8_arg(utf8_request) } {
            Ok(request) => request,
            Err(status) => return unsafe { fail(err_out, argument_error(status, "utf8_request")) },
        };
        match watcher.handle.expect(id, request) {
            Ok(()) => kohi_status::Ok,
            Err(e) => unsafe { fail(err_out, kohi_error::from_core(&e)) },
        }
    })
}

/// Wakes a thread blocked in `kohi_watcher_next` (it returns `KOHI_STATUS_CANCELLED`, as does
/// every later call). Safe from any thread; NULL is ignored. Free the watcher only after the
/// blocked call has returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watcher_cancel(watcher: *const kohi_watcher) {
    boundary!((), {
        if let Some(watcher) = unsafe { watcher.as_ref() } {
            watcher.handle.cancel();
        }
    })
}

/// How many files the watcher has seen and not delivered yet: settling, or not parsing and
/// waiting for `give_up_after_ms` (each comes within the settle time plus `give_up_after_ms` of
/// its last change). A NULL from `kohi_watcher_next` does not mean the folder is drained: a loop
/// that stops when idle stops when this is 0 too. Waits for a `kohi_watcher_next` running in
/// another thread; `*out` is written only on success.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watcher_waiting(watcher: *const kohi_watcher, out: *mut usize) -> kohi_status {
    boundary!(kohi_status::Panic, {
        let Some(watcher) = (unsafe { watcher.as_ref() }) else { return kohi_status::NullArgument };
        if out.is_null() {
            return kohi_status::NullArgument;
        }
        let Ok(inner) = watcher.inner.lock() else { return kohi_status::Panic };
        let waiting = inner.waiting();
        drop(inner);
        unsafe { *out = waiting };
        kohi_status::Ok
    })
}

/// Where a corrupt ledger was moved before it was rebuilt (then every file still in the folders
/// is delivered again), or absent. In the options' string encoding, borrowed from the watcher.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watcher_recovered_store(watcher: *const kohi_watcher, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, {
        match (unsafe { watcher.as_ref() }, out.is_null()) {
            (Some(w), false) => write_cell(Some(&w.recovered), out),
            _ => kohi_status::NullArgument,
        }
    })
}

/// Frees a watcher; its unacknowledged events are delivered again by the next watcher. NULL is
/// ignored. No other call on this watcher may be running (see `kohi_watcher_cancel`).
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

/// The event's stable id (`<content SHA-256>-<name hash>`, ASCII): the same for a repeat after a
/// restart, so a consumer can drop duplicates. Borrowed from the event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_id(event: *const kohi_watch_event, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, { event_string(event, out, |e| &e.id) })
}

/// Where the file was found. Borrowed from the event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_path(event: *const kohi_watch_event, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, { event_string(event, out, |e| &e.path) })
}

/// The file of the same patient from the other side (a PMH document's result, a result's PMH
/// document), delivered earlier (earlier runs' acknowledged files included), or absent.
/// Borrowed from the event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_related(event: *const kohi_watch_event, out: *mut kohi_str) -> kohi_status {
    boundary!(kohi_status::Panic, { event_string(event, out, |e| &e.related) })
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

/// How many entries a bulk archive (`KOHI_WATCH_KIND_BULK_ARCHIVE`) holds; 0 for other events.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_entry_count(event: *const kohi_watch_event, out: *mut usize) -> kohi_status {
    boundary!(kohi_status::Panic, {
        match (unsafe { event.as_ref() }, out.is_null()) {
            (Some(e), false) => {
                unsafe { *out = e.entries.len() };
                kohi_status::Ok
            }
            _ => kohi_status::NullArgument,
        }
    })
}

fn entry<'a>(event: *const kohi_watch_event, index: usize) -> Option<&'a Entry> {
    // The borrow lives as long as the event: every caller hands it straight back to C.
    unsafe { event.as_ref() }.and_then(|e| e.entries.get(index))
}

/// The name of an archive entry inside the archive. Borrowed from the event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_entry_name(
    event: *const kohi_watch_event,
    index: usize,
    out: *mut kohi_str,
) -> kohi_status {
    boundary!(kohi_status::Panic, {
        match (unsafe { event.as_ref() }, out.is_null()) {
            (Some(e), false) => match e.entries.get(index) {
                Some(entry) => write_cell(Some(&entry.name), out),
                None => kohi_status::OutOfRange,
            },
            _ => kohi_status::NullArgument,
        }
    })
}

/// The parsed archive entry, or NULL (it failed, or no such entry). Borrowed from the event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_entry_result(
    event: *const kohi_watch_event,
    index: usize,
) -> *const kohi_result {
    boundary!(std::ptr::null(), {
        entry(event, index).and_then(|e| e.result.as_deref()).map_or(std::ptr::null(), |r| r as *const _)
    })
}

/// Why an archive entry could not be used, or NULL. Borrowed from the event.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kohi_watch_event_entry_error(
    event: *const kohi_watch_event,
    index: usize,
) -> *const kohi_error {
    boundary!(std::ptr::null(), {
        entry(event, index).and_then(|e| e.error.as_deref()).map_or(std::ptr::null(), |r| r as *const _)
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
