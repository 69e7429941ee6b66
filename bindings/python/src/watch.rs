//! `kohi.watch(folder)`: the terminal inbox. Each event is delivered until it is acknowledged
//! (`event.ack()`); one not acknowledged is delivered again after a restart, with the same `id`.

use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use kohi_terminal::{Outcome, WatchOptions, Watcher as CoreWatcher, WatcherHandle};

use crate::errors;
use crate::model::Result as KohiResult;

/// One delivered file. `kind` is "result", "face", "rejected", "bulk_archive", "skipped",
/// "other" or "pmh" (a document of PMH data of its own; `related` is the result of the same
/// patient, and a result's `related` its PMH document); a parsed file has `result`, a file that could not be used has `error` (a
/// `KohiError`), a rejection has `message`. Call `ack()` once it is safely stored.
#[pyclass(frozen, module = "kohi")]
pub struct WatchEvent {
    #[pyo3(get)]
    id: String,
    #[pyo3(get)]
    path: String,
    #[pyo3(get)]
    kind: &'static str,
    #[pyo3(get)]
    request: Option<String>,
    #[pyo3(get)]
    related: Option<String>,
    #[pyo3(get)]
    message: Option<String>,
    #[pyo3(get)]
    result: Option<Py<KohiResult>>,
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
    /// A bulk archive's entries (kind "bulk_archive"), else None.
    #[pyo3(get)]
    entries: Option<Vec<Py<ArchiveEntry>>>,
    handle: WatcherHandle,
}

/// One entry of a zipped bulk result: `name` inside the archive, and `result` or `error`.
#[pyclass(frozen, module = "kohi")]
pub struct ArchiveEntry {
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    result: Option<Py<KohiResult>>,
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
}

#[pymethods]
impl ArchiveEntry {
    fn __repr__(&self) -> &'static str {
        if self.result.is_some() { "<kohi.ArchiveEntry parsed>" } else { "<kohi.ArchiveEntry failed>" }
    }
}

fn parsed(py: Python<'_>, doc: kohi_core::Document) -> PyResult<Py<KohiResult>> {
    Py::new(py, KohiResult::new(std::sync::Arc::new(doc)))
}

fn error_object(py: Python<'_>, e: &kohi_core::Error) -> Py<PyAny> {
    errors::to_py(py, e).into_value(py).into_any()
}

#[pymethods]
impl WatchEvent {
    /// Marks the event done (durably, before this returns). Until then it is delivered again
    /// after a restart. True if it was pending, False if it was acknowledged already.
    fn ack(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| self.handle.ack(&self.id)).map_err(|e| errors::to_py(py, &e))
    }

    fn __repr__(&self) -> String {
        // The kind and the id only: a file name may carry personal data.
        format!("<kohi.WatchEvent {} {}>", self.kind, &self.id[..16.min(self.id.len())])
    }
}

fn event(py: Python<'_>, e: kohi_terminal::WatchEvent, handle: WatcherHandle) -> PyResult<WatchEvent> {
    let (mut result, mut error, mut message, mut entries) = (None, None, None, None);
    match e.outcome {
        Outcome::Parsed(doc) => result = Some(parsed(py, *doc)?),
        Outcome::Failed(err) => error = Some(error_object(py, &err)),
        Outcome::Rejected { message: m } => message = m.map(kohi_core::Personal::into_inner),
        Outcome::Archive(list) => {
            let mut converted = Vec::with_capacity(list.len());
            for entry in list {
                let (result, error) = match entry.outcome {
                    Ok(doc) => (Some(parsed(py, *doc)?), None),
                    Err(err) => (None, Some(error_object(py, &err))),
                };
                converted.push(Py::new(py, ArchiveEntry { name: entry.name, result, error })?);
            }
            entries = Some(converted);
        }
        _ => {}
    }
    Ok(WatchEvent {
        id: e.id,
        path: e.path.to_string_lossy().into_owned(),
        kind: e.kind.as_str(),
        request: e.request.map(|r| r.to_string_lossy().into_owned()),
        related: e.related.map(|r| r.to_string_lossy().into_owned()),
        message,
        result,
        error,
        entries,
        handle,
    })
}

