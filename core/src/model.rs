//! The typed model of one result file.
//!
//! Every field is optional: empty, whitespace-only and missing elements are all `None`. Personal
//! fields (names, kana, address, birthdate, numbers, injury names) are [`Personal`] or
//! [`NumberText`], so `Debug` output is safe to log; the JSON contract carries them in full.

use chrono::{NaiveDate, NaiveDateTime};
use std::sync::LazyLock;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::codes::*;
use crate::decode::Encoding;
use crate::numbers::NumberText;
use crate::personal::Personal;

pub use crate::text::Text;

/// A `YYYYMMDD` date. An invalid one keeps its text (and the parse adds an `invalid_date`
/// warning); JSON shows `YYYY-MM-DD`, or the raw text when it is not a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Date {
    /// The text as sent (a boxed `str`: 8 bytes less than a `String` in every date field of
    /// every result, present or not).
    pub raw: Text,
    /// The date, when the text is a real one.
    pub value: Option<NaiveDate>,
}

impl Date {
    /// Reads the text; an invalid value keeps its text with `value` `None`.
    pub fn parse(raw: &str) -> Self {
        Self { raw: raw.into(), value: crate::dates::parse_date(crate::text::trim(raw)) }
    }
}

/// `YYYY-MM-DD` into `out` (years are 0–9999: they come from four digits). Written by hand:
/// chrono's `format` parses its pattern and fills a `String` on every call, and the JSON of a
/// bulk file writes hundreds of thousands of dates.
fn iso_date(d: NaiveDate, out: &mut [u8]) {
    use chrono::Datelike;
    let year = d.year().clamp(0, 9999) as u32;
    two_digits(out, 0, year / 100);
    two_digits(out, 2, year % 100);
    out[4] = b'-';
    two_digits(out, 5, d.month());
    out[7] = b'-';
    two_digits(out, 8, d.day());
}

fn two_digits(out: &mut [u8], at: usize, value: u32) {
    out[at] = b'0' + (value / 10 % 10) as u8;
    out[at + 1] = b'0' + (value % 10) as u8;
}

/// The ASCII bytes written by `iso_date` and friends, as a `str`.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Some(d) => {
                let mut text = [0u8; 10];
                iso_date(d, &mut text);
                serializer.serialize_str(ascii(&text))
            }
            None => serializer.serialize_str(&self.raw),
        }
    }
}

/// A `YYYYMMDDHHmmss` time stamp; like [`Date`], invalid text is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTime {
    /// The text as sent (see [`Date::raw`]).
    pub raw: Text,
    /// The time stamp, when the text is a real one.
    pub value: Option<NaiveDateTime>,
}

impl DateTime {
    /// Reads the text; an invalid value keeps its text with `value` `None`.
    pub fn parse(raw: &str) -> Self {
        let value = crate::dates::compact_date_time(crate::text::trim(raw).as_bytes());
        Self { raw: raw.into(), value }
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Some(d) => {
                use chrono::Timelike;
                let mut text = *b"0000-00-00T00:00:00";
                iso_date(d.date(), &mut text[..10]);
                two_digits(&mut text, 11, d.hour());
                two_digits(&mut text, 14, d.minute());
                two_digits(&mut text, 17, d.second());
                serializer.serialize_str(ascii(&text))
            }
            None => serializer.serialize_str(&self.raw),
        }
    }
}

/// A number that has a check digit (保険者番号, 公費負担者番号).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedNumber {
    /// The number: as sent and normalised.
    pub text: NumberText,
    /// Length, digits and 検証番号 all hold.
    pub valid: bool,
}

impl Serialize for CheckedNumber {
    /// The number's fields and `valid` in one object. Written out rather than
    /// `#[serde(flatten)]`, which makes every serializer build a map with keys made per value.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("CheckedNumber", 3)?;
        out.serialize_field("normalized", self.text.value())?;
        out.serialize_field("raw", self.text.raw())?;
        out.serialize_field("valid", &self.valid)?;
        out.end()
    }
}

/// One parsed result file.
///
/// ```
/// let doc = kohi::parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml"), &kohi::ParseOptions::default())?;
/// assert_eq!(doc.encoding, kohi::Encoding::Utf8);
/// assert_eq!(doc.patients.len(), 1);
/// assert!(doc.warnings.is_empty());
/// # Ok::<(), kohi::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Document {
    /// The encoding the file was read in.
    pub encoding: Encoding,
    /// `MessageHeader`.
    pub header: Header,
    /// One per person: the body of a single result, or each `BulkConfirmUnit` of a bulk one.
    pub patients: Vec<Patient>,
    /// Every element (or attribute) the layout does not know, with its path and text.
    pub unknown_elements: Vec<UnknownElement>,
    /// Things worth a look that did not stop the parse; each says where, never what.
    pub warnings: Vec<Warning>,
    /// File-level fields of a bulk (一括照会) result; `None` for a single result.
    pub bulk: Option<BulkInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
/// `MessageHeader`, and the file-level fields of `MessageBody`.
pub struct Header {
    /// `ProcessExecutionTime`: 処理実行日時.
    pub process_execution_time: Option<DateTime>,
    /// `QualificationConfirmationDate`: 資格確認日.
    pub qualification_confirmation_date: Option<Date>,
    /// `MedicalInstitutionCode`: 医療機関コード.
    pub medical_institution_code: Option<Text>,
    /// `ArbitraryFileIdentifier`: 任意のファイル識別子.
    pub arbitrary_file_identifier: Option<Text>,
    /// `ReferenceClassification`: 照会区分.
    pub reference_classification: Option<ReferenceClassification>,
    /// `SegmentOfResult`: 処理結果区分.
    pub segment_of_result: Option<SegmentOfResult>,
    /// `ErrorCode`: エラーコード.
    pub error_code: Option<Text>,
    /// `ErrorMessage`: エラーメッセージ.
    pub error_message: Option<Text>,
    /// `CharacterCodeIdentifier`: 文字コード識別.
    pub character_code_identifier: Option<CharacterCode>,
}

