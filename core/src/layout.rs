//! The layout: every element name kohi knows, in ONE table.
//!
//! Names follow 別紙3-1 XMLレイアウト仕様 as reconstructed in `docs/DOMAIN.md` §2. The PMH
//! 医療費助成 names (§3.5) are the project's **provisional** guesses, marked as such: the
//! official ones are not public, and neither is where PMH data sits. When a vendor holds the
//! real layout (or `kohi survey` has proposed one from a real file), a layout file fixes names
//! *and places* at run time, without a release (see [`Layout::from_json`]). The older alias table
//! (JSON: canonical name → extra names) is the `rename` part of it and keeps working alone.
//! Element order is never assumed: lookup is by (context, name).

use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};

/// Where an element sits: the parent whose children are being looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ctx {
    /// Before the root element.
    Document,
    /// `XmlMsg`, the root.
    XmlMsg,
    /// `MessageHeader`.
    Header,
    /// `MessageBody` of a single result: the body is the patient.
    Body,
    /// `MessageBody/BulkConfirmUnit`: one patient of a bulk result.
    Unit,
    /// Table-only: rows that apply under both `MessageBody` and `BulkConfirmUnit`.
    Person,
    /// `SearchInfo`: the echo of a request.
    SearchInfo,
    /// `ResultList`: the results of one person.
    ResultList,
    /// `ResultOfQualificationConfirmation`: one result.
    Result,
    /// `ElderlyRecipientCertificateInfo`.
    Elderly,
    /// `LimitApplicationCertificateRelatedInfo`.
    Limit,
    /// `SpecificDiseasesCertificateList`.
    SpecificList,
    /// `SpecificDiseasesCertificateInfo`.
    Specific,
    /// `PublicExpenseResultList`: 医療扶助 data.
    PublicExpenseList,
    /// One 医療券・調剤券 (`MedicalTicketInfo`).
    Ticket,
    /// `MedicalSubsidyCertificateList`: the PMH 受給者証 of one result.
    SubsidyList,
    /// `MedicalSubsidyCertificateInfo`: one PMH 受給者証.
    Subsidy,
    /// `MaxCopaymentAmount` children: sub-schema unknown, every child is kept by name.
    MaxCopay,
}

const CTX_COUNT: usize = Ctx::MaxCopay as usize + 1;

/// What an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    /// An element with children, read in this context.
    Container(Ctx),
    /// An element with text: one field.
    Leaf(Field),
    /// A wrapper a layout file declared: its children are read as if they sat in its parent.
    Wrapper,
}

macro_rules! fields {
    ($($group:ident { $($name:ident),+ $(,)? })+) => {
        $(
            #[doc = concat!("The leaf elements of one context (`", stringify!($group), "`), each named as its element.")]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum $group { $(#[doc = concat!("`", stringify!($name), "`.")] $name),+ }
        )+
    };
}

fields! {
    HeaderField {
        ProcessExecutionTime, QualificationConfirmationDate, MedicalInstitutionCode,
        ArbitraryFileIdentifier, ReferenceClassification, SegmentOfResult, ErrorCode,
        ErrorMessage, CharacterCodeIdentifier,
    }
    PersonField {
        ReferenceNumber, ProcessingResultStatus, ProcessingResultCode, ProcessingResultMessage,
        QualificationValidity, PrescriptionIssueSelect,
    }
    BodyField { ReceptionNumber }
    SearchField {
        InsurerNumber, InsuredCardSymbol, InsuredIdentificationNumber, InsuredBranchNumber,
        Birthdate, LimitConsFlg, ArbitraryIdentifier,
    }
    ResultField {
        InsuredCardClassification, InsurerNumber, InsuredCardSymbol, InsuredIdentificationNumber,
        InsuredBranchNumber, PersonalFamilyClassification, InsuredName, Name, NameOfOther,
        NameKana, NameOfOtherKana, Sex1, Sex2, Birthdate, Address, PostNumber, QualificationDate,
        DisqualificationDate, InsuredCertificateIssuanceDate, InsuredCardValidDate,
        InsuredCardExpirationDate, InsuredPartialContributionRatio, PreschoolClassification,
        ReasonOfLoss, InsurerName, LimitConsFlg, LimitConsTime, SpecificDiseasesConsFlg,
        SpecificDiseasesConsTime, SpecificHealthCheckupsConsFlg, SpecificHealthCheckupsConsTime,
        SpecificHealthCheckupsAvailableTime, PharmacistsConsFlg, PharmacistsConsTime,
        PharmacistsAvailableTime, DiagnosisConsFlg, DiagnosisConsTime, DiagnosisAvailableTime,
        OperationConsFlg, OperationConsTime, OperationAvailableTime, ReferenceNumber,
        ArbitraryIdentifier, PublicExpenseNumber, BeneficiaryNumber, WelfareOfficeName,
        MedicalSubsidyConsFlg, MedicalSubsidyConsTime, QualificationConfirmationKey, NumberOfMedicalTickets,
    }
    ElderlyField { CertificateDate, ValidStartDate, ValidEndDate, ContributionRatio }
    LimitField { Classification, ClassificationFlag, CertificateDate, ValidStartDate, ValidEndDate, LongTermDate }
    SpecificField { DiseaseCategory, CertificateDate, ValidStartDate, ValidEndDate, SelfPay }
    TicketField {
        TicketType, ValidDate, ExpirationDate, IssueNumber, MedicalTreatmentMonth,
        DesignatedInstitutionCode, DesignatedInstitutionFlag, DesignatedInstitutionName,
        PrescriptionIssuerInstitutionCode, PrescriptionIssuerInstitutionName, InjuryName1,
        InjuryName2, InjuryName3, MedicalTreatmentType, SelfPayAmount, DistrictContactName,
        HandlingContactName, SingleOrCombinedUse, StatusOfSocialInsurance, ConsistencyFlag,
        StatusOfInfection, StatusOfElderlyMedicalCare, StatusOfPrefecturalExpenses, Remarks1,
        Remarks2, Remarks3,
    }
    SubsidyField {
        InsurerNumber, RecipientNumber, CertificationName, CertificationSubKey, Segment,
        IncomeSegment, AdditionalConditions, DesignatedMedicalInstitutions, AlwaysReimbursement,
        ValidStartDate, ValidEndDate,
    }
}

