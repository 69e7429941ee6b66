//! The objects JS sees: camelCase mirrors of the model. Numbers stay strings; dates are
//! `'YYYY-MM-DD'` strings (`null` when absent or not a date, the text then in `…Raw`); codes are
//! `{ code, label }`; long or open blocks (高齢受給者証, 医療券, 上限額…) are plain objects in the
//! contract's snake_case, exactly as in `toJSON()`.

use std::sync::Arc;

use napi_derive::napi;

use kohi_core::codes::CodeList;
use kohi_core::model::{Date, DateTime};
use kohi_core::numbers::NumberText;
use kohi_core::{Document, Personal};

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

fn personal(p: &Option<Personal<String>>) -> Option<String> {
    p.as_ref().map(|p| p.expose().clone())
}

fn number(n: &Option<NumberText>) -> Option<String> {
    n.as_ref().map(|n| n.value().to_owned())
}

fn number_raw(n: &Option<NumberText>) -> Option<String> {
    n.as_ref().map(|n| n.raw.expose().clone())
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
            medical_institution_code: h.medical_institution_code.clone(),
            arbitrary_file_identifier: h.arbitrary_file_identifier.clone(),
            reference_classification: code(&h.reference_classification),
            segment_of_result: code(&h.segment_of_result),
            error_code: h.error_code.clone(),
            error_message: h.error_message.clone(),
            character_code_identifier: code(&h.character_code_identifier),
        }
    }
}

/// One person. A class (not a plain object) so that `reconcile` can take it, and so that
/// `console.log(patient)` does not print personal fields: read them explicitly.
#[napi]
pub struct Patient {
    pub(crate) doc: Arc<Document>,
    pub(crate) index: usize,
}

impl Patient {
    pub(crate) fn get(&self) -> &kohi_core::Patient {
        &self.doc.patients[self.index]
    }
}

#[napi]
impl Patient {
    /// 照会番号.
    #[napi(getter)]
    pub fn reference_number(&self) -> Option<String> {
        personal(&self.get().reference_number)
    }

    #[napi(getter)]
    pub fn processing_result_status(&self) -> Option<Code> {
        code(&self.get().processing_result_status)
    }

    #[napi(getter)]
    pub fn processing_result_code(&self) -> Option<String> {
        self.get().processing_result_code.clone()
    }

    #[napi(getter)]
    pub fn processing_result_message(&self) -> Option<String> {
        self.get().processing_result_message.clone()
    }

    #[napi(getter)]
    pub fn qualification_validity(&self) -> Option<Code> {
        code(&self.get().qualification_validity)
    }

    #[napi(getter)]
    pub fn prescription_issue_select(&self) -> Option<Code> {
        code(&self.get().prescription_issue_select)
    }

    /// The request echo (被保険者証 queries), in the contract's snake_case.
    #[napi(getter, ts_return_type = "Record<string, unknown> | null")]
    pub fn search_info(&self) -> serde_json::Value {
        block(&self.get().search_info)
    }

    /// `'received'`, `'received_empty'` or `'absent'`. Absent never means a subsidy ended.
    #[napi(getter, ts_return_type = "'received' | 'received_empty' | 'absent'")]
    pub fn pmh(&self) -> &'static str {
        match self.get().pmh {
            kohi_core::PmhState::Received => "received",
            kohi_core::PmhState::ReceivedEmpty => "received_empty",
            kohi_core::PmhState::Absent => "absent",
        }
    }

    /// The qualifications as a JSON array of `Qualification` objects; index.js parses it for
    /// the `qualifications` getter (59 napi property sets per result cost several times more).
    #[napi(skip_typescript)]
    pub fn qualifications_json(&self) -> napi::Result<String> {
        crate::lists::list_json(self.get().qualifications.iter().map(Qualification::from))
            .ok_or_else(|| napi::Error::new(napi::Status::GenericFailure, "kohi: qualifications could not be written"))
    }

    /// The 公費 as one string, `KOHI_FIELDS` values per entry; index.js builds the `kohi`
    /// getter's objects from it (see lists.rs for why).
    #[napi(skip_typescript)]
    pub fn kohi_values(&self) -> napi::Result<String> {
        crate::lists::kohi_values(&self.get().kohi).ok_or_else(|| {
            napi::Error::new(napi::Status::GenericFailure, "kohi: a 公費 value holds a control character")
        })
    }
}

