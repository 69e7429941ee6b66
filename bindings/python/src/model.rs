//! Read-only classes over a parsed document. `repr()` never shows personal data.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use kohi_core::{Document, KohiEntry, Qualification as CoreQualification};

use crate::convert::{self, Obj};

/// A list of `n` new objects, `make(0..n)`, that Python's cyclic garbage collector does not
/// track.
///
/// Why: PyO3 makes every class's objects ones the collector tracks, and a bulk file's patients
/// are thousands made at once. Every 700 of them started a collection that walked the young
/// objects (each through PyO3's `tp_traverse`), and later collections walked them again as
/// they aged: about half the time of `result.patients` on a 10,000-unit file, and more of
/// `[p.kohi for p in result.patients]`, whose lists set off collections that walked every
/// patient. These objects hold no Python object (a shared document and indexes), so they can be
/// in no cycle: untracked, as CPython untracks a tuple of atomic values, no collection walks
/// them, and their reference counts free them as before. (Collections still start every 700
/// objects made, and find nothing young to walk.)
fn objects<'py, T: pyo3::PyClass + Into<PyClassInitializer<T>>>(
    py: Python<'py>,
    n: usize,
    make: impl Fn(usize) -> T,
) -> PyResult<Bound<'py, PyList>> {
    let made = (0..n)
        .map(|i| {
            let object = Bound::new(py, make(i))?;
            // SAFETY: `object` is a live object of a class PyO3 made a GC type, tracked since
            // its allocation, and the GIL is held; untracking an object is allowed at any time
            // (and PyO3's deallocation untracks again, which CPython allows).
            unsafe { pyo3::ffi::PyObject_GC_UnTrack(object.as_ptr().cast()) };
            Ok(object)
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, made)
}

/// `==` of two views of a document: equal when `other` is a `T` whose value equals `mine`, as
/// for a dataclass (the same file parsed twice, a patient read twice, a 公費 of a face result and
/// of the answer to a request). Views of different classes are never equal.
fn equal_values<T, V>(other: &Bound<'_, PyAny>, mine: &V, value_of: impl Fn(&T) -> &V) -> bool
where
    T: pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync,
    V: PartialEq + ?Sized,
{
    other.cast::<T>().is_ok_and(|other| value_of(other.get()) == mine)
}

/// `hash()` of a view, from a few of the fields `==` compares (equal values, equal hashes).
fn hash_of(parts: impl std::hash::Hash) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(parts)
}

/// Pickling a read-only view of a document would have to rebuild the document in another
/// process: refused, saying what to send instead. (`copy` and `copy.deepcopy` give the view
/// itself, as for `str` and `tuple`: each class's `__copy__` and `__deepcopy__`.)
fn refuse_pickle(class: &str) -> PyErr {
    pyo3::exceptions::PyTypeError::new_err(format!(
        "cannot pickle 'kohi.{class}': send result.to_dict() or result.to_json() to another process, or parse the file there"
    ))
}

/// Read-only attributes, each converted from the core model on access, and `==` by value with
/// `hash()` from the fields after `hash` (see [`equal_values`]).
/// The class's other methods follow (one `#[pymethods]` block per class).
macro_rules! getters {
    ($ty:ident, |$this:ident, $py:ident| { $($name:ident => $body:expr),* $(,)? } hash $hash:expr; $($rest:tt)*) => {
        #[pymethods]
        impl $ty {
            $(
                #[getter]
                fn $name(&self, $py: Python<'_>) -> Obj {
                    let $this = self.get();
                    $body
                }
            )*

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                equal_values(other, self.get(), $ty::get)
            }

            fn __hash__(&self) -> u64 {
                let $this = self.get();
                hash_of($hash)
            }

            fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
                slf
            }

            fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
                slf
            }

            fn __reduce__(&self) -> PyResult<()> {
                Err(refuse_pickle(stringify!($ty)))
            }

            /// This part of the document as in the JSON contract (what `Result.to_dict()` holds
            /// here), built directly: for storing one patient or one 公費 without converting the
            /// whole file.
            fn to_dict(&self, py: Python<'_>) -> Obj {
                Ok(crate::to_py::to_py(py, self.get(), false)?.unbind())
            }

            $($rest)*
        }
    };
}