/// A leaf element's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// In `MessageHeader`.
    Header(HeaderField),
    /// In `MessageBody` or a `BulkConfirmUnit`: one person's fields.
    Person(PersonField),
    /// In `MessageBody` of a single result.
    Body(BodyField),
    /// Inside `SearchInfo` (the echo of a request).
    Search(SearchField),
    /// Inside `ResultOfQualificationConfirmation`.
    Result(ResultField),
    /// Inside `ElderlyRecipientCertificateInfo`.
    Elderly(ElderlyField),
    /// Inside `LimitApplicationCertificateRelatedInfo`.
    Limit(LimitField),
    /// Inside `SpecificDiseasesCertificateInfo`.
    Specific(SpecificField),
    /// Inside a 医療券・調剤券.
    Ticket(TicketField),
    /// Inside `MedicalSubsidyCertificateInfo` (PMH).
    Subsidy(SubsidyField),
    /// `MaxCopaymentAmount`: a container in our model (text = amount, children = kept items).
    MaxCopay,
}

/// Whether a name comes from the reconstructed official layout or is the project's guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// From 別紙3-1 as cited by field code (docs/DOMAIN.md §2).
    Reconstructed,
    /// The project's provisional PMH name (docs/DOMAIN.md §3.5): replace when the official one is known.
    Provisional,
}

/// Element names the code refers to outside [`TABLE`] (warning paths, the survey, the quick
/// pre-scans): declared here once, and used by the table's rows too.
pub mod names {
    /// `XmlMsg`.
    pub const XML_MSG: &str = "XmlMsg";
    /// `MessageHeader`.
    pub const MESSAGE_HEADER: &str = "MessageHeader";
    /// `MessageBody`.
    pub const MESSAGE_BODY: &str = "MessageBody";
    /// `BulkConfirmUnit`.
    pub const BULK_CONFIRM_UNIT: &str = "BulkConfirmUnit";
    /// `CharacterCodeIdentifier`.
    pub const CHARACTER_CODE_IDENTIFIER: &str = "CharacterCodeIdentifier";
    /// `ResultOfQualificationConfirmation`.
    pub const RESULT: &str = "ResultOfQualificationConfirmation";
    /// `InsurerNumber`.
    pub const INSURER_NUMBER: &str = "InsurerNumber";
    /// `InsuredIdentificationNumber`.
    pub const INSURED_IDENTIFICATION_NUMBER: &str = "InsuredIdentificationNumber";
    /// `PublicExpenseNumber`.
    pub const PUBLIC_EXPENSE_NUMBER: &str = "PublicExpenseNumber";
    /// `BeneficiaryNumber`.
    pub const BENEFICIARY_NUMBER: &str = "BeneficiaryNumber";
    /// `MedicalSubsidyCertificateList`.
    pub const SUBSIDY_LIST: &str = "MedicalSubsidyCertificateList";
    /// `MedicalSubsidyCertificateInfo`.
    pub const SUBSIDY: &str = "MedicalSubsidyCertificateInfo";
    /// `MedicalSubsidyInsurerNumber`.
    pub const SUBSIDY_PAYER: &str = "MedicalSubsidyInsurerNumber";
    /// `MedicalSubsidyRecipientNumber`.
    pub const SUBSIDY_RECIPIENT: &str = "MedicalSubsidyRecipientNumber";
    /// `MedicalSubsidyValidStartDate`.
    pub const SUBSIDY_FROM: &str = "MedicalSubsidyValidStartDate";
    /// `MedicalSubsidyValidEndDate`.
    pub const SUBSIDY_TO: &str = "MedicalSubsidyValidEndDate";
    /// `CertificationName`.
    pub const CERTIFICATION_NAME: &str = "CertificationName";
    /// `MaxCopaymentAmount`.
    pub const MAX_COPAYMENT: &str = "MaxCopaymentAmount";
    /// `IncomeSegment`.
    pub const INCOME_SEGMENT: &str = "IncomeSegment";
    /// `AlwaysReimbursementFlg`.
    pub const ALWAYS_REIMBURSEMENT: &str = "AlwaysReimbursementFlg";
}

use names as N;

/// Person-level children, valid both in `MessageBody` and in `BulkConfirmUnit`.
const PERSON: Ctx = Ctx::Person;

use Ctx as C;
use Field as F;
use Node::{Container, Leaf};
use Status::{Provisional as P, Reconstructed as R};

