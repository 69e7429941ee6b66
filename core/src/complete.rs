//! The stage after reading: what needs a whole patient. Person-level PMH data joins the
//! person's result, 照会番号 falls back to the result's, 保険者番号 checks and other
//! cross-field warnings, the PMH state, and the 公費 mapping (`mapping.rs`). The reader builds
//! the model; this completes it, for a whole document or one streamed unit at a time.

use crate::layout::names as N;
use crate::mapping;
use crate::model::{Document, Header, Patient, PmhState, Qualification, Warning, WarningCode};

/// Completes every patient of a document read whole; their warnings join the document's.
pub(crate) fn document(doc: &mut Document) {
    let on = confirmation_date(&doc.header);
    for patient in &mut doc.patients {
        self::patient(patient, &mut doc.warnings, on);
    }
}

/// [`document`], by value.
pub(crate) fn completed(mut doc: Document) -> Document {
    document(&mut doc);
    doc
}

/// The day a result speaks for: 資格確認日, else the day it was processed.
pub(crate) fn confirmation_date(header: &Header) -> Option<chrono::NaiveDate> {
    let confirmed = header.qualification_confirmation_date.as_ref().and_then(|d| d.value);
    confirmed.or_else(|| header.process_execution_time.as_ref().and_then(|t| t.value).map(|t| t.date()))
}

/// Everything that needs the whole patient: 照会番号, 保険者番号 checks, PMH state, 公費 slots.
pub(crate) fn patient(patient: &mut Patient, warnings: &mut Vec<Warning>, on: Option<chrono::NaiveDate>) {
    merge_person_level_subsidies(patient);
    if patient.reference_number.is_none() {
        patient.reference_number = patient.qualifications.iter().find_map(|q| q.reference_number.clone());
    }
    if let Some(s) = patient.search_info.as_ref().filter(|s| s.insurer_number.as_ref().is_some_and(|n| !n.valid)) {
        warnings.push(Warning::under(WarningCode::InsurerCheckDigit, &s.path, N::INSURER_NUMBER));
    }
    for q in &mut patient.qualifications {
        // Grown push by push while read, a list of two certificates held room for four
        // (hundreds of bytes each, kept as long as the document): trimmed to what it holds.
        if let Some(list) = q.medical_subsidies.as_mut() {
            list.shrink_to_fit();
        }
        for code in insurer_number_warnings(q).into_iter().flatten() {
            warnings.push(Warning::under(code, &q.path, N::INSURER_NUMBER));
        }
    }
    warn_duplicate_results(patient, warnings);
    let received = patient.qualifications.iter().any(|q| q.medical_subsidies.as_ref().is_some_and(|s| !s.is_empty()));
    patient.pmh = if patient.unmapped_kohi_number {
        PmhState::ReceivedUnread
    } else if received {
        PmhState::Received
    } else if patient.qualifications.iter().any(Qualification::has_pmh_block) {
        PmhState::ReceivedEmpty
    } else {
        PmhState::Absent
    };
    mapping::map_patient(patient, warnings, on);
}

/// What a result's 保険者番号 is warned about.
fn insurer_number_warnings(q: &Qualification) -> [Option<WarningCode>; 2] {
    // For 医療扶助 the number is a 公費負担者番号: the 公費 mapping checks it as one.
    let Some(number) = q.insurer_number.as_ref().filter(|_| !q.is_medical_aid()) else { return [None, None] };
    // 法別 12 is 生活保護: without `A1` the result is read as insurance, silently otherwise.
    let law_12 = number.text.value().starts_with("12");
    [(!number.valid).then_some(WarningCode::InsurerCheckDigit), law_12.then_some(WarningCode::MedicalAidUnmarked)]
}

/// Whether a result needs its path once it is complete: only the warnings of this stage and
/// the 医療扶助 公費 entry name a result, and most results (nearly every unit of a bulk file)
/// get none, so the parser keeps the path (a heap string per result) only for those that will.
/// `position` is the result's place among its person's results: a later one may be a
/// duplicate of an earlier one (`warn_duplicate_results` names the later).
pub(crate) fn keeps_path(q: &Qualification, position: usize) -> bool {
    position > 0 || q.is_medical_aid() || insurer_number_warnings(q).iter().any(Option::is_some)
}