/// File-level status of a bulk result (the per-person ones are on each patient).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BulkInfo {
    /// `ReceptionNumber`: 受付番号 (bulk results).
    pub reception_number: Option<Text>,
    /// `ProcessingResultStatus`: 処理結果状況.
    pub processing_result_status: Option<ProcessingResultStatus>,
    /// `ProcessingResultCode`: 処理結果コード.
    pub processing_result_code: Option<Text>,
    /// `ProcessingResultMessage`: 処理結果メッセージ.
    pub processing_result_message: Option<Text>,
    /// `QualificationValidity`: 資格有効性.
    pub qualification_validity: Option<QualificationValidity>,
}

crate::spelled::spelled_enum! {
    /// Whether PMH 医療費助成 data came for a person. Absence never means "subsidy ended".
    /// More states may come: treat one you do not know as "not read whole".
    #[derive(Default)]
    #[non_exhaustive]
    pub enum PmhState {
        /// Subsidies present, and read whole.
        Received = "received",
        /// The PMH block is present without a certificate, or consent is `0`.
        ReceivedEmpty = "received_empty",
        /// No PMH element at all (older layout, 被保険者証 query, non-participating municipality).
        #[default]
        Absent = "absent",
        /// PMH data came that kohi did not read whole: a 公費負担者番号 under a name the layout
        /// does not know, or a 受給者番号 in a certificate it reads (an `unmapped_kohi_number`
        /// warning; the layout is provisional). `kohi`
        /// holds what was read, if anything; `kohi survey` proposes the names.
        ReceivedUnread = "received_unread",
    }
}

/// One person: the body of a single result, or one `BulkConfirmUnit`.
///
/// ```
/// use kohi::model::PmhState;
/// let doc = kohi::parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml"), &kohi::ParseOptions::default())?;
/// let patient = &doc.patients[0];
/// assert_eq!(patient.pmh, PmhState::Received); // "absent" would never mean "ended"
/// let slots: Vec<Option<u8>> = patient.kohi.iter().map(|k| k.slot).collect();
/// assert_eq!(slots, [Some(1), Some(2)]);
/// # Ok::<(), kohi::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Patient {
    /// 照会番号: of the bulk unit, or else of the first result that carries one.
    pub reference_number: Option<Personal<Text>>,
    /// `ProcessingResultStatus`: 処理結果状況.
    pub processing_result_status: Option<ProcessingResultStatus>,
    /// `ProcessingResultCode`: 処理結果コード.
    pub processing_result_code: Option<Text>,
    /// `ProcessingResultMessage`: 処理結果メッセージ.
    pub processing_result_message: Option<Text>,
    /// `QualificationValidity`: 資格有効性.
    pub qualification_validity: Option<QualificationValidity>,
    /// `PrescriptionIssueSelect`: 処方箋発行形態.
    pub prescription_issue_select: Option<PrescriptionIssueSelect>,
    /// Echo of the request (被保険者証 queries). Boxed, like the other blocks most results do not
    /// carry: absent, it costs a pointer instead of its ~280 bytes in every bulk unit.
    pub search_info: Option<Box<SearchInfo>>,
    /// `Qualifications`: the results (`ResultOfQualificationConfirmation`), in document order.
    pub qualifications: Vec<Qualification>,
    /// `Pmh`: whether PMH data came: received, received but empty, or absent (never "ended").
    pub pmh: PmhState,
    /// The 公費 for the レセプト, in 第1〜第4公費 order.
    pub kohi: Vec<KohiEntry>,
    /// A 公費負担者番号-shaped value came for this person under a name kohi does not read (an
    /// `unmapped_kohi_number` warning): `pmh` is `received_unread`.
    #[serde(skip)]
    pub(crate) unmapped_kohi_number: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
/// The request as echoed by a 被保険者証 query's answer (`SearchInfo`).
pub struct SearchInfo {
    /// `InsurerNumber`: 保険者番号.
    pub insurer_number: Option<CheckedNumber>,
    /// `InsuredCardSymbol`: 被保険者証記号.
    pub insured_card_symbol: Option<NumberText>,
    /// `InsuredIdentificationNumber`: 被保険者証番号.
    pub insured_identification_number: Option<NumberText>,
    /// `InsuredBranchNumber`: 被保険者証枝番.
    pub insured_branch_number: Option<NumberText>,
    /// `Birthdate`: 生年月日 (personal).
    pub birthdate: Option<Personal<Date>>,
    /// `LimitApplicationCertificateRelatedConsFlg`: 限度額適用認定証関連情報の提供同意.
    pub limit_application_certificate_related_cons_flg: Option<Consent>,
    /// `ArbitraryIdentifier`: 任意の識別子.
    pub arbitrary_identifier: Option<Text>,
    #[serde(skip)]
    pub(crate) path: String,
}