/// One `ResultOfQualificationConfirmation`. (The type of `patient.qualifications`; index.js
/// parses the objects from `Patient.qualificationsJson()`, whose keys serde names like napi.)
#[napi(object, use_nullable = true)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Qualification {
    pub insured_card_classification: Option<Code>,
    pub insurer_number: Option<String>,
    pub insurer_number_raw: Option<String>,
    pub insurer_number_valid: Option<bool>,
    pub insured_card_symbol: Option<String>,
    pub insured_card_symbol_raw: Option<String>,
    pub insured_identification_number: Option<String>,
    pub insured_identification_number_raw: Option<String>,
    pub insured_branch_number: Option<String>,
    pub insured_branch_number_raw: Option<String>,
    pub personal_family_classification: Option<Code>,
    pub insured_name: Option<String>,
    pub name: Option<String>,
    pub name_of_other: Option<String>,
    pub name_kana: Option<String>,
    pub name_of_other_kana: Option<String>,
    pub sex1: Option<Code>,
    pub sex2: Option<Code>,
    pub birthdate: Option<String>,
    pub birthdate_raw: Option<String>,
    pub address: Option<String>,
    pub post_number: Option<String>,
    pub qualification_date: Option<String>,
    pub disqualification_date: Option<String>,
    pub insured_certificate_issuance_date: Option<String>,
    pub insured_card_valid_date: Option<String>,
    pub insured_card_expiration_date: Option<String>,
    pub insured_partial_contribution_ratio: Option<String>,
    pub preschool_classification: Option<Code>,
    pub reason_of_loss: Option<Code>,
    pub insurer_name: Option<String>,
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub elderly_recipient_certificate: serde_json::Value,
    pub limit_application_certificate_related_cons_flg: Option<Code>,
    pub limit_application_certificate_related_cons_time: Option<String>,
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub limit_application_certificate: serde_json::Value,
    pub specific_diseases_certificate_related_cons_flg: Option<Code>,
    pub specific_diseases_certificate_related_cons_time: Option<String>,
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub specific_diseases_certificates: serde_json::Value,
    pub specific_health_checkups_info_cons_flg: Option<Code>,
    pub specific_health_checkups_info_cons_time: Option<String>,
    pub specific_health_checkups_info_available_time: Option<String>,
    pub pharmacists_info_cons_flg: Option<Code>,
    pub pharmacists_info_cons_time: Option<String>,
    pub pharmacists_info_available_time: Option<String>,
    pub diagnosis_info_cons_flg: Option<Code>,
    pub diagnosis_info_cons_time: Option<String>,
    pub diagnosis_info_available_time: Option<String>,
    pub operation_info_cons_flg: Option<Code>,
    pub operation_info_cons_time: Option<String>,
    pub operation_info_available_time: Option<String>,
    pub reference_number: Option<String>,
    pub arbitrary_identifier: Option<String>,
    pub qualification_confirmation_key: Option<String>,
    pub public_expense_number: Option<String>,
    pub beneficiary_number: Option<String>,
    pub welfare_office_name: Option<String>,
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub medical_tickets: serde_json::Value,
    pub medical_subsidy_cons_flg: Option<Code>,
    pub medical_subsidy_cons_time: Option<String>,
    #[napi(ts_type = "Array<Record<string, unknown>> | null")]
    pub medical_subsidies: serde_json::Value,
}

