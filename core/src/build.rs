//! The model builder: what each container and leaf of the layout adds to the document. The
//! walker (`parse.rs`) tracks the XML (frames, paths, limits, unknown elements) and tells the
//! builder what opened and what text a field has; the builder knows the model.

use crate::codes::*;
use crate::decode::Encoding;
use crate::layout::*;
use crate::model::*;
use crate::numbers::{NumberKind, NumberText, is_valid_normalized, normalize};
use crate::personal::Personal;

/// The model being built: the header, the body (a single result's person, or a bulk file's
/// own status) and the bulk units.
#[derive(Default)]
pub(crate) struct Builder {
    pub(crate) header: Header,
    body: Patient,
    bulk: BulkInfo,
    is_bulk: bool,
    pub(crate) units: Vec<Patient>,
    /// Inside a `BulkConfirmUnit`: person-level fields go to the last unit.
    pub(crate) in_unit: bool,
    /// The `MaxCopaymentAmount` being read.
    pub(crate) max_copay: MaxCopayment,
    /// Bulk units opened so far (paths index them; streaming does not keep them).
    pub(crate) units_seen: usize,
}

impl Builder {
    pub(crate) fn person(&mut self) -> &mut Patient {
        match self.units.len() {
            n if self.in_unit && n > 0 => &mut self.units[n - 1],
            _ => &mut self.body,
        }
    }

    pub(crate) fn qualification(&mut self) -> Option<&mut Qualification> {
        self.person().qualifications.last_mut()
    }

    pub(crate) fn subsidy(&mut self) -> Option<&mut MedicalSubsidy> {
        self.qualification()?.medical_subsidies.as_mut()?.last_mut()
    }

    /// Creates the model object a container stands for; returns its 1-based index if it repeats.
    pub(crate) fn open(&mut self, ctx: Ctx) -> Option<usize> {
        let index = match ctx {
            Ctx::Unit => {
                self.is_bulk = true;
                self.units.push(Patient::default());
                self.in_unit = true;
                self.units_seen += 1;
                self.units_seen
            }
            Ctx::SearchInfo => {
                self.person().search_info.get_or_insert_with(Default::default);
                0
            }
            Ctx::Result => {
                let list = &mut self.person().qualifications;
                // Almost every person has one result: room for exactly one, not the four a
                // first push of a struct this size would reserve (~3 KB more per bulk unit).
                if list.is_empty() {
                    list.reserve_exact(1);
                }
                list.push(Qualification::default());
                list.len()
            }
            _ => {
                if matches!(ctx, Ctx::SubsidyList | Ctx::Subsidy) && self.person().qualifications.is_empty() {
                    // PMH data a layout file placed at the person level, before any result: it
                    // gets a result of its own, merged into the person's first real one at the end.
                    self.person().qualifications.push(Qualification { holder: true, ..Default::default() });
                }
                let q = self.qualification()?;
                match ctx {
                    Ctx::Elderly => {
                        q.elderly_recipient_certificate.get_or_insert_with(Default::default);
                        0
                    }
                    Ctx::Limit => {
                        q.limit_application_certificate.get_or_insert_with(Default::default);
                        0
                    }
                    Ctx::Specific => {
                        q.specific_diseases_certificates.push(Default::default());
                        q.specific_diseases_certificates.len()
                    }
                    Ctx::Ticket => {
                        let tickets = &mut q.medical_aid_details_mut().medical_tickets;
                        tickets.push(Default::default());
                        tickets.len()
                    }
                    Ctx::SubsidyList => {
                        q.medical_subsidies.get_or_insert_with(Vec::new);
                        0
                    }
                    Ctx::Subsidy => {
                        let list = q.medical_subsidies.get_or_insert_with(Vec::new);
                        list.push(MedicalSubsidy::default());
                        list.len()
                    }
                    _ => 0,
                }
            }
        };
        (is_repeatable(ctx) && index > 0).then_some(index)
    }