/// A code with its 日本語 label: `code.code` (as sent) and `code.label` (`None` when unknown).
/// Compares equal to another Code with the same code, or to the code as a `str`.
#[pyclass(frozen, module = "kohi")]
pub struct Code {
    #[pyo3(get)]
    code: String,
    #[pyo3(get)]
    label: Option<&'static str>,
}

impl Code {
    pub(crate) fn new(code: &str, label: Option<&'static str>) -> Self {
        Code { code: code.to_owned(), label }
    }
}

#[pymethods]
impl Code {
    fn __repr__(&self) -> String {
        match self.label {
            Some(label) => format!("Code({:?}, {label:?})", self.code),
            None => format!("Code({:?}, None)", self.code),
        }
    }

    fn __str__(&self) -> &str {
        &self.code
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        if let Ok(other) = other.cast::<Code>() {
            return other.get().code == self.code;
        }
        other.cast::<PyString>().is_ok_and(|s| s.to_cow().is_ok_and(|s| s == self.code))
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.code.hash(&mut h);
        h.finish()
    }
}

/// A parsed result file.
#[pyclass(frozen, module = "kohi")]
pub struct Result {
    doc: Arc<Document>,
}

impl Result {
    pub(crate) fn new(doc: Arc<Document>) -> Self {
        Result { doc }
    }
}

#[pymethods]
impl Result {
    /// `"UTF-8"` or `"Shift_JIS"`: the encoding the file was read in.
    #[getter]
    fn encoding(&self) -> &'static str {
        self.doc.encoding.name()
    }

    #[getter]
    fn header(&self) -> Header {
        Header { doc: self.doc.clone() }
    }

    /// One per person: the body of a single result, or each unit of a bulk result.
    #[getter]
    fn patients<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let doc = &self.doc;
        objects(py, doc.patients.len(), |index| Patient { doc: doc.clone(), index })
    }

    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let w = &self.doc.warnings;
        objects(py, w.len(), |i| Warning { code: w[i].code.as_str(), path: w[i].path.clone() })
    }

    #[getter]
    fn unknown_elements<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let doc = &self.doc;
        objects(py, doc.unknown_elements.len(), |index| UnknownElement { doc: doc.clone(), index })
    }

    /// File-level status of a bulk result (dict), or `None`.
    #[getter]
    fn bulk(&self, py: Python<'_>) -> Obj {
        convert::json(py, &self.doc.bulk)
    }

    /// The JSON contract, exactly as the core (and C, and Node) produce it.
    fn to_json(&self) -> String {
        kohi_core::to_json(&self.doc)
    }

    /// The JSON contract as Python objects, built from the model directly (no JSON text).
    fn to_dict(&self, py: Python<'_>) -> Obj {
        // Many patients: the collector paused, and short texts shared (each made once).
        let many = self.doc.patients.len() >= crate::to_py::GC_PAUSE_PATIENTS;
        let _paused = crate::to_py::GcPaused::when(py, many)?;
        Ok(crate::to_py::to_py(py, &*self.doc, many)?.unbind())
    }

    /// Equal to a Result of the same values (every field, warning and unknown element).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        equal_values(other, &*self.doc, |r: &Result| &*r.doc)
    }

    fn __hash__(&self) -> u64 {
        hash_of((self.doc.patients.len(), self.doc.warnings.len(), self.doc.unknown_elements.len()))
    }

    /// Read-only: a copy is the result itself (see [`refuse_pickle`]).
    fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
        slf
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(refuse_pickle("Result"))
    }

    fn __repr__(&self) -> String {
        format!(
            "<kohi.Result encoding={} patients={} warnings={}>",
            self.doc.encoding.name(),
            self.doc.patients.len(),
            self.doc.warnings.len()
        )
    }
}

/// The `MessageHeader`.
#[pyclass(frozen, module = "kohi")]
pub struct Header {
    doc: Arc<Document>,
}