/// One `ResultOfQualificationConfirmation`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Qualification {
    /// `InsuredCardClassification`: 被保険者証区分.
    pub insured_card_classification: Option<InsuredCardClassification>,
    /// `InsurerNumber`: 保険者番号.
    pub insurer_number: Option<CheckedNumber>,
    /// `InsuredCardSymbol`: 被保険者証記号.
    pub insured_card_symbol: Option<NumberText>,
    /// `InsuredIdentificationNumber`: 被保険者証番号.
    pub insured_identification_number: Option<NumberText>,
    /// `InsuredBranchNumber`: 被保険者証枝番.
    pub insured_branch_number: Option<NumberText>,
    /// `PersonalFamilyClassification`: 本人・家族の別.
    pub personal_family_classification: Option<PersonalFamilyClassification>,
    /// `InsuredName`: 被保険者氏名 (世帯主氏名; personal).
    pub insured_name: Option<Personal<Text>>,
    /// `Name`: 氏名 (personal).
    pub name: Option<Personal<Text>>,
    /// `NameOfOther`: 氏名 (その他; personal).
    pub name_of_other: Option<Personal<Text>>,
    /// `NameKana`: 氏名カナ (personal).
    pub name_kana: Option<Personal<Text>>,
    /// `NameOfOtherKana`: 氏名カナ (その他; personal).
    pub name_of_other_kana: Option<Personal<Text>>,
    /// `Sex1`: 性別1.
    pub sex1: Option<Sex>,
    /// `Sex2`: 性別2.
    pub sex2: Option<Sex>,
    /// `Birthdate`: 生年月日 (personal).
    pub birthdate: Option<Personal<Date>>,
    /// `Address`: 住所 (personal).
    pub address: Option<Personal<Text>>,
    /// `PostNumber`: 郵便番号 (personal).
    pub post_number: Option<Personal<Text>>,
    /// `QualificationDate`: 資格取得年月日.
    pub qualification_date: Option<Date>,
    /// `DisqualificationDate`: 資格喪失年月日.
    pub disqualification_date: Option<Date>,
    /// `InsuredCertificateIssuanceDate`: 被保険者証交付年月日.
    pub insured_certificate_issuance_date: Option<Date>,
    /// `InsuredCardValidDate`: 被保険者証有効開始年月日.
    pub insured_card_valid_date: Option<Date>,
    /// `InsuredCardExpirationDate`: 被保険者証有効終了年月日.
    pub insured_card_expiration_date: Option<Date>,
    /// `InsuredPartialContributionRatio`: 一部負担金割合, as sent.
    pub insured_partial_contribution_ratio: Option<Text>,
    /// `PreschoolClassification`: 未就学区分.
    pub preschool_classification: Option<PreschoolClassification>,
    /// `ReasonOfLoss`: 資格喪失事由.
    pub reason_of_loss: Option<ReasonOfLoss>,
    /// `InsurerName`: 保険者名称.
    pub insurer_name: Option<Text>,
    /// Boxed: most results carry none (see `Patient::search_info`).
    pub elderly_recipient_certificate: Option<Box<ElderlyRecipientCertificate>>,
    /// Boxed: most results carry none (see `Patient::search_info`).
    pub limit_application_certificate: Option<Box<LimitApplicationCertificate>>,
    /// `SpecificDiseasesCertificates`: 特定疾病療養受療証 (one per `SpecificDiseasesCertificateInfo`).
    pub specific_diseases_certificates: Vec<SpecificDiseasesCertificate>,
    /// `ReferenceNumber`: 照会番号 (personal).
    pub reference_number: Option<Personal<Text>>,
    /// `ArbitraryIdentifier`: 任意の識別子.
    pub arbitrary_identifier: Option<Text>,
    /// `QualificationConfirmationKey`: seen in real face results, meaning not published; kept
    /// as sent.
    pub qualification_confirmation_key: Option<Personal<Text>>,
    /// The 医療扶助 details (公費負担者番号 and 受給者番号 sent apart, 福祉事務所, 医療券). Only
    /// 医療扶助 results carry them, so they are one boxed block like the consents: absent, a
    /// pointer instead of 176 bytes in every unit of a bulk file. Read them through
    /// [`Qualification::medical_aid_details`]; JSON and the bindings show them as fields of the
    /// result, in the contract's places.
    pub medical_aid_block: Option<Box<MedicalAidDetails>>,
    /// PMH certificates; `None` when the list element is absent, `Some([])` when empty.
    pub medical_subsidies: Option<Vec<MedicalSubsidy>>,
    /// The consent answers and their times. Only マイナンバーカード results carry them, so they
    /// are one boxed block: absent, it costs a pointer instead of 528 bytes in every 被保険者証
    /// unit of a bulk file. Read them through [`Qualification::consents`]; JSON and the bindings
    /// show them as fields of the result, in the contract's places.
    pub consent_block: Option<Box<Consents>>,
    /// Where the result is, for warnings: empty unless a warning or 公費 entry will need it
    /// (see `Builder::close_result`).
    pub(crate) path: String,
    /// Made for PMH data placed at the person level before any result; merged into the
    /// person's first result read from the file.
    pub(crate) holder: bool,
}

impl Qualification {
    /// Whether the result is 医療扶助 (被保険者証区分 `A1`).
    pub fn is_medical_aid(&self) -> bool {
        self.insured_card_classification == Some(InsuredCardClassification::MedicalAid)
    }

    /// Whether any PMH element came with this result.
    pub fn has_pmh_block(&self) -> bool {
        let c = self.consents();
        self.medical_subsidies.is_some()
            || c.medical_subsidy_cons_flg.is_some()
            || c.medical_subsidy_cons_time.is_some()
    }

    /// The consent answers, or an empty block when none came.
    pub fn consents(&self) -> &Consents {
        static NONE: LazyLock<Consents> = LazyLock::new(Consents::default);
        self.consent_block.as_deref().unwrap_or(&NONE)
    }

    /// The 医療扶助 details, or an empty block when none came.
    pub fn medical_aid_details(&self) -> &MedicalAidDetails {
        static NONE: LazyLock<MedicalAidDetails> = LazyLock::new(MedicalAidDetails::default);
        self.medical_aid_block.as_deref().unwrap_or(&NONE)
    }

    /// The 医療扶助 block to fill, made on first use.
    pub(crate) fn medical_aid_details_mut(&mut self) -> &mut MedicalAidDetails {
        self.medical_aid_block.get_or_insert_with(Default::default)
    }

    /// The consent block to fill, made on first use.
    pub(crate) fn consents_mut(&mut self) -> &mut Consents {
        self.consent_block.get_or_insert_with(Default::default)
    }
}

