//! The objects JS sees: camelCase mirrors of the model. Numbers stay strings; dates are
//! `'YYYY-MM-DD'` strings (`null` when absent or not a date, the text then in `…Raw`); codes are
//! `{ code, label }`; long or open blocks (高齢受給者証, 医療券, 上限額…) are plain objects in the
//! contract's snake_case, exactly as in `toJSON()`.

use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Either, Utf16String};
use napi_derive::napi;

use kohi_core::codes::CodeList;
use kohi_core::model::{Date, DateTime};
use kohi_core::numbers::NumberText;
use kohi_core::{Document, Personal, Text};

use crate::KohiResult;

/// A code with its 日本語 label (`null` when the code is unknown).
#[napi(object, use_nullable = true)]
#[derive(serde::Serialize)]
pub struct Code {
    pub code: String,
    pub label: Option<String>,
}

fn code<C: CodeList>(c: &Option<C>) -> Option<Code> {
    c.as_ref().map(|c| Code { code: c.code().to_owned(), label: c.label().map(str::to_owned) })
}

fn date(d: &Option<Date>) -> Option<String> {
    d.as_ref().and_then(|d| d.value).map(crate::lists::iso_date)
}

fn date_raw(d: &Option<Date>) -> Option<String> {
    d.as_ref().map(|d| d.raw.to_string())
}

fn date_time(d: &Option<DateTime>) -> Option<String> {
    d.as_ref().and_then(|d| d.value).map(crate::lists::iso_date_time)
}

fn personal(p: &Option<Personal<Text>>) -> Option<String> {
    p.as_ref().map(|p| p.expose().to_string())
}

/// A model text as the JS string napi makes of a `String`.
fn text(t: &Option<Text>) -> Option<String> {
    t.as_deref().map(String::from)
}

fn number(n: &Option<NumberText>) -> Option<String> {
    n.as_ref().map(|n| n.value().to_owned())
}

fn number_raw(n: &Option<NumberText>) -> Option<String> {
    n.as_ref().map(|n| n.raw().to_string())
}

fn block<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// The `MessageHeader`.
#[napi(object, use_nullable = true)]
pub struct Header {
    pub process_execution_time: Option<String>,
    pub qualification_confirmation_date: Option<String>,
    pub medical_institution_code: Option<String>,
    pub arbitrary_file_identifier: Option<String>,
    pub reference_classification: Option<Code>,
    pub segment_of_result: Option<Code>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub character_code_identifier: Option<Code>,
}

impl From<&kohi_core::model::Header> for Header {
    fn from(h: &kohi_core::model::Header) -> Self {
        Header {
            process_execution_time: date_time(&h.process_execution_time),
            qualification_confirmation_date: date(&h.qualification_confirmation_date),
            medical_institution_code: text(&h.medical_institution_code),
            arbitrary_file_identifier: text(&h.arbitrary_file_identifier),
            reference_classification: code(&h.reference_classification),
            segment_of_result: code(&h.segment_of_result),
            error_code: text(&h.error_code),
            error_message: text(&h.error_message),
            character_code_identifier: code(&h.character_code_identifier),
        }
    }
}

/// What holds patients for index.js's `Patient` objects: a parsed result (`KohiResult`), or a
/// batch read by a stream (`PatientBatch`). A `Patient` is a plain JS object with its holder and
/// index in private fields (so `console.log(patient)` shows no personal data), and its getters
/// call the holder's `…At(index)` methods below. A napi class instance per patient (a wrapped
/// object with a finalizer) cost 2–3 µs each: most of what a bulk file's `patients` cost in Node
/// on top of the parse.
pub(crate) trait PatientHolder {
    /// How many patients (an index below this is valid).
    fn count(&self) -> usize;
    /// `read` of patient `index`; an error (never a panic) for an index out of range.
    fn with_patient<T>(&self, index: u32, read: impl FnOnce(&kohi_core::Patient) -> T) -> napi::Result<T>;
}

fn no_patient() -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, "kohi: no patient at this index")
}

impl PatientHolder for KohiResult {
    fn count(&self) -> usize {
        self.doc.patients.len()
    }

    fn with_patient<T>(&self, index: u32, read: impl FnOnce(&kohi_core::Patient) -> T) -> napi::Result<T> {
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        self.doc.patients.get(index).map(read).ok_or_else(no_patient)
    }
}

