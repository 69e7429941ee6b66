//! `kohi.KohiError` and one subclass per category; every instance has `.code` (the core's stable
//! snake_case code) and `.number`. Messages say where, never patient data.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;

create_exception!(kohi, KohiError, PyException, "A result file kohi refuses. `.code` is the stable snake_case code.");
create_exception!(kohi, EncodingError, KohiError, "Bytes that do not decode, or an encoding kohi does not read.");
create_exception!(kohi, MalformedXmlError, KohiError, "Not well-formed XML.");
create_exception!(kohi, UnexpectedRootError, KohiError, "Well-formed XML whose root is not XmlMsg.");
create_exception!(kohi, ForbiddenXmlError, KohiError, "An XML construct kohi refuses (a DOCTYPE).");
create_exception!(
    kohi,
    InputTooLargeError,
    KohiError,
    "Input over a limit (size, nesting depth, or the limits on its shape)."
);
create_exception!(kohi, FileReadError, KohiError, "Reading the file failed.");
create_exception!(kohi, AliasTableError, KohiError, "The alias table is not valid.");
create_exception!(kohi, StoredRecordError, KohiError, "A stored record given to reconcile is not valid.");
create_exception!(kohi, AlreadyWatchedError, KohiError, "Another watcher holds this folder.");
create_exception!(kohi, StateStoreError, KohiError, "The watcher's ledger could not be opened, read or written.");
create_exception!(kohi, InvalidSettingError, KohiError, "A setting is out of its allowed range.");
create_exception!(kohi, LayoutError, KohiError, "The layout file is not valid (the message names the key).");

/// The exception class of an error code (the base class for codes that need no class of
/// their own: `tests/test_errors.py` lists them, so a new code cannot fall back silently).
pub(crate) fn class_for<'py>(py: Python<'py>, code: &str) -> Bound<'py, PyType> {
    match code {
        "invalid_encoding" | "unsupported_encoding" | "encoding_conflict" => py.get_type::<EncodingError>(),
        "malformed_xml" => py.get_type::<MalformedXmlError>(),
        "unexpected_root" => py.get_type::<UnexpectedRootError>(),
        "doctype_not_allowed" => py.get_type::<ForbiddenXmlError>(),
        "input_too_large" | "nesting_too_deep" | "limit_exceeded" => py.get_type::<InputTooLargeError>(),
        "io" => py.get_type::<FileReadError>(),
        "invalid_alias_table" => py.get_type::<AliasTableError>(),
        "invalid_stored_record" => py.get_type::<StoredRecordError>(),
        "already_watched" => py.get_type::<AlreadyWatchedError>(),
        "state_store" => py.get_type::<StateStoreError>(),
        "invalid_setting" => py.get_type::<InvalidSettingError>(),
        "invalid_layout" => py.get_type::<LayoutError>(),
        _ => py.get_type::<KohiError>(),
    }
}

pub(crate) fn to_py(py: Python<'_>, e: &kohi_core::Error) -> PyErr {
    let err = PyErr::from_type(class_for(py, e.code()), e.to_string());
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it did, the
    // exception itself is still the right one to raise.
    let _ = value.setattr("code", e.code());
    let _ = value.setattr("number", e.number());
    err
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("KohiError", py.get_type::<KohiError>())?;
    m.add("EncodingError", py.get_type::<EncodingError>())?;
    m.add("MalformedXmlError", py.get_type::<MalformedXmlError>())?;
    m.add("UnexpectedRootError", py.get_type::<UnexpectedRootError>())?;
    m.add("ForbiddenXmlError", py.get_type::<ForbiddenXmlError>())?;
    m.add("InputTooLargeError", py.get_type::<InputTooLargeError>())?;
    m.add("FileReadError", py.get_type::<FileReadError>())?;
    m.add("AliasTableError", py.get_type::<AliasTableError>())?;
    m.add("StoredRecordError", py.get_type::<StoredRecordError>())?;
    m.add("AlreadyWatchedError", py.get_type::<AlreadyWatchedError>())?;
    m.add("StateStoreError", py.get_type::<StateStoreError>())?;
    m.add("InvalidSettingError", py.get_type::<InvalidSettingError>())?;
    m.add("LayoutError", py.get_type::<LayoutError>())?;
    // The stable error table, and which class each code raises (for the tests and for callers
    // that map codes themselves).
    let codes: Vec<(u32, &str, &str)> = kohi_core::ERROR_CODES.iter().map(|e| (e.number, e.code, e.meaning)).collect();
    m.add("ERROR_CODES", codes)?;
    let classes = pyo3::types::PyDict::new(py);
    for row in kohi_core::ERROR_CODES {
        classes.set_item(row.code, class_for(py, row.code))?;
    }
    m.add("ERROR_CLASSES", classes)?;
    Ok(())
}