/// Two identical results of one person (rare: compared only when there are two or more).
fn warn_duplicate_results(patient: &Patient, warnings: &mut Vec<Warning>) {
    let qs = &patient.qualifications;
    if qs.len() < 2 {
        return;
    }
    let values: Vec<serde_json::Value> = qs.iter().map(|q| serde_json::to_value(q).unwrap_or_default()).collect();
    for (i, q) in qs.iter().enumerate().skip(1) {
        if values[..i].contains(&values[i]) {
            warnings.push(Warning { code: WarningCode::DuplicateResult, path: q.path.clone() });
        }
    }
}

/// PMH data placed at the person level came before the person's result: it joins the first
/// result that came from the file, so a person shows one result.
fn merge_person_level_subsidies(patient: &mut Patient) {
    let qs = &mut patient.qualifications;
    if qs.len() < 2 || !qs[0].holder {
        return;
    }
    let holder = qs.remove(0);
    let (subsidies, consents) = (holder.medical_subsidies, holder.consent_block);
    let into = &mut qs[0];
    match (&mut into.medical_subsidies, subsidies) {
        (Some(list), Some(mut more)) => {
            more.append(list);
            *list = more;
        }
        (slot @ None, more) => *slot = more,
        (Some(_), None) => {}
    }
    if into.consent_block.is_none() {
        into.consent_block = consents;
    }
}

#[cfg(test)]
mod tests {
    use crate::ParseOptions;

    fn unit(result: &str, after: &str) -> String {
        format!(
            "<XmlMsg><MessageHeader/><MessageBody><BulkConfirmUnit><ResultList>\
             <ResultOfQualificationConfirmation>{result}</ResultOfQualificationConfirmation>\
             </ResultList>{after}</BulkConfirmUnit></MessageBody></XmlMsg>"
        )
    }

    /// A bulk file whose header comes after its units, or before them: the same document. A
    /// unit whose two certificates are renewals of one another needs the header's 資格確認日,
    /// which comes last here; the completion warnings come in patient order, a result of the
    /// body last (after the units, as a stream gives it). (Guards any attempt to complete units
    /// as they close, before the header.)
    #[test]
    fn a_header_after_the_units_reads_as_one_before_them() {
        use crate::model::Renewal;
        let certificate = |from: &str, to: &str| {
            format!(
                "<MedicalSubsidyCertificateInfo><MedicalSubsidyInsurerNumber>54136015</MedicalSubsidyInsurerNumber>\
                 <MedicalSubsidyRecipientNumber>1234566</MedicalSubsidyRecipientNumber>\
                 <MedicalSubsidyValidStartDate>{from}</MedicalSubsidyValidStartDate>\
                 <MedicalSubsidyValidEndDate>{to}</MedicalSubsidyValidEndDate></MedicalSubsidyCertificateInfo>"
            )
        };
        // A 保険者番号 whose check digit fails: a completion warning naming its result.
        let bad_insurer = "<ResultOfQualificationConfirmation><InsurerNumber>138058</InsurerNumber>\
                           </ResultOfQualificationConfirmation>";
        let renewed = format!(
            "<ResultOfQualificationConfirmation><InsurerNumber>138057</InsurerNumber>\
             <MedicalSubsidyCertificateList>{}{}</MedicalSubsidyCertificateList></ResultOfQualificationConfirmation>",
            certificate("20260401", "20270331"),
            certificate("20250401", "20260331"),
        );
        let unit = |result: &str| format!("<BulkConfirmUnit><ResultList>{result}</ResultList></BulkConfirmUnit>");
        let header = "<MessageHeader><QualificationConfirmationDate>20250604</QualificationConfirmationDate>\
                      </MessageHeader>";
        let body = format!(
            "<MessageBody><ReceptionNumber>R1</ReceptionNumber>{}{}{}<ResultList>{bad_insurer}</ResultList></MessageBody>",
            unit(bad_insurer),
            unit(&renewed),
            unit(bad_insurer),
        );
        let first = crate::parse(format!("<XmlMsg>{header}{body}</XmlMsg>").as_bytes()).unwrap();
        let last = crate::parse(format!("<XmlMsg>{body}{header}</XmlMsg>").as_bytes()).unwrap();
        for doc in [&first, &last] {
            // On 2025-06-04 the certificate of 2025 is current, not the later-starting renewal.
            let renewal: Vec<_> = doc.patients[1].kohi.iter().map(|k| (k.slot, k.renewal)).collect();
            assert_eq!(renewal, [(Some(1), Some(Renewal::Current)), (None, Some(Renewal::NotYetValid))]);
            let warnings: Vec<_> = doc.warnings.iter().map(|w| (w.code.as_str(), w.path.as_str())).collect();
            let result = "ResultList/ResultOfQualificationConfirmation[1]/InsurerNumber";
            assert_eq!(
                warnings,
                [
                    ("insurer_check_digit", format!("XmlMsg/MessageBody/BulkConfirmUnit[1]/{result}").as_str()),
                    (
                        "renewed_kohi",
                        "XmlMsg/MessageBody/BulkConfirmUnit[2]/ResultList/ResultOfQualificationConfirmation[1]\
                         /MedicalSubsidyCertificateList/MedicalSubsidyCertificateInfo[1]"
                    ),
                    ("insurer_check_digit", format!("XmlMsg/MessageBody/BulkConfirmUnit[3]/{result}").as_str()),
                    ("insurer_check_digit", format!("XmlMsg/MessageBody/{result}").as_str()),
                ]
            );
        }
        assert_eq!(crate::to_json(&first), crate::to_json(&last));
    }

