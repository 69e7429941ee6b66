//! `kohi.KohiError` and one subclass per category; every instance has `.code` (the core's stable
//! snake_case code) and `.number`. Messages say where, never patient data.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

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

pub(crate) fn to_py(py: Python<'_>, e: &kohi_core::Error) -> PyErr {
    let message = e.to_string();
    let err = match e.code() {
        "invalid_encoding" | "unsupported_encoding" | "encoding_conflict" => EncodingError::new_err(message),
        "malformed_xml" => MalformedXmlError::new_err(message),
        "unexpected_root" => UnexpectedRootError::new_err(message),
        "doctype_not_allowed" => ForbiddenXmlError::new_err(message),
        "input_too_large" | "nesting_too_deep" | "limit_exceeded" => InputTooLargeError::new_err(message),
        "io" => FileReadError::new_err(message),
        "invalid_alias_table" => AliasTableError::new_err(message),
        "invalid_stored_record" => StoredRecordError::new_err(message),
        "already_watched" => AlreadyWatchedError::new_err(message),
        "state_store" => StateStoreError::new_err(message),
        "invalid_setting" => InvalidSettingError::new_err(message),
        "invalid_layout" => LayoutError::new_err(message),
        _ => KohiError::new_err(message),
    };
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
    Ok(())
}
