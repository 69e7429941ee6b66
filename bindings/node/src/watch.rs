//! `watch(folder)`: finished result files, each exactly once, off the main thread.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use kohi_core::watch::{Outcome, WatchOptions as CoreOptions, Watcher as CoreWatcher};

use crate::{KohiResult, ParseOptions};

/// Options for `watch` (every property optional; times in milliseconds).
#[napi(object)]
pub struct WatchOptions {
    /// The two checks that decide a file is complete are at least this far apart (default 300).
    pub settle: Option<u32>,
    /// Fallback scan period (default 1000).
    pub poll_interval: Option<u32>,
    /// A complete-looking file that still does not parse is reported after this long (default 10000).
    pub give_up_after: Option<u32>,
    /// Where reported files are recorded (default `<folder>/.kohi-watch-state`).
    pub state_file: Option<String>,
    /// If set, reported files are moved here (never deleted).
    pub done_dir: Option<String>,
    pub parse: Option<ParseOptions>,
}

/// Why a file could not be used.
#[napi(object)]
pub struct WatchError {
    pub code: String,
    pub number: u32,
    pub message: String,
}

/// One finished file.
#[napi]
pub struct WatchEvent {
    path: String,
    kind: &'static str,
    request: Option<String>,
    doc: Option<Arc<kohi_core::Document>>,
    error: Option<(String, u32, String)>,
    message: Option<String>,
}

impl From<kohi_core::watch::WatchEvent> for WatchEvent {
    fn from(e: kohi_core::watch::WatchEvent) -> Self {
        let (mut doc, mut error, mut message) = (None, None, None);
        match e.outcome {
            Outcome::Parsed(d) => doc = Some(Arc::new(*d)),
            Outcome::Failed(err) => error = Some((err.code().to_owned(), err.number(), err.to_string())),
            Outcome::Rejected { message: m } => message = m.map(kohi_core::Personal::into_inner),
        }
        WatchEvent {
            path: e.path.to_string_lossy().into_owned(),
            kind: e.kind.as_str(),
            request: e.request.map(|r| r.to_string_lossy().into_owned()),
            doc,
            error,
            message,
        }
    }
}

#[napi]
impl WatchEvent {
    #[napi(getter)]
    pub fn path(&self) -> String {
        self.path.clone()
    }

    #[napi(getter, ts_return_type = "'result' | 'face' | 'rejected'")]
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The request this answers, when known.
    #[napi(getter)]
    pub fn request(&self) -> Option<String> {
        self.request.clone()
    }

    /// The parsed file, or null (never parsed, or rejected).
    #[napi(getter)]
    pub fn result(&self) -> Option<KohiResult> {
        self.doc.clone().map(KohiResult::new)
    }

    /// Why the file never parsed, or null.
    #[napi(getter)]
    pub fn error(&self) -> Option<WatchError> {
        self.error.clone().map(|(code, number, message)| WatchError { code, number, message })
    }

    /// The text of a rejection's `.err` file, or null.
    #[napi(getter)]
    pub fn message(&self) -> Option<String> {
        self.message.clone()
    }
}

/// Watches a terminal folder. `for await (const event of watcher)` yields each finished file
/// once; `next(timeoutMs)` resolves to the next event or null.
#[napi]
pub struct Watcher {
    inner: Arc<Mutex<CoreWatcher>>,
}

pub struct NextEvent {
    inner: Arc<Mutex<CoreWatcher>>,
    timeout: Duration,
}

impl Task for NextEvent {
    type Output = Option<kohi_core::watch::WatchEvent>;
    type JsValue = Option<WatchEvent>;

    /// Waits on the libuv thread pool: the event loop stays free.
    fn compute(&mut self) -> Result<Self::Output> {
        let mut watcher = self.inner.lock().map_err(|_| Error::new(Status::GenericFailure, "the watcher failed"))?;
        Ok(watcher.next_event(self.timeout))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output.map(WatchEvent::from))
    }
}

#[napi]
impl Watcher {
    /// The next finished file within `timeoutMs` (default 1000), or null.
    #[napi(ts_return_type = "Promise<WatchEvent | null>")]
    pub fn next(&self, timeout_ms: Option<u32>) -> AsyncTask<NextEvent> {
        let timeout = Duration::from_millis(u64::from(timeout_ms.unwrap_or(1000)));
        AsyncTask::new(NextEvent { inner: self.inner.clone(), timeout })
    }

    /// Pairs a future result carrying this `ArbitraryFileIdentifier` with its request file.
    #[napi]
    pub fn expect(&self, arbitrary_file_identifier: String, request: String) -> Result<()> {
        let mut watcher = self.inner.lock().map_err(|_| Error::new(Status::GenericFailure, "the watcher failed"))?;
        watcher.expect(&arbitrary_file_identifier, request);
        Ok(())
    }
}

/// Watches `folder/res` and `folder/face`. Originals are never deleted; what was reported is
/// recorded so a restart reports nothing twice.
#[napi]
pub fn watch(env: Env, folder: String, options: Option<WatchOptions>) -> Result<Watcher> {
    let mut core = CoreOptions::default();
    if let Some(o) = options {
        let ms = |v: Option<u32>, default: Duration| v.map_or(default, |v| Duration::from_millis(u64::from(v)));
        core.settle = ms(o.settle, core.settle);
        core.poll_interval = ms(o.poll_interval, core.poll_interval);
        core.give_up_after = ms(o.give_up_after, core.give_up_after);
        core.state_file = o.state_file.map(Into::into);
        core.done_dir = o.done_dir.map(Into::into);
        core.parse = crate::options(&env, o.parse)?;
    }
    let inner = CoreWatcher::new(folder, core).map_err(|e| crate::kohi_error(&env, &e))?;
    Ok(Watcher { inner: Arc::new(Mutex::new(inner)) })
}
