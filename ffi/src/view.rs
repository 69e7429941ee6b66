//! What the getters return, computed once at parse time in the caller's string encoding.
//!
//! Precomputing makes a `kohi_result` immutable (so many threads can read it at once) and lets
//! every borrowed `kohi_str` live exactly as long as the result.

use std::borrow::Cow;

use kohi_core::codes::CodeList;
use kohi_core::model::{Date, DateTime};
use kohi_core::{Document, KohiEntry, Patient, Qualification};

/// String encoding of every getter. JSON is always UTF-8.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kohi_string_encoding {
    Utf8 = 0,
    /// Windows-31J, for legacy Windows callers. A character it cannot hold is an error status.
    Cp932 = 1,
}

/// Fields of `kohi_header_get`.
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_header_field {
    /// "UTF-8" or "Shift_JIS": the encoding the file was read in.
    Encoding = 0,
    /// YYYY-MM-DDTHH:MM:SS
    ProcessExecutionTime = 1,
    /// YYYY-MM-DD
    QualificationConfirmationDate = 2,
    MedicalInstitutionCode = 3,
    ArbitraryFileIdentifier = 4,
    /// Code (OQSCD002): "1" マイナンバーカード, "2" 被保険者証情報.
    ReferenceClassification = 5,
    /// Code (OQSCD003): "1" 正常終了, "2" 処理中, "9" 異常終了.
    SegmentOfResult = 6,
    ErrorCode = 7,
    ErrorMessage = 8,
    /// Code (OQSCD005): "0" UTF-8, "1" Shift_JIS.
    CharacterCodeIdentifier = 9,
    /// A bulk (一括照会) result's file-level status, absent in a single result: 受付番号.
    BulkReceptionNumber = 10,
    /// Code (OQSCD004): the bulk file's 処理結果状況 ("1" 正常終了, "2" エラー).
    BulkProcessingResultStatus = 11,
    /// The bulk file's 処理結果コード.
    BulkProcessingResultCode = 12,
    /// The bulk file's 処理結果メッセージ.
    BulkProcessingResultMessage = 13,
    /// Code (OQSCD006): the bulk file's 資格有効性.
    BulkQualificationValidity = 14,
}

/// Fields of `kohi_patient_get`.
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_patient_field {
    /// 照会番号.
    ReferenceNumber = 0,
    /// Code (OQSCD004): "1" 正常終了, "2" エラー.
    ProcessingResultStatus = 1,
    ProcessingResultCode = 2,
    ProcessingResultMessage = 3,
    /// Code (OQSCD006): "1" 有効 … "6" 有効（未登録）.
    QualificationValidity = 4,
    /// "received", "received_empty", "absent" or "received_unread" (more may come). Absent never means a subsidy ended.
    Pmh = 5,
}

/// Fields of `kohi_qualification_get` (one `ResultOfQualificationConfirmation`).
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_qualification_field {
    /// Code (OQSCD010): "01" 一般 … "A1" 医療扶助.
    InsuredCardClassification = 0,
    /// 保険者番号, normalised (6 digits for 国保).
    InsurerNumber = 1,
    InsuredCardSymbol = 2,
    InsuredIdentificationNumber = 3,
    InsuredBranchNumber = 4,
    InsurerName = 5,
    /// YYYY-MM-DD (or the raw text when it is not a date).
    QualificationDate = 6,
    DisqualificationDate = 7,
    InsuredCardValidDate = 8,
    InsuredCardExpirationDate = 9,
    /// As sent, e.g. "030" = 3割.
    InsuredPartialContributionRatio = 10,
    /// Code (OQSCD009).
    PersonalFamilyClassification = 11,
    Name = 12,
    NameKana = 13,
    Birthdate = 14,
    /// Code (OQSCD007).
    Sex1 = 15,
}

/// String fields of `kohi_kohi_get` (one 公費 entry).
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_kohi_field {
    /// "pmh" or "medical_aid".
    Source = 0,
    /// 法別番号 (2 digits).
    LawNumber = 1,
    PrefectureNumber = 2,
    AgencyNumber = 3,
    /// 公費負担者番号, normalised.
    PayerNumber = 4,
    PayerNumberRaw = 5,
    /// 受給者番号, normalised.
    RecipientNumber = 6,
    RecipientNumberRaw = 7,
    /// "national" or "local" (地方単独).
    Scope = 8,
    /// The program of a national 法別.
    Program = 9,
    CertificateName = 10,
    /// YYYY-MM-DD (or the raw text when it is not a date).
    ValidFrom = 11,
    ValidTo = 12,
    IncomeSegment = 13,
    /// 自己負担上限額 in yen as ASCII digits, when the cap is a plain amount.
    MaxCopayment = 14,
    /// 医療扶助: 福祉事務所名.
    WelfareOfficeName = 15,
    /// Of certificates with the same numbers (a renewal): "current", "superseded" or
    /// "not_yet_valid"; absent when there is no other.
    Renewal = 16,
}