/// Every value of a qualification the contract and the bindings show, in the contract's
/// order: `attribute = owner.field: kind`, where the owner is `q` (the result), `c` (its
/// consent block) or `m` (its 医療扶助 block), and the kind says how to show it. The JSON has
/// the attributes whose kind is not an extra view (`*_raw`, `*_valid`); the bindings show them all. Declared once: the
/// JSON (below), Python's attributes and Node's objects are all expanded from these rows by
/// `kohi::qualification_fields!(callback)`.
#[macro_export]
macro_rules! qualification_fields {
    ($callback:ident) => {
        $callback! {
            insured_card_classification = q.insured_card_classification: code,
            insurer_number = q.insurer_number: checked,
            insurer_number_raw = q.insurer_number: checked_raw,
            insurer_number_valid = q.insurer_number: checked_valid,
            insured_card_symbol = q.insured_card_symbol: number,
            insured_card_symbol_raw = q.insured_card_symbol: number_raw,
            insured_identification_number = q.insured_identification_number: number,
            insured_identification_number_raw = q.insured_identification_number: number_raw,
            insured_branch_number = q.insured_branch_number: number,
            insured_branch_number_raw = q.insured_branch_number: number_raw,
            personal_family_classification = q.personal_family_classification: code,
            insured_name = q.insured_name: personal,
            name = q.name: personal,
            name_of_other = q.name_of_other: personal,
            name_kana = q.name_kana: personal,
            name_of_other_kana = q.name_of_other_kana: personal,
            sex1 = q.sex1: code,
            sex2 = q.sex2: code,
            birthdate = q.birthdate: personal_date,
            birthdate_raw = q.birthdate: personal_date_raw,
            address = q.address: personal,
            post_number = q.post_number: personal,
            qualification_date = q.qualification_date: date,
            disqualification_date = q.disqualification_date: date,
            insured_certificate_issuance_date = q.insured_certificate_issuance_date: date,
            insured_card_valid_date = q.insured_card_valid_date: date,
            insured_card_expiration_date = q.insured_card_expiration_date: date,
            insured_partial_contribution_ratio = q.insured_partial_contribution_ratio: text,
            preschool_classification = q.preschool_classification: code,
            reason_of_loss = q.reason_of_loss: code,
            insurer_name = q.insurer_name: text,
            elderly_recipient_certificate = q.elderly_recipient_certificate: json_object,
            limit_application_certificate_related_cons_flg = c.limit_application_certificate_related_cons_flg: code,
            limit_application_certificate_related_cons_time = c.limit_application_certificate_related_cons_time: date_time,
            limit_application_certificate = q.limit_application_certificate: json_object,
            specific_diseases_certificate_related_cons_flg = c.specific_diseases_certificate_related_cons_flg: code,
            specific_diseases_certificate_related_cons_time = c.specific_diseases_certificate_related_cons_time: date_time,
            specific_diseases_certificates = q.specific_diseases_certificates: json_list,
            specific_health_checkups_info_cons_flg = c.specific_health_checkups_info_cons_flg: code,
            specific_health_checkups_info_cons_time = c.specific_health_checkups_info_cons_time: date_time,
            specific_health_checkups_info_available_time = c.specific_health_checkups_info_available_time: date_time,
            pharmacists_info_cons_flg = c.pharmacists_info_cons_flg: code,
            pharmacists_info_cons_time = c.pharmacists_info_cons_time: date_time,
            pharmacists_info_available_time = c.pharmacists_info_available_time: date_time,
            diagnosis_info_cons_flg = c.diagnosis_info_cons_flg: code,
            diagnosis_info_cons_time = c.diagnosis_info_cons_time: date_time,
            diagnosis_info_available_time = c.diagnosis_info_available_time: date_time,
            operation_info_cons_flg = c.operation_info_cons_flg: code,
            operation_info_cons_time = c.operation_info_cons_time: date_time,
            operation_info_available_time = c.operation_info_available_time: date_time,
            reference_number = q.reference_number: personal,
            arbitrary_identifier = q.arbitrary_identifier: text,
            qualification_confirmation_key = q.qualification_confirmation_key: personal,
            public_expense_number = m.public_expense_number: checked,
            beneficiary_number = m.beneficiary_number: number,
            welfare_office_name = m.welfare_office_name: text,
            number_of_medical_tickets = m.number_of_medical_tickets: text,
            medical_tickets = m.medical_tickets: json_list,
            medical_subsidy_cons_flg = c.medical_subsidy_cons_flg: code,
            medical_subsidy_cons_time = c.medical_subsidy_cons_time: date_time,
            medical_subsidies = q.medical_subsidies: json_list_or_null,
        }
    };
}

/// The owner of a row (`q.`, `c.` or `m.`) of the qualification `$q`: for callbacks of
/// [`qualification_fields!`].
#[macro_export]
#[doc(hidden)]
macro_rules! qualification_owner {
    (q, $q:expr) => {
        $q
    };
    (c, $q:expr) => {
        $q.consents()
    };
    (m, $q:expr) => {
        $q.medical_aid_details()
    };
}

impl Serialize for Qualification {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // One flat object, in the contract's key order, the consent fields among the others.
        let q = self;
        // How many keys: the rows that are not an extra view.
        macro_rules! count {
            (checked_raw) => {
                0
            };
            (checked_valid) => {
                0
            };
            (number_raw) => {
                0
            };
            (personal_date_raw) => {
                0
            };
            ($kind:ident) => {
                1
            };
        }
        macro_rules! keys {
            ($($attr:ident = $owner:ident . $field:ident : $kind:ident,)+) => { 0 $(+ count!($kind))+ };
        }
        let mut out = serializer.serialize_struct("Qualification", qualification_fields!(keys))?;
        macro_rules! field {
            ($kind:ident, $name:ident, $value:expr) => {
                if count!($kind) == 1 {
                    out.serialize_field(stringify!($name), $value)?
                }
            };
        }
        macro_rules! json {
            ($($attr:ident = $owner:ident . $field:ident : $kind:ident,)+) => {
                $(field!($kind, $attr, &$crate::qualification_owner!($owner, q).$field);)+
            };
        }
        qualification_fields!(json);
        out.end()
    }
}

/// The 医療扶助 details of one result (see [`Qualification::medical_aid_block`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MedicalAidDetails {
    /// 医療扶助: 公費負担者番号 when sent apart from `InsurerNumber` (unconfirmed name).
    pub public_expense_number: Option<CheckedNumber>,
    /// 医療扶助: 受給者番号 when sent apart from `InsuredIdentificationNumber` (unconfirmed name).
    pub beneficiary_number: Option<NumberText>,
    /// `WelfareOfficeName`: 医療扶助: 福祉事務所名.
    pub welfare_office_name: Option<Text>,
    /// 医療扶助: how many 医療券 the result says there are, as sent.
    pub number_of_medical_tickets: Option<Text>,
    /// `PublicExpenseResultList/MedicalTicketInfo*`.
    pub medical_tickets: Vec<MedicalTicket>,
}