    /// Objects that report warnings later remember where they were.
    pub(crate) fn record_path(&mut self, ctx: Ctx, path: &str) {
        if !matches!(ctx, Ctx::SearchInfo | Ctx::Subsidy) {
            return;
        }
        let path = path.to_owned();
        match ctx {
            Ctx::SearchInfo => {
                if let Some(s) = self.person().search_info.as_mut() {
                    s.path = path;
                }
            }
            Ctx::Subsidy => {
                if let Some(s) = self.subsidy() {
                    s.path = path;
                }
            }
            _ => {}
        }
    }

    /// A result closed at `path`: it keeps the path if its completion will name it
    /// ([`crate::complete::keeps_path`]). When the layout lets a result's fields come after
    /// its close, that cannot be known yet, and every result keeps its path.
    pub(crate) fn close_result(&mut self, path: &str, fields_may_follow: bool) {
        let list = &mut self.person().qualifications;
        let position = list.len().saturating_sub(1);
        if let Some(q) = list.last_mut().filter(|q| fields_may_follow || crate::complete::keeps_path(q, position)) {
            q.path = path.to_owned();
        }
    }

    /// Stores a leaf's text. Returns false when the slot was already filled (a duplicate);
    /// `codes` receives the warnings about the value (the walker knows where it is).
    pub(crate) fn assign(&mut self, field: Field, text: &str, codes: &mut Vec<WarningCode>) -> bool {
        let v = Value { text, warnings: codes };
        match field {
            Field::Header(f) => assign_header(&mut self.header, f, v),
            Field::Body(BodyField::ReceptionNumber) => {
                self.is_bulk = true;
                put(&mut self.bulk.reception_number, Text::from(crate::text::trim(text)))
            }
            Field::Person(f) => assign_person(self.person(), f, v),
            Field::Search(f) => match self.person().search_info.as_mut() {
                Some(s) => assign_search(s, f, v),
                None => false,
            },
            Field::Result(f) => self.qualification().is_some_and(|q| assign_result(q, f, v)),
            Field::Elderly(f) => self
                .qualification()
                .and_then(|q| q.elderly_recipient_certificate.as_mut())
                .is_some_and(|c| assign_elderly(c, f, v)),
            Field::Limit(f) => self
                .qualification()
                .and_then(|q| q.limit_application_certificate.as_mut())
                .is_some_and(|c| assign_limit(c, f, v)),
            Field::Specific(f) => self
                .qualification()
                .and_then(|q| q.specific_diseases_certificates.last_mut())
                .is_some_and(|c| assign_specific(c, f, v)),
            Field::Ticket(f) => self
                .qualification()
                .and_then(|q| q.medical_aid_block.as_mut()?.medical_tickets.last_mut())
                .is_some_and(|t| assign_ticket(t, f, v)),
            Field::Subsidy(f) => self.subsidy().is_some_and(|s| assign_subsidy(s, f, v)),
            Field::MaxCopay => false,
        }
    }

    /// The document read so far (the completion stage comes after).
    pub(crate) fn finish(
        mut self,
        encoding: Encoding,
        unknown_elements: Vec<UnknownElement>,
        warnings: Vec<Warning>,
    ) -> Document {
        let body = std::mem::take(&mut self.body);
        // The units become the patients as they are: a second vector of a 100,000-unit file's
        // patients would double the peak.
        let mut patients = if self.units.is_empty() { Vec::with_capacity(1) } else { std::mem::take(&mut self.units) };
        let bulk = if self.is_bulk {
            let info = BulkInfo {
                reception_number: self.bulk.reception_number.take(),
                processing_result_status: body.processing_result_status.clone(),
                processing_result_code: body.processing_result_code.clone(),
                processing_result_message: body.processing_result_message.clone(),
                qualification_validity: body.qualification_validity.clone(),
            };
            // After the units, wherever it stood: a stream knows the body's person whole only at
            // the end of the document, and gives it last; given first here, the two parses read
            // one file in two orders.
            if !body.qualifications.is_empty() || body.search_info.is_some() {
                patients.push(body);
            }
            Some(info)
        } else {
            if has_person_content(&body) {
                patients.insert(0, body);
            }
            None
        };
        Document { encoding, header: self.header, patients, unknown_elements, warnings, bulk }
    }
}

