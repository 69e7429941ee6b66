//! Model values → Python values. Absent is `None`; numbers stay `str`; dates are
//! `datetime.date` (an invalid one is `None`, its text in the `*_raw` attribute).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

use kohi_core::Personal;
use kohi_core::codes::CodeList;
use kohi_core::model::{Date, DateTime};
use kohi_core::numbers::NumberText;

use crate::model::Code;

pub(crate) type Obj = PyResult<Py<PyAny>>;

fn none(py: Python<'_>) -> Obj {
    Ok(py.None())
}

pub(crate) fn text<S: AsRef<str>>(py: Python<'_>, v: &Option<S>) -> Obj {
    v.as_ref().map_or_else(|| none(py), |s| Ok(PyString::new(py, s.as_ref()).into_any().unbind()))
}

pub(crate) fn personal<S: AsRef<str>>(py: Python<'_>, v: &Option<Personal<S>>) -> Obj {
    v.as_ref().map_or_else(|| none(py), |s| Ok(PyString::new(py, s.expose().as_ref()).into_any().unbind()))
}

pub(crate) fn number(py: Python<'_>, v: &Option<NumberText>) -> Obj {
    v.as_ref().map_or_else(|| none(py), |n| Ok(PyString::new(py, n.value()).into_any().unbind()))
}

pub(crate) fn number_raw(py: Python<'_>, v: &Option<NumberText>) -> Obj {
    v.as_ref().map_or_else(|| none(py), |n| Ok(PyString::new(py, n.raw()).into_any().unbind()))
}

pub(crate) fn code<C: CodeList>(py: Python<'_>, v: &Option<C>) -> Obj {
    match v {
        None => none(py),
        Some(c) => Ok(Py::new(py, Code::new(c.code(), c.label()))?.into_any()),
    }
}

pub(crate) fn date(py: Python<'_>, v: &Option<Date>) -> Obj {
    match v.as_ref().and_then(|d| d.value) {
        None => none(py),
        Some(d) => Ok(d.into_pyobject(py)?.into_any().unbind()),
    }
}

pub(crate) fn date_raw(py: Python<'_>, v: &Option<Date>) -> Obj {
    v.as_ref().map_or_else(|| none(py), |d| Ok(PyString::new(py, &d.raw).into_any().unbind()))
}

pub(crate) fn date_time(py: Python<'_>, v: &Option<DateTime>) -> Obj {
    match v.as_ref().and_then(|d| d.value) {
        None => none(py),
        Some(d) => Ok(d.into_pyobject(py)?.into_any().unbind()),
    }
}

pub(crate) fn flag(py: Python<'_>, v: Option<bool>) -> Obj {
    Ok(v.into_pyobject(py)?.into_any().unbind())
}

/// Nested blocks whose schema is long or open (高齢受給者証, 医療券, 上限額…) come as plain dicts,
/// exactly as in the JSON contract.
pub(crate) fn json<T: serde::Serialize>(py: Python<'_>, v: &T) -> Obj {
    let text = serde_json::to_string(v).map_err(|_| PyValueError::new_err("value cannot be represented"))?;
    json_to_py(py, &text)
}

pub(crate) fn json_to_py(py: Python<'_>, text: &str) -> Obj {
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// `datetime.date` or `"YYYY-MM-DD"`.
pub(crate) fn date_arg(v: &Bound<'_, PyAny>) -> PyResult<chrono::NaiveDate> {
    if let Ok(text) = v.cast::<PyString>() {
        return kohi_core::reconcile::parse_day(&crate::text_of(v.py(), text)?)
            .ok_or_else(|| PyValueError::new_err("today must be a datetime.date or 'YYYY-MM-DD'"));
    }
    v.extract::<chrono::NaiveDate>().map_err(|_| PyTypeError::new_err("today must be a datetime.date or 'YYYY-MM-DD'"))
}