impl Header {
    fn get(&self) -> &kohi_core::model::Header {
        &self.doc.header
    }
}

getters!(Header, |h, py| {
    process_execution_time => convert::date_time(py, &h.process_execution_time),
    qualification_confirmation_date => convert::date(py, &h.qualification_confirmation_date),
    medical_institution_code => convert::text(py, &h.medical_institution_code),
    arbitrary_file_identifier => convert::text(py, &h.arbitrary_file_identifier),
    reference_classification => convert::code(py, &h.reference_classification),
    segment_of_result => convert::code(py, &h.segment_of_result),
    error_code => convert::text(py, &h.error_code),
    error_message => convert::text(py, &h.error_message),
    character_code_identifier => convert::code(py, &h.character_code_identifier),
}
    hash h.qualification_confirmation_date.as_ref().and_then(|d| d.value);
    fn __repr__(&self) -> String {
        let segment = self.doc.header.segment_of_result.as_ref().map(kohi_core::codes::CodeList::code);
        format!("<kohi.Header segment_of_result={}>", segment.unwrap_or("None"))
    }
);

/// One person.
#[pyclass(frozen, module = "kohi")]
pub struct Patient {
    doc: Arc<Document>,
    index: usize,
}

impl Patient {
    pub(crate) fn from_document(doc: Arc<Document>, index: usize) -> Self {
        Patient { doc, index }
    }

    pub(crate) fn patient(&self) -> &kohi_core::Patient {
        &self.doc.patients[self.index]
    }

    fn get(&self) -> &kohi_core::Patient {
        self.patient()
    }
}

getters!(Patient, |p, py| {
    reference_number => convert::personal(py, &p.reference_number),
    processing_result_status => convert::code(py, &p.processing_result_status),
    processing_result_code => convert::text(py, &p.processing_result_code),
    processing_result_message => convert::text(py, &p.processing_result_message),
    qualification_validity => convert::code(py, &p.qualification_validity),
    prescription_issue_select => convert::code(py, &p.prescription_issue_select),
    search_info => convert::json(py, &p.search_info),
}
    hash (p.qualifications.len(), p.kohi.len(), &p.reference_number);
    /// The result this patient was read from: the whole file's from `kohi.parse`; from a stream,
    /// its own one-patient result (the header as read so far, its unit's warnings and unknown
    /// elements; a single result's, all of the file's), which a stream gives no other way.
    #[getter]
    fn result(&self) -> Result {
        Result::new(self.doc.clone())
    }

    /// `"received"`, `"received_empty"`, `"absent"` or `"received_unread"` (PMH data kohi did not read whole). Absent never means a subsidy ended.
    #[getter]
    fn pmh(&self) -> &'static str {
        self.patient().pmh.as_str()
    }

    #[getter]
    fn qualifications<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let (doc, patient) = (&self.doc, self.index);
        objects(py, self.patient().qualifications.len(), |index| Qualification { doc: doc.clone(), patient, index })
    }

    /// The 公費 in レセプト order (slots 1–4 first).
    #[getter]
    fn kohi<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let (doc, patient) = (&self.doc, self.index);
        objects(py, self.patient().kohi.len(), |index| Kohi { doc: doc.clone(), patient, index })
    }

    fn __repr__(&self) -> String {
        let p = self.patient();
        format!("<kohi.Patient pmh={} qualifications={} kohi={}>", self.pmh(), p.qualifications.len(), p.kohi.len())
    }
);

/// One `ResultOfQualificationConfirmation`.
#[pyclass(frozen, module = "kohi")]
pub struct Qualification {
    doc: Arc<Document>,
    patient: usize,
    index: usize,
}

impl Qualification {
    fn get(&self) -> &CoreQualification {
        &self.doc.patients[self.patient].qualifications[self.index]
    }
}

