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
#[pyclass(module = "kohi")]
pub struct PatientStream {
    reader: Mutex<PatientReader<Source>>,
}

#[pymethods]
impl PatientStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Patient>> {
        let next = py
            .detach(|| self.reader.lock().map(|mut r| r.next_document()).ok())
            .ok_or_else(|| PyValueError::new_err("the stream failed in another thread"))?;
        match next {
            None => Ok(None),
            Some(Ok(doc)) => Ok(Some(Patient::from_document(Arc::new(doc), 0))),
            Some(Err(e)) => Err(errors::to_py(py, &e)),
        }
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
    Ok(PatientStream { reader: Mutex::new(reader) })
}
