//! The objects JS sees: camelCase mirrors of the model. Numbers stay strings; dates are
//! `'YYYY-MM-DD'` strings (`null` when absent or not a date, the text then in `…Raw`); codes are
//! `{ code, label }`; long or open blocks (高齢受給者証, 医療券, 上限額…) are plain objects in the
//! contract's snake_case, exactly as in `toJSON()`.

use napi::Env;
use napi::bindgen_prelude::{Uint32Array, Utf16String};
use napi_derive::napi;

use kohi_core::codes::CodeList;
use kohi_core::model::{Date, DateTime};
use kohi_core::numbers::NumberText;
use kohi_core::{Personal, Text};

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

/// A patient's fields, read by index from its result. index.js makes each `Patient` a plain JS
/// object that holds its result and index (its private fields, so `console.log(patient)` shows
/// no personal data) and whose getters call these. A napi class instance per patient (a
/// wrapped object with a finalizer) cost 2–3 µs each: most of what a bulk file's `patients`
/// cost in Node on top of the parse.
impl KohiResult {
    /// Patient `index`; an error (never a panic) for an index out of range, and the typed
    /// `closed` error once `close()` has freed the document.
    pub(crate) fn patient(&self, env: &Env, index: u32) -> napi::Result<&kohi_core::Patient> {
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        self.doc(env)?
            .patients
            .get(index)
            .ok_or_else(|| napi::Error::new(napi::Status::InvalidArg, "kohi: no patient at this index"))
    }
}

#[napi]
impl KohiResult {
    /// How many patients `patients` holds.
    #[napi(skip_typescript)]
    pub fn patient_count(&self, env: &Env) -> napi::Result<u32> {
        u32::try_from(self.doc(env)?.patients.len())
            .map_err(|_| napi::Error::new(napi::Status::GenericFailure, "kohi: more patients than an index can count"))
    }

    /// How many 公費 each patient has, in order: read once for a bulk result, so that `kohi` of
    /// a patient with none (most units of a bulk file) makes no call into the addon.
    #[napi(skip_typescript)]
    pub fn kohi_counts(&self, env: &Env) -> napi::Result<Uint32Array> {
        let counts = self.doc(env)?.patients.iter().map(|p| u32::try_from(p.kohi.len()).unwrap_or(u32::MAX));
        Ok(Uint32Array::new(counts.collect()))
    }

    /// 照会番号.
    #[napi(skip_typescript)]
    pub fn reference_number_at(&self, env: &Env, index: u32) -> napi::Result<Option<String>> {
        Ok(personal(&self.patient(env, index)?.reference_number))
    }

    #[napi(skip_typescript)]
    pub fn processing_result_status_at(&self, env: &Env, index: u32) -> napi::Result<Option<Code>> {
        Ok(code(&self.patient(env, index)?.processing_result_status))
    }

    #[napi(skip_typescript)]
    pub fn processing_result_code_at(&self, env: &Env, index: u32) -> napi::Result<Option<String>> {
        Ok(text(&self.patient(env, index)?.processing_result_code))
    }

    #[napi(skip_typescript)]
    pub fn processing_result_message_at(&self, env: &Env, index: u32) -> napi::Result<Option<String>> {
        Ok(text(&self.patient(env, index)?.processing_result_message))
    }

    #[napi(skip_typescript)]
    pub fn qualification_validity_at(&self, env: &Env, index: u32) -> napi::Result<Option<Code>> {
        Ok(code(&self.patient(env, index)?.qualification_validity))
    }

    #[napi(skip_typescript)]
    pub fn prescription_issue_select_at(&self, env: &Env, index: u32) -> napi::Result<Option<Code>> {
        Ok(code(&self.patient(env, index)?.prescription_issue_select))
    }

    /// The request echo (被保険者証 queries), in the contract's snake_case.
    #[napi(skip_typescript)]
    pub fn search_info_at(&self, env: &Env, index: u32) -> napi::Result<serde_json::Value> {
        Ok(block(&self.patient(env, index)?.search_info))
    }

