//! `kohi.stream(source)`: patients one at a time, in memory that does not grow with the file.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use kohi_core::{Document, PatientReader};

use crate::errors;
use crate::model::{Patient, Result as ParsedResult};

type Source = Box<dyn Read + Send>;

/// Iterates the patients of a (bulk) result file, each a `kohi.Patient`, as they are read;
/// `async for` reads them in batches on the event loop's executor (`kohi/_aio.py`).
/// `close()` (or leaving `with kohi.stream(…) as patients:`) lets the file go at once.
#[pyclass(module = "kohi")]
pub struct PatientStream {
    /// `None` once closed.
    reading: Mutex<Option<Reading>>,
    /// The remainder, kept once the file has been read to its end: it outlives `close()`.
    rest: OnceLock<Arc<Document>>,
}

/// The reader, and what a batch read ahead for `async for` holds: its patients, then the error
/// met after them. `for`, `next()` and `async for` take from these first, so however they are
/// mixed the patients come in file order, each once.
struct Reading {
    reader: PatientReader<Source>,
    ready: VecDeque<Document>,
    failed: Option<kohi_core::Error>,
}

impl Reading {
    fn next_document(&mut self) -> Option<Result<Document, kohi_core::Error>> {
        if let Some(doc) = self.ready.pop_front() {
            return Some(Ok(doc));
        }
        if let Some(e) = self.failed.take() {
            return Some(Err(e));
        }
        self.reader.next_document()
    }
}

impl PatientStream {
    /// Keeps the reader's remainder, once it has one (see `remainder`).
    fn keep_rest(&self, reading: &Reading) {
        if let Some(doc) = reading.reader.remainder() {
            self.rest.get_or_init(|| Arc::new(doc.clone()));
        }
    }
}

/// The most patients one batch of `async for` reads ahead (what it holds at most).
const MAX_BATCH: usize = 1024;

/// What a closed file says, as Python's own files do: reading on would not be the end of the
/// patients, and a loop that took it for the end would miss those not read.
fn closed() -> PyErr {
    PyValueError::new_err("I/O operation on a closed stream")
}

#[pymethods]
impl PatientStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Patient>> {
        let next = py
            .detach(|| self.reading.lock().map(|mut r| r.as_mut().map(Reading::next_document)).ok())
            .ok_or_else(|| PyValueError::new_err("the stream failed in another thread"))?
            .ok_or_else(closed)?;
        match next {
            None => Ok(None),
            Some(Ok(doc)) => Ok(Some(Patient::from_document(Arc::new(doc), 0))),
            Some(Err(e)) => Err(errors::to_py(py, &e)),
        }
    }

    /// Lets the file go now (not when the object is collected); iterating after it raises
    /// `ValueError`, as a closed file does. Waits for a thread reading a patient (without the GIL).
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            let reading = self.reading.lock().ok().and_then(|mut reading| reading.take());
            if let Some(reading) = &reading {
                self.keep_rest(reading);
            }
        });
    }

    /// What the file said besides its patients, once it has been read to its end: a
    /// `kohi.Result` with no patients, holding the header (a failed request's
    /// `segment_of_result` and `error_code`: such a file has no patient to carry them), a bulk
    /// file's status (`bulk`) and the warnings and unknown elements of no one unit. `None` before
    /// the end, and after an error; kept after `close()`.
    #[getter]
    fn remainder(&self, py: Python<'_>) -> Option<ParsedResult> {
        py.detach(|| {
            if let Ok(reading) = self.reading.lock()
                && let Some(reading) = reading.as_ref()
            {
                self.keep_rest(reading);
            }
        });
        self.rest.get().map(|doc| ParsedResult::new(doc.clone()))
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        py.detach(|| self.reading.lock().map(|reading| reading.is_none()).unwrap_or(true))
    }

    /// For `async for` (`kohi/_aio.py`, on an executor thread): reads up to `max` patients
    /// ahead, without the GIL, stopping at the end or at an error (kept for after them).
    /// Whether a patient or an error is now ready to hand out without reading.
    fn _read_ahead(&self, py: Python<'_>, max: usize) -> PyResult<bool> {
        let max = max.clamp(1, MAX_BATCH);
        py.detach(|| {
            let mut reading =
                self.reading.lock().map_err(|_| PyValueError::new_err("the stream failed in another thread"))?;
            let reading = reading.as_mut().ok_or_else(closed)?;
            while reading.ready.len() < max && reading.failed.is_none() {
                match reading.reader.next_document() {
                    None => break,
                    Some(Ok(doc)) => reading.ready.push_back(doc),
                    Some(Err(e)) => reading.failed = Some(e),
                }
            }
            Ok(!reading.ready.is_empty() || reading.failed.is_some())
        })
    }

    /// For `async for`: whether a patient or an error is ready to hand out without reading.
    fn _has_ready(&self, py: Python<'_>) -> bool {
        py.detach(|| {
            self.reading
                .lock()
                .ok()
                .is_some_and(|r| r.as_ref().is_some_and(|r| !r.ready.is_empty() || r.failed.is_some()))
        })
    }

    /// `async for patient in kohi.stream(path)`: batches read on the running loop's default
    /// executor, so the loop never waits for the file (`kohi/_aio.py`).
    fn __aiter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        slf.py().import("kohi._aio")?.getattr("AsyncPatients")?.call1((slf,))
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
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
        "<kohi.PatientStream>"
    }
}