/// Watches a terminal folder (holding `res/` and `face/`). Iterate it for events; iteration
/// ends after `idle_timeout` seconds without one once every file seen was delivered (never, if
/// `None`), or once `cancel()` is called.
#[pyclass(module = "kohi")]
pub struct Watcher {
    /// `None` once closed.
    inner: Mutex<Option<CoreWatcher>>,
    handle: WatcherHandle,
    idle_timeout: Option<Duration>,
    #[pyo3(get)]
    recovered_store: Option<String>,
}

#[pymethods]
impl Watcher {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<WatchEvent>> {
        let started = std::time::Instant::now();
        loop {
            let (next, waiting) = self.wait(py, Duration::from_millis(200))?;
            if let Some(e) = next {
                return Ok(Some(event(py, e, self.handle.clone())?));
            }
            // Ctrl-C reaches the caller between waits.
            py.check_signals()?;
            // Idle: no event for a while, and no file seen left to deliver.
            let idle = self.idle_timeout.is_some_and(|idle| started.elapsed() >= idle) && waiting == 0;
            if self.handle.is_cancelled() || idle {
                return Ok(None);
            }
        }
    }

    /// The next event within `timeout` seconds, or `None`.
    fn next_event(&self, py: Python<'_>, timeout: f64) -> PyResult<Option<WatchEvent>> {
        let timeout =
            Duration::try_from_secs_f64(timeout).map_err(|_| PyValueError::new_err("timeout must be >= 0"))?;
        self.wait(py, timeout)?.0.map(|e| event(py, e, self.handle.clone())).transpose()
    }

    /// One wait of `async for` (`kohi/_aio.py`): the next event within `timeout` seconds or
    /// `None`, whether the watcher was cancelled, and how many files seen wait to be delivered.
    fn _step(&self, py: Python<'_>, timeout: f64) -> PyResult<(Option<WatchEvent>, bool, usize)> {
        let timeout =
            Duration::try_from_secs_f64(timeout).map_err(|_| PyValueError::new_err("timeout must be >= 0"))?;
        let (next, waiting) = self.wait(py, timeout)?;
        let next = next.map(|e| event(py, e, self.handle.clone())).transpose()?;
        Ok((next, self.handle.is_cancelled(), waiting))
    }

    /// `idle_timeout` in seconds, for `async for` (`kohi/_aio.py`).
    #[getter]
    fn _idle_timeout(&self) -> Option<f64> {
        self.idle_timeout.map(|idle| idle.as_secs_f64())
    }

    /// Pairs a future result carrying this `ArbitraryFileIdentifier` with its request file
    /// (`event.request`), in this run and after a restart: in the ledger when this returns
    /// (the last 4,096 are kept). Raises `StateStoreError` if the ledger cannot be written or
    /// the watcher is closed (nothing registered). Never waits for a thread blocked in
    /// `next_event`.
    fn expect(&self, py: Python<'_>, arbitrary_file_identifier: &str, request: std::path::PathBuf) -> PyResult<()> {
        py.detach(|| self.handle.expect(arbitrary_file_identifier, request)).map_err(|e| errors::to_py(py, &e))
    }

    /// Files seen and not delivered yet: settling, or not parsing and waiting for
    /// `give_up_after`. `None` from `next_event` with this above 0 is not a drained folder.
    /// Waits for a thread blocked in `next_event` (without the GIL).
    #[getter]
    fn waiting(&self, py: Python<'_>) -> usize {
        py.detach(|| self.inner.lock().ok().and_then(|inner| inner.as_ref().map(|w| w.waiting())).unwrap_or(0))
    }

    /// Wakes a thread blocked in `next_event` or iteration; both end at once from then on.
    fn cancel(&self) {
        self.handle.cancel();
    }

    /// Stops watching and frees the folder for another watcher at once (not when the object is
    /// collected). Events not acknowledged are delivered again by the next watcher.
    fn close(&self, py: Python<'_>) {
        self.handle.cancel();
        // A thread blocked in next_event returns at once (cancelled) and releases the lock.
        // Dropped without the GIL: closing the ledger touches the disk.
        py.detach(|| drop(self.inner.lock().ok().and_then(|mut inner| inner.take())));
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// `async for event in watcher`: waits of at most 0.2 s on worker threads of the running
    /// loop's default executor (`kohi/_aio.py`, through `_step`), so the event loop never blocks
    /// and none of them outlives the loop by more than one wait.
    fn __aiter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        slf.py().import("kohi._aio")?.getattr("AsyncEvents")?.call1((slf,))
    }