    /// `'received'`, `'received_empty'`, `'absent'` or `'received_unread'`. Absent never means a subsidy ended.
    #[napi(skip_typescript)]
    pub fn pmh_at(&self, env: &Env, index: u32) -> napi::Result<&'static str> {
        Ok(self.patient(env, index)?.pmh.as_str())
    }

    /// The qualifications as a JSON array of `Qualification` objects; index.js parses it for
    /// the `qualifications` getter (59 napi property sets per result cost several times more).
    #[napi(skip_typescript)]
    pub fn qualifications_json_at(&self, env: &Env, index: u32) -> napi::Result<String> {
        crate::lists::list_json(self.patient(env, index)?.qualifications.iter().map(Qualification::from))
            .ok_or_else(|| napi::Error::new(napi::Status::GenericFailure, "kohi: qualifications could not be written"))
    }

    /// What `result.patients` (index.js) reads first, in one call: the number of patients as two
    /// UTF-16 units (high, low 16 bits) and, for a result of one patient (a face result, a
    /// single answer), that patient's 公費 after them, as one string, each entry its length and
    /// `KOHI_FIELDS` values (index.js builds the `kohi` getter's objects from it, see lists.rs
    /// for why). A result of several patients has its 公費 read a block at a time
    /// (`kohi_values_in`). Until 2026-12-06 the count and the one patient's 公費 were two calls,
    /// each a napi-rs method call of about 3,300 instructions (its borrow tracking and
    /// unwrapping): a face result's parse and read through index.js, 112.6 k → 111.4 k
    /// instructions (callgrind, the difference of 10,000 and 30,000 rounds). Small: most of a
    /// call's cost is what it hands over, which is the same.
    #[napi(skip_typescript)]
    pub fn patients_head(&self, env: &Env) -> napi::Result<Utf16String> {
        let patients = &self.doc(env)?.patients;
        let count = u32::try_from(patients.len()).map_err(|_| {
            napi::Error::new(napi::Status::GenericFailure, "kohi: more patients than an index can count")
        })?;
        let mut head = vec![(count >> 16) as u16, count as u16];
        if let [one] = patients.as_slice() {
            head.extend_from_slice(&crate::lists::kohi_values(&one.kohi));
        }
        Ok(Utf16String::from(head))
    }

    /// The 公費 of patients `start..end` as one string, their entries in patient order, as
    /// `kohi_values_at` writes one patient's. The `kohi` getters of a bulk result's patients
    /// read their values a block of patients at a time (index.js): one call per
    /// block instead of one per patient with 公費, which was about 40 % of reading a bulk
    /// file's 公費 in Node.
    #[napi(skip_typescript)]
    pub fn kohi_values_in(&self, env: &Env, start: u32, end: u32) -> napi::Result<Utf16String> {
        let (start, end) = (usize::try_from(start).unwrap_or(usize::MAX), usize::try_from(end).unwrap_or(usize::MAX));
        let patients = self
            .doc(env)?
            .patients
            .get(start..end)
            .ok_or_else(|| napi::Error::new(napi::Status::InvalidArg, "kohi: no patients in this range"))?;
        Ok(kohi_values_string(patients.iter().flat_map(|p| &p.kohi)))
    }
}

/// The 公費 values as a JS string of UTF-16 units (`lists::kohi_values`).
fn kohi_values_string<'a>(entries: impl IntoIterator<Item = &'a kohi_core::KohiEntry>) -> Utf16String {
    Utf16String::from(crate::lists::kohi_values(entries))
}

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
/// from `KohiResult.patientsHead()` and `kohiValuesIn()`, in this field order.)
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
    #[napi(ts_type = "'current' | 'superseded' | 'not_yet_valid'")]
    pub renewal: Option<String>,
}

/// Values per entry in `KohiResult.patientsHead()` and `kohiValuesIn()`.
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
    /// The number normalised: half-width digits, no spaces.
    pub normalized: String,
    /// Right length, all digits, and the check digit holds.
    pub valid: bool,
    /// The check digit the body calls for; null when the number is not all digits of its kind's
    /// length (no last digit would make it right).
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
