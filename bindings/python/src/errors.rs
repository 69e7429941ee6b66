//! `kohi.KohiError` and one subclass per category; every instance has `.code` (the core's stable
//! snake_case code) and `.number`. Messages say where, never patient data.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

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
create_exception!(kohi, AliasTableError, KohiError, "The alias table is not valid.");
create_exception!(kohi, StoredRecordError, KohiError, "A stored record given to reconcile is not valid.");
create_exception!(kohi, AlreadyWatchedError, KohiError, "Another watcher holds this folder.");
create_exception!(kohi, StateStoreError, KohiError, "The watcher's ledger could not be opened, read or written.");
create_exception!(
    kohi,
    InvalidSettingError,
    KohiError,
    "A setting is out of its allowed range, or puts kohi's files in a watched folder."
);
create_exception!(kohi, LayoutError, KohiError, "The layout file is not valid (the message names the key).");
create_exception!(
    kohi,
    NotATerminalFolderError,
    KohiError,
    "A folder given is not the terminal folder (to watch) or its req/ (for requests)."
);

/// The classes of `io` errors, made at run time because each has two bases (a kohi class and a
/// built-in `OSError` class), which `create_exception!` cannot declare: `FileReadError` is a
/// `KohiError` and an `OSError`; the others add the `OSError` subclass of the error's kind, so
/// `except FileNotFoundError` catches a missing file as it would from `open()`.
struct IoClass {
    name: &'static str,
    kind: Option<std::io::ErrorKind>,
    builtin: &'static str,
    doc: &'static str,
    cell: PyOnceLock<Py<PyType>>,
}

static IO_CLASSES: [IoClass; 4] = [
    IoClass {
        name: "FileReadError",
        kind: None,
        builtin: "OSError",
        doc: "Reading the file failed: a KohiError and an OSError (errno, strerror, filename are set).",
        cell: PyOnceLock::new(),
    },
    IoClass {
        name: "FileReadNotFoundError",
        kind: Some(std::io::ErrorKind::NotFound),
        builtin: "FileNotFoundError",
        doc: "The file does not exist: a FileReadError and a FileNotFoundError.",
        cell: PyOnceLock::new(),
    },
    IoClass {
        name: "FileReadPermissionError",
        kind: Some(std::io::ErrorKind::PermissionDenied),
        builtin: "PermissionError",
        doc: "The file may not be read: a FileReadError and a PermissionError.",
        cell: PyOnceLock::new(),
    },
    IoClass {
        name: "FileReadIsADirectoryError",
        kind: Some(std::io::ErrorKind::IsADirectory),
        builtin: "IsADirectoryError",
        doc: "The path is a folder: a FileReadError and an IsADirectoryError.",
        cell: PyOnceLock::new(),
    },
];

fn io_class<'py>(py: Python<'py>, class: &IoClass) -> PyResult<Bound<'py, PyType>> {
    let made = class.cell.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let builtins = py.import("builtins")?;
        let first = match class.kind {
            None => py.get_type::<KohiError>().into_any(),
            Some(_) => io_class(py, &IO_CLASSES[0])?.into_any(),
        };
        let bases = PyTuple::new(py, [first, builtins.getattr(class.builtin)?])?;
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "kohi")?;
        namespace.set_item("__doc__", class.doc)?;
        let made = builtins.getattr("type")?.call1((class.name, bases, namespace))?;
        Ok(made.cast_into::<PyType>()?.unbind())
    })?;
    Ok(made.bind(py).clone())
}

/// The class of an I/O error of this kind (`FileReadError` for kinds without one of their own).
fn io_class_for<'py>(py: Python<'py>, kind: Option<std::io::ErrorKind>) -> PyResult<Bound<'py, PyType>> {
    let class = IO_CLASSES.iter().find(|c| c.kind.is_some() && c.kind == kind).unwrap_or(&IO_CLASSES[0]);
    io_class(py, class)
}

/// The exception class of an error code (the base class for codes that need no class of
/// their own: `tests/test_errors.py` lists them, so a new code cannot fall back silently).
pub(crate) fn class_for<'py>(py: Python<'py>, code: &str) -> Bound<'py, PyType> {
    match code {
        "invalid_encoding" | "unsupported_encoding" | "encoding_conflict" => py.get_type::<EncodingError>(),
        "malformed_xml" => py.get_type::<MalformedXmlError>(),
        "unexpected_root" => py.get_type::<UnexpectedRootError>(),
        "doctype_not_allowed" => py.get_type::<ForbiddenXmlError>(),
        "input_too_large" | "nesting_too_deep" | "limit_exceeded" => py.get_type::<InputTooLargeError>(),
        "io" => io_class(py, &IO_CLASSES[0]).unwrap_or_else(|_| py.get_type::<KohiError>()),
        "invalid_alias_table" => py.get_type::<AliasTableError>(),
        "invalid_stored_record" => py.get_type::<StoredRecordError>(),
        "already_watched" => py.get_type::<AlreadyWatchedError>(),
        "state_store" => py.get_type::<StateStoreError>(),
        "invalid_setting" => py.get_type::<InvalidSettingError>(),
        "invalid_layout" => py.get_type::<LayoutError>(),
        "not_a_terminal_folder" => py.get_type::<NotATerminalFolderError>(),
        _ => py.get_type::<KohiError>(),
    }
}

pub(crate) fn to_py(py: Python<'_>, e: &kohi_core::Error) -> PyErr {
    let class = match e.io_kind() {
        Some(kind) => io_class_for(py, Some(kind)).unwrap_or_else(|_| class_for(py, e.code())),
        None => class_for(py, e.code()),
    };
    let err = PyErr::from_type(class, e.to_string());
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it did, the
    // exception itself is still the right one to raise.
    let _ = value.setattr("code", e.code());
    let _ = value.setattr("number", e.number());
    if e.io_kind().is_some() {
        // OSError's own attributes, as open() sets them: the path, never the file's contents.
        let _ = value.setattr("errno", e.os_code());
        let _ = value.setattr("strerror", e.to_string());
        let _ = value.setattr("filename", e.io_path());
    }
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
    for class in &IO_CLASSES {
        m.add(class.name, io_class(py, class)?)?;
    }
    m.add("AliasTableError", py.get_type::<AliasTableError>())?;
    m.add("StoredRecordError", py.get_type::<StoredRecordError>())?;
    m.add("AlreadyWatchedError", py.get_type::<AlreadyWatchedError>())?;
    m.add("StateStoreError", py.get_type::<StateStoreError>())?;
    m.add("InvalidSettingError", py.get_type::<InvalidSettingError>())?;
    m.add("LayoutError", py.get_type::<LayoutError>())?;
    m.add("NotATerminalFolderError", py.get_type::<NotATerminalFolderError>())?;
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