    /// `async with kohi.watch(…) as watcher`: closed on leaving, as with `with`.
    fn __aenter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        slf.py().import("kohi._aio")?.getattr("enter")?.call1((slf,))
    }

    fn __aexit__<'py>(
        slf: Bound<'py, Self>,
        _type: &Bound<'py, PyAny>,
        _value: &Bound<'py, PyAny>,
        _traceback: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("kohi._aio")?.getattr("leave")?.call1((slf,))
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _type: &Bound<'_, PyAny>,
        _value: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) {
        self.close(py);
    }

    fn __repr__(&self) -> &'static str {
        "<kohi.Watcher>"
    }
}

impl Watcher {
    /// The next event within `timeout`, and how many files seen are still to be delivered.
    fn wait(&self, py: Python<'_>, timeout: Duration) -> PyResult<(Option<kohi_terminal::WatchEvent>, usize)> {
        // Locked and waited on without the GIL: other threads run, and one holding the lock
        // never waits on us for the GIL.
        let waited = py.detach(|| {
            self.inner.lock().ok().map(|mut inner| {
                inner.as_mut().map_or(Ok((None, 0)), |w| w.next_event(timeout).map(|e| (e, w.waiting())))
            })
        });
        match waited {
            Some(Ok(event)) => Ok(event),
            Some(Err(e)) => Err(errors::to_py(py, &e)),
            None => Err(PyValueError::new_err("the watcher failed in another thread")),
        }
    }
}

fn seconds(value: f64, name: &'static str) -> Result<Duration, kohi_core::Error> {
    Duration::try_from_secs_f64(value).map_err(|_| kohi_core::Error::InvalidSetting { name })
}

/// Watches `folder/res` and `folder/face`; yields every file until it is acknowledged
/// (`event.ack()`), also across restarts (the ledger is `state_file`, default
/// `folder/.kohi-inbox.sqlite`). Originals are never deleted; with `done_dir` they are moved
/// there once acknowledged.
#[pyfunction]
#[pyo3(signature = (folder, *, settle=0.3, poll_interval=1.0, give_up_after=30.0, state_file=None, done_dir=None, idle_timeout=None, pair_by=None, aliases=None, layout=None, max_size=None, limits=None))]
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
    pair_by: Option<Vec<String>>,
    aliases: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    max_size: Option<usize>,
    limits: Option<crate::LimitsArg>,
) -> PyResult<Watcher> {
    let root = crate::path_of(folder)?;
    let mut options = WatchOptions::default();
    options.parse = crate::options(py, aliases, layout, max_size, limits)?;
    let durations = (|| {
        options.settle = seconds(settle, "settle")?;
        options.poll_interval = seconds(poll_interval, "poll_interval")?;
        options.give_up_after = seconds(give_up_after, "give_up_after")?;
        idle_timeout.map(|t| seconds(t, "idle_timeout")).transpose()
    })();
    let idle_timeout = durations.map_err(|e| errors::to_py(py, &e))?;
    options.state_file = state_file;
    options.done_dir = done_dir;
    if let Some(rules) = pair_by {
        options.pair_by = rules
            .iter()
            .map(|r| kohi_terminal::PairBy::from_name(r).ok_or(kohi_core::Error::InvalidSetting { name: "pair_by" }))
            .collect::<Result<_, _>>()
            .map_err(|e| errors::to_py(py, &e))?;
    }
    // Opening the ledger touches the disk: without the GIL.
    let inner = py.detach(|| CoreWatcher::new(root, options)).map_err(|e| errors::to_py(py, &e))?;
    let recovered_store = inner.recovered_store().map(|p| p.to_string_lossy().into_owned());
    Ok(Watcher { handle: inner.handle(), inner: Mutex::new(Some(inner)), idle_timeout, recovered_store })
}