/// THE table: (parent context, canonical element name, meaning, status).
#[rustfmt::skip]
pub const TABLE: &[(Ctx, &str, Node, Status)] = &[
    (C::Document, N::XML_MSG, Container(C::XmlMsg), R),
    (C::XmlMsg, N::MESSAGE_HEADER, Container(C::Header), R),
    (C::XmlMsg, N::MESSAGE_BODY, Container(C::Body), R),
    // MessageHeader (§2.2)
    (C::Header, "ProcessExecutionTime", Leaf(F::Header(HeaderField::ProcessExecutionTime)), R),
    (C::Header, "QualificationConfirmationDate", Leaf(F::Header(HeaderField::QualificationConfirmationDate)), R),
    (C::Header, "MedicalInstitutionCode", Leaf(F::Header(HeaderField::MedicalInstitutionCode)), R),
    (C::Header, "ArbitraryFileIdentifier", Leaf(F::Header(HeaderField::ArbitraryFileIdentifier)), R),
    (C::Header, "ReferenceClassification", Leaf(F::Header(HeaderField::ReferenceClassification)), R),
    (C::Header, "SegmentOfResult", Leaf(F::Header(HeaderField::SegmentOfResult)), R),
    (C::Header, "ErrorCode", Leaf(F::Header(HeaderField::ErrorCode)), R),
    (C::Header, "ErrorMessage", Leaf(F::Header(HeaderField::ErrorMessage)), R),
    (C::Header, N::CHARACTER_CODE_IDENTIFIER, Leaf(F::Header(HeaderField::CharacterCodeIdentifier)), R),
    // MessageBody, file level (docs/DOMAIN.md §1.2, the bulk flow)
    (C::Body, N::BULK_CONFIRM_UNIT, Container(C::Unit), R),
    (C::Body, "ReceptionNumber", Leaf(F::Body(BodyField::ReceptionNumber)), R),
    // Person level: MessageBody of a single result, or each BulkConfirmUnit (§2.3)
    (PERSON, "ReferenceNumber", Leaf(F::Person(PersonField::ReferenceNumber)), R),
    (PERSON, "ProcessingResultStatus", Leaf(F::Person(PersonField::ProcessingResultStatus)), R),
    (PERSON, "ProcessingResultCode", Leaf(F::Person(PersonField::ProcessingResultCode)), R),
    (PERSON, "ProcessingResultMessage", Leaf(F::Person(PersonField::ProcessingResultMessage)), R),
    (PERSON, "QualificationValidity", Leaf(F::Person(PersonField::QualificationValidity)), R),
    (PERSON, "PrescriptionIssueSelect", Leaf(F::Person(PersonField::PrescriptionIssueSelect)), R),
    (PERSON, "QualificationConfirmSearchInfo", Container(C::SearchInfo), R),
    (PERSON, "ResultList", Container(C::ResultList), R),
    // Request echo
    (C::SearchInfo, N::INSURER_NUMBER, Leaf(F::Search(SearchField::InsurerNumber)), R),
    (C::SearchInfo, "InsuredCardSymbol", Leaf(F::Search(SearchField::InsuredCardSymbol)), R),
    (C::SearchInfo, N::INSURED_IDENTIFICATION_NUMBER, Leaf(F::Search(SearchField::InsuredIdentificationNumber)), R),
    (C::SearchInfo, "InsuredBranchNumber", Leaf(F::Search(SearchField::InsuredBranchNumber)), R),
    (C::SearchInfo, "Birthdate", Leaf(F::Search(SearchField::Birthdate)), R),
    (C::SearchInfo, "LimitApplicationCertificateRelatedConsFlg", Leaf(F::Search(SearchField::LimitConsFlg)), R),
    (C::SearchInfo, "ArbitraryIdentifier", Leaf(F::Search(SearchField::ArbitraryIdentifier)), R),
    (C::ResultList, N::RESULT, Container(C::Result), R),
    // ResultOfQualificationConfirmation (§2.4)
    (C::Result, "InsuredCardClassification", Leaf(F::Result(ResultField::InsuredCardClassification)), R),
    (C::Result, N::INSURER_NUMBER, Leaf(F::Result(ResultField::InsurerNumber)), R),
    (C::Result, "InsuredCardSymbol", Leaf(F::Result(ResultField::InsuredCardSymbol)), R),
    (C::Result, N::INSURED_IDENTIFICATION_NUMBER, Leaf(F::Result(ResultField::InsuredIdentificationNumber)), R),
    (C::Result, "InsuredBranchNumber", Leaf(F::Result(ResultField::InsuredBranchNumber)), R),
    (C::Result, "PersonalFamilyClassification", Leaf(F::Result(ResultField::PersonalFamilyClassification)), R),
    (C::Result, "InsuredName", Leaf(F::Result(ResultField::InsuredName)), R),
    (C::Result, "Name", Leaf(F::Result(ResultField::Name)), R),
    (C::Result, "NameOfOther", Leaf(F::Result(ResultField::NameOfOther)), R),
    (C::Result, "NameKana", Leaf(F::Result(ResultField::NameKana)), R),
    (C::Result, "NameOfOtherKana", Leaf(F::Result(ResultField::NameOfOtherKana)), R),
    (C::Result, "Sex1", Leaf(F::Result(ResultField::Sex1)), R),
    (C::Result, "Sex2", Leaf(F::Result(ResultField::Sex2)), R),
    (C::Result, "Birthdate", Leaf(F::Result(ResultField::Birthdate)), R),
    (C::Result, "Address", Leaf(F::Result(ResultField::Address)), R),
    (C::Result, "PostNumber", Leaf(F::Result(ResultField::PostNumber)), R),
    (C::Result, "QualificationDate", Leaf(F::Result(ResultField::QualificationDate)), R),
    (C::Result, "DisqualificationDate", Leaf(F::Result(ResultField::DisqualificationDate)), R),
    (C::Result, "InsuredCertificateIssuanceDate", Leaf(F::Result(ResultField::InsuredCertificateIssuanceDate)), R),
    (C::Result, "InsuredCardValidDate", Leaf(F::Result(ResultField::InsuredCardValidDate)), R),
    (C::Result, "InsuredCardExpirationDate", Leaf(F::Result(ResultField::InsuredCardExpirationDate)), R),
    (C::Result, "InsuredPartialContributionRatio", Leaf(F::Result(ResultField::InsuredPartialContributionRatio)), R),
    (C::Result, "PreschoolClassification", Leaf(F::Result(ResultField::PreschoolClassification)), R),
    (C::Result, "ReasonOfLoss", Leaf(F::Result(ResultField::ReasonOfLoss)), R),
    (C::Result, "InsurerName", Leaf(F::Result(ResultField::InsurerName)), R),
    (C::Result, "ElderlyRecipientCertificateInfo", Container(C::Elderly), R),
    (C::Result, "LimitApplicationCertificateRelatedConsFlg", Leaf(F::Result(ResultField::LimitConsFlg)), R),
    (C::Result, "LimitApplicationCertificateRelatedConsTime", Leaf(F::Result(ResultField::LimitConsTime)), R),
    (C::Result, "LimitApplicationCertificateRelatedInfo", Container(C::Limit), R),
    (C::Result, "SpecificDiseasesCertificateRelatedConsFlg", Leaf(F::Result(ResultField::SpecificDiseasesConsFlg)), R),
    (C::Result, "SpecificDiseasesCertificateRelatedConsTime", Leaf(F::Result(ResultField::SpecificDiseasesConsTime)), R),
    (C::Result, "SpecificDiseasesCertificateList", Container(C::SpecificList), R),
    (C::Result, "SpecificHealthCheckupsInfoConsFlg", Leaf(F::Result(ResultField::SpecificHealthCheckupsConsFlg)), R),
    (C::Result, "SpecificHealthCheckupsInfoConsTime", Leaf(F::Result(ResultField::SpecificHealthCheckupsConsTime)), R),
    (C::Result, "SpecificHealthCheckupsInfoAvailableTime", Leaf(F::Result(ResultField::SpecificHealthCheckupsAvailableTime)), R),
    (C::Result, "PharmacistsInfoConsFlg", Leaf(F::Result(ResultField::PharmacistsConsFlg)), R),
    (C::Result, "PharmacistsInfoConsTime", Leaf(F::Result(ResultField::PharmacistsConsTime)), R),
    (C::Result, "PharmacistsInfoAvailableTime", Leaf(F::Result(ResultField::PharmacistsAvailableTime)), R),
    (C::Result, "DiagnosisInfoConsFlg", Leaf(F::Result(ResultField::DiagnosisConsFlg)), R),
    (C::Result, "DiagnosisInfoConsTime", Leaf(F::Result(ResultField::DiagnosisConsTime)), R),
    (C::Result, "DiagnosisInfoAvailableTime", Leaf(F::Result(ResultField::DiagnosisAvailableTime)), R),
    (C::Result, "OperationInfoConsFlg", Leaf(F::Result(ResultField::OperationConsFlg)), R),
    (C::Result, "OperationInfoConsTime", Leaf(F::Result(ResultField::OperationConsTime)), R),
    (C::Result, "OperationInfoAvailableTime", Leaf(F::Result(ResultField::OperationAvailableTime)), R),
    (C::Result, "ReferenceNumber", Leaf(F::Result(ResultField::ReferenceNumber)), R),
    (C::Result, "ArbitraryIdentifier", Leaf(F::Result(ResultField::ArbitraryIdentifier)), R),
    // In real face results (a vendor's registration spec, docs/DOMAIN.md §3.7); meaning not published.
    (C::Result, "QualificationConfirmationKey", Leaf(F::Result(ResultField::QualificationConfirmationKey)), R),
    // myclinic reads it in MessageBody; two vendors' models put it in the result (docs/DOMAIN.md §3.7).
    // Either way it is the person's.
    (C::Result, "PrescriptionIssueSelect", Leaf(F::Person(PersonField::PrescriptionIssueSelect)), R),
    // 医療扶助 (§2.5, §3.5 A1 rules). The three number/name fallbacks are unconfirmed (§7).
    (C::Result, N::PUBLIC_EXPENSE_NUMBER, Leaf(F::Result(ResultField::PublicExpenseNumber)), P),
    (C::Result, N::BENEFICIARY_NUMBER, Leaf(F::Result(ResultField::BeneficiaryNumber)), P),
    (C::Result, "WelfareOfficeName", Leaf(F::Result(ResultField::WelfareOfficeName)), P),
    (C::Result, "PublicExpenseResultList", Container(C::PublicExpenseList), R),
    // 医療扶助: the number of 医療券 (a vendor's bulk import maps it; its place is not published).
    (C::Result, "NumberOfMedicalTickets", Leaf(F::Result(ResultField::NumberOfMedicalTickets)), P),
    (C::PublicExpenseList, "MedicalTicketInfo", Container(C::Ticket), R),
    // PMH 医療費助成 (§3.5): PROVISIONAL names.
    (C::Result, "MedicalSubsidyConsFlg", Leaf(F::Result(ResultField::MedicalSubsidyConsFlg)), P),
    (C::Result, "MedicalSubsidyConsTime", Leaf(F::Result(ResultField::MedicalSubsidyConsTime)), P),
    (C::Result, N::SUBSIDY_LIST, Container(C::SubsidyList), P),
    (C::SubsidyList, N::SUBSIDY, Container(C::Subsidy), P),
    (C::Subsidy, N::SUBSIDY_PAYER, Leaf(F::Subsidy(SubsidyField::InsurerNumber)), P),
    (C::Subsidy, N::SUBSIDY_RECIPIENT, Leaf(F::Subsidy(SubsidyField::RecipientNumber)), P),
    (C::Subsidy, N::CERTIFICATION_NAME, Leaf(F::Subsidy(SubsidyField::CertificationName)), P),
    (C::Subsidy, "CertificationSubKey", Leaf(F::Subsidy(SubsidyField::CertificationSubKey)), P),
    (C::Subsidy, "Segment", Leaf(F::Subsidy(SubsidyField::Segment)), P),
    (C::Subsidy, N::INCOME_SEGMENT, Leaf(F::Subsidy(SubsidyField::IncomeSegment)), P),
    (C::Subsidy, "AdditionalConditions", Leaf(F::Subsidy(SubsidyField::AdditionalConditions)), P),
    (C::Subsidy, "DesignatedMedicalInstitutions", Leaf(F::Subsidy(SubsidyField::DesignatedMedicalInstitutions)), P),
    (C::Subsidy, N::ALWAYS_REIMBURSEMENT, Leaf(F::Subsidy(SubsidyField::AlwaysReimbursement)), P),
    (C::Subsidy, N::MAX_COPAYMENT, Leaf(F::MaxCopay), P),
    (C::Subsidy, N::SUBSIDY_FROM, Leaf(F::Subsidy(SubsidyField::ValidStartDate)), P),
    (C::Subsidy, N::SUBSIDY_TO, Leaf(F::Subsidy(SubsidyField::ValidEndDate)), P),
    // 高齢受給者証
    (C::Elderly, "ElderlyRecipientCertificateDate", Leaf(F::Elderly(ElderlyField::CertificateDate)), R),
    (C::Elderly, "ElderlyRecipientValidStartDate", Leaf(F::Elderly(ElderlyField::ValidStartDate)), R),
    (C::Elderly, "ElderlyRecipientValidEndDate", Leaf(F::Elderly(ElderlyField::ValidEndDate)), R),
    (C::Elderly, "ElderlyRecipientContributionRatio", Leaf(F::Elderly(ElderlyField::ContributionRatio)), R),
    // 限度額適用認定証
    (C::Limit, "LimitApplicationCertificateClassification", Leaf(F::Limit(LimitField::Classification)), R),
    (C::Limit, "LimitApplicationCertificateClassificationFlag", Leaf(F::Limit(LimitField::ClassificationFlag)), R),
    (C::Limit, "LimitApplicationCertificateDate", Leaf(F::Limit(LimitField::CertificateDate)), R),
    (C::Limit, "LimitApplicationCertificateValidStartDate", Leaf(F::Limit(LimitField::ValidStartDate)), R),
    (C::Limit, "LimitApplicationCertificateValidEndDate", Leaf(F::Limit(LimitField::ValidEndDate)), R),
    (C::Limit, "LimitApplicationCertificateLongTermDate", Leaf(F::Limit(LimitField::LongTermDate)), R),
    // 特定疾病療養受療証 (a list)
    (C::SpecificList, "SpecificDiseasesCertificateInfo", Container(C::Specific), R),
    (C::Specific, "SpecificDiseasesDiseaseCategory", Leaf(F::Specific(SpecificField::DiseaseCategory)), R),
    (C::Specific, "SpecificDiseasesCertificateDate", Leaf(F::Specific(SpecificField::CertificateDate)), R),
    (C::Specific, "SpecificDiseasesValidStartDate", Leaf(F::Specific(SpecificField::ValidStartDate)), R),
    (C::Specific, "SpecificDiseasesValidEndDate", Leaf(F::Specific(SpecificField::ValidEndDate)), R),
    (C::Specific, "SpecificDiseasesSelfPay", Leaf(F::Specific(SpecificField::SelfPay)), R),
    // 医療券・調剤券
    (C::Ticket, "TicketType", Leaf(F::Ticket(TicketField::TicketType)), R),
    (C::Ticket, "MedicalTicketValidDate", Leaf(F::Ticket(TicketField::ValidDate)), R),
    (C::Ticket, "MedicalTicketExpirationDate", Leaf(F::Ticket(TicketField::ExpirationDate)), R),
    (C::Ticket, "IssueNumber", Leaf(F::Ticket(TicketField::IssueNumber)), R),
    (C::Ticket, "MedicalTreatmentMonth", Leaf(F::Ticket(TicketField::MedicalTreatmentMonth)), R),
    (C::Ticket, "DesignatedMedicalInstitutionCode", Leaf(F::Ticket(TicketField::DesignatedInstitutionCode)), R),
    (C::Ticket, "DesignatedMedicalInstitutionFlag", Leaf(F::Ticket(TicketField::DesignatedInstitutionFlag)), R),
    (C::Ticket, "DesignatedMedicalInstitutionName", Leaf(F::Ticket(TicketField::DesignatedInstitutionName)), R),
    (C::Ticket, "PrescriptionIssuerMedicalInstitutionCode", Leaf(F::Ticket(TicketField::PrescriptionIssuerInstitutionCode)), R),
    (C::Ticket, "PrescriptionIssuerMedicalInstitutionName", Leaf(F::Ticket(TicketField::PrescriptionIssuerInstitutionName)), R),
    (C::Ticket, "InjuryName1", Leaf(F::Ticket(TicketField::InjuryName1)), R),
    (C::Ticket, "InjuryName2", Leaf(F::Ticket(TicketField::InjuryName2)), R),
    (C::Ticket, "InjuryName3", Leaf(F::Ticket(TicketField::InjuryName3)), R),
    (C::Ticket, "MedicalTreatmentType", Leaf(F::Ticket(TicketField::MedicalTreatmentType)), R),
    (C::Ticket, "SelfPayAmount", Leaf(F::Ticket(TicketField::SelfPayAmount)), R),
    (C::Ticket, "DistrictContactName", Leaf(F::Ticket(TicketField::DistrictContactName)), R),
    (C::Ticket, "HandlingContactName", Leaf(F::Ticket(TicketField::HandlingContactName)), R),
    (C::Ticket, "SingleOrCombinedUse", Leaf(F::Ticket(TicketField::SingleOrCombinedUse)), R),
    (C::Ticket, "StatusOfSocialInsurance", Leaf(F::Ticket(TicketField::StatusOfSocialInsurance)), R),
    (C::Ticket, "ConsistencyFlag", Leaf(F::Ticket(TicketField::ConsistencyFlag)), R),
    // Spelled as in the field code that cites the spec (§2.5).
    (C::Ticket, "StatusOfInfecton", Leaf(F::Ticket(TicketField::StatusOfInfection)), R),
    (C::Ticket, "StatusOfElderlyMedicalCare", Leaf(F::Ticket(TicketField::StatusOfElderlyMedicalCare)), R),
    (C::Ticket, "StatusOfPrefecturalExpenses", Leaf(F::Ticket(TicketField::StatusOfPrefecturalExpenses)), R),
    (C::Ticket, "Remarks1", Leaf(F::Ticket(TicketField::Remarks1)), R),
    (C::Ticket, "Remarks2", Leaf(F::Ticket(TicketField::Remarks2)), R),
    (C::Ticket, "Remarks3", Leaf(F::Ticket(TicketField::Remarks3)), R),
];