/// The consent answers of one result (see [`Qualification::consent_block`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Consents {
    /// `LimitApplicationCertificateRelatedConsFlg`: 限度額適用認定証関連情報の提供同意.
    pub limit_application_certificate_related_cons_flg: Option<Consent>,
    /// `LimitApplicationCertificateRelatedConsTime`: 限度額適用認定証関連情報の提供同意日時.
    pub limit_application_certificate_related_cons_time: Option<DateTime>,
    /// `SpecificDiseasesCertificateRelatedConsFlg`: 特定疾病療養受療証情報の提供同意.
    pub specific_diseases_certificate_related_cons_flg: Option<ViewingConsent>,
    /// `SpecificDiseasesCertificateRelatedConsTime`: 特定疾病療養受療証情報の提供同意日時.
    pub specific_diseases_certificate_related_cons_time: Option<DateTime>,
    /// `SpecificHealthCheckupsInfoConsFlg`: 特定健診情報の閲覧同意.
    pub specific_health_checkups_info_cons_flg: Option<ViewingConsent>,
    /// `SpecificHealthCheckupsInfoConsTime`: 特定健診情報の閲覧同意日時.
    pub specific_health_checkups_info_cons_time: Option<DateTime>,
    /// `SpecificHealthCheckupsInfoAvailableTime`: 特定健診情報の閲覧有効期限.
    pub specific_health_checkups_info_available_time: Option<DateTime>,
    /// `PharmacistsInfoConsFlg`: 薬剤情報の閲覧同意.
    pub pharmacists_info_cons_flg: Option<ViewingConsent>,
    /// `PharmacistsInfoConsTime`: 薬剤情報の閲覧同意日時.
    pub pharmacists_info_cons_time: Option<DateTime>,
    /// `PharmacistsInfoAvailableTime`: 薬剤情報の閲覧有効期限.
    pub pharmacists_info_available_time: Option<DateTime>,
    /// `DiagnosisInfoConsFlg`: 診療情報の閲覧同意.
    pub diagnosis_info_cons_flg: Option<ViewingConsent>,
    /// `DiagnosisInfoConsTime`: 診療情報の閲覧同意日時.
    pub diagnosis_info_cons_time: Option<DateTime>,
    /// `DiagnosisInfoAvailableTime`: 診療情報の閲覧有効期限.
    pub diagnosis_info_available_time: Option<DateTime>,
    /// `OperationInfoConsFlg`: 手術情報の閲覧同意.
    pub operation_info_cons_flg: Option<ViewingConsent>,
    /// `OperationInfoConsTime`: 手術情報の閲覧同意日時.
    pub operation_info_cons_time: Option<DateTime>,
    /// `OperationInfoAvailableTime`: 手術情報の閲覧有効期限.
    pub operation_info_available_time: Option<DateTime>,
    /// PMH consent (provisional name).
    pub medical_subsidy_cons_flg: Option<Consent>,
    /// `MedicalSubsidyConsTime`: 医療費助成 (PMH) 情報の提供同意日時.
    pub medical_subsidy_cons_time: Option<DateTime>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
/// 高齢受給者証 (`ElderlyRecipientCertificateInfo`).
pub struct ElderlyRecipientCertificate {
    /// `CertificateDate`: 交付年月日.
    pub certificate_date: Option<Date>,
    /// `ValidStartDate`: 有効開始年月日.
    pub valid_start_date: Option<Date>,
    /// `ValidEndDate`: 有効終了年月日.
    pub valid_end_date: Option<Date>,
    /// Percent as sent (`020` = 2割).
    pub contribution_ratio: Option<Text>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
/// 限度額適用認定証 (`LimitApplicationCertificateRelatedInfo`).
pub struct LimitApplicationCertificate {
    /// `Classification`: 限度額適用認定証 区分.
    pub classification: Option<LimitCertificateClassification>,
    /// `ClassificationFlag`: 限度額適用認定証 適用区分の別.
    pub classification_flag: Option<LimitCertificateFlag>,
    /// `CertificateDate`: 交付年月日.
    pub certificate_date: Option<Date>,
    /// `ValidStartDate`: 有効開始年月日.
    pub valid_start_date: Option<Date>,
    /// `ValidEndDate`: 有効終了年月日.
    pub valid_end_date: Option<Date>,
    /// `LongTermDate`: 長期入院該当年月日.
    pub long_term_date: Option<Date>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
/// 特定疾病療養受療証 (`SpecificDiseasesCertificateInfo`).
pub struct SpecificDiseasesCertificate {
    /// `DiseaseCategory`: 特定疾病区分.
    pub disease_category: Option<SpecificDiseaseCategory>,
    /// `CertificateDate`: 交付年月日.
    pub certificate_date: Option<Date>,
    /// `ValidStartDate`: 有効開始年月日.
    pub valid_start_date: Option<Date>,
    /// `ValidEndDate`: 有効終了年月日.
    pub valid_end_date: Option<Date>,
    /// 月額自己負担限度額 (円), as sent.
    pub self_pay: Option<Text>,
}

/// 医療券・調剤券.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MedicalTicket {
    /// `TicketType`: 医療券・調剤券の別.
    pub ticket_type: Option<TicketType>,
    /// `MedicalTicketValidDate`: 有効開始年月日.
    pub medical_ticket_valid_date: Option<Date>,
    /// `MedicalTicketExpirationDate`: 有効終了年月日.
    pub medical_ticket_expiration_date: Option<Date>,
    /// `IssueNumber`: 交付番号 (personal).
    pub issue_number: Option<Personal<Text>>,
    /// 診療年月 `YYYYMM`, as sent.
    pub medical_treatment_month: Option<Text>,
    /// `DesignatedMedicalInstitutionCode`: 指定医療機関コード.
    pub designated_medical_institution_code: Option<Text>,
    /// `DesignatedMedicalInstitutionFlag`: 指定医療機関の別.
    pub designated_medical_institution_flag: Option<DesignatedInstitutionFlag>,
    /// `DesignatedMedicalInstitutionName`: 指定医療機関名.
    pub designated_medical_institution_name: Option<Text>,
    /// `PrescriptionIssuerMedicalInstitutionCode`: 処方箋発行医療機関コード.
    pub prescription_issuer_medical_institution_code: Option<Text>,
    /// `PrescriptionIssuerMedicalInstitutionName`: 処方箋発行医療機関名.
    pub prescription_issuer_medical_institution_name: Option<Text>,
    /// `InjuryName1`: 傷病名1 (personal).
    pub injury_name1: Option<Personal<Text>>,
    /// `InjuryName2`: 傷病名2 (personal).
    pub injury_name2: Option<Personal<Text>>,
    /// `InjuryName3`: 傷病名3 (personal).
    pub injury_name3: Option<Personal<Text>>,
    /// `MedicalTreatmentType`: 診療区分.
    pub medical_treatment_type: Option<MedicalTreatmentType>,
    /// 本人支払額 (円), as sent.
    pub self_pay_amount: Option<Text>,
    /// `DistrictContactName`: 地区担当員名 (personal).
    pub district_contact_name: Option<Personal<Text>>,
    /// `HandlingContactName`: 取扱担当者名 (personal).
    pub handling_contact_name: Option<Personal<Text>>,
    /// `SingleOrCombinedUse`: 単独・併用の別.
    pub single_or_combined_use: Option<SingleOrCombinedUse>,
    /// OQSCD021–025: labels not in our reference, kept as sent.
    pub status_of_social_insurance: Option<Text>,
    /// `ConsistencyFlag`: OQSCD021–025 family: as sent.
    pub consistency_flag: Option<Text>,
    /// `StatusOfInfection`: 感染症の状況, as sent.
    pub status_of_infection: Option<Text>,
    /// `StatusOfElderlyMedicalCare`: 後期高齢者医療の状況, as sent.
    pub status_of_elderly_medical_care: Option<Text>,
    /// `StatusOfPrefecturalExpenses`: 都道府県負担の状況, as sent.
    pub status_of_prefectural_expenses: Option<Text>,
    /// `Remarks1`: 備考1 (personal).
    pub remarks1: Option<Personal<Text>>,
    /// `Remarks2`: 備考2 (personal).
    pub remarks2: Option<Personal<Text>>,
    /// `Remarks3`: 備考3 (personal).
    pub remarks3: Option<Personal<Text>>,
}

/// One PMH 医療費助成 受給者証 (provisional layout, docs/DOMAIN.md §3.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MedicalSubsidy {
    /// 公費負担者番号.
    pub insurer_number: Option<NumberText>,
    /// 受給者番号: 7 digits for national programs, free text (≤30) for 地方単独.
    pub recipient_number: Option<NumberText>,
    /// `CertificationName`: 受給者証の名称.
    pub certification_name: Option<Text>,
    /// `CertificationSubKey`: 受給者証の枝番 (the same numbers on two certificates).
    pub certification_sub_key: Option<Text>,
    /// `Segment`: 区分, as sent.
    pub segment: Option<Text>,
    /// `IncomeSegment`: 所得区分, as sent.
    pub income_segment: Option<Text>,
    /// `項目コード-条件コード;…`, as sent.
    pub additional_conditions: Option<Text>,
    /// `DesignatedMedicalInstitutions`: 指定医療機関, as sent.
    pub designated_medical_institutions: Option<Text>,
    /// `AlwaysReimbursement`: 常に償還払い (the flag).
    pub always_reimbursement: Option<AlwaysReimbursement>,
    /// `MaxCopayment`: 自己負担上限額.
    pub max_copayment: Option<MaxCopayment>,
    /// `ValidStartDate`: 有効開始年月日.
    pub valid_start_date: Option<Date>,
    /// `ValidEndDate`: 有効終了年月日.
    pub valid_end_date: Option<Date>,
    #[serde(skip)]
    pub(crate) path: String,
}