/// Yes/no fields of `kohi_kohi_flag`.
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_kohi_flag {
    /// 公費負担者番号 passes its check digit.
    PayerNumberValid = 0,
    /// A national 受給者番号 passes its check digit (no verdict for 地方単独).
    RecipientNumberValid = 1,
    /// 常に償還払い.
    AlwaysReimbursement = 2,
}

/// A yes/no that may have no answer.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kohi_tristate {
    False = 0,
    True = 1,
    /// No value: absent, or no verdict.
    Null = -1,
}

/// Fields of `kohi_warning_get`.
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_warning_field {
    /// e.g. "payer_check_digit".
    Code = 0,
    /// Element path, e.g. "XmlMsg/MessageBody/…".
    Path = 1,
}

/// Fields of `kohi_unknown_get`.
#[repr(u32)]
#[derive(Debug, Clone, Copy)]
pub enum kohi_unknown_field {
    Path = 0,
    Text = 1,
}

/// One getter string: NUL-terminated bytes in the caller's encoding.
pub(crate) enum Cell {
    Absent,
    Text(Box<[u8]>),
    Unrepresentable,
}

type Getter<T> = fn(&T) -> Option<Cow<'_, str>>;

fn code<C: CodeList>(c: &Option<C>) -> Option<Cow<'_, str>> {
    c.as_ref().map(|c| Cow::Borrowed(c.code()))
}

fn text(s: &Option<kohi_core::Text>) -> Option<Cow<'_, str>> {
    s.as_deref().map(Cow::Borrowed)
}

fn personal(s: &Option<kohi_core::Personal<kohi_core::Text>>) -> Option<Cow<'_, str>> {
    s.as_ref().map(|s| Cow::Borrowed(s.expose().as_str()))
}

fn number(n: &Option<kohi_core::numbers::NumberText>) -> Option<Cow<'_, str>> {
    n.as_ref().map(|n| Cow::Borrowed(n.value()))
}

fn date(d: &Option<Date>) -> Option<Cow<'_, str>> {
    d.as_ref().map(|d| d.value.map_or(Cow::Borrowed(&*d.raw), |v| Cow::Owned(v.format("%Y-%m-%d").to_string())))
}

fn date_time(d: &Option<DateTime>) -> Option<Cow<'_, str>> {
    d.as_ref()
        .map(|d| d.value.map_or(Cow::Borrowed(&*d.raw), |v| Cow::Owned(v.format("%Y-%m-%dT%H:%M:%S").to_string())))
}

/// Indexed by `kohi_header_field`.
const HEADER: [Getter<Document>; HEADER_FIELDS] = [
    |d| Some(Cow::Borrowed(d.encoding.name())),
    |d| date_time(&d.header.process_execution_time),
    |d| date(&d.header.qualification_confirmation_date),
    |d| text(&d.header.medical_institution_code),
    |d| text(&d.header.arbitrary_file_identifier),
    |d| code(&d.header.reference_classification),
    |d| code(&d.header.segment_of_result),
    |d| text(&d.header.error_code),
    |d| text(&d.header.error_message),
    |d| code(&d.header.character_code_identifier),
    |d| d.bulk.as_ref().and_then(|b| text(&b.reception_number)),
    |d| d.bulk.as_ref().and_then(|b| code(&b.processing_result_status)),
    |d| d.bulk.as_ref().and_then(|b| text(&b.processing_result_code)),
    |d| d.bulk.as_ref().and_then(|b| text(&b.processing_result_message)),
    |d| d.bulk.as_ref().and_then(|b| code(&b.qualification_validity)),
];

/// Indexed by `kohi_patient_field`.
const PATIENT: [Getter<Patient>; PATIENT_FIELDS] = [
    |p| personal(&p.reference_number),
    |p| code(&p.processing_result_status),
    |p| text(&p.processing_result_code),
    |p| text(&p.processing_result_message),
    |p| code(&p.qualification_validity),
    |p| Some(Cow::Borrowed(p.pmh.as_str())),
];

/// Indexed by `kohi_qualification_field`.
const QUALIFICATION: [Getter<Qualification>; QUALIFICATION_FIELDS] = [
    |q| code(&q.insured_card_classification),
    |q| q.insurer_number.as_ref().map(|n| Cow::Borrowed(n.text.value())),
    |q| number(&q.insured_card_symbol),
    |q| number(&q.insured_identification_number),
    |q| number(&q.insured_branch_number),
    |q| text(&q.insurer_name),
    |q| date(&q.qualification_date),
    |q| date(&q.disqualification_date),
    |q| date(&q.insured_card_valid_date),
    |q| date(&q.insured_card_expiration_date),
    |q| text(&q.insured_partial_contribution_ratio),
    |q| code(&q.personal_family_classification),
    |q| personal(&q.name),
    |q| personal(&q.name_kana),
    |q| date(&q.birthdate.as_ref().map(|b| b.expose().clone())).map(|c| Cow::Owned(c.into_owned())),
    |q| code(&q.sex1),
];