/// Names seen in the field for the same element (§6.2 "spec-name drift"). Accepted always.
pub const BUILT_IN_ALIASES: &[(&str, &str)] = &[
    ("PharmacistsInfoConsFlg", "PharmaceuticalInfoConsFlg"),
    ("PharmacistsInfoConsTime", "PharmaceuticalInfoConsTime"),
    ("PharmacistsInfoAvailableTime", "PharmaceuticalInfoAvailableTime"),
    ("DiagnosisInfoConsTime", "DiagnosisInfoConsTim"),
    ("StatusOfInfecton", "StatusOfInfection"),
];

/// Contexts whose elements repeat: their paths carry a 1-based index.
pub fn is_repeatable(ctx: Ctx) -> bool {
    matches!(ctx, Ctx::Unit | Ctx::Result | Ctx::Specific | Ctx::Ticket | Ctx::Subsidy)
}

/// The lookup built from [`TABLE`], the built-in aliases and the caller's layout file.
pub struct Layout {
    /// Indexed by `Ctx as usize`; each list sorted (length, then bytes) for binary search. (Sorted
    /// vectors rather than hash maps: a process-wide cache of hash tables shows up in valgrind
    /// as "possibly lost" memory in the vendor's process, because the table points into its
    /// own allocation.)
    nodes: Vec<Vec<(Box<str>, Node)>>,
    /// Per context, an open-addressing index into `nodes` (slot = position + 1, 0 = empty):
    /// every element of every file is looked up here, and a hash settles it in one compare.
    /// Indices, not pointers, for the same valgrind reason.
    index: Vec<Vec<u16>>,
    /// File-name prefixes a layout file declared for documents of PMH data (the watcher
    /// delivers them as results).
    file_prefixes: Vec<Box<str>>,
    /// Whether a result's own fields (`InsurerNumber`, …) may sit outside a result element (a
    /// layout file's `place`): they then fill the last result after it closed, so the parser
    /// cannot settle at the close what that result will need (its path, see `complete.rs`).
    result_fields_elsewhere: bool,
    /// A layout file named a field by its group (`Futansha/Bango`): children of a wrapper are
    /// looked up by the wrapper's name and theirs first (see [`Layout::lookup_in`]).
    grouped_names: bool,
}

