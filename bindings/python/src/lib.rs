//! `import kohi`: the Python binding. A thin layer over the core: parsing happens with the GIL
//! released (documents of 64 KiB or more, files and streams), and the classes read the parsed
//! document lazily (each holds the document and an index), so a parse allocates no Python
//! objects until they are asked for.

/// The extension's own allocations (the parsed document: ~90 small strings and vectors per
/// file) are served by mimalloc: kohi.parse ran ~15 % faster than with glibc's malloc
/// (`docs/BENCHMARKS.md`). Python objects still come from Python's allocator. Built with
/// `no_thp` (Cargo.toml): mimalloc's default marks its arenas for transparent huge pages, and
/// where a huge page's fault is slow (a VM) a large parse spent most of its time in the kernel.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod convert;
mod errors;
mod model;
mod request;
mod stream;
mod to_py;
mod watch;

use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::marker::Ungil;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView, PyString};

use kohi_core::{Document, ParseOptions};

use crate::model::{NumberCheck, Patient, Result as KohiResult};

/// `limits=`: any mapping of limit names to counts, as the stub's `Mapping[str, int]` says (a
/// `dict` was the only one taken).
pub(crate) struct LimitsArg(Vec<(String, usize)>);

impl<'a, 'py> FromPyObject<'a, 'py> for LimitsArg {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let mapping = obj
            .cast::<pyo3::types::PyMapping>()
            .map_err(|_| PyTypeError::new_err("limits must be a mapping of names to counts"))?;
        let pairs = mapping.items()?;
        pairs.iter().map(|pair| pair.extract::<(String, usize)>()).collect::<PyResult<_>>().map(LimitsArg)
    }
}

pub(crate) fn options(
    py: Python<'_>,
    aliases: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    max_size: Option<usize>,
    limits: Option<crate::LimitsArg>,
) -> PyResult<ParseOptions> {
    let mut options = ParseOptions::default();
    if let Some(limit) = max_size {
        options = options.with_max_input_bytes(limit);
    }
    if let Some(limits) = limits {
        let named = options.limits().with_named(limits.0.iter().map(|(name, value)| (name.as_str(), *value)));
        options = options.with_limits(named.map_err(|e| errors::to_py(py, &e))?);
    }
    if let Some(layout) = layout.filter(|l| !l.is_none()) {
        let json = json_of(py, layout, "layout")?;
        options = options.with_layout_json(&json).map_err(|e| errors::to_py(py, &e))?;
    }
    if let Some(aliases) = aliases.filter(|a| !a.is_none()) {
        let json = json_of(py, aliases, "aliases")?;
        options = options.with_aliases_json(&json).map_err(|e| errors::to_py(py, &e))?;
    }
    Ok(options)
}

/// A dict (written as JSON here) or a JSON string, for the alias table and the layout file.
fn json_of(py: Python<'_>, value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    if let Ok(text) = value.cast::<PyString>() {
        Ok(text_of(py, text)?.into_owned())
    } else if value.cast::<pyo3::types::PyMapping>().is_ok() {
        Ok(json_value(py, value, 0)?.to_string())
    } else {
        Err(PyTypeError::new_err(format!("{what} must be a dict or a JSON string")))
    }
}

/// A value of the JSON kinds (mappings with str keys, as the stub's `Mapping` promises; list,
/// tuple, str, bool, int, float, None) as JSON. Written here rather than by `json.dumps`, whose
/// 2.7 µs a call was most of what a layout given as a dict added to each parse (the layout built
/// from the text is reused). Anything else is a `TypeError`, as `json.dumps` says; nesting past
/// 64 levels (a cycle, say) too.
fn json_value(py: Python<'_>, value: &Bound<'_, PyAny>, depth: usize) -> PyResult<serde_json::Value> {
    use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyTuple};
    use serde_json::Value;
    if depth > 64 {
        return Err(PyTypeError::new_err("a layout or alias table nested more than 64 levels deep"));
    }
    let items = |items: &mut dyn Iterator<Item = Bound<'_, PyAny>>| {
        items.map(|item| json_value(py, &item, depth + 1)).collect::<PyResult<Vec<_>>>().map(Value::Array)
    };
    let object = |dict: &Bound<'_, PyDict>| {
        let mut object = serde_json::Map::new();
        for (key, item) in dict.iter() {
            let key = key.cast::<PyString>().map_err(|_| PyTypeError::new_err("keys must be str"))?;
            object.insert(text_of(py, key)?.into_owned(), json_value(py, &item, depth + 1)?);
        }
        Ok(Value::Object(object))
    };
    if value.is_none() {
        Ok(Value::Null)
    } else if let Ok(text) = value.cast::<PyString>() {
        Ok(Value::String(text_of(py, text)?.into_owned()))
    } else if let Ok(flag) = value.cast::<PyBool>() {
        Ok(Value::Bool(flag.is_true()))
    } else if let Ok(int) = value.cast::<PyInt>() {
        let number = int.extract::<i64>().map(Value::from).or_else(|_| int.extract::<u64>().map(Value::from));
        number.map_err(|_| PyTypeError::new_err("an integer in a layout or alias table is too large"))
    } else if let Ok(float) = value.cast::<PyFloat>() {
        Ok(Value::from(float.value()))
    } else if let Ok(dict) = value.cast::<PyDict>() {
        object(dict)
    } else if let Ok(mapping) = value.cast::<PyMapping>() {
        object(&PyDict::from_sequence(mapping.items()?.as_any())?)
    } else if let Ok(list) = value.cast::<PyList>() {
        items(&mut list.iter())
    } else if let Ok(tuple) = value.cast::<PyTuple>() {
        items(&mut tuple.iter())
    } else {
        Err(PyTypeError::new_err(format!("Object of type {} is not JSON serializable", value.get_type().name()?)))
    }
}

