//! `watch(folder)`: the terminal inbox. Every event is delivered until `event.ack()`; one not
//! acknowledged is delivered again after a restart, with the same `id`.
//!
//! Each watcher waits on a thread of its own, never on libuv's pool (four blocked watchers used
//! to starve `fs.readFile`). Results come back through a threadsafe function; with
//! `persistent: false` it does not keep the process alive (like `fs.watch`). `close()` (also
//! run when a `for await` loop ends) wakes the thread at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;

use kohi_terminal::{Outcome, WatchOptions as CoreOptions, Watcher as CoreWatcher, WatcherHandle};

use crate::{KohiResult, ParseOptions};

/// Options for `watch` (every property optional; times in milliseconds).
#[napi(object)]
pub struct WatchOptions {
    /// How long a file's size and times must stay unchanged before it is read (default 300).
    pub settle: Option<f64>,
    /// How often the folders are listed for new names (default 1000).
    pub poll_interval: Option<f64>,
    /// How long after its last change a file that does not parse is delivered with its error
    /// (default 30000).
    pub give_up_after: Option<f64>,
    /// The ledger of acknowledged files (default `<folder>/.kohi-inbox.sqlite`).
    pub state_file: Option<String>,
    /// If set, acknowledged files are moved here (never deleted, never overwriting).
    pub done_dir: Option<String>,
    /// Whether a pending `next()` keeps the process alive (default true, as `fs.watch`).
    pub persistent: Option<bool>,
    /// How a PMH document and the result of the same patient are paired (`related`), in
    /// order (default both; `[]`: never).
    #[napi(ts_type = "Array<'arbitrary_file_identifier' | 'free_name'>")]
    pub pair_by: Option<Vec<String>>,
    pub parse: Option<ParseOptions>,
}

/// Why a file could not be used, or why the watcher failed.
#[napi(object)]
pub struct WatchError {
    pub code: String,
    pub number: u32,
    pub message: String,
}

impl From<&kohi_core::Error> for WatchError {
    fn from(e: &kohi_core::Error) -> Self {
        WatchError { code: e.code().to_owned(), number: e.number(), message: e.to_string() }
    }
}

/// One delivered file. Call `ack()` once it is safely stored.
#[napi]
pub struct WatchEvent {
    id: String,
    path: String,
    kind: &'static str,
    request: Option<String>,
    related: Option<String>,
    doc: Option<Arc<kohi_core::Document>>,
    error: Option<(String, u32, String)>,
    message: Option<String>,
    entries: Option<Vec<Entry>>,
    handle: WatcherHandle,
}

type Entry = (String, std::result::Result<Arc<kohi_core::Document>, WatchErrorParts>);
type WatchErrorParts = (String, u32, String);

fn parts(e: &kohi_core::Error) -> WatchErrorParts {
    (e.code().to_owned(), e.number(), e.to_string())
}

fn watch_error((code, number, message): WatchErrorParts) -> WatchError {
    WatchError { code, number, message }
}

/// One entry of a zipped bulk result.
#[napi]
pub struct ArchiveEntry {
    name: String,
    outcome: std::result::Result<Arc<kohi_core::Document>, WatchErrorParts>,
}

#[napi]
impl ArchiveEntry {
    /// The entry's name inside the archive.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The parsed entry, or null.
    #[napi(getter)]
    pub fn result(&self, env: Env) -> Option<KohiResult> {
        self.outcome.as_ref().ok().cloned().map(|doc| KohiResult::new(&env, doc))
    }

    /// Why the entry could not be used (not XML, over a limit, malformed…), or null.
    #[napi(getter)]
    pub fn error(&self) -> Option<WatchError> {
        self.outcome.as_ref().err().cloned().map(watch_error)
    }
}

impl WatchEvent {
    fn new(e: kohi_terminal::WatchEvent, handle: WatcherHandle) -> Self {
        let (mut doc, mut error, mut message, mut entries) = (None, None, None, None);
        match e.outcome {
            Outcome::Parsed(d) => doc = Some(Arc::new(*d)),
            Outcome::Failed(err) => error = Some(parts(&err)),
            Outcome::Rejected { message: m } => message = m.map(kohi_core::Personal::into_inner),
            Outcome::Archive(list) => {
                let converted = list
                    .into_iter()
                    .map(|entry| (entry.name, entry.outcome.map(|d| Arc::new(*d)).map_err(|e| parts(&e))));
                entries = Some(converted.collect());
            }
            _ => {}
        }
        WatchEvent {
            id: e.id,
            path: e.path.to_string_lossy().into_owned(),
            kind: e.kind.as_str(),
            request: e.request.map(|r| r.to_string_lossy().into_owned()),
            related: e.related.map(|r| r.to_string_lossy().into_owned()),
            doc,
            error,
            message,
            entries,
            handle,
        }
    }
}

/// Records an acknowledgement off the main thread (an fsync'd SQLite commit).
pub struct Ack {
    handle: WatcherHandle,
    id: String,
}