// Patients read by a stream in one trip, each its own one-patient document: one napi object for
// the batch instead of one per patient. index.js releases a patient's document when its `Patient`
// is collected (a `FinalizationRegistry`), so a patient kept from a stream keeps only its own
// document alive, as it did when each was a result of its own. (A `//` comment: napi's type
// generation cannot skip a class, and this one is internal.)
/// Internal: a stream's batch of patients (streams hand out `Patient`s).
#[napi]
pub struct PatientBatch {
    docs: Box<[Mutex<Option<Arc<Document>>>]>,
}

impl PatientBatch {
    pub(crate) fn new(docs: Vec<Document>) -> Self {
        PatientBatch { docs: docs.into_iter().map(|doc| Mutex::new(Some(Arc::new(doc)))).collect() }
    }

    fn doc(&self, index: u32) -> Option<Arc<Document>> {
        let slot = self.docs.get(usize::try_from(index).ok()?)?;
        slot.lock().ok()?.clone()
    }
}

impl PatientHolder for PatientBatch {
    fn count(&self) -> usize {
        self.docs.len()
    }

    fn with_patient<T>(&self, index: u32, read: impl FnOnce(&kohi_core::Patient) -> T) -> napi::Result<T> {
        let doc = self.doc(index).ok_or_else(no_patient)?;
        doc.patients.first().map(read).ok_or_else(no_patient)
    }
}

#[napi]
impl PatientBatch {
    /// Drops patient `index`'s document (its `Patient` was collected). Internal.
    #[napi(skip_typescript)]
    pub fn release_at(&self, index: u32) {
        let slot = usize::try_from(index).ok().and_then(|i| self.docs.get(i));
        if let Some(mut doc) = slot.and_then(|slot| slot.lock().ok()) {
            *doc = None;
        }
    }
}

/// The `…At(index)` methods of a patient holder, declared once for both holders. Internal
/// (index.js's `Patient` calls them); `reconcileAt` serves `reconcile(stored, patient, today)`.
macro_rules! patient_methods {
    ($holder:ident) => {
        #[napi]
        impl $holder {
            /// How many patients it holds.
            #[napi(skip_typescript)]
            pub fn patient_count(&self) -> napi::Result<u32> {
                u32::try_from(self.count()).map_err(|_| {
                    napi::Error::new(napi::Status::GenericFailure, "kohi: more patients than an index can count")
                })
            }

            /// 照会番号.
            #[napi(skip_typescript)]
            pub fn reference_number_at(&self, index: u32) -> napi::Result<Option<String>> {
                self.with_patient(index, |p| personal(&p.reference_number))
            }

            #[napi(skip_typescript)]
            pub fn processing_result_status_at(&self, index: u32) -> napi::Result<Option<Code>> {
                self.with_patient(index, |p| code(&p.processing_result_status))
            }

            #[napi(skip_typescript)]
            pub fn processing_result_code_at(&self, index: u32) -> napi::Result<Option<String>> {
                self.with_patient(index, |p| text(&p.processing_result_code))
            }

            #[napi(skip_typescript)]
            pub fn processing_result_message_at(&self, index: u32) -> napi::Result<Option<String>> {
                self.with_patient(index, |p| text(&p.processing_result_message))
            }

            #[napi(skip_typescript)]
            pub fn qualification_validity_at(&self, index: u32) -> napi::Result<Option<Code>> {
                self.with_patient(index, |p| code(&p.qualification_validity))
            }

            #[napi(skip_typescript)]
            pub fn prescription_issue_select_at(&self, index: u32) -> napi::Result<Option<Code>> {
                self.with_patient(index, |p| code(&p.prescription_issue_select))
            }

            /// The request echo (被保険者証 queries), in the contract's snake_case.
            #[napi(skip_typescript)]
            pub fn search_info_at(&self, index: u32) -> napi::Result<serde_json::Value> {
                self.with_patient(index, |p| block(&p.search_info))
            }

            /// `'received'`, `'received_empty'` or `'absent'`. Absent never means a subsidy ended.
            #[napi(skip_typescript)]
            pub fn pmh_at(&self, index: u32) -> napi::Result<&'static str> {
                self.with_patient(index, |p| p.pmh.as_str())
            }

            /// The qualifications as a JSON array of `Qualification` objects; index.js parses it
            /// for the `qualifications` getter (59 napi property sets per result cost several
            /// times more).
            #[napi(skip_typescript)]
            pub fn qualifications_json_at(&self, index: u32) -> napi::Result<String> {
                self.with_patient(index, |p| crate::lists::list_json(p.qualifications.iter().map(Qualification::from)))?
                    .ok_or_else(|| {
                        napi::Error::new(napi::Status::GenericFailure, "kohi: qualifications could not be written")
                    })
            }

            /// The 公費 as one string, `KOHI_FIELDS` values per entry; index.js builds the `kohi`
            /// getter's objects from it (see lists.rs for why). Handed to V8 as UTF-16 when it
            /// holds anything but ASCII (a program's name does): V8 would otherwise decode the
            /// UTF-8 character by character, which was more than half of the getter's
            /// instructions.
            #[napi(skip_typescript)]
            pub fn kohi_values_at(&self, index: u32) -> napi::Result<Either<String, Utf16String>> {
                let values = self.with_patient(index, |p| crate::lists::kohi_values(&p.kohi))?.ok_or_else(|| {
                    napi::Error::new(napi::Status::GenericFailure, "kohi: a 公費 value holds a control character")
                })?;
                if values.is_ascii() {
                    return Ok(Either::A(values));
                }
                Ok(Either::B(Utf16String::from(crate::lists::utf16(&values))))
            }

            /// `reconcile(stored, patient, today)` for patient `index` (see `crate::reconcile`).
            #[napi(skip_typescript)]
            pub fn reconcile_at(
                &self,
                env: napi::Env,
                stored: serde_json::Value,
                index: u32,
                today: String,
            ) -> napi::Result<serde_json::Value> {
                self.with_patient(index, |p| crate::reconcile(&env, stored, p, &today))?
            }
        }
    };
}