/// 自己負担上限額: a yen amount as text, or children whose schema is unknown (all kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MaxCopayment {
    /// The amount in yen as ASCII digits, when the text is one (`5,000円` → `5000`).
    pub amount: Option<Text>,
    /// The element's own text, as sent.
    pub raw: Option<Text>,
    /// Child elements, by name, in document order.
    pub items: Vec<NamedValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
/// A child element kept by name.
pub struct NamedValue {
    /// `Name`: 氏名 (personal).
    pub name: Text,
    /// Its text, as sent.
    pub value: Text,
}

/// An element (or `@attribute`) kohi does not know, kept whole. Its text may be personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownElement {
    /// Where: the element path (never the value).
    pub path: String,
    /// Its text as sent (may be personal).
    pub text: Personal<String>,
}

/// Something worth a look that did not stop the parse. Says where, never what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// What.
    pub code: WarningCode,
    /// Where: the element path (never the value).
    pub path: String,
}

impl Warning {
    /// A warning about the child `name` of the element at `parent`, its path made at its length:
    /// `format!("{parent}/{name}")` starts empty and grows on the way (an allocation and a
    /// reallocation, a third of it left unused), and every 医療扶助 unit of a bulk file with a
    /// 受給者番号 that fails its check made one.
    pub(crate) fn under(code: WarningCode, parent: &str, name: &str) -> Self {
        let mut path = String::with_capacity(parent.len() + 1 + name.len());
        path.push_str(parent);
        path.push('/');
        path.push_str(name);
        Warning { code, path }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
/// What a warning is about; the snake_case code is stable.
pub enum WarningCode {
    /// 公費負担者番号 fails its 検証番号 or is not 8 digits.
    PayerCheckDigit,
    /// A national 受給者番号 fails its 検証番号 or is not 7 digits.
    RecipientCheckDigit,
    /// 保険者番号 fails its 検証番号 or is not 6/8 digits.
    InsurerCheckDigit,
    /// A date or time stamp that is not a real one; the text is kept.
    InvalidDate,
    /// A code value outside its list; kept as sent.
    UnknownCode,
    /// An element or attribute the layout does not know; kept in `unknown_elements`.
    UnknownElement,
    /// A fifth or later 公費: no レセプト slot.
    SlotOverflow,
    /// The same leaf twice in one block: the first is used, the second kept in `unknown_elements`.
    DuplicateElement,
    /// The same certificate (every field equal) twice: listed once.
    DuplicateKohi,
    /// The document declares one encoding and its header `CharacterCodeIdentifier` another.
    EncodingMismatch,
    /// Another certificate with the same (公費負担者番号, 受給者番号) but another period, cap or
    /// segment (a renewal): this one is not valid on the confirmation date and takes no slot.
    RenewedKohi,
    /// A field's text is split by child elements: not used (no glued value), kept in
    /// `unknown_elements`.
    MixedContent,
    /// An element the layout does not know holds a value shaped like a 公費負担者番号 (8 digits,
    /// check digit ok, a 公費 法別), or, inside a certificate, like a national 受給者番号 (7
    /// digits, check digit ok): PMH data under a name or in a place the layout does not know
    /// yet. `kohi survey` proposes the layout file that reads it.
    UnmappedKohiNumber,
    /// A result's 保険者番号 has 法別 12 (生活保護) but its `InsuredCardClassification` is not
    /// `A1`: it is mapped as insurance, not as 医療扶助. Worth a look.
    MedicalAidUnmarked,
    /// Two results of one person are identical: both are kept, but which one the terminal meant
    /// is ambiguous.
    DuplicateResult,
    /// A 公費 that takes its place among the slotted ones (no renewal beside it, or the current
    /// one of its renewals) whose period does not hold the 資格確認日 (it ended before, or
    /// starts after): it keeps its slot, as sent; check it before billing with it.
    KohiOutsidePeriod,
    /// Streaming only: the unit was completed before `MessageHeader` was read (the file's header
    /// comes after more than 256 of its units), so its renewals and 公費 periods were judged
    /// without the 資格確認日. The whole-file parse judges them with it.
    HeaderAfterUnits,
}

impl WarningCode {
    /// The snake_case code the JSON and every binding use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PayerCheckDigit => "payer_check_digit",
            Self::RecipientCheckDigit => "recipient_check_digit",
            Self::InsurerCheckDigit => "insurer_check_digit",
            Self::InvalidDate => "invalid_date",
            Self::UnknownCode => "unknown_code",
            Self::UnknownElement => "unknown_element",
            Self::SlotOverflow => "slot_overflow",
            Self::DuplicateElement => "duplicate_element",
            Self::DuplicateKohi => "duplicate_kohi",
            Self::EncodingMismatch => "encoding_mismatch",
            Self::RenewedKohi => "renewed_kohi",
            Self::MixedContent => "mixed_content",
            Self::UnmappedKohiNumber => "unmapped_kohi_number",
            Self::MedicalAidUnmarked => "medical_aid_unmarked",
            Self::DuplicateResult => "duplicate_result",
            Self::KohiOutsidePeriod => "kohi_outside_period",
            Self::HeaderAfterUnits => "header_after_units",
        }
    }
}

