//! `kohi.stream(source)`: patients one at a time, in memory that does not grow with the file.

use std::io::Read;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use kohi_core::PatientReader;

use crate::errors;
use crate::model::Patient;

type Source = Box<dyn Read + Send>;

/// Iterates the patients of a (bulk) result file, each a `kohi.Patient`, as they are read.
/// `close()` (or leaving `with kohi.stream(…) as patients:`) lets the file go at once.
#[pyclass(module = "kohi")]
pub struct PatientStream {
    /// `None` once closed.
    reader: Mutex<Option<PatientReader<Source>>>,
}

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
            .detach(|| self.reader.lock().map(|mut r| r.as_mut().map(PatientReader::next_document)).ok())
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
        py.detach(|| drop(self.reader.lock().ok().and_then(|mut reader| reader.take())));
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        py.detach(|| self.reader.lock().map(|reader| reader.is_none()).unwrap_or(true))
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
    let input: Source = if let Ok(bytes) = source.cast::<PyBytes>() {
        Box::new(std::io::Cursor::new(bytes.as_bytes().to_vec()))
    } else if source.is_instance_of::<pyo3::types::PyString>() || source.hasattr("__fspath__")? {
        let path = crate::path_of(source)?;
        let file = kohi_core::open_file(&path).map_err(|e| errors::to_py(py, &e))?;
        Box::new(file)
    } else {
        return Err(PyTypeError::new_err("stream() takes a path or bytes"));
    };
    let reader = py.detach(|| PatientReader::new(input, &options)).map_err(|e| errors::to_py(py, &e))?;
    Ok(PatientStream { reader: Mutex::new(Some(reader)) })
}