patient_methods!(KohiResult);
patient_methods!(PatientBatch);

/// A qualification value as Node shows it, by the kind its row declares.
macro_rules! node_value {
    (code, $v:expr) => {
        code(&$v)
    };
    (checked, $v:expr) => {
        number(&$v.as_ref().map(|n| n.text.clone()))
    };
    (checked_raw, $v:expr) => {
        number_raw(&$v.as_ref().map(|n| n.text.clone()))
    };
    (checked_valid, $v:expr) => {
        $v.as_ref().map(|n| n.valid)
    };
    (number, $v:expr) => {
        number(&$v)
    };
    (number_raw, $v:expr) => {
        number_raw(&$v)
    };
    (personal, $v:expr) => {
        personal(&$v)
    };
    (personal_date, $v:expr) => {
        date(&$v.as_ref().map(|b| b.expose().clone()))
    };
    (personal_date_raw, $v:expr) => {
        date_raw(&$v.as_ref().map(|b| b.expose().clone()))
    };
    (date, $v:expr) => {
        date(&$v)
    };
    (date_time, $v:expr) => {
        date_time(&$v)
    };
    (text, $v:expr) => {
        text(&$v)
    };
    (json_object, $v:expr) => {
        block(&$v)
    };
    (json_list, $v:expr) => {
        block(&$v)
    };
    (json_list_or_null, $v:expr) => {
        block(&$v)
    };
}

/// The `Qualification` object type, one field per row of `kohi::qualification_fields!` (a
/// muncher: each row adds its field, with the type and TypeScript type its kind calls for).
macro_rules! node_qualification {
    (@fields [$($out:tt)*]) => {
        /// One `ResultOfQualificationConfirmation`. (The type of `patient.qualifications`; index.js
        /// parses the objects from `KohiResult.qualificationsJsonAt()`, whose keys serde names like napi.)
        #[napi(object, use_nullable = true)]
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct Qualification {
            $($out)*
        }
    };
    (@fields [$($out:tt)*] $attr:ident = $o:ident . $f:ident : code, $($rest:tt)*) => {
        node_qualification!(@fields [$($out)* pub $attr: Option<Code>,] $($rest)*);
    };
    (@fields [$($out:tt)*] $attr:ident = $o:ident . $f:ident : checked_valid, $($rest:tt)*) => {
        node_qualification!(@fields [$($out)* pub $attr: Option<bool>,] $($rest)*);
    };
    (@fields [$($out:tt)*] $attr:ident = $o:ident . $f:ident : json_object, $($rest:tt)*) => {
        node_qualification!(@fields [$($out)*
            #[napi(ts_type = "Record<string, unknown> | null")]
            pub $attr: serde_json::Value,] $($rest)*);
    };
    (@fields [$($out:tt)*] $attr:ident = $o:ident . $f:ident : json_list, $($rest:tt)*) => {
        node_qualification!(@fields [$($out)*
            #[napi(ts_type = "Array<Record<string, unknown>>")]
            pub $attr: serde_json::Value,] $($rest)*);
    };
    (@fields [$($out:tt)*] $attr:ident = $o:ident . $f:ident : json_list_or_null, $($rest:tt)*) => {
        node_qualification!(@fields [$($out)*
            #[napi(ts_type = "Array<Record<string, unknown>> | null")]
            pub $attr: serde_json::Value,] $($rest)*);
    };
    (@fields [$($out:tt)*] $attr:ident = $o:ident . $f:ident : $kind:ident, $($rest:tt)*) => {
        node_qualification!(@fields [$($out)* pub $attr: Option<String>,] $($rest)*);
    };
    ($($attr:ident = $owner:ident . $field:ident : $kind:ident,)+) => {
        node_qualification!(@fields [] $($attr = $owner . $field : $kind,)+);

        impl From<&kohi_core::Qualification> for Qualification {
            fn from(q: &kohi_core::Qualification) -> Self {
                Qualification {
                    $($attr: node_value!($kind, kohi_core::qualification_owner!($owner, q).$field),)+
                }
            }
        }
    };
}