impl std::fmt::Debug for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: usize = self.nodes.iter().map(Vec::len).sum();
        f.debug_struct("Layout").field("names", &names).field("file_prefixes", &self.file_prefixes).finish()
    }
}

/// What a layout file asks for, beyond the built-in table (see [`Layout::from_json`]).
#[derive(Debug, Default)]
struct Spec {
    /// (canonical name, extra name).
    aliases: Vec<(String, String)>,
    /// (canonical name, another parent).
    places: Vec<(String, Ctx)>,
    /// (wrapper name, parent).
    wrappers: Vec<(String, Ctx)>,
    roots: Vec<String>,
    file_prefixes: Vec<String>,
}

impl Spec {
    /// What a layout file asks for; `None` for an object with none of a layout file's keys
    /// (an alias table, read as one).
    fn from_layout_json(json: &str) -> Result<Option<Spec>> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::InvalidLayout {
            key: String::new(),
            reason: format!("not valid JSON (line {}, column {})", e.line(), e.column()),
        })?;
        let object = value.as_object().ok_or_else(|| bad_layout("", "the top level must be an object"))?;
        if !object.keys().any(|k| LAYOUT_KEYS.contains(&k.as_str())) {
            return Ok(None);
        }
        let mut spec = Spec::default();
        for (key, value) in object {
            let pairs = || -> Result<Vec<(String, Vec<&str>)>> {
                let map = value.as_object().ok_or_else(|| bad_layout(key, "must be an object"))?;
                map.iter()
                    .map(|(name, v)| {
                        let list = names(v).ok_or_else(|| {
                            bad_layout(&format!("{key}.{name}"), "must be a string or an array of strings")
                        })?;
                        Ok((name.clone(), list))
                    })
                    .collect()
            };
            let list = || names(value).ok_or_else(|| bad_layout(key, "must be an array of strings"));
            match key.as_str() {
                "kohi_layout" => {
                    if value.as_u64() != Some(1) {
                        return Err(bad_layout(key, "this version of kohi reads layout files of version 1"));
                    }
                }
                "rename" => {
                    for (canonical, aliases) in pairs()? {
                        spec.aliases.extend(aliases.into_iter().map(|a| (canonical.clone(), a.to_owned())));
                    }
                }
                "place" | "wrappers" => {
                    for (name, parents) in pairs()? {
                        for parent in parents {
                            let ctx = container_ctx(parent).ok_or_else(|| {
                                bad_layout(
                                    &format!("{key}.{name}"),
                                    "names a parent that is not a container kohi knows",
                                )
                            })?;
                            let to = if key == "place" { &mut spec.places } else { &mut spec.wrappers };
                            to.push((name.clone(), ctx));
                        }
                    }
                }
                "roots" => spec.roots.extend(list()?.into_iter().map(str::to_owned)),
                "file_prefixes" => spec.file_prefixes.extend(list()?.into_iter().map(str::to_owned)),
                _ => return Err(bad_layout(key, "is not a key of a layout file")),
            }
        }
        Ok(Some(spec))
    }

    /// Adds an alias table's names (`{"CanonicalName": ["Alias", …], "Other": "SingleAlias"}`).
    fn add_alias_table(&mut self, json: &str) -> Result<()> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::InvalidAliasTable {
            reason: format!("not valid JSON (line {}, column {})", e.line(), e.column()),
        })?;
        let object = value.as_object().ok_or_else(|| invalid("the top level must be an object"))?;
        for (canonical, aliases) in object {
            for alias in names(aliases).ok_or_else(|| invalid("each value must be a string or an array of strings"))? {
                self.aliases.push((canonical.clone(), alias.to_owned()));
            }
        }
        Ok(())
    }
}