/// From this many bytes on, a document in memory is parsed with the GIL released. A smaller one
/// takes at most about 0.2 ms, well under Python's thread switch interval (5 ms), while releasing
/// and retaking the GIL cost about 0.35 µs of a face result's 8 µs parse (docs/BENCHMARKS.md).
/// Files (which wait on the disk) and streams are always read with the GIL released.
const RELEASE_GIL_FROM_BYTES: usize = 64 * 1024;

/// `parse()` with the GIL released if the document is large (see [`RELEASE_GIL_FROM_BYTES`]).
fn released_if_large<T: Ungil>(py: Python<'_>, len: usize, parse: impl Ungil + FnOnce() -> T) -> T {
    if len < RELEASE_GIL_FROM_BYTES { parse() } else { py.detach(parse) }
}

fn finish(py: Python<'_>, parsed: kohi_core::Result<Document>) -> PyResult<KohiResult> {
    parsed.map(|doc| KohiResult::new(Arc::new(doc))).map_err(|e| errors::to_py(py, &e))
}

pub(crate) fn path_of(path: &Bound<'_, PyAny>) -> PyResult<std::path::PathBuf> {
    let fspath = path
        .py()
        .import("os")?
        .call_method1("fspath", (path,))
        .map_err(|_| PyTypeError::new_err("path must be a str or an os.PathLike"))?;
    if fspath.cast::<PyBytes>().is_ok() {
        return Err(PyTypeError::new_err("path must be text, not bytes"));
    }
    Ok(std::path::PathBuf::from(fspath.extract::<String>()?))
}

/// The text of a Python `str`. A lone surrogate (which no encoding can write) is kohi's
/// `invalid_encoding` with its UTF-8 offset, never Python's `UnicodeEncodeError`, which would
/// carry the whole string (a document, a number) in its message and arguments.
pub(crate) fn text_of<'a>(py: Python<'_>, text: &'a Bound<'_, PyString>) -> PyResult<std::borrow::Cow<'a, str>> {
    text.to_cow().map_err(|_| {
        let encoded = text.call_method1("encode", ("utf-8", "surrogatepass")).ok();
        let bytes = encoded.as_ref().and_then(|b| b.cast::<PyBytes>().ok()).map(|b| b.as_bytes().to_vec());
        // A surrogate in UTF-8 (surrogatepass) is ED A0..BF xx.
        let offset = bytes.and_then(|b| b.windows(2).position(|w| w[0] == 0xED && w[1] >= 0xA0)).unwrap_or(0);
        errors::to_py(py, &kohi_core::Error::InvalidEncoding { encoding: "UTF-8", offset })
    })
}

/// A `str` that is no document but names an existing file (a common mistake: `parse(path)`).
fn looks_like_a_path(text: &str) -> bool {
    let start = text.trim_start_matches('\u{FEFF}').trim_start();
    text.len() < 4096
        && !start.starts_with('<')
        && !start.starts_with('{')
        && std::path::Path::new(text.trim()).is_file()
}