impl From<&kohi_core::Qualification> for Qualification {
    fn from(q: &kohi_core::Qualification) -> Self {
        let insurer = q.insurer_number.as_ref().map(|n| n.text.clone());
        let birthdate = q.birthdate.as_ref().map(|b| b.expose().clone());
        Qualification {
            insured_card_classification: code(&q.insured_card_classification),
            insurer_number: number(&insurer),
            insurer_number_raw: number_raw(&insurer),
            insurer_number_valid: q.insurer_number.as_ref().map(|n| n.valid),
            insured_card_symbol: number(&q.insured_card_symbol),
            insured_card_symbol_raw: number_raw(&q.insured_card_symbol),
            insured_identification_number: number(&q.insured_identification_number),
            insured_identification_number_raw: number_raw(&q.insured_identification_number),
            insured_branch_number: number(&q.insured_branch_number),
            insured_branch_number_raw: number_raw(&q.insured_branch_number),
            personal_family_classification: code(&q.personal_family_classification),
            insured_name: personal(&q.insured_name),
            name: personal(&q.name),
            name_of_other: personal(&q.name_of_other),
            name_kana: personal(&q.name_kana),
            name_of_other_kana: personal(&q.name_of_other_kana),
            sex1: code(&q.sex1),
            sex2: code(&q.sex2),
            birthdate: date(&birthdate),
            birthdate_raw: date_raw(&birthdate),
            address: personal(&q.address),
            post_number: personal(&q.post_number),
            qualification_date: date(&q.qualification_date),
            disqualification_date: date(&q.disqualification_date),
            insured_certificate_issuance_date: date(&q.insured_certificate_issuance_date),
            insured_card_valid_date: date(&q.insured_card_valid_date),
            insured_card_expiration_date: date(&q.insured_card_expiration_date),
            insured_partial_contribution_ratio: q.insured_partial_contribution_ratio.clone(),
            preschool_classification: code(&q.preschool_classification),
            reason_of_loss: code(&q.reason_of_loss),
            insurer_name: q.insurer_name.clone(),
            elderly_recipient_certificate: block(&q.elderly_recipient_certificate),
            limit_application_certificate_related_cons_flg: code(
                &q.consents().limit_application_certificate_related_cons_flg,
            ),
            limit_application_certificate_related_cons_time: date_time(
                &q.consents().limit_application_certificate_related_cons_time,
            ),
            limit_application_certificate: block(&q.limit_application_certificate),
            specific_diseases_certificate_related_cons_flg: code(
                &q.consents().specific_diseases_certificate_related_cons_flg,
            ),
            specific_diseases_certificate_related_cons_time: date_time(
                &q.consents().specific_diseases_certificate_related_cons_time,
            ),
            specific_diseases_certificates: block(&q.specific_diseases_certificates),
            specific_health_checkups_info_cons_flg: code(&q.consents().specific_health_checkups_info_cons_flg),
            specific_health_checkups_info_cons_time: date_time(&q.consents().specific_health_checkups_info_cons_time),
            specific_health_checkups_info_available_time: date_time(
                &q.consents().specific_health_checkups_info_available_time,
            ),
            pharmacists_info_cons_flg: code(&q.consents().pharmacists_info_cons_flg),
            pharmacists_info_cons_time: date_time(&q.consents().pharmacists_info_cons_time),
            pharmacists_info_available_time: date_time(&q.consents().pharmacists_info_available_time),
            diagnosis_info_cons_flg: code(&q.consents().diagnosis_info_cons_flg),
            diagnosis_info_cons_time: date_time(&q.consents().diagnosis_info_cons_time),
            diagnosis_info_available_time: date_time(&q.consents().diagnosis_info_available_time),
            operation_info_cons_flg: code(&q.consents().operation_info_cons_flg),
            operation_info_cons_time: date_time(&q.consents().operation_info_cons_time),
            operation_info_available_time: date_time(&q.consents().operation_info_available_time),
            reference_number: personal(&q.reference_number),
            arbitrary_identifier: q.arbitrary_identifier.clone(),
            qualification_confirmation_key: personal(&q.qualification_confirmation_key),
            public_expense_number: number(&q.public_expense_number.as_ref().map(|n| n.text.clone())),
            beneficiary_number: number(&q.beneficiary_number),
            welfare_office_name: q.welfare_office_name.clone(),
            medical_tickets: block(&q.medical_tickets),
            medical_subsidy_cons_flg: code(&q.consents().medical_subsidy_cons_flg),
            medical_subsidy_cons_time: date_time(&q.consents().medical_subsidy_cons_time),
            medical_subsidies: block(&q.medical_subsidies),
        }
    }
}

/// One 公費 as a レセコン fills it in. (The type of `patient.kohi`; index.js builds the objects
/// from `Patient.kohiValues()`, in this field order.)
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

/// Values per entry in `Patient.kohiValues()`.
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
            kind: match c.kind {
                kohi_core::NumberKind::Insurer => "insurer",
                kohi_core::NumberKind::Payer => "payer",
                kohi_core::NumberKind::Recipient => "recipient",
            }
            .to_owned(),
            normalized: c.normalized,
            valid: c.valid,
            expected_check_digit: c.expected_check_digit.map(u32::from),
        }
    }
}
