//! Facts about the fixtures, written by hand from docs/DOMAIN.md (not from output):
//! the 公費 slots a レセコン must fill, PMH states, and the A1 rules.

use kohi::{Document, KohiSource, PmhState, Scope, WarningCode};

fn parse(name: &str) -> Document {
    let path = kohi_fixtures::path(name);
    kohi::parse(&std::fs::read(path).unwrap()).unwrap()
}

/// (slot, 法別, 公費負担者番号, 受給者番号) of the first patient.
fn slots(doc: &Document) -> Vec<(Option<u8>, String, String, String)> {
    doc.patients[0]
        .kohi
        .iter()
        .map(|k| {
            (
                k.slot,
                k.law_number.as_deref().unwrap_or_default().to_owned(),
                k.payer_number.as_ref().map(|p| p.expose().to_string()).unwrap_or_default(),
                k.recipient_number.as_ref().map(|r| r.expose().to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

fn s(slot: Option<u8>, law: &str, payer: &str, recipient: &str) -> (Option<u8>, String, String, String) {
    (slot, law.into(), payer.into(), recipient.into())
}

#[test]
fn appendix_b_two_subsidies_national_then_local() {
    // Domain appendix (b): 第1公費 52/52136017/1234566, 第2公費 88/88131016/K000012345.
    let doc = parse("face_pmh_two.xml");
    assert_eq!(slots(&doc), vec![s(Some(1), "52", "52136017", "1234566"), s(Some(2), "88", "88131016", "K000012345")]);
    let p = &doc.patients[0];
    assert_eq!(p.pmh, PmhState::Received);
    let [national, local] = &p.kohi[..] else { panic!() };
    assert_eq!((national.scope, national.recipient_number_valid), (Scope::National, Some(true)));
    assert_eq!((local.scope, local.recipient_number_valid), (Scope::Local, None));
    assert_eq!(national.prefecture_number.as_deref(), Some("13"));
    assert_eq!(national.agency_number.as_deref(), Some("601"));
    assert_eq!(national.max_copayment.as_ref().and_then(|m| m.amount.as_deref()), Some("5000"));
    assert_eq!(national.income_segment.as_deref(), Some("一般Ⅰ"));
    assert_eq!(national.always_reimbursement, Some(false));
    assert_eq!(national.valid_to.as_ref().and_then(|d| d.value), chrono::NaiveDate::from_ymd_opt(2026, 3, 31));
    assert!(doc.warnings.is_empty());
}

/// `face_pmh_two` with its periods written `2025/4/1`, `2026/03/31`, in full-width digits with
/// full-width hyphens, and `2027/9/30`: the days they spell, each text kept as sent, no
/// warning. The slots (and the JSON) are those of `face_pmh_two`.
#[test]
fn periods_written_other_ways_are_the_days_they_spell() {
    let doc = parse("pmh_date_forms.xml");
    assert_eq!(slots(&doc), vec![s(Some(1), "52", "52136017", "1234566"), s(Some(2), "88", "88131016", "K000012345")]);
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d);
    let periods: Vec<_> = doc.patients[0]
        .kohi
        .iter()
        .map(|k| {
            let (from, to) = (k.valid_from.as_ref().unwrap(), k.valid_to.as_ref().unwrap());
            ((from.raw.to_string(), from.value), (to.raw.to_string(), to.value))
        })
        .collect();
    assert_eq!(
        periods,
        [
            (("2025/4/1".into(), day(2025, 4, 1)), ("2026/03/31".into(), day(2026, 3, 31))),
            (("２０２５－０４－０１".into(), day(2025, 4, 1)), ("2027/9/30".into(), day(2027, 9, 30))),
        ]
    );
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
}

#[test]
fn out_of_order_subsidies_follow_the_receipt_order() {
    // Given 88 (local), 54, 21: the 記載要領 list puts 21 (精神通院) before 54 (難病), local last.
    let doc = parse("pmh_three_out_of_order.xml");
    assert_eq!(
        slots(&doc),
        vec![
            s(Some(1), "21", "21136015", "3000015"),
            s(Some(2), "54", "54136015", "1112226"),
            s(Some(3), "88", "88131016", "K000067890"),
        ]
    );
    let cap = doc.patients[0].kohi[1].max_copayment.as_ref().unwrap();
    assert_eq!(cap.amount, None);
    assert_eq!(cap.items.len(), 2);
    assert_eq!((cap.items[0].name.as_str(), cap.items[0].value.as_str()), ("MonthlyLimit", "20000"));
    assert_eq!(doc.patients[0].kohi[0].max_copayment.as_ref().unwrap().amount.as_deref(), Some("5000"));
}

#[test]
fn a_fifth_subsidy_gets_no_slot() {
    let doc = parse("pmh_overflow.xml");
    assert_eq!(
        slots(&doc),
        vec![
            s(Some(1), "21", "21136015", "3000015"),
            s(Some(2), "15", "15136013", "5000302"),
            s(Some(3), "52", "52136017", "1234566"),
            s(Some(4), "54", "54136015", "1112226"),
            s(None, "80", "80136013", "00012345"),
        ]
    );
    let overflow: Vec<_> = doc.warnings.iter().filter(|w| w.code == WarningCode::SlotOverflow).collect();
    assert_eq!(overflow.len(), 1);
    assert!(overflow[0].path.ends_with("MedicalSubsidyCertificateInfo[1]"));
    assert_eq!(doc.patients[0].kohi[4].always_reimbursement, Some(true));
}

#[test]
fn a_renewed_certificate_is_kept_beside_the_current_one() {
    // Every April a certificate is renewed; a result confirmed on 2025-06-04 carries the
    // 2025 certificate and the one valid from 2026-04-01 (cap 10000). Both stay; the one valid
    // on the confirmation date takes the slot, the renewal none, and nothing is dropped.
    let doc = parse("pmh_renewal.xml");
    assert_eq!(
        slots(&doc),
        vec![
            s(Some(1), "52", "52136017", "1234566"),
            s(Some(2), "88", "88131016", "K000012345"),
            s(None, "52", "52136017", "1234566")
        ]
    );
    let kohi = &doc.patients[0].kohi;
    assert_eq!(kohi[0].renewal, Some(kohi::Renewal::Current));
    assert_eq!(&*kohi[0].valid_to.as_ref().unwrap().raw, "20260331");
    assert_eq!(kohi[2].renewal, Some(kohi::Renewal::NotYetValid));
    assert_eq!(&*kohi[2].valid_from.as_ref().unwrap().raw, "20260401");
    assert_eq!(kohi[2].max_copayment.as_ref().unwrap().amount.as_deref(), Some("10000"));
    let codes: Vec<_> = doc.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, vec![WarningCode::RenewedKohi]);
}

#[test]
fn medical_aid_a1_takes_its_numbers_from_the_insurance_fields() {
    // §3.5: 公費負担者番号 from InsurerNumber, 受給者番号 from InsuredIdentificationNumber,
    // 福祉事務所名 from InsurerName when the dedicated elements are absent.
    let doc = parse("medical_aid_a1.xml");
    assert_eq!(slots(&doc), vec![s(Some(1), "12", "12136016", "7654320")]);
    let k = &doc.patients[0].kohi[0];
    assert_eq!(k.source, KohiSource::MedicalAid);
    assert_eq!(k.program, Some("生活保護法 医療扶助"));
    assert_eq!(k.welfare_office_name.as_deref(), Some("新宿区福祉事務所"));
    assert_eq!(&*k.valid_from.as_ref().unwrap().raw, "20251201");
    assert_eq!(&*k.valid_to.as_ref().unwrap().raw, "20251231");
    assert_eq!(doc.patients[0].pmh, PmhState::Absent);
    assert_eq!(doc.patients[0].qualifications[0].medical_aid_details().medical_tickets.len(), 1);
}

#[test]
fn pmh_states_stay_distinct() {
    assert_eq!(parse("face_no_pmh.xml").patients[0].pmh, PmhState::Absent);
    assert_eq!(parse("pmh_consent_refused.xml").patients[0].pmh, PmhState::ReceivedEmpty);
    assert_eq!(parse("face_pmh_two.xml").patients[0].pmh, PmhState::Received);
    assert_eq!(parse("insured_card_utf8.xml").patients[0].pmh, PmhState::Absent);
}

#[test]
fn bulk_units_are_patients_with_their_own_reference_numbers() {
    let doc = parse("bulk_three_units.xml");
    let refs: Vec<&str> = doc.patients.iter().map(|p| p.reference_number.as_ref().unwrap().expose().as_str()).collect();
    assert_eq!(refs, ["1001", "1002", "1003"]);
    assert_eq!(doc.patients[1].qualification_validity.as_ref().map(kohi::codes::CodeList::code), Some("4"));
    assert!(doc.patients[1].qualifications.is_empty());
    assert_eq!(doc.patients[2].kohi[0].law_number.as_deref(), Some("12"));
    assert_eq!(doc.bulk.as_ref().unwrap().reception_number.as_deref(), Some("R202511160001"));
}

#[test]
fn multiple_matches_keep_every_result() {
    let doc = parse("multiple_match.xml");
    assert_eq!(doc.patients.len(), 1);
    let branches: Vec<&str> =
        doc.patients[0].qualifications.iter().map(|q| q.insured_branch_number.as_ref().unwrap().value()).collect();
    assert_eq!(branches, ["00", "01"]);
}

#[test]
fn errors_in_the_result_are_data_not_failures() {
    let doc = parse("header_error.xml");
    assert_eq!(doc.header.segment_of_result.as_ref().map(kohi::codes::CodeList::code), Some("9"));
    assert_eq!(doc.header.error_code.as_deref(), Some("PLACEHOLDER-CODE"));
    assert!(doc.patients.is_empty());
    let doc = parse("person_error_sjis.xml");
    assert_eq!(doc.encoding, kohi::Encoding::ShiftJis);
    let p = &doc.patients[0];
    assert_eq!(p.processing_result_status.as_ref().map(kohi::codes::CodeList::code), Some("2"));
    assert_eq!(p.processing_result_message.as_deref(), Some("該当する資格情報が存在しません。"));
    // 06139993 fails its check digit (should be 2): a warning, the file still parses.
    assert_eq!(doc.warnings.len(), 1);
    assert_eq!(doc.warnings[0].code, WarningCode::InsurerCheckDigit);
}

#[test]
fn full_width_and_padded_numbers_are_normalised_and_kept_raw() {
    let doc = parse("fullwidth_padded_numbers.xml");
    assert_eq!(slots(&doc), vec![s(Some(1), "54", "54136015", "1112226"), s(Some(2), "80", "80136013", "0012345")]);
    let k = &doc.patients[0].kohi[0];
    assert_eq!(k.payer_number_raw.as_ref().unwrap().expose(), "５４１３６０１５");
    assert_eq!(k.recipient_number_raw.as_ref().unwrap().expose(), "\u{3000}１１１２２２６\u{3000}");
    let q = &doc.patients[0].qualifications[0];
    let insurer = q.insurer_number.as_ref().unwrap();
    assert_eq!((insurer.text.value(), insurer.text.raw(), insurer.valid), ("138057", "  138057", true));
    assert!(doc.warnings.is_empty());
}

#[test]
fn wrong_check_digits_warn_and_keep_the_number() {
    let doc = parse("wrong_check_digit.xml");
    let codes: Vec<_> = doc.warnings.iter().map(|w| (w.code, w.path.rsplit('/').next().unwrap())).collect();
    assert_eq!(
        codes,
        vec![
            (WarningCode::InsurerCheckDigit, "InsurerNumber"),
            (WarningCode::PayerCheckDigit, "MedicalSubsidyInsurerNumber"),
            (WarningCode::RecipientCheckDigit, "MedicalSubsidyRecipientNumber"),
            (WarningCode::PayerCheckDigit, "MedicalSubsidyInsurerNumber"),
        ]
    );
    assert_eq!(slots(&doc)[0], s(Some(1), "54", "54136016", "1112227"));
}

#[test]
fn cp932_only_characters_survive() {
    let doc = parse("sjis_cp932_chars.xml");
    let q = &doc.patients[0].qualifications[0];
    assert_eq!(q.name.as_ref().unwrap().expose(), "髙橋　①子");
    assert!(q.address.as_ref().unwrap().expose().contains("㈱見本ビル①号室"));
    assert_eq!(slots(&doc), vec![s(Some(1), "54", "54270004", "4242426")]);
}

#[test]
fn unknown_elements_and_codes_are_kept_and_warned() {
    let doc = parse("unknown_element_and_code.xml");
    let p = &doc.patients[0];
    assert_eq!(p.qualification_validity.as_ref().map(kohi::codes::CodeList::code), Some("7"));
    assert!(
        doc.unknown_elements.iter().any(|u| u.path.ends_with("NewConsentInfo/NewConsentFlg") && u.text.expose() == "1")
    );
    assert!(doc.unknown_elements.iter().any(|u| u.path.ends_with("CopaymentCategoryCode/@kind")));
    let birth = p.qualifications[0].birthdate.as_ref().unwrap().expose();
    assert_eq!((birth.raw.as_ref(), birth.value), ("19850230", None));
    let count = |c| doc.warnings.iter().filter(|w| w.code == c).count();
    assert_eq!(count(WarningCode::UnknownCode), 3);
    assert_eq!(count(WarningCode::InvalidDate), 2);
    assert_eq!(count(WarningCode::UnknownElement), 4);
    // An unknown AlwaysReimbursementFlg value gives no verdict rather than a guess.
    assert_eq!(p.kohi[0].always_reimbursement, None);
}

#[test]
fn negative_fixtures_give_their_error_codes() {
    for (name, code) in [
        ("error_truncated.xml", "malformed_xml"),
        ("error_not_xml.xml", "malformed_xml"),
        ("error_doctype.xml", "doctype_not_allowed"),
        ("error_wrong_root.xml", "unexpected_root"),
        ("error_bad_utf8.xml", "invalid_encoding"),
        ("error_bad_sjis.xml", "invalid_encoding"),
        ("error_unsupported_encoding.xml", "unsupported_encoding"),
    ] {
        let path = kohi_fixtures::path(name);
        let err = kohi::parse(&std::fs::read(path).unwrap()).unwrap_err();
        assert_eq!(err.code(), code, "{name}");
    }
}

/// A certificate kohi reads whose 受給者番号 sits under a name it does not know: the 公費 is in
/// its slot without a 受給者番号 (a claim with it is returned), so the person is
/// `received_unread` with an `unmapped_kohi_number` warning, never `received` (read whole).
#[test]
fn a_recipient_number_under_an_unknown_name_is_not_read_whole() {
    let face = String::from_utf8(kohi_fixtures::read("face_pmh_two.xml")).unwrap();
    let renamed = face.replacen("MedicalSubsidyRecipientNumber>1234566<", "JukyushaBango>1234566<", 1).replacen(
        "1234566</MedicalSubsidyRecipientNumber>",
        "1234566</JukyushaBango>",
        1,
    );
    assert!(renamed.contains("<JukyushaBango>1234566</JukyushaBango>"));
    let doc = kohi::parse(renamed.as_bytes()).unwrap();
    let p = &doc.patients[0];
    assert_eq!(slots(&doc)[0], s(Some(1), "52", "52136017", ""));
    assert_eq!(p.pmh, PmhState::ReceivedUnread);
    let unmapped: Vec<&str> =
        doc.warnings.iter().filter(|w| w.code == WarningCode::UnmappedKohiNumber).map(|w| w.path.as_str()).collect();
    assert_eq!(unmapped.len(), 1, "{unmapped:?}");
    assert!(unmapped[0].ends_with("/MedicalSubsidyCertificateInfo[1]/JukyushaBango"), "{unmapped:?}");
    // An unknown element of a certificate that is not a 公費 number changes nothing.
    let extra = face.replacen("<AlwaysReimbursementFlg>0</AlwaysReimbursementFlg>", "<Kubun>01</Kubun>", 1);
    assert_eq!(kohi::parse(extra.as_bytes()).unwrap().patients[0].pmh, PmhState::Received);
}

/// A 公費 with no renewal beside it whose period does not hold the 資格確認日 (2025-06-04 here):
/// an expired 54 and a 52 not valid yet keep their slots, as sent (no source says otherwise),
/// and each warns `kohi_outside_period`. Before, nothing said so: the expired 54 held 第1公費
/// without a word, and could push a valid 公費 past the fourth.
#[test]
fn a_kohi_outside_its_period_on_the_confirmation_day_warns_and_keeps_its_slot() {
    let face = String::from_utf8(std::fs::read(kohi_fixtures::path("face_pmh_two.xml")).unwrap()).unwrap();
    let dates = |from: &str, to: &str| {
        format!(
            "<MedicalSubsidyValidStartDate>{from}</MedicalSubsidyValidStartDate>\
             <MedicalSubsidyValidEndDate>{to}</MedicalSubsidyValidEndDate>"
        )
    };
    let (start, end) =
        (face.find("<MedicalSubsidyValidStartDate>").unwrap(), face.find("</MedicalSubsidyValidEndDate>").unwrap());
    // The first certificate (the 52) starts in 2026; the 88's period is left as it is.
    let not_yet = format!(
        "{}{}{}",
        &face[..start],
        dates("20260401", "20270331"),
        &face[end + "</MedicalSubsidyValidEndDate>".len()..]
    );
    let doc = kohi::parse(not_yet.as_bytes()).unwrap();
    assert_eq!(slots(&doc), vec![s(Some(1), "52", "52136017", "1234566"), s(Some(2), "88", "88131016", "K000012345")]);
    let outside: Vec<&str> =
        doc.warnings.iter().filter(|w| w.code == WarningCode::KohiOutsidePeriod).map(|w| w.path.as_str()).collect();
    assert_eq!(
        outside,
        [
            "XmlMsg/MessageBody/ResultList/ResultOfQualificationConfirmation[1]/MedicalSubsidyCertificateList/MedicalSubsidyCertificateInfo[1]"
        ]
    );
    let expired = not_yet.replacen(&dates("20260401", "20270331"), &dates("20240401", "20250331"), 1);
    let doc = kohi::parse(expired.as_bytes()).unwrap();
    assert_eq!(doc.warnings.iter().filter(|w| w.code == WarningCode::KohiOutsidePeriod).count(), 1);
    // Valid that day, as the fixture has it: no such warning.
    assert!(parse("face_pmh_two.xml").warnings.iter().all(|w| w.code != WarningCode::KohiOutsidePeriod));
}

/// Renewals none of which is valid on the 資格確認日 (2027-06-01: both periods have ended): the
/// current one (the latest to start) keeps the slot and warns `kohi_outside_period`; the other
/// warns `renewed_kohi` only.
#[test]
fn the_current_renewal_outside_its_period_warns_too() {
    let xml = String::from_utf8(std::fs::read(kohi_fixtures::path("pmh_renewal.xml")).unwrap()).unwrap();
    let later = xml.replace(
        "<QualificationConfirmationDate>20250604</QualificationConfirmationDate>",
        "<QualificationConfirmationDate>20270601</QualificationConfirmationDate>",
    );
    assert_ne!(later, xml);
    let doc = kohi::parse(later.as_bytes()).unwrap();
    let outside: Vec<&str> =
        doc.warnings.iter().filter(|w| w.code == WarningCode::KohiOutsidePeriod).map(|w| w.path.as_str()).collect();
    let current = doc.patients[0].kohi.iter().find(|k| k.renewal == Some(kohi::Renewal::Current)).unwrap();
    assert_eq!(current.valid_from.as_ref().and_then(|d| d.value).map(|d| d.to_string()).as_deref(), Some("2026-04-01"));
    assert_eq!(outside, [current.path.as_str()]);
}

/// 常に償還払い as a JSON boolean (`"AlwaysReimbursementFlg": true` in the Web API's form): the
/// 公費 says so, the text as sent stays on the certificate with its `unknown_code` warning. It
/// was `null`, which a vendor reads as "no", applying a subsidy the patient must claim back.
#[test]
fn always_reimbursement_as_a_json_boolean_is_read() {
    let face = String::from_utf8(kohi_fixtures::read("face_pmh_two.xml")).unwrap();
    for (text, want) in [("true", Some(true)), ("false", Some(false)), ("1", Some(true)), ("maybe", None)] {
        let xml = face.replacen(
            "<AlwaysReimbursementFlg>0</AlwaysReimbursementFlg>",
            &format!("<AlwaysReimbursementFlg>{text}</AlwaysReimbursementFlg>"),
            1,
        );
        let doc = kohi::parse(xml.as_bytes()).unwrap();
        let flags: Vec<_> = doc.patients[0].kohi.iter().map(|k| k.always_reimbursement).collect();
        assert!(flags.contains(&want), "{text}: {flags:?}");
        let json = kohi::to_json(&doc);
        assert!(json.contains(&format!("\"code\":\"{text}\"")), "{text}: the text as sent is kept");
    }
}