fn has_person_content(p: &Patient) -> bool {
    p.reference_number.is_some()
        || p.processing_result_status.is_some()
        || p.processing_result_code.is_some()
        || p.processing_result_message.is_some()
        || p.qualification_validity.is_some()
        || p.prescription_issue_select.is_some()
        || p.search_info.is_some()
        || !p.qualifications.is_empty()
}

/// A leaf's text with the means to warn about it (at the leaf's path).
struct Value<'a> {
    text: &'a str,
    warnings: &'a mut Vec<WarningCode>,
}

impl Value<'_> {
    fn warn(&mut self, code: WarningCode) {
        self.warnings.push(code);
    }

    fn string(&self) -> Text {
        Text::from(self.text)
    }

    fn trimmed(&self) -> Text {
        Text::from(crate::text::trim(self.text))
    }

    fn personal(&self) -> Personal<Text> {
        Personal::new(self.string())
    }

    fn code<C: CodeList>(&mut self) -> C {
        let code = C::from_code(crate::text::trim(self.text));
        if !code.is_known() {
            self.warn(WarningCode::UnknownCode);
        }
        code
    }

    fn date(&mut self) -> Date {
        let date = Date::parse(self.text);
        if date.value.is_none() {
            self.warn(WarningCode::InvalidDate);
        }
        date
    }

    fn datetime(&mut self) -> DateTime {
        let time = DateTime::parse(self.text);
        if time.value.is_none() {
            self.warn(WarningCode::InvalidDate);
        }
        time
    }

    fn number(&self) -> NumberText {
        NumberText::new(self.text)
    }

    fn checked(&self, kind: NumberKind) -> CheckedNumber {
        let text = NumberText::new(self.text);
        CheckedNumber { valid: is_valid_normalized(kind, text.value()), text }
    }
}

/// Fills an empty slot; reports false if it was already filled (the caller keeps the copy).
fn put<T>(slot: &mut Option<T>, value: T) -> bool {
    if slot.is_some() {
        return false;
    }
    *slot = Some(value);
    true
}