/// The keys of a layout file. A JSON object with none of them is an alias table.
const LAYOUT_KEYS: [&str; 6] = ["kohi_layout", "rename", "place", "wrappers", "roots", "file_prefixes"];

impl Layout {
    /// The built-in layout, built once.
    pub fn standard() -> Arc<Layout> {
        static STANDARD: OnceLock<Arc<Layout>> = OnceLock::new();
        STANDARD.get_or_init(|| Arc::new(Self::build(&Spec::default()).expect("built-in aliases are valid"))).clone()
    }

    /// The built-in layout plus the caller's aliases, given as JSON:
    /// `{"CanonicalName": ["Alias", …], "Other": "SingleAlias"}`.
    pub fn with_aliases_json(json: &str) -> Result<Layout> {
        let mut spec = Spec::default();
        spec.add_alias_table(json)?;
        Self::build(&spec).map_err(|e| match e {
            Error::InvalidLayout { reason, .. } => invalid(&reason),
            e => e,
        })
    }

    /// A layout file and an alias table together: the alias table's names are added to the
    /// file's `rename`. Each is refused as it would be alone (`invalid_layout`,
    /// `invalid_alias_table`); names that only collide once both are read are `invalid_layout`.
    pub fn from_json_with_aliases(layout_json: &str, aliases_json: &str) -> Result<Layout> {
        let mut spec = match Spec::from_layout_json(layout_json)? {
            Some(spec) => spec,
            None => {
                let mut spec = Spec::default();
                spec.add_alias_table(layout_json).map_err(as_rename)?;
                spec
            }
        };
        spec.add_alias_table(aliases_json)?;
        Self::build(&spec)
    }

    /// The built-in layout changed by a layout file (JSON), all parts optional:
    ///
    /// ```json
    /// {
    ///   "kohi_layout": 1,
    ///   "rename":   {"MedicalSubsidyInsurerNumber": ["KohiFutanshaNumber"]},
    ///   "place":    {"MedicalSubsidyCertificateList": ["MessageBody", "BulkConfirmUnit"]},
    ///   "wrappers": {"PmhInfo": ["ResultOfQualificationConfirmation"]},
    ///   "roots":    ["PmhMsg"],
    ///   "file_prefixes": ["PMHsimsm"]
    /// }
    /// ```
    ///
    /// - `rename`: canonical name → the names the files use (added; the canonical one stays).
    ///   `@name` is the attribute `name` of the parent element (a field: one value, or the cap's
    ///   amount; not a container or a wrapper). `Group/name` (or `Group/@name`) is
    ///   `name` inside an element `Group` that sits where the field does, and makes `Group` a
    ///   wrapper there: for a leaf name the files use for two fields, one per group
    ///   (`Futansha/Bango`, `Jukyusha/Bango`). Inside `Group`, it comes before `name` alone.
    /// - `place`: canonical element → more parents (canonical container names) it may sit
    ///   under, with its whole subtree: PMH data at the person level, say.
    /// - `wrappers`: an element kohi does not know → the parents it wraps content in; its
    ///   children are read as if they sat in that parent.
    /// - `roots`: more document roots, read as `XmlMsg` (a document of PMH data of its own).
    /// - `file_prefixes`: interface names of such documents, for the watcher.
    ///
    /// An object with none of these keys is an alias table ([`Layout::with_aliases_json`]). A bad
    /// file is `invalid_layout`, naming the key.
    pub fn from_json(json: &str) -> Result<Layout> {
        match Spec::from_layout_json(json)? {
            Some(spec) => Self::build(&spec),
            None => Self::with_aliases_json(json).map_err(as_rename),
        }
    }

    /// File-name prefixes of PMH documents the layout file declared.
    pub fn file_prefixes(&self) -> impl Iterator<Item = &str> {
        self.file_prefixes.iter().map(|p| &**p)
    }