impl Task for Ack {
    type Output = std::result::Result<bool, kohi_core::Error>;
    type JsValue = bool;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.handle.ack(&self.id))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<bool> {
        output.map_err(|e| crate::kohi_error(&env, &e))
    }
}

pub struct Expect {
    handle: WatcherHandle,
    id: String,
    request: String,
}

impl Task for Expect {
    type Output = std::result::Result<(), kohi_core::Error>;
    type JsValue = ();

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.handle.expect(&self.id, std::mem::take(&mut self.request)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<()> {
        output.map_err(|e| crate::kohi_error(&env, &e))
    }
}

#[napi]
impl WatchEvent {
    /// Stable across restarts for the same name and content: `<content SHA-256>-<name hash>`.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    #[napi(getter)]
    pub fn path(&self) -> String {
        self.path.clone()
    }

    #[napi(getter, ts_return_type = "'result' | 'face' | 'rejected' | 'bulk_archive' | 'skipped' | 'other' | 'pmh'")]
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The request this answers, when known.
    #[napi(getter)]
    pub fn request(&self) -> Option<String> {
        self.request.clone()
    }

    /// The file of the same patient from the other side, delivered earlier (earlier runs'
    /// acknowledged files included): a PMH document's (kind `pmh`) result, or a result's PMH
    /// document.
    #[napi(getter)]
    pub fn related(&self) -> Option<String> {
        self.related.clone()
    }

    /// The parsed file, or null (not parsed, rejected, or handed over unread).
    #[napi(getter)]
    pub fn result(&self, env: Env) -> Option<KohiResult> {
        self.doc.clone().map(|doc| KohiResult::new(&env, doc))
    }

    /// Why the file could not be used, or null.
    #[napi(getter)]
    pub fn error(&self) -> Option<WatchError> {
        self.error.clone().map(watch_error)
    }

    /// A bulk archive's entries (kind `bulk_archive`), else null.
    #[napi(getter)]
    pub fn entries(&self) -> Option<Vec<ArchiveEntry>> {
        let entries = self.entries.as_ref()?;
        Some(
            entries
                .iter()
                .map(|(name, outcome)| ArchiveEntry { name: name.clone(), outcome: outcome.clone() })
                .collect(),
        )
    }

    /// The text of a rejection's `.err` file, or null.
    #[napi(getter)]
    pub fn message(&self) -> Option<String> {
        self.message.clone()
    }

    /// Marks the event done, durably, before the promise resolves (true; false if it was
    /// acknowledged already). Until then it is delivered again after a restart.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn ack(&self) -> AsyncTask<Ack> {
        AsyncTask::new(Ack { handle: self.handle.clone(), id: self.id.clone() })
    }
}

/// What the waiting thread hands back to JS.
type Payload = std::result::Result<Option<kohi_terminal::WatchEvent>, kohi_core::Error>;
type Deliver = Box<dyn Fn(Payload) + Send>;
/// `callback(error, event)` in JS.
type NextCallback<'a> = Function<'a, FnArgs<(Option<WatchError>, Option<WatchEvent>)>, ()>;

/// Watches a terminal folder. `for await (const event of watcher)` yields each delivered file;
/// `next(timeoutMs)` resolves to the next one or null; `close()` stops it.
#[napi]
pub struct Watcher {
    jobs: Mutex<Option<Sender<(Duration, Deliver)>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    handle: WatcherHandle,
    persistent: bool,
    recovered_store: Option<String>,
    /// The core watcher's `waiting()` after its last wait (it lives on the watcher's thread).
    waiting: Arc<AtomicUsize>,
}

#[napi]
impl Watcher {
    /// Internal (use `next()`): waits on the watcher's thread, then calls `callback(error, event)`.
    #[napi(ts_args_type = "timeoutMs: number, callback: (error: WatchError | null, event: WatchEvent | null) => void")]
    pub fn next_into(&self, env: Env, timeout_ms: f64, callback: NextCallback<'_>) -> Result<()> {
        if !(0.0..=2_147_483_647.0).contains(&timeout_ms) {
            let e = kohi_core::Error::InvalidSetting { name: "timeoutMs" };
            return Err(crate::kohi_error(&env, &e));
        }
        let handle = self.handle.clone();
        let to_js = move |ctx: napi::threadsafe_function::ThreadsafeCallContext<Payload>| {
            Ok(FnArgs::from(match ctx.value {
                Ok(event) => (None, event.map(|e| WatchEvent::new(e, handle.clone()))),
                Err(e) => (Some(WatchError::from(&e)), None),
            }))
        };
        let builder = callback.build_threadsafe_function::<Payload>().callee_handled::<false>();
        let deliver: Deliver = if self.persistent {
            let tsfn = builder.build_callback(to_js)?;
            Box::new(move |payload| {
                tsfn.call(payload, ThreadsafeFunctionCallMode::NonBlocking);
            })
        } else {
            let tsfn = builder.weak::<true>().build_callback(to_js)?;
            Box::new(move |payload| {
                tsfn.call(payload, ThreadsafeFunctionCallMode::NonBlocking);
            })
        };
        let timeout = Duration::from_millis(timeout_ms as u64);
        let jobs = self.jobs.lock().map_err(|_| Error::new(Status::GenericFailure, "the watcher failed"))?;
        match jobs.as_ref() {
            Some(jobs) if jobs.send((timeout, deliver)).is_ok() => {}
            // Closed: resolves to null, as a cancelled wait does.
            _ => return Err(Error::new(Status::Cancelled, "the watcher is closed")),
        }
        Ok(())
    }