/// Parses a result file: `bytes` (UTF-8 or Shift_JIS, detected), `str` (already decoded text; the
/// declared encoding is then ignored), an `os.PathLike` (read from disk) or another bytes-like
/// object (a `bytearray`, `memoryview`, `mmap.mmap`…, copied once).
#[pyfunction]
#[pyo3(signature = (data, *, aliases=None, layout=None, max_size=None, limits=None))]
fn parse(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    aliases: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    max_size: Option<usize>,
    limits: Option<crate::LimitsArg>,
) -> PyResult<KohiResult> {
    let options = options(py, aliases, layout, max_size, limits)?;
    if let Ok(bytes) = data.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        return finish(py, released_if_large(py, bytes.len(), || kohi_core::parse_with(bytes, &options)));
    }
    if let Ok(text) = data.cast::<PyString>() {
        let text = text_of(py, text)?.into_owned();
        if looks_like_a_path(&text) {
            return Err(PyTypeError::new_err(
                "parse() got the name of an existing file, not its content: call kohi.parse_file(path), or pass a pathlib.Path",
            ));
        }
        return finish(py, released_if_large(py, text.len(), || kohi_core::parse_str_with(&text, &options)));
    }
    if data.hasattr("__fspath__")? {
        let path = path_of(data)?;
        return finish(py, py.detach(|| kohi_core::parse_file(&path, &options)));
    }
    match buffer_copy(data, "parse()", options.max_input_bytes())? {
        Some(Buffer::Copied(copy)) => {
            let bytes = copy.as_bytes();
            return finish(py, released_if_large(py, bytes.len(), || kohi_core::parse_with(bytes, &options)));
        }
        Some(Buffer::TooLarge(e)) => return Err(errors::to_py(py, &e)),
        None => {}
    }
    Err(PyTypeError::new_err(format!(
        "parse() takes bytes (or another bytes-like object), str or os.PathLike, not {}",
        data.get_type().name()?
    )))
}

/// A bytes-like object's bytes, or why they were not taken.
enum Buffer<'py> {
    Copied(Bound<'py, PyBytes>),
    /// Past the size limit: refused before the copy, so a mapped file of gigabytes costs
    /// nothing (the copy would have doubled what the caller holds, for a certain refusal).
    TooLarge(kohi_core::Error),
}

/// The bytes of a bytes-like object other than `bytes` (a `bytearray`, `memoryview`,
/// `mmap.mmap`, `array.array('B')`…: anything with the buffer protocol and one-byte items),
/// copied once into a `bytes`, or `None` for an object without the buffer protocol. Copied
/// because such an object may change while kohi reads it without the GIL (a `bytes` cannot),
/// and because the limited API kohi is built against (abi3, Python 3.9) reads a buffer only
/// through a `memoryview`. Items of more than one byte (`array.array('H')`) are refused: their
/// bytes are not a file's.
fn buffer_copy<'py>(data: &Bound<'py, PyAny>, what: &str, limit: usize) -> PyResult<Option<Buffer<'py>>> {
    let Ok(view) = PyMemoryView::from(data) else { return Ok(None) };
    let taken = (|| {
        let itemsize: usize = view.getattr("itemsize")?.extract()?;
        if itemsize != 1 {
            return Err(PyTypeError::new_err(format!(
                "{what} takes a bytes-like object of one-byte items, not one of {itemsize}-byte items"
            )));
        }
        let size: usize = view.getattr("nbytes")?.extract()?;
        if size > limit {
            return Ok(Buffer::TooLarge(kohi_core::Error::InputTooLarge { size, limit }));
        }
        Ok(Buffer::Copied(view.call_method0("tobytes")?.cast_into::<PyBytes>()?))
    })();
    // Released at once, not when collected: a bytearray cannot be resized while a view holds it.
    view.call_method0("release")?;
    taken.map(Some)
}

/// Reads and parses a file (`str` or `os.PathLike` path).
#[pyfunction]
#[pyo3(signature = (path, *, aliases=None, layout=None, max_size=None, limits=None))]
fn parse_file(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    aliases: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    max_size: Option<usize>,
    limits: Option<crate::LimitsArg>,
) -> PyResult<KohiResult> {
    let options = options(py, aliases, layout, max_size, limits)?;
    let path = path_of(path)?;
    finish(py, py.detach(|| kohi_core::parse_file(&path, &options)))
}