/// `5,000円`, `５０００` → `5000`; anything else is not an amount.
pub(crate) fn yen_amount(text: &str) -> Option<Text> {
    let n = normalize(text);
    let digits: Text = n.trim_end_matches('円').chars().filter(|&c| c != ',' && c != '，').collect();
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

fn assign_header(h: &mut Header, f: HeaderField, mut v: Value<'_>) -> bool {
    use HeaderField as H;
    match f {
        H::ProcessExecutionTime => put(&mut h.process_execution_time, v.datetime()),
        H::QualificationConfirmationDate => put(&mut h.qualification_confirmation_date, v.date()),
        H::MedicalInstitutionCode => put(&mut h.medical_institution_code, v.trimmed()),
        H::ArbitraryFileIdentifier => put(&mut h.arbitrary_file_identifier, v.trimmed()),
        H::ReferenceClassification => put(&mut h.reference_classification, v.code()),
        H::SegmentOfResult => put(&mut h.segment_of_result, v.code()),
        H::ErrorCode => put(&mut h.error_code, v.trimmed()),
        H::ErrorMessage => put(&mut h.error_message, v.string()),
        H::CharacterCodeIdentifier => put(&mut h.character_code_identifier, v.code()),
    }
}

fn assign_person(p: &mut Patient, f: PersonField, mut v: Value<'_>) -> bool {
    use PersonField as P;
    match f {
        P::ReferenceNumber => put(&mut p.reference_number, Personal::new(v.trimmed())),
        P::ProcessingResultStatus => put(&mut p.processing_result_status, v.code()),
        P::ProcessingResultCode => put(&mut p.processing_result_code, v.trimmed()),
        P::ProcessingResultMessage => put(&mut p.processing_result_message, v.string()),
        P::QualificationValidity => put(&mut p.qualification_validity, v.code()),
        P::PrescriptionIssueSelect => put(&mut p.prescription_issue_select, v.code()),
    }
}

fn assign_search(s: &mut SearchInfo, f: SearchField, mut v: Value<'_>) -> bool {
    use SearchField as S;
    match f {
        S::InsurerNumber => put(&mut s.insurer_number, v.checked(NumberKind::Insurer)),
        S::InsuredCardSymbol => put(&mut s.insured_card_symbol, v.number()),
        S::InsuredIdentificationNumber => put(&mut s.insured_identification_number, v.number()),
        S::InsuredBranchNumber => put(&mut s.insured_branch_number, v.number()),
        S::Birthdate => put(&mut s.birthdate, Personal::new(v.date())),
        S::LimitConsFlg => put(&mut s.limit_application_certificate_related_cons_flg, v.code()),
        S::ArbitraryIdentifier => put(&mut s.arbitrary_identifier, v.trimmed()),
    }
}

fn assign_result(q: &mut Qualification, f: ResultField, mut v: Value<'_>) -> bool {
    use ResultField as R;
    match f {
        R::InsuredCardClassification => put(&mut q.insured_card_classification, v.code()),
        R::InsurerNumber => put(&mut q.insurer_number, v.checked(NumberKind::Insurer)),
        R::InsuredCardSymbol => put(&mut q.insured_card_symbol, v.number()),
        R::InsuredIdentificationNumber => put(&mut q.insured_identification_number, v.number()),
        R::InsuredBranchNumber => put(&mut q.insured_branch_number, v.number()),
        R::PersonalFamilyClassification => put(&mut q.personal_family_classification, v.code()),
        R::InsuredName => put(&mut q.insured_name, v.personal()),
        R::Name => put(&mut q.name, v.personal()),
        R::NameOfOther => put(&mut q.name_of_other, v.personal()),
        R::NameKana => put(&mut q.name_kana, v.personal()),
        R::NameOfOtherKana => put(&mut q.name_of_other_kana, v.personal()),
        R::Sex1 => put(&mut q.sex1, v.code()),
        R::Sex2 => put(&mut q.sex2, v.code()),
        R::Birthdate => put(&mut q.birthdate, Personal::new(v.date())),
        R::Address => put(&mut q.address, v.personal()),
        R::PostNumber => put(&mut q.post_number, v.personal()),
        R::QualificationDate => put(&mut q.qualification_date, v.date()),
        R::DisqualificationDate => put(&mut q.disqualification_date, v.date()),
        R::InsuredCertificateIssuanceDate => put(&mut q.insured_certificate_issuance_date, v.date()),
        R::InsuredCardValidDate => put(&mut q.insured_card_valid_date, v.date()),
        R::InsuredCardExpirationDate => put(&mut q.insured_card_expiration_date, v.date()),
        R::InsuredPartialContributionRatio => put(&mut q.insured_partial_contribution_ratio, v.trimmed()),
        R::PreschoolClassification => put(&mut q.preschool_classification, v.code()),
        R::ReasonOfLoss => put(&mut q.reason_of_loss, v.code()),
        R::InsurerName => put(&mut q.insurer_name, v.string()),
        R::LimitConsFlg => put(&mut q.consents_mut().limit_application_certificate_related_cons_flg, v.code()),
        R::LimitConsTime => put(&mut q.consents_mut().limit_application_certificate_related_cons_time, v.datetime()),
        R::SpecificDiseasesConsFlg => {
            put(&mut q.consents_mut().specific_diseases_certificate_related_cons_flg, v.code())
        }
        R::SpecificDiseasesConsTime => {
            put(&mut q.consents_mut().specific_diseases_certificate_related_cons_time, v.datetime())
        }
        R::SpecificHealthCheckupsConsFlg => put(&mut q.consents_mut().specific_health_checkups_info_cons_flg, v.code()),
        R::SpecificHealthCheckupsConsTime => {
            put(&mut q.consents_mut().specific_health_checkups_info_cons_time, v.datetime())
        }
        R::SpecificHealthCheckupsAvailableTime => {
            put(&mut q.consents_mut().specific_health_checkups_info_available_time, v.datetime())
        }
        R::PharmacistsConsFlg => put(&mut q.consents_mut().pharmacists_info_cons_flg, v.code()),
        R::PharmacistsConsTime => put(&mut q.consents_mut().pharmacists_info_cons_time, v.datetime()),
        R::PharmacistsAvailableTime => put(&mut q.consents_mut().pharmacists_info_available_time, v.datetime()),
        R::DiagnosisConsFlg => put(&mut q.consents_mut().diagnosis_info_cons_flg, v.code()),
        R::DiagnosisConsTime => put(&mut q.consents_mut().diagnosis_info_cons_time, v.datetime()),
        R::DiagnosisAvailableTime => put(&mut q.consents_mut().diagnosis_info_available_time, v.datetime()),
        R::OperationConsFlg => put(&mut q.consents_mut().operation_info_cons_flg, v.code()),
        R::OperationConsTime => put(&mut q.consents_mut().operation_info_cons_time, v.datetime()),
        R::OperationAvailableTime => put(&mut q.consents_mut().operation_info_available_time, v.datetime()),
        R::ReferenceNumber => put(&mut q.reference_number, Personal::new(v.trimmed())),
        R::ArbitraryIdentifier => put(&mut q.arbitrary_identifier, v.trimmed()),
        R::QualificationConfirmationKey => put(&mut q.qualification_confirmation_key, Personal::new(v.trimmed())),
        R::PublicExpenseNumber => {
            put(&mut q.medical_aid_details_mut().public_expense_number, v.checked(NumberKind::Payer))
        }
        R::BeneficiaryNumber => put(&mut q.medical_aid_details_mut().beneficiary_number, v.number()),
        R::WelfareOfficeName => put(&mut q.medical_aid_details_mut().welfare_office_name, v.string()),
        R::NumberOfMedicalTickets => put(&mut q.medical_aid_details_mut().number_of_medical_tickets, v.trimmed()),
        R::MedicalSubsidyConsFlg => put(&mut q.consents_mut().medical_subsidy_cons_flg, v.code()),
        R::MedicalSubsidyConsTime => put(&mut q.consents_mut().medical_subsidy_cons_time, v.datetime()),
    }
}

fn assign_elderly(c: &mut ElderlyRecipientCertificate, f: ElderlyField, mut v: Value<'_>) -> bool {
    use ElderlyField as E;
    match f {
        E::CertificateDate => put(&mut c.certificate_date, v.date()),
        E::ValidStartDate => put(&mut c.valid_start_date, v.date()),
        E::ValidEndDate => put(&mut c.valid_end_date, v.date()),
        E::ContributionRatio => put(&mut c.contribution_ratio, v.trimmed()),
    }
}

fn assign_limit(c: &mut LimitApplicationCertificate, f: LimitField, mut v: Value<'_>) -> bool {
    use LimitField as L;
    match f {
        L::Classification => put(&mut c.classification, v.code()),
        L::ClassificationFlag => put(&mut c.classification_flag, v.code()),
        L::CertificateDate => put(&mut c.certificate_date, v.date()),
        L::ValidStartDate => put(&mut c.valid_start_date, v.date()),
        L::ValidEndDate => put(&mut c.valid_end_date, v.date()),
        L::LongTermDate => put(&mut c.long_term_date, v.date()),
    }
}

fn assign_specific(c: &mut SpecificDiseasesCertificate, f: SpecificField, mut v: Value<'_>) -> bool {
    use SpecificField as S;
    match f {
        S::DiseaseCategory => put(&mut c.disease_category, v.code()),
        S::CertificateDate => put(&mut c.certificate_date, v.date()),
        S::ValidStartDate => put(&mut c.valid_start_date, v.date()),
        S::ValidEndDate => put(&mut c.valid_end_date, v.date()),
        S::SelfPay => put(&mut c.self_pay, v.trimmed()),
    }
}

fn assign_ticket(t: &mut MedicalTicket, f: TicketField, mut v: Value<'_>) -> bool {
    use TicketField as T;
    match f {
        T::TicketType => put(&mut t.ticket_type, v.code()),
        T::ValidDate => put(&mut t.medical_ticket_valid_date, v.date()),
        T::ExpirationDate => put(&mut t.medical_ticket_expiration_date, v.date()),
        T::IssueNumber => put(&mut t.issue_number, Personal::new(v.trimmed())),
        T::MedicalTreatmentMonth => put(&mut t.medical_treatment_month, v.trimmed()),
        T::DesignatedInstitutionCode => put(&mut t.designated_medical_institution_code, v.trimmed()),
        T::DesignatedInstitutionFlag => put(&mut t.designated_medical_institution_flag, v.code()),
        T::DesignatedInstitutionName => put(&mut t.designated_medical_institution_name, v.string()),
        T::PrescriptionIssuerInstitutionCode => put(&mut t.prescription_issuer_medical_institution_code, v.trimmed()),
        T::PrescriptionIssuerInstitutionName => put(&mut t.prescription_issuer_medical_institution_name, v.string()),
        T::InjuryName1 => put(&mut t.injury_name1, v.personal()),
        T::InjuryName2 => put(&mut t.injury_name2, v.personal()),
        T::InjuryName3 => put(&mut t.injury_name3, v.personal()),
        T::MedicalTreatmentType => put(&mut t.medical_treatment_type, v.code()),
        T::SelfPayAmount => put(&mut t.self_pay_amount, v.trimmed()),
        T::DistrictContactName => put(&mut t.district_contact_name, v.personal()),
        T::HandlingContactName => put(&mut t.handling_contact_name, v.personal()),
        T::SingleOrCombinedUse => put(&mut t.single_or_combined_use, v.code()),
        T::StatusOfSocialInsurance => put(&mut t.status_of_social_insurance, v.trimmed()),
        T::ConsistencyFlag => put(&mut t.consistency_flag, v.trimmed()),
        T::StatusOfInfection => put(&mut t.status_of_infection, v.trimmed()),
        T::StatusOfElderlyMedicalCare => put(&mut t.status_of_elderly_medical_care, v.trimmed()),
        T::StatusOfPrefecturalExpenses => put(&mut t.status_of_prefectural_expenses, v.trimmed()),
        T::Remarks1 => put(&mut t.remarks1, v.personal()),
        T::Remarks2 => put(&mut t.remarks2, v.personal()),
        T::Remarks3 => put(&mut t.remarks3, v.personal()),
    }
}

fn assign_subsidy(s: &mut MedicalSubsidy, f: SubsidyField, mut v: Value<'_>) -> bool {
    use SubsidyField as S;
    match f {
        S::InsurerNumber => put(&mut s.insurer_number, v.number()),
        S::RecipientNumber => put(&mut s.recipient_number, v.number()),
        S::CertificationName => put(&mut s.certification_name, v.string()),
        S::CertificationSubKey => put(&mut s.certification_sub_key, v.trimmed()),
        S::Segment => put(&mut s.segment, v.trimmed()),
        S::IncomeSegment => put(&mut s.income_segment, v.trimmed()),
        S::AdditionalConditions => put(&mut s.additional_conditions, v.trimmed()),
        S::DesignatedMedicalInstitutions => put(&mut s.designated_medical_institutions, v.string()),
        S::AlwaysReimbursement => put(&mut s.always_reimbursement, v.code()),
        S::ValidStartDate => put(&mut s.valid_start_date, v.date()),
        S::ValidEndDate => put(&mut s.valid_end_date, v.date()),
    }
}