/// A qualification value as Python shows it, by the kind its row declares.
macro_rules! py_value {
    (code, $py:ident, $v:expr) => {
        convert::code($py, &$v)
    };
    (checked, $py:ident, $v:expr) => {
        convert::number($py, &$v.as_ref().map(|n| n.text.clone()))
    };
    (checked_raw, $py:ident, $v:expr) => {
        convert::number_raw($py, &$v.as_ref().map(|n| n.text.clone()))
    };
    (checked_valid, $py:ident, $v:expr) => {
        convert::flag($py, $v.as_ref().map(|n| n.valid))
    };
    (number, $py:ident, $v:expr) => {
        convert::number($py, &$v)
    };
    (number_raw, $py:ident, $v:expr) => {
        convert::number_raw($py, &$v)
    };
    (personal, $py:ident, $v:expr) => {
        convert::personal($py, &$v)
    };
    (personal_date, $py:ident, $v:expr) => {
        convert::date($py, &$v.as_ref().map(|b| b.expose().clone()))
    };
    (personal_date_raw, $py:ident, $v:expr) => {
        convert::date_raw($py, &$v.as_ref().map(|b| b.expose().clone()))
    };
    (date, $py:ident, $v:expr) => {
        convert::date($py, &$v)
    };
    (date_time, $py:ident, $v:expr) => {
        convert::date_time($py, &$v)
    };
    (text, $py:ident, $v:expr) => {
        convert::text($py, &$v)
    };
    (json_object, $py:ident, $v:expr) => {
        convert::json($py, &$v)
    };
    (json_list, $py:ident, $v:expr) => {
        convert::json($py, &$v)
    };
    (json_list_or_null, $py:ident, $v:expr) => {
        convert::json($py, &$v)
    };
}

/// The getters of `Qualification`, one per row of `kohi::qualification_fields!`.
macro_rules! python_qualification {
    ($($attr:ident = $owner:ident . $field:ident : $kind:ident,)+) => {
        getters!(Qualification, |q, py| {
            $($attr => py_value!($kind, py, kohi_core::qualification_owner!($owner, q).$field),)+
        }
        hash (q.qualification_date.as_ref().and_then(|d| d.value), q.medical_subsidies.as_ref().map(Vec::len));
        fn __repr__(&self) -> String {
            let class = self.get().insured_card_classification.as_ref().map(kohi_core::codes::CodeList::code);
            format!("<kohi.Qualification insured_card_classification={}>", class.unwrap_or("None"))
        }
        );
    };
}

// PyO3's `==` slot calls `__eq__` outside an `unsafe` block when the class's methods come
// through a macro of another crate (`kohi_core::qualification_fields!`): PyO3's code, not this
// crate's, and only here.
#[allow(unsafe_op_in_unsafe_fn)]
mod qualification {
    use super::*;
    kohi_core::qualification_fields!(python_qualification);
}

/// One 公費 as a レセコン fills it in.
#[pyclass(frozen, module = "kohi")]
pub struct Kohi {
    doc: Arc<Document>,
    patient: usize,
    index: usize,
}

impl Kohi {
    fn get(&self) -> &KohiEntry {
        &self.doc.patients[self.patient].kohi[self.index]
    }
}

