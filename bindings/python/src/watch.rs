//! `kohi.watch(folder)`: an iterator over finished result files, each exactly once.

use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use kohi_core::watch::{Outcome, WatchOptions, Watcher as CoreWatcher};

use crate::errors;
use crate::model::Result as KohiResult;

/// One finished file. `kind` is "result", "face" or "rejected"; a parsed file has `result`, a
/// file that never parsed has `error` (a `KohiError`), a rejection has `message`.
#[pyclass(frozen, module = "kohi")]
pub struct WatchEvent {
    #[pyo3(get)]
    path: String,
    #[pyo3(get)]
    kind: &'static str,
    #[pyo3(get)]
    request: Option<String>,
    #[pyo3(get)]
    message: Option<String>,
    #[pyo3(get)]
    result: Option<Py<KohiResult>>,
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
}

#[pymethods]
impl WatchEvent {
    fn __repr__(&self) -> String {
        format!("<kohi.WatchEvent {} {}>", self.kind, self.path)
    }
}

fn event(py: Python<'_>, e: kohi_core::watch::WatchEvent) -> PyResult<WatchEvent> {
    let (mut result, mut error, mut message) = (None, None, None);
    match e.outcome {
        Outcome::Parsed(doc) => result = Some(Py::new(py, KohiResult::new(std::sync::Arc::new(*doc)))?),
        Outcome::Failed(err) => error = Some(errors::to_py(py, &err).into_value(py).into_any()),
        Outcome::Rejected { message: m } => message = m.map(kohi_core::Personal::into_inner),
    }
    Ok(WatchEvent {
        path: e.path.to_string_lossy().into_owned(),
        kind: e.kind.as_str(),
        request: e.request.map(|r| r.to_string_lossy().into_owned()),
        message,
        result,
        error,
    })
}

/// Watches a terminal folder (holding `res/` and `face/`). Iterate it for events; iteration
/// ends after `idle_timeout` seconds without one (never, if `None`).
#[pyclass(module = "kohi")]
pub struct Watcher {
    inner: Mutex<CoreWatcher>,
    idle_timeout: Option<Duration>,
}

#[pymethods]
impl Watcher {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<WatchEvent>> {
        let started = std::time::Instant::now();
        loop {
            if let Some(e) = self.wait(py, Duration::from_millis(200))? {
                return Ok(Some(event(py, e)?));
            }
            // Ctrl-C reaches the caller between waits.
            py.check_signals()?;
            if self.idle_timeout.is_some_and(|idle| started.elapsed() >= idle) {
                return Ok(None);
            }
        }
    }

    /// The next event within `timeout` seconds, or `None`.
    fn next_event(&self, py: Python<'_>, timeout: f64) -> PyResult<Option<WatchEvent>> {
        let timeout =
            Duration::try_from_secs_f64(timeout).map_err(|_| PyValueError::new_err("timeout must be >= 0"))?;
        self.wait(py, timeout)?.map(|e| event(py, e)).transpose()
    }

    /// Pairs a future result carrying this `ArbitraryFileIdentifier` with its request file.
    fn expect(&self, arbitrary_file_identifier: &str, request: std::path::PathBuf) -> PyResult<()> {
        self.lock()?.expect(arbitrary_file_identifier, request);
        Ok(())
    }

    fn __repr__(&self) -> &'static str {
        "<kohi.Watcher>"
    }
}

impl Watcher {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, CoreWatcher>> {
        self.inner.lock().map_err(|_| PyValueError::new_err("the watcher failed in another thread"))
    }

    fn wait(&self, py: Python<'_>, timeout: Duration) -> PyResult<Option<kohi_core::watch::WatchEvent>> {
        // Locked without the GIL, so another thread holding the lock never waits on us for it.
        py.detach(|| self.inner.lock().map(|mut inner| inner.next_event(timeout)).ok())
            .ok_or_else(|| PyValueError::new_err("the watcher failed in another thread"))
    }
}

fn seconds(value: Option<f64>, name: &str) -> PyResult<Option<Duration>> {
    value
        .map(|v| Duration::try_from_secs_f64(v).map_err(|_| PyValueError::new_err(format!("{name} must be >= 0"))))
        .transpose()
}

/// Watches `folder/res` and `folder/face`; yields each finished file once, also across restarts
/// (recorded in `state_file`, default `folder/.kohi-watch-state`). Originals are never deleted;
/// with `done_dir` they are moved there once reported.
#[pyfunction]
#[pyo3(signature = (folder, *, settle=0.3, poll_interval=1.0, give_up_after=10.0, state_file=None, done_dir=None, idle_timeout=None, aliases=None, max_size=None))]
#[allow(clippy::too_many_arguments)]
pub fn watch(
    py: Python<'_>,
    folder: &Bound<'_, PyAny>,
    settle: f64,
    poll_interval: f64,
    give_up_after: f64,
    state_file: Option<std::path::PathBuf>,
    done_dir: Option<std::path::PathBuf>,
    idle_timeout: Option<f64>,
    aliases: Option<&Bound<'_, PyAny>>,
    max_size: Option<usize>,
) -> PyResult<Watcher> {
    let root = crate::path_of(folder)?;
    let options = WatchOptions {
        parse: crate::options(py, aliases, max_size)?,
        settle: seconds(Some(settle), "settle")?.unwrap_or_default(),
        poll_interval: seconds(Some(poll_interval), "poll_interval")?.unwrap_or_default(),
        give_up_after: seconds(Some(give_up_after), "give_up_after")?.unwrap_or_default(),
        state_file,
        done_dir,
    };
    let inner = CoreWatcher::new(root, options).map_err(|e| errors::to_py(py, &e))?;
    Ok(Watcher { inner: Mutex::new(inner), idle_timeout: seconds(idle_timeout, "idle_timeout")? })
}