crate::spelled::spelled_enum! {
    /// Where a 公費 came from.
    pub enum KohiSource {
        /// PMH 医療費助成.
        Pmh = "pmh",
        /// 医療扶助 (生活保護), from an `A1` result.
        MedicalAid = "medical_aid",
    }
}

crate::spelled::spelled_enum! {
    /// Whether a 公費 is a national program or 地方単独 (a municipal one).
    pub enum Scope {
        /// The 法別 is in the national table.
        National = "national",
        /// 地方単独: anything else.
        Local = "local",
    }
}

crate::spelled::spelled_enum! {
    /// Where a certificate stands among others with the same numbers (a renewal).
    pub enum Renewal {
        /// Valid on the confirmation date (else the most recent one): it takes the slot.
        Current = "current",
        /// Ended before the confirmation date, or an older one overlapping the current one.
        Superseded = "superseded",
        /// Starts after the confirmation date.
        NotYetValid = "not_yet_valid",
    }
}

/// One 公費 as a レセコン fills it in.
///
/// ```
/// let doc = kohi::parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml"), &kohi::ParseOptions::default())?;
/// let k = &doc.patients[0].kohi[0];
/// assert_eq!(k.slot, Some(1)); // 第1公費
/// assert_eq!(k.law_number.as_deref(), Some("52")); // 法別番号
/// // Personal values are read explicitly, never by accident (Debug shows <redacted>).
/// assert_eq!(k.payer_number.as_ref().map(|n| n.expose().as_str()), Some("52136017"));
/// assert_eq!(k.recipient_number.as_ref().map(|n| n.expose().as_str()), Some("1234566"));
/// assert_eq!(k.valid_to.as_ref().map(|d| d.raw.as_ref()), Some("20260331"));
/// assert_eq!(k.scope, kohi::model::Scope::National);
/// # Ok::<(), kohi::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct KohiEntry {
    /// 1–4, or `None` past the fourth.
    pub slot: Option<u8>,
    /// Where it came from: PMH 医療費助成 or 医療扶助.
    pub source: KohiSource,
    /// 法別番号: the first two digits of the 公費負担者番号.
    pub law_number: Option<Text>,
    /// 都道府県番号: digits 3–4 of the 公費負担者番号.
    pub prefecture_number: Option<Text>,
    /// 実施機関番号: digits 5–7 of the 公費負担者番号.
    pub agency_number: Option<Text>,
    /// 公費負担者番号, normalised (8 ASCII digits when valid).
    pub payer_number: Option<Personal<Text>>,
    /// 公費負担者番号 as sent.
    pub payer_number_raw: Option<Personal<Text>>,
    /// `None` when no number came.
    pub payer_number_valid: Option<bool>,
    /// 受給者番号, normalised (half-width, no padding).
    pub recipient_number: Option<Personal<Text>>,
    /// 受給者番号 as sent.
    pub recipient_number_raw: Option<Personal<Text>>,
    /// National: the 7-digit check. 地方単独 (free text): `None`, no verdict.
    pub recipient_number_valid: Option<bool>,
    /// National (法別 in the national table) or 地方単独.
    pub scope: Scope,
    /// The program (制度) named by the 法別番号, from the national table; `None` for 地方単独.
    #[serde(serialize_with = "crate::text::serialize_static")]
    pub program: Option<&'static str>,
    /// The 受給者証's name as sent (`CertificationName`).
    pub certificate_name: Option<Text>,
    /// 有効開始年月日.
    pub valid_from: Option<Date>,
    /// 有効終了年月日.
    pub valid_to: Option<Date>,
    /// `IncomeSegment`: 所得区分, as sent.
    pub income_segment: Option<Text>,
    /// `MaxCopayment`: 自己負担上限額.
    pub max_copayment: Option<MaxCopayment>,
    /// `None` when the flag is absent or not `0`/`1`.
    pub always_reimbursement: Option<bool>,
    /// `Segment`: 区分, as sent.
    pub segment: Option<Text>,
    /// `CertificationSubKey`: 受給者証の枝番 (the same numbers on two certificates).
    pub certification_sub_key: Option<Text>,
    /// 追加条件 `項目コード-条件コード;…`, as sent.
    pub additional_conditions: Option<Text>,
    /// `DesignatedMedicalInstitutions`: 指定医療機関, as sent.
    pub designated_medical_institutions: Option<Text>,
    /// 医療扶助: 福祉事務所名.
    pub welfare_office_name: Option<Text>,
    /// Where the entry came from in the document.
    pub path: String,
    /// `None` unless another certificate has the same numbers (see [`Renewal`]).
    pub renewal: Option<Renewal>,
}