kohi_core::qualification_fields!(node_qualification);

/// One 公費 as a レセコン fills it in. (The type of `patient.kohi`; index.js builds the objects
/// from `KohiResult.kohiValuesAt()`, in this field order.)
#[napi(object, use_nullable = true)]
pub struct Kohi {
    /// 1–4 (第1〜第4公費), or null past the fourth.
    pub slot: Option<u32>,
    #[napi(ts_type = "'pmh' | 'medical_aid'")]
    pub source: String,
    pub law_number: Option<String>,
    pub prefecture_number: Option<String>,
    pub agency_number: Option<String>,
    pub payer_number: Option<String>,
    pub payer_number_raw: Option<String>,
    pub payer_number_valid: Option<bool>,
    pub recipient_number: Option<String>,
    pub recipient_number_raw: Option<String>,
    /// null for 地方単独 (free-text numbers get no verdict).
    pub recipient_number_valid: Option<bool>,
    #[napi(ts_type = "'national' | 'local'")]
    pub scope: String,
    pub program: Option<String>,
    pub certificate_name: Option<String>,
    pub valid_from: Option<String>,
    pub valid_from_raw: Option<String>,
    pub valid_to: Option<String>,
    pub valid_to_raw: Option<String>,
    pub income_segment: Option<String>,
    #[napi(
        ts_type = "{ amount: string | null; raw: string | null; items: Array<{ name: string; value: string }> } | null"
    )]
    pub max_copayment: serde_json::Value,
    pub always_reimbursement: Option<bool>,
    pub segment: Option<String>,
    pub certification_sub_key: Option<String>,
    pub additional_conditions: Option<String>,
    pub designated_medical_institutions: Option<String>,
    pub welfare_office_name: Option<String>,
    pub path: String,
    /// Of certificates with the same numbers (a renewal); null when there is no other.
    #[napi(ts_type = "'current' | 'superseded' | 'not_yet_valid' | null")]
    pub renewal: Option<String>,
}

/// Values per entry in `KohiResult.kohiValuesAt()`.
#[napi(skip_typescript)]
pub const KOHI_FIELDS: u32 = crate::lists::KOHI_FIELDS;

/// The 公費 object's keys and value kinds, in order (index.js builds the objects from them).
#[napi(skip_typescript)]
pub fn kohi_keys() -> Vec<Vec<&'static str>> {
    crate::lists::KOHI_KEYS.iter().map(|(key, kind)| vec![*key, *kind]).collect()
}

/// Something worth a look that did not stop the parse.
#[napi(object, use_nullable = true)]
pub struct Warning {
    pub code: String,
    pub path: String,
}

/// An element kohi does not know, kept with its path and text.
#[napi(object, use_nullable = true)]
pub struct UnknownElement {
    pub path: String,
    pub text: String,
}

/// The verdict of `checkNumber`.
#[napi(object, use_nullable = true)]
pub struct NumberCheck {
    #[napi(ts_type = "'insurer' | 'payer' | 'recipient'")]
    pub kind: String,
    pub normalized: String,
    pub valid: bool,
    pub expected_check_digit: Option<u32>,
}

impl From<kohi_core::NumberCheck> for NumberCheck {
    fn from(c: kohi_core::NumberCheck) -> Self {
        NumberCheck {
            kind: c.kind.as_str().to_owned(),
            normalized: c.normalized,
            valid: c.valid,
            expected_check_digit: c.expected_check_digit.map(u32::from),
        }
    }
}