    /// Pairs a future result carrying this `ArbitraryFileIdentifier` with its request file
    /// (`event.request`), in this run and after a restart: in the ledger when the promise
    /// resolves (the last 4,096 are kept; await it before writing the request). Rejects with
    /// `state_store` if the ledger cannot be written or the watcher is closed (nothing
    /// registered).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn expect(&self, arbitrary_file_identifier: String, request: String) -> AsyncTask<Expect> {
        AsyncTask::new(Expect { handle: self.handle.clone(), id: arbitrary_file_identifier, request })
    }

    /// Stops the watcher: a pending `next()` resolves to null at once, and so does every later
    /// one; the folder is free for another watcher when this returns. Unacknowledged events are
    /// delivered again by the next watcher.
    #[napi]
    pub fn close(&self) {
        self.handle.cancel();
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        // Cancelled, the thread returns from its wait at once and drops the watcher (its lock).
        if let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = thread.join();
        }
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.handle.is_cancelled()
    }

    /// Where a corrupt ledger was moved before it was rebuilt (every file still in the folders
    /// is then delivered again), or null.
    #[napi(getter)]
    pub fn recovered_store(&self) -> Option<String> {
        self.recovered_store.clone()
    }

    /// How many files were seen and not delivered yet, as of the last `next()`: settling, or not
    /// parsing and waiting for `giveUpAfter`. A null from `next()` does not mean the folder is
    /// drained: a loop that stops when idle stops when this is 0 too.
    #[napi(getter)]
    pub fn waiting(&self) -> u32 {
        u32::try_from(self.waiting.load(Ordering::Acquire)).unwrap_or(u32::MAX)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.close();
    }
}

fn millis(env: &Env, value: Option<f64>, default: Duration, name: &'static str) -> Result<Duration> {
    match value {
        None => Ok(default),
        Some(ms) if (0.0..=1e15).contains(&ms) => Ok(Duration::from_millis(ms as u64)),
        Some(_) => Err(crate::kohi_error(env, &kohi_core::Error::InvalidSetting { name })),
    }
}

/// Watches `folder/res` and `folder/face`. Originals are never deleted; every file is delivered
/// until it is acknowledged.
#[napi]
pub fn watch(env: Env, folder: String, options: Option<WatchOptions>) -> Result<Watcher> {
    let mut core = CoreOptions::default();
    let mut persistent = true;
    if let Some(o) = options {
        core.settle = millis(&env, o.settle, core.settle, "settle")?;
        core.poll_interval = millis(&env, o.poll_interval, core.poll_interval, "poll_interval")?;
        core.give_up_after = millis(&env, o.give_up_after, core.give_up_after, "give_up_after")?;
        core.state_file = o.state_file.map(Into::into);
        core.done_dir = o.done_dir.map(Into::into);
        core.parse = crate::options(&env, o.parse)?;
        persistent = o.persistent.unwrap_or(true);
        if let Some(rules) = o.pair_by {
            core.pair_by = rules
                .iter()
                .map(|r| kohi_terminal::PairBy::from_name(r))
                .collect::<Option<_>>()
                .ok_or_else(|| crate::kohi_error(&env, &kohi_core::Error::InvalidSetting { name: "pair_by" }))?;
        }
    }
    let mut inner = CoreWatcher::new(folder, core).map_err(|e| crate::kohi_error(&env, &e))?;
    let handle = inner.handle();
    let recovered_store = inner.recovered_store().map(|p| p.to_string_lossy().into_owned());
    let (jobs, queue) = channel::<(Duration, Deliver)>();
    let waiting = Arc::new(AtomicUsize::new(0));
    let waiting_now = waiting.clone();
    let thread = std::thread::Builder::new()
        .name("kohi-node-watch".into())
        .spawn(move || {
            // Ends when the JS watcher is closed or collected (the sender goes away).
            while let Ok((timeout, deliver)) = queue.recv() {
                let next = inner.next_event(timeout);
                // Before the callback: what `next()` resolves to and `waiting` agree.
                waiting_now.store(inner.waiting(), Ordering::Release);
                deliver(next);
            }
        })
        .map_err(|_| Error::new(Status::GenericFailure, "cannot start the watcher's thread"))?;
    let (jobs, thread) = (Mutex::new(Some(jobs)), Mutex::new(Some(thread)));
    Ok(Watcher { jobs, thread, handle, persistent, recovered_store, waiting })
}