/// Surveys result files without reading a value out of them: each source is `bytes` (a
/// document), `str` (decoded text) or an `os.PathLike` (a file). Returns a dict: `files`,
/// `failed` (by error code), `elements` (path, count, known, container, shapes), `proposals`,
/// `layout` (the proposed layout file, ready for `layout=`, or None) and `report` (the text
/// `kohi survey` prints).
#[pyfunction]
#[pyo3(signature = (sources, *, aliases=None, layout=None, max_size=None, limits=None))]
fn survey<'py>(
    py: Python<'py>,
    sources: &Bound<'py, PyAny>,
    aliases: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    max_size: Option<usize>,
    limits: Option<crate::LimitsArg>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = options(py, aliases, layout, max_size, limits)?;
    let mut surveyor = kohi_core::survey::Surveyor::new(&options);
    if sources.cast::<PyBytes>().is_ok() || sources.cast::<PyString>().is_ok() {
        return Err(PyTypeError::new_err("survey() takes a list of sources, not one"));
    }
    for source in sources.try_iter()? {
        let source = source?;
        // Each file is walked without the GIL, as a parse of its size would be (bytes objects
        // are immutable; any other bytes-like object is copied first).
        if let Ok(bytes) = source.cast::<PyBytes>() {
            let bytes = bytes.as_bytes();
            py.detach(|| surveyor.add(bytes));
        } else if let Ok(text) = source.cast::<PyString>() {
            let text = text_of(py, text)?;
            py.detach(|| surveyor.add(text.as_bytes()));
        } else if source.hasattr("__fspath__")? {
            let path = path_of(&source)?;
            py.detach(|| surveyor.add_file(path));
        } else if let Some(buffer) = buffer_copy(&source, "survey()", options.max_input_bytes())? {
            match buffer {
                Buffer::Copied(copy) => {
                    let bytes = copy.as_bytes();
                    py.detach(|| surveyor.add(bytes));
                }
                Buffer::TooLarge(e) => surveyor.add_unread(&e),
            }
        } else {
            return Err(PyTypeError::new_err(
                "each source must be bytes (or another bytes-like object), str or os.PathLike",
            ));
        }
    }
    let survey = py.detach(|| surveyor.finish());
    let dict = py.import("json")?.call_method1("loads", (survey.to_json(),))?;
    dict.set_item("report", survey.to_text())?;
    Ok(dict)
}

/// Checks a 保険者番号 (`"insurer"`), 公費負担者番号 (`"payer"`) or national 受給者番号
/// (`"recipient"`): length, digits and 検証番号. Full-width digits and padding are allowed.
#[pyfunction]
fn check_number(py: Python<'_>, kind: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<NumberCheck> {
    let kind: String = kind.extract().map_err(|_| PyTypeError::new_err("kind must be a str"))?;
    let value = value.cast::<PyString>().map_err(|_| PyTypeError::new_err("value must be a str"))?;
    let value = text_of(py, value)?;
    let kind = kohi_core::NumberKind::from_name(&kind)
        .ok_or_else(|| PyValueError::new_err("kind must be 'insurer', 'payer' or 'recipient'"))?;
    Ok(NumberCheck::new(kohi_core::check_number(kind, &value)))
}

/// Compares stored 公費 with what a patient's result reports, as of `today`. `stored` is a list
/// of dicts (or a JSON string) with `payer_number`, `recipient_number`, `valid_from`, `valid_to`
/// (`YYYY-MM-DD`), `income_segment`, `max_copayment`. Returns a list of changes (dicts).
#[pyfunction]
fn reconcile(
    py: Python<'_>,
    stored: &Bound<'_, PyAny>,
    patient: &Bound<'_, PyAny>,
    today: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let patient = patient.cast::<Patient>().map_err(|_| PyTypeError::new_err("patient must be a kohi.Patient"))?;
    let stored_json: String = if let Ok(text) = stored.cast::<PyString>() {
        text_of(py, text)?.into_owned()
    } else {
        // Any mapping in a list or tuple, as the stub's `Sequence[Mapping]` says (json.dumps took
        // dicts only).
        json_value(py, stored, 0)
            .map_err(|_| PyTypeError::new_err("stored must be a list of dicts or a JSON string"))?
            .to_string()
    };
    let today = convert::date_arg(today)?;
    let records = kohi_core::KohiRecord::list_from_json(&stored_json).map_err(|e| errors::to_py(py, &e))?;
    let changes = kohi_core::reconcile(&records, patient.get().patient(), today);
    convert::json_to_py(py, &kohi_core::reconcile::changes_to_json(&changes))
}

#[pymodule]
fn _kohi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", kohi_core::VERSION)?;
    m.add_function(wrap_pyfunction!(parse, m)?)?;
    m.add_function(wrap_pyfunction!(parse_file, m)?)?;
    m.add_function(wrap_pyfunction!(check_number, m)?)?;
    m.add_function(wrap_pyfunction!(survey, m)?)?;
    m.add_function(wrap_pyfunction!(reconcile, m)?)?;
    m.add_function(wrap_pyfunction!(watch::watch, m)?)?;
    m.add_function(wrap_pyfunction!(stream::stream, m)?)?;
    m.add_function(wrap_pyfunction!(request::write_request, m)?)?;
    m.add_class::<stream::PatientStream>()?;
    m.add_class::<watch::Watcher>()?;
    m.add_class::<watch::WatchEvent>()?;
    m.add_class::<watch::ArchiveEntry>()?;
    model::register(m)?;
    errors::register(m)?;
    Ok(())
}