    /// A parsed document keeps its certificates, not room for more: memory held is what came.
    #[test]
    fn certificate_lists_hold_what_came_and_no_more() {
        let xml = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml")).unwrap();
        let doc = crate::parse(&xml).unwrap();
        let list = doc.patients[0].qualifications[0].medical_subsidies.as_ref().unwrap();
        assert_eq!((list.len(), list.capacity()), (2, 2));
        assert_eq!((doc.patients[0].kohi.len(), doc.patients[0].kohi.capacity()), (2, 2));
    }

    fn path_of_first_result(xml: &str, options: &ParseOptions) -> String {
        crate::parse_with(xml.as_bytes(), options).unwrap().patients[0].qualifications[0].path.clone()
    }

    /// The memory a bulk file saves: a result no warning names keeps no path.
    #[test]
    fn a_result_nothing_names_keeps_no_path() {
        let plain =
            unit("<InsuredCardClassification>01</InsuredCardClassification><InsurerNumber>138057</InsurerNumber>", "");
        assert_eq!(path_of_first_result(&plain, &ParseOptions::default()), "");
        let aid = unit(
            "<InsuredCardClassification>A1</InsuredCardClassification><InsurerNumber>12136016</InsurerNumber>",
            "",
        );
        assert_eq!(
            path_of_first_result(&aid, &ParseOptions::default()),
            "XmlMsg/MessageBody/BulkConfirmUnit[1]/ResultList/ResultOfQualificationConfirmation[1]"
        );
    }

    /// A layout that lets a result's own field come after the result closed (here its
    /// 被保険者証区分, which makes it 医療扶助): every result keeps its path.
    #[test]
    fn a_result_whose_fields_may_come_later_keeps_its_path() {
        let placed = r#"{"place": {"InsuredCardClassification": ["BulkConfirmUnit"]}}"#;
        let options = ParseOptions::default().with_layout_json(placed).unwrap();
        let xml =
            unit("<InsurerNumber>138057</InsurerNumber>", "<InsuredCardClassification>A1</InsuredCardClassification>");
        let d = crate::parse_with(xml.as_bytes(), &options).unwrap();
        assert!(d.patients[0].qualifications[0].is_medical_aid(), "the placed field reached the result");
        assert_eq!(
            d.patients[0].qualifications[0].path,
            "XmlMsg/MessageBody/BulkConfirmUnit[1]/ResultList/ResultOfQualificationConfirmation[1]"
        );
    }
}