    fn build(spec: &Spec) -> Result<Layout> {
        let mut layout = Layout {
            nodes: vec![Vec::new(); CTX_COUNT],
            index: Vec::new(),
            file_prefixes: Vec::new(),
            result_fields_elsewhere: false,
            grouped_names: false,
        };
        // Every (parent, canonical name, meaning): the table, then what the file places elsewhere.
        let mut rows: Vec<(Ctx, &str, Node)> =
            TABLE.iter().flat_map(|&(ctx, name, node, _)| expand(ctx).map(move |c| (c, name, node))).collect();
        for (name, parent) in &spec.places {
            let nodes: Vec<Node> = TABLE.iter().filter(|r| r.1 == name).map(|r| r.2).collect();
            let node =
                *nodes.first().ok_or_else(|| bad_layout(&format!("place.{name}"), "is not an element kohi knows"))?;
            rows.push((*parent, name.as_str(), node));
        }
        for &(ctx, name, node) in &rows {
            layout.insert_new(ctx, name, node, "place")?;
        }
        let built_in = BUILT_IN_ALIASES.iter().map(|&(c, a)| (c.to_owned(), a.to_owned()));
        for (canonical_name, alias) in built_in.chain(spec.aliases.iter().cloned()) {
            // `@name`: the attribute `name` of the field's parent element (what a survey calls
            // `…/@name`), for files that carry a value in an attribute.
            // `Group/name`: the element (or `@attribute`) `name` of a group element `Group` that
            // sits where the field does, for a leaf name the files use for two fields
            // (`<Futansha><Bango>`, `<Jukyusha><Bango>`). The group is a wrapper there.
            let (group, leaf) = match alias.split_once('/') {
                Some((group, leaf)) => (Some(group), leaf),
                None => (None, alias.as_str()),
            };
            let attribute = leaf.strip_prefix('@');
            if !is_xml_name(attribute.unwrap_or(leaf)) || group.is_some_and(|g| !is_xml_name(g)) {
                return Err(bad_layout(
                    &format!("rename.{canonical_name}"),
                    "an alias is not a valid XML element name (or @ and an attribute name, or a group's \
                     name, / and one of those)",
                ));
            }
            let targets: Vec<(Ctx, Node)> = rows.iter().filter(|r| r.1 == canonical_name).map(|r| (r.0, r.2)).collect();
            if targets.is_empty() {
                return Err(bad_layout(
                    &format!("rename.{canonical_name}"),
                    "an alias names a canonical element kohi does not know",
                ));
            }
            // A field: one value, or the cap (an attribute gives its amount; an element its
            // amount or its items).
            let is_field = |node: &Node| matches!(node, Node::Leaf(_));
            if attribute.is_some() && !targets.iter().all(|(_, node)| is_field(node)) {
                return Err(bad_layout(
                    &format!("rename.{canonical_name}"),
                    "an attribute (@name) can stand only for a field (one value, or the cap's amount)",
                ));
            }
            if group.is_some() && !targets.iter().all(|(_, node)| is_field(node)) {
                return Err(bad_layout(
                    &format!("rename.{canonical_name}"),
                    "a name in a group (Group/name) can stand only for a field, not a container",
                ));
            }
            for (ctx, node) in targets {
                if let Some(group) = group {
                    layout.insert_new(ctx, group, Node::Wrapper, "rename")?;
                    layout.grouped_names = true;
                }
                layout.insert_new(ctx, &alias, node, "rename")?;
            }
        }
        for (name, parent) in &spec.wrappers {
            if !is_xml_name(name) {
                return Err(bad_layout(&format!("wrappers.{name}"), "is not a valid XML element name"));
            }
            layout.insert_new(*parent, name, Node::Wrapper, "wrappers")?;
        }
        for root in &spec.roots {
            if !is_xml_name(root) {
                return Err(bad_layout("roots", "a root is not a valid XML element name"));
            }
            layout.insert_new(Ctx::Document, root, Node::Container(Ctx::XmlMsg), "roots")?;
        }
        layout.file_prefixes = spec.file_prefixes.iter().map(|p| p.as_str().into()).collect();
        if layout.nodes.iter().any(|names| names.len() >= usize::from(u16::MAX)) {
            return Err(bad_layout("rename", "too many names for one parent element"));
        }
        layout.index = layout.nodes.iter().map(|names| hash_index(names)).collect();
        layout.result_fields_elsewhere = layout.nodes.iter().enumerate().any(|(ctx, names)| {
            ctx != Ctx::Result as usize && names.iter().any(|(_, node)| matches!(node, Node::Leaf(Field::Result(_))))
        });
        Ok(layout)
    }

    /// See the field of that name.
    pub(crate) fn result_fields_elsewhere(&self) -> bool {
        self.result_fields_elsewhere
    }

    /// Adds `name` under `ctx`, unless it means something else there already.
    fn insert_new(&mut self, ctx: Ctx, name: &str, node: Node, key: &str) -> Result<()> {
        match self.find_sorted(ctx as usize, name) {
            Some(existing) if existing != node => {
                Err(bad_layout(&format!("{key}.{name}"), "collides with another element of the same parent"))
            }
            Some(_) => Ok(()),
            None => {
                self.insert(ctx, name, node);
                Ok(())
            }
        }
    }

    fn insert(&mut self, ctx: Ctx, name: &str, node: Node) {
        let names = &mut self.nodes[ctx as usize];
        match names.binary_search_by(|(n, _)| by_length_then_bytes(n, name)) {
            Ok(i) => names[i].1 = node,
            Err(i) => names.insert(i, (Box::from(name), node)),
        }
    }

    /// What `name` means under `ctx`, if anything.
    pub fn lookup(&self, ctx: Ctx, name: &str) -> Option<Node> {
        self.lookup_at(ctx as usize, name)
    }

    /// What `name` means as a child of the wrapper `group` under `ctx`: the layout file's
    /// `group/name` if it named one, else what `name` means under `ctx`.
    #[inline]
    pub fn lookup_in(&self, ctx: Ctx, group: &str, name: &str) -> Option<Node> {
        if self.grouped_names
            && let Some(found) = self.lookup_grouped(ctx, group, name)
        {
            return Some(found);
        }
        self.lookup(ctx, name)
    }

    /// `group/name` under `ctx` (out of line: only layout files that group names need it).
    #[cold]
    #[inline(never)]
    fn lookup_grouped(&self, ctx: Ctx, group: &str, name: &str) -> Option<Node> {
        // On the stack: this runs for every child of a wrapper, and names are short.
        let mut buffer = [0u8; 256];
        let length = group.len() + 1 + name.len();
        if length > buffer.len() {
            return self.lookup(ctx, &format!("{group}/{name}"));
        }
        buffer[..group.len()].copy_from_slice(group.as_bytes());
        buffer[group.len()] = b'/';
        buffer[group.len() + 1..length].copy_from_slice(name.as_bytes());
        // Two names and a slash: UTF-8 as they are.
        std::str::from_utf8(&buffer[..length]).ok().and_then(|qualified| self.lookup(ctx, qualified))
    }