/// Indexed by `kohi_kohi_field`.
const KOHI: [Getter<KohiEntry>; KOHI_FIELDS] = [
    |k| Some(Cow::Borrowed(k.source.as_str())),
    |k| text(&k.law_number),
    |k| text(&k.prefecture_number),
    |k| text(&k.agency_number),
    |k| personal(&k.payer_number),
    |k| personal(&k.payer_number_raw),
    |k| personal(&k.recipient_number),
    |k| personal(&k.recipient_number_raw),
    |k| Some(Cow::Borrowed(k.scope.as_str())),
    |k| k.program.map(Cow::Borrowed),
    |k| text(&k.certificate_name),
    |k| date(&k.valid_from),
    |k| date(&k.valid_to),
    |k| text(&k.income_segment),
    |k| k.max_copayment.as_ref().and_then(|m| m.amount.as_deref()).map(Cow::Borrowed),
    |k| text(&k.welfare_office_name),
    |k| k.renewal.map(|r| Cow::Borrowed(r.as_str())),
];

pub(crate) const HEADER_FIELDS: usize = kohi_header_field::BulkQualificationValidity as usize + 1;
pub(crate) const PATIENT_FIELDS: usize = kohi_patient_field::Pmh as usize + 1;
pub(crate) const QUALIFICATION_FIELDS: usize = kohi_qualification_field::Sex1 as usize + 1;
pub(crate) const KOHI_FIELDS: usize = kohi_kohi_field::Renewal as usize + 1;
pub(crate) const KOHI_FLAGS: usize = kohi_kohi_flag::AlwaysReimbursement as usize + 1;

pub(crate) struct KohiView {
    pub fields: Vec<Cell>,
    pub slot: u32,
    pub flags: [kohi_tristate; KOHI_FLAGS],
}

pub(crate) struct PatientView {
    pub fields: Vec<Cell>,
    pub qualifications: Vec<Vec<Cell>>,
    pub kohi: Vec<KohiView>,
}

pub(crate) struct View {
    pub header: Vec<Cell>,
    pub patients: Vec<PatientView>,
    pub warnings: Vec<[Cell; 2]>,
    pub unknown: Vec<[Cell; 2]>,
}

fn tristate(b: Option<bool>) -> kohi_tristate {
    match b {
        Some(true) => kohi_tristate::True,
        Some(false) => kohi_tristate::False,
        None => kohi_tristate::Null,
    }
}

impl View {
    pub(crate) fn build(doc: &Document, encoding: kohi_string_encoding) -> View {
        let cell = |s: Option<Cow<'_, str>>| encode(s.as_deref(), encoding);
        let cells = |getters: &[Getter<_>], value| getters.iter().map(|g| cell(g(value))).collect::<Vec<_>>();
        View {
            header: HEADER.iter().map(|g| cell(g(doc))).collect(),
            patients: doc
                .patients
                .iter()
                .map(|p| PatientView {
                    fields: PATIENT.iter().map(|g| cell(g(p))).collect(),
                    qualifications: p
                        .qualifications
                        .iter()
                        .map(|q| QUALIFICATION.iter().map(|g| cell(g(q))).collect())
                        .collect(),
                    kohi: p
                        .kohi
                        .iter()
                        .map(|k| KohiView {
                            fields: cells(&KOHI, k),
                            slot: k.slot.map_or(0, u32::from),
                            flags: [
                                tristate(k.payer_number_valid),
                                tristate(k.recipient_number_valid),
                                tristate(k.always_reimbursement),
                            ],
                        })
                        .collect(),
                })
                .collect(),
            warnings: doc
                .warnings
                .iter()
                .map(|w| [cell(Some(w.code.as_str().into())), cell(Some(w.path.as_str().into()))])
                .collect(),
            unknown: doc
                .unknown_elements
                .iter()
                .map(|u| [cell(Some(u.path.as_str().into())), cell(Some(u.text.expose().as_str().into()))])
                .collect(),
        }
    }
}

/// Encodes a getter string, NUL-terminated. Never substitutes: an unmappable character makes
/// the whole cell `Unrepresentable` (JIS-style variants such as WAVE DASH take their CP932 form).
pub(crate) fn encode(s: Option<&str>, encoding: kohi_string_encoding) -> Cell {
    let Some(s) = s else { return Cell::Absent };
    let mut bytes = match encoding {
        kohi_string_encoding::Utf8 => s.as_bytes().to_vec(),
        kohi_string_encoding::Cp932 => match kohi_core::cp932::encode(s) {
            Ok(bytes) => bytes,
            Err(_) => return Cell::Unrepresentable,
        },
    };
    bytes.push(0);
    Cell::Text(bytes.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp932_encodes_or_refuses() {
        let Cell::Text(b) = encode(Some("髙①㈱"), kohi_string_encoding::Cp932) else { panic!() };
        assert_eq!(&b[..], &[0xFB, 0xFC, 0x87, 0x40, 0x87, 0x8A, 0][..]);
        assert!(matches!(encode(Some("𠮷"), kohi_string_encoding::Cp932), Cell::Unrepresentable));
        let Cell::Text(b) = encode(Some("〜"), kohi_string_encoding::Cp932) else { panic!() };
        assert_eq!(&b[..], &[0x81, 0x60, 0][..]);
        assert!(matches!(encode(None, kohi_string_encoding::Utf8), Cell::Absent));
    }
}