/// A `bytes` object read where it lies, as `kohi.parse` reads one: a copy doubled the memory a
/// stream of it took, all of it at the start (and for an object past the size limit, for a
/// refusal that was certain).
struct BytesInPlace {
    /// Keeps the object, and so its buffer, alive.
    _owner: Py<PyBytes>,
    start: *const u8,
    len: usize,
    at: usize,
}

// SAFETY: a `bytes` object's buffer never changes and lives as long as the object, which
// `_owner` keeps (its reference is given back through PyO3, with or without the GIL): reading
// it from another thread without the GIL is reading memory nobody writes.
unsafe impl Send for BytesInPlace {}

impl BytesInPlace {
    fn new(bytes: &Bound<'_, PyBytes>) -> Self {
        let data = bytes.as_bytes();
        BytesInPlace { _owner: bytes.clone().unbind(), start: data.as_ptr(), len: data.len(), at: 0 }
    }
}

impl Read for BytesInPlace {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // SAFETY: `start..start + len` is the object's buffer (see above); `at <= len`.
        let rest = unsafe { std::slice::from_raw_parts(self.start.add(self.at), self.len - self.at) };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

/// Streams a result file given as a path (`str` or `os.PathLike`) or as `bytes`.
#[pyfunction]
#[pyo3(signature = (source, *, aliases=None, layout=None, max_size=None, limits=None))]
pub fn stream(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    aliases: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    max_size: Option<usize>,
    limits: Option<crate::LimitsArg>,
) -> PyResult<PatientStream> {
    let options = crate::options(py, aliases, layout, max_size, limits)?;
    // A source past the size limit is refused here, before any patient (as `kohi.parse` refuses
    // it), not after the patients before the limit.
    let reader = if let Ok(bytes) = source.cast::<PyBytes>() {
        let (size, limit) = (bytes.as_bytes().len(), options.max_input_bytes());
        if size > limit {
            return Err(errors::to_py(py, &kohi_core::Error::InputTooLarge { size, limit }));
        }
        let input: Source = Box::new(BytesInPlace::new(bytes));
        py.detach(|| PatientReader::new(input, &options))
    } else if source.is_instance_of::<pyo3::types::PyString>() || source.hasattr("__fspath__")? {
        let path = crate::path_of(source)?;
        py.detach(|| {
            let file = kohi_core::open_file_within(&path, options.max_input_bytes())?;
            PatientReader::new(Box::new(file) as Source, &options)
        })
    } else {
        return Err(PyTypeError::new_err("stream() takes a path or bytes"));
    }
    .map_err(|e| errors::to_py(py, &e))?;
    let reading = Reading { reader, ready: VecDeque::new(), failed: None };
    Ok(PatientStream { reading: Mutex::new(Some(reading)), rest: OnceLock::new() })
}