    fn lookup_at(&self, ctx: usize, name: &str) -> Option<Node> {
        let (names, slots) = (&self.nodes[ctx], &self.index[ctx]);
        let mask = slots.len() - 1;
        let mut at = name_hash(name.as_bytes()) & mask;
        loop {
            match slots[at] {
                0 => return None,
                i => {
                    let (n, node) = &names[usize::from(i) - 1];
                    if crate::scan::same_name(n.as_bytes(), name.as_bytes()) {
                        return Some(*node);
                    }
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// The lookup while the table is still being built (before the index exists).
    fn find_sorted(&self, ctx: usize, name: &str) -> Option<Node> {
        let names = &self.nodes[ctx];
        names.binary_search_by(|(n, _)| by_length_then_bytes(n, name)).ok().map(|i| names[i].1)
    }

    /// The canonical element name of a node (for paths in warnings).
    pub fn canonical_name(&self, ctx: Ctx, node: Node) -> Option<&'static str> {
        TABLE.iter().find(|&&(c, _, n, _)| n == node && expand(c).any(|c| c == ctx)).map(|&(_, name, _, _)| name)
    }
}

/// Slots for `names` at most half full (so probing stops at an empty slot quickly).
fn hash_index(names: &[(Box<str>, Node)]) -> Vec<u16> {
    let mut slots = vec![0u16; (names.len() * 2).next_power_of_two().max(8)];
    let mask = slots.len() - 1;
    for (i, (name, _)) in names.iter().enumerate() {
        let mut at = name_hash(name.as_bytes()) & mask;
        while slots[at] != 0 {
            at = (at + 1) & mask;
        }
        // `build` refused more than u16::MAX - 1 names per context.
        slots[at] = (i + 1) as u16;
    }
    slots
}

/// Length, first and last eight bytes: layout names share long prefixes (`LimitApplication…`)
/// and suffixes (`…Date`), rarely both with the same length.
fn name_hash(name: &[u8]) -> usize {
    let (head, tail) = match (name.first_chunk::<8>(), name.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => {
            let short = name.iter().fold(0u64, |w, &b| (w << 8) | u64::from(b));
            (short, short)
        }
    };
    let mixed = (head ^ tail.rotate_left(29) ^ name.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 40) as usize
}

/// Many names share long prefixes (`LimitApplicationCertificate…`): comparing lengths first
/// settles most comparisons at once.
fn by_length_then_bytes(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// Person-level rows apply under `MessageBody` and under each `BulkConfirmUnit`.
fn expand(ctx: Ctx) -> impl Iterator<Item = Ctx> {
    let person = ctx == PERSON;
    let (first, second) = if person { (Ctx::Body, Some(Ctx::Unit)) } else { (ctx, None) };
    std::iter::once(first).chain(second)
}

/// An alias table given as a layout file: its errors are the layout file's `rename`.
fn as_rename(e: Error) -> Error {
    match e {
        Error::InvalidAliasTable { reason } => Error::InvalidLayout { key: "rename".into(), reason },
        e => e,
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidAliasTable { reason: reason.to_owned() }
}

fn bad_layout(key: &str, reason: &str) -> Error {
    Error::InvalidLayout { key: key.to_owned(), reason: reason.to_owned() }
}

/// A string, or an array of strings.
fn names(value: &serde_json::Value) -> Option<Vec<&str>> {
    match value {
        serde_json::Value::String(s) => Some(vec![s.as_str()]),
        serde_json::Value::Array(items) => items.iter().map(|v| v.as_str()).collect(),
        _ => None,
    }
}

/// The context a canonical container name opens (`MessageBody` → the body).
pub fn container_ctx(name: &str) -> Option<Ctx> {
    TABLE.iter().find_map(|&(_, n, node, _)| match node {
        Node::Container(ctx) if n == name => Some(ctx),
        _ => None,
    })
}

/// An XML 1.0 name (the `Name` production), as a file may write an element or attribute:
/// Japanese (`公費・受給者証`) and a namespace prefix (`pmh:Certificate`) included. Files are
/// read by their names as written, so a layout names them so too; a narrower test refused
/// layout files the survey had proposed from real names.
pub(crate) fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(|c| is_name_start(c) || is_name_char(c))
}

fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_names_as_xml_1_0_defines_them() {
        for good in ["A", "_a", "p:Cert", "公費・受給者証", "受給者番号１", "Ａ－１", "a-b.c", "x\u{B7}y"]
        {
            assert!(is_xml_name(good), "{good}");
        }
        for bad in ["", "a b", "1a", "-a", ".a", "a/b", "a>b", "a=b", "a\"b", "a&b", "\u{3000}a", "a\u{3000}"] {
            assert!(!is_xml_name(bad), "{bad}");
        }
    }

    #[test]
    fn table_has_no_duplicate_names_per_parent() {
        let mut seen = std::collections::HashSet::new();
        for &(ctx, name, _, _) in TABLE {
            assert!(seen.insert((ctx, name)), "{name} twice under {ctx:?}");
        }
    }

    #[test]
    fn hash_index_finds_every_name_and_only_those() {
        let l = Layout::with_aliases_json(r#"{"InsurerNumber": ["HokenshaBango", "X"]}"#).unwrap();
        let mut found = 0;
        assert_eq!(l.nodes.len(), CTX_COUNT);
        for (ctx, names) in l.nodes.iter().enumerate() {
            for (name, node) in names {
                assert_eq!(l.lookup_at(ctx, name), Some(*node), "{name} under context {ctx}");
                let mut near = name.to_string();
                near.push('x');
                assert_eq!(l.lookup_at(ctx, &near), l.find_sorted(ctx, &near), "{near} under context {ctx}");
                found += 1;
            }
            assert_eq!(l.lookup_at(ctx, ""), None);
        }
        assert!(found > 150, "{found}");
        assert_eq!(l.lookup(Ctx::Result, "X"), l.lookup(Ctx::Result, "InsurerNumber"));
    }

    #[test]
    fn person_rows_apply_to_bulk_units() {
        let l = Layout::standard();
        assert_eq!(
            l.lookup(Ctx::Unit, "QualificationValidity"),
            Some(Node::Leaf(Field::Person(PersonField::QualificationValidity)))
        );
        assert_eq!(l.lookup(Ctx::Unit, "BulkConfirmUnit"), None);
    }

    #[test]
    fn built_in_aliases() {
        let l = Layout::standard();
        assert_eq!(l.lookup(Ctx::Result, "PharmaceuticalInfoConsFlg"), l.lookup(Ctx::Result, "PharmacistsInfoConsFlg"));
        assert!(l.lookup(Ctx::Result, "DiagnosisInfoConsTim").is_some());
        assert_eq!(l.lookup(Ctx::Result, "Unheard"), None);
    }

    #[test]
    fn caller_aliases() {
        let l = Layout::with_aliases_json(
            r#"{"MedicalSubsidyInsurerNumber": ["PublicExpensePayerNumber"], "MedicalSubsidyCertificateList": "PmhList"}"#,
        )
        .unwrap();
        assert_eq!(
            l.lookup(Ctx::Subsidy, "PublicExpensePayerNumber"),
            Some(Node::Leaf(Field::Subsidy(SubsidyField::InsurerNumber)))
        );
        assert_eq!(l.lookup(Ctx::Result, "PmhList"), Some(Node::Container(Ctx::SubsidyList)));
        assert_eq!(
            l.canonical_name(Ctx::Result, Node::Container(Ctx::SubsidyList)),
            Some("MedicalSubsidyCertificateList")
        );
    }

    #[test]
    fn bad_alias_tables() {
        for json in [
            "[]",
            "{",
            r#"{"NoSuchElement": ["X"]}"#,
            r#"{"Name": [1]}"#,
            r#"{"Name": ["has space"]}"#,
            r#"{"Name": ["Address"]}"#,
        ] {
            let e = Layout::with_aliases_json(json).unwrap_err();
            assert_eq!(e.code(), "invalid_alias_table", "{json}");
        }
    }
}