getters!(Kohi, |k, py| {
    slot => Ok(k.slot.into_pyobject(py)?.into_any().unbind()),
    source => Ok(PyString::new(py, k.source.as_str()).into_any().unbind()),
    law_number => convert::text(py, &k.law_number),
    prefecture_number => convert::text(py, &k.prefecture_number),
    agency_number => convert::text(py, &k.agency_number),
    payer_number => convert::personal(py, &k.payer_number),
    payer_number_raw => convert::personal(py, &k.payer_number_raw),
    payer_number_valid => convert::flag(py, k.payer_number_valid),
    recipient_number => convert::personal(py, &k.recipient_number),
    recipient_number_raw => convert::personal(py, &k.recipient_number_raw),
    recipient_number_valid => convert::flag(py, k.recipient_number_valid),
    scope => Ok(PyString::new(py, k.scope.as_str()).into_any().unbind()),
    program => convert::text(py, &k.program.map(str::to_owned)),
    certificate_name => convert::text(py, &k.certificate_name),
    valid_from => convert::date(py, &k.valid_from),
    valid_from_raw => convert::date_raw(py, &k.valid_from),
    valid_to => convert::date(py, &k.valid_to),
    valid_to_raw => convert::date_raw(py, &k.valid_to),
    income_segment => convert::text(py, &k.income_segment),
    max_copayment => convert::json(py, &k.max_copayment),
    always_reimbursement => convert::flag(py, k.always_reimbursement),
    segment => convert::text(py, &k.segment),
    certification_sub_key => convert::text(py, &k.certification_sub_key),
    additional_conditions => convert::text(py, &k.additional_conditions),
    designated_medical_institutions => convert::text(py, &k.designated_medical_institutions),
    welfare_office_name => convert::text(py, &k.welfare_office_name),
    path => Ok(PyString::new(py, &k.path).into_any().unbind()),
    renewal => convert::text(py, &k.renewal.map(|r| r.as_str().to_owned())),
}
    hash (k.slot, &k.payer_number, &k.recipient_number);
    fn __repr__(&self) -> String {
        let k = self.get();
        let slot = k.slot.map_or("None".to_owned(), |s| s.to_string());
        let law = k.law_number.as_deref().unwrap_or("None");
        let scope = k.scope.as_str();
        format!("<kohi.Kohi slot={slot} law_number={law} scope={scope}>")
    }
);

/// Something worth a look that did not stop the parse: a code and the element path.
#[pyclass(frozen, module = "kohi")]
pub struct Warning {
    #[pyo3(get)]
    code: &'static str,
    #[pyo3(get)]
    path: String,
}

#[pymethods]
impl Warning {
    fn __repr__(&self) -> String {
        format!("<kohi.Warning {} at {}>", self.code, self.path)
    }
}

/// An element kohi does not know, kept with its path and text (the text may be personal).
#[pyclass(frozen, module = "kohi")]
pub struct UnknownElement {
    doc: Arc<Document>,
    index: usize,
}

#[pymethods]
impl UnknownElement {
    #[getter]
    fn path(&self) -> &str {
        &self.doc.unknown_elements[self.index].path
    }

    #[getter]
    fn text(&self) -> &str {
        self.doc.unknown_elements[self.index].text.expose()
    }

    fn __repr__(&self) -> String {
        format!("<kohi.UnknownElement at {}>", self.path())
    }
}

/// The verdict of `check_number`; true when valid.
#[pyclass(frozen, module = "kohi")]
pub struct NumberCheck {
    check: kohi_core::NumberCheck,
}

impl NumberCheck {
    pub(crate) fn new(check: kohi_core::NumberCheck) -> Self {
        NumberCheck { check }
    }
}

#[pymethods]
impl NumberCheck {
    /// `"insurer"`, `"payer"` or `"recipient"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.check.kind {
            kohi_core::NumberKind::Insurer => "insurer",
            kohi_core::NumberKind::Payer => "payer",
            kohi_core::NumberKind::Recipient => "recipient",
        }
    }

    #[getter]
    fn normalized(&self) -> &str {
        &self.check.normalized
    }

    /// Right length, all digits, and the check digit holds.
    #[getter]
    fn valid(&self) -> bool {
        self.check.valid
    }

    /// The check digit the body calls for; None when the number is not all digits of its kind's
    /// length (no last digit would make it right).
    #[getter]
    fn expected_check_digit(&self) -> Option<u8> {
        self.check.expected_check_digit
    }

    fn __bool__(&self) -> bool {
        self.check.valid
    }

    fn __repr__(&self) -> String {
        format!("<kohi.NumberCheck kind={} valid={}>", self.kind(), if self.check.valid { "True" } else { "False" })
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Result>()?;
    m.add_class::<Header>()?;
    m.add_class::<Patient>()?;
    m.add_class::<Qualification>()?;
    m.add_class::<Kohi>()?;
    m.add_class::<Code>()?;
    m.add_class::<Warning>()?;
    m.add_class::<UnknownElement>()?;
    m.add_class::<NumberCheck>()?;
    Ok(())
}