impl KohiEntry {
    /// The (公費負担者番号, 受給者番号) identity used for de-duplication and reconcile.
    pub fn key(&self) -> (Option<&str>, Option<&str>) {
        (
            self.payer_number.as_ref().map(|p| p.expose().as_str()),
            self.recipient_number.as_ref().map(|r| r.expose().as_str()),
        )
    }

    /// A renewal that is not the current certificate: no slot.
    pub fn is_replaced(&self) -> bool {
        matches!(self.renewal, Some(Renewal::Superseded | Renewal::NotYetValid))
    }
}

/// One patient, with what the file said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamedPatient {
    /// The patient.
    pub patient: Patient,
    /// Warnings inside this patient's bulk unit; for a single result (one person), all of the
    /// file's. The file's own (a bulk file's header and status) are in
    /// [`PatientReader::remainder`](crate::PatientReader::remainder).
    pub warnings: Vec<Warning>,
    /// Unknown elements inside this patient's bulk unit; for a single result, all of the file's.
    pub unknown_elements: Vec<UnknownElement>,
}

impl StreamedPatient {
    /// A one-patient document (with the header read so far), so the same readers, getters and
    /// JSON contract serve streamed patients too.
    pub fn into_document(self, encoding: Encoding, header: Header) -> Document {
        Document {
            encoding,
            header,
            patients: vec![self.patient],
            unknown_elements: self.unknown_elements,
            warnings: self.warnings,
            bulk: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written JSON form of dates and times is chrono's `%Y-%m-%d` / `…T%H:%M:%S`, for
    /// every year four digits can spell (every day of some, the ends of the range).
    #[test]
    fn json_dates_and_times_are_chrono_s_format() {
        let days = (0..=9999).step_by(7).flat_map(|y| [(y, 1, 1), (y, 12, 31)]).chain([
            (2024, 2, 29),
            (0, 1, 1),
            (9999, 12, 31),
        ]);
        for (y, m, d) in days {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let json = serde_json::to_string(&Date { raw: "x".into(), value: Some(date) }).unwrap();
            assert_eq!(json, format!("\"{}\"", date.format("%Y-%m-%d")));
            for (h, min, s) in [(0, 0, 0), (9, 5, 7), (23, 59, 59)] {
                let time = date.and_hms_opt(h, min, s).unwrap();
                let json = serde_json::to_string(&DateTime { raw: "x".into(), value: Some(time) }).unwrap();
                assert_eq!(json, format!("\"{}\"", time.format("%Y-%m-%dT%H:%M:%S")));
            }
        }
    }

    #[test]
    fn dates() {
        assert_eq!(Date::parse("20250604").value, NaiveDate::from_ymd_opt(2025, 6, 4));
        assert_eq!(Date::parse("2025-06-04").value, NaiveDate::from_ymd_opt(2025, 6, 4));
        assert_eq!(Date::parse("20250230").value, None);
        assert_eq!(Date::parse("2025064").value, None);
        // Slashes, dots, one-digit months and days, full-width digits, 和暦, 年月日, a date
        // and time: the same day.
        for text in [
            "2025/06/04",
            "2025/6/4",
            "2025-6-04",
            "2025.6.4",
            "２０２５０６０４",
            "２０２５／０６／０４",
            "２０２５－６－４",
            "R7/06/04",
            "令和7年6月4日",
            "２０２５年６月４日",
            "2025-06-04T00:00:00+09:00",
        ] {
            assert_eq!(Date::parse(text).value, NaiveDate::from_ymd_opt(2025, 6, 4), "{text}");
            assert_eq!(serde_json::to_string(&Date::parse(text)).unwrap(), "\"2025-06-04\"", "{text}");
            assert_eq!(Date::parse(text).raw, text, "the text as sent is kept");
        }
        // Not dates: mixed separators, three-digit parts, a part missing or one too many, a
        // two-digit year, a sign, an era kohi does not know, not a real day.
        for text in [
            "2025/06-04",
            "2025/006/04",
            "2025/06",
            "2025/06/04/01",
            "25/06/04",
            "2025/+6/04",
            "2025//06",
            "Q7/06/04",
            "平和7年6月4日",
            "2025/06/31",
            "2025/13/01",
            "２０２５年６月３１日",
        ] {
            assert_eq!(Date::parse(text).value, None, "{text}");
        }
        assert_eq!(serde_json::to_string(&Date::parse("20250230")).unwrap(), "\"20250230\"");
        assert_eq!(serde_json::to_string(&Date::parse(" 20250604 ")).unwrap(), "\"2025-06-04\"");
        let t = DateTime::parse("20250604101540");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2025-06-04T10:15:40\"");
        assert_eq!(DateTime::parse("20250604106040").value, None);
    }

    #[test]
    fn warning_codes_serialize_as_their_names() {
        for code in [WarningCode::PayerCheckDigit, WarningCode::SlotOverflow, WarningCode::EncodingMismatch] {
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{}\"", code.as_str()));
        }
    }

    /// The sizes the memory figures rest on (docs/BENCHMARKS.md: a bulk file parsed whole
    /// holds one `Patient` and one `Qualification` per unit). A field added unboxed to either
    /// grows every unit of every bulk file: this makes that a decision, not an accident.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn model_sizes_per_bulk_unit() {
        use std::mem::size_of;
        assert_eq!(size_of::<Patient>(), 208);
        assert_eq!(size_of::<Qualification>(), 872);
        assert_eq!(size_of::<CheckedNumber>(), 40);
        assert_eq!(size_of::<Option<Date>>(), 32);
        assert_eq!(size_of::<Option<Text>>(), 24);
        assert_eq!(size_of::<KohiEntry>(), 520);
        assert_eq!(size_of::<MedicalSubsidy>(), 392);
    }
}
