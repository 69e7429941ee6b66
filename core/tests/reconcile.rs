//! Reconcile: stored 公費 against a result. Absence never proposes ending a stored 公費.

use chrono::NaiveDate;
use kohi::{Change, ChangedField, KohiRecord, reconcile};

fn patient(name: &str) -> kohi::Patient {
    let path = kohi_fixtures::path(name);
    kohi::parse(&std::fs::read(path).unwrap()).unwrap().patients.remove(0)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn record(payer: &str, recipient: &str, from: NaiveDate, to: NaiveDate) -> KohiRecord {
    KohiRecord {
        payer_number: payer.into(),
        recipient_number: Some(recipient.into()),
        valid_from: Some(from),
        valid_to: Some(to),
        ..Default::default()
    }
}

fn kinds(changes: &[Change]) -> Vec<&'static str> {
    changes
        .iter()
        .map(|c| match c {
            Change::Added { .. } => "added",
            Change::Changed { .. } => "changed",
            Change::Unchanged { .. } => "unchanged",
            Change::Expired { .. } => "expired",
            Change::NotReported { .. } => "not_reported",
            Change::Unknown { .. } => "unknown",
        })
        .collect()
}

#[test]
fn unchanged_changed_added() {
    let p = patient("face_pmh_two.xml");
    let stored = [
        KohiRecord {
            income_segment: Some("一般Ⅰ".into()),
            max_copayment: Some("5000".into()),
            ..record("52136017", "1234566", day(2025, 4, 1), day(2026, 3, 31))
        },
        KohiRecord {
            payer_number: "88131016".into(),
            recipient_number: Some("K000012345".into()),
            ..Default::default()
        },
    ];
    let changes = kohi::reconcile(&stored, &p, day(2025, 6, 4));
    assert_eq!(kinds(&changes), ["unchanged", "changed"]);
    let Change::Changed { stored: index, fields, .. } = &changes[1] else { panic!() };
    assert_eq!(*index, 1);
    assert_eq!(fields, &[ChangedField::ValidFrom, ChangedField::ValidTo]);

    let changes = kohi::reconcile(&stored[..1], &p, day(2025, 6, 4));
    assert_eq!(kinds(&changes), ["unchanged", "added"]);
}

#[test]
fn a_stored_number_in_full_width_still_matches() {
    let p = patient("face_pmh_two.xml");
    let stored = [KohiRecord {
        income_segment: Some("一般Ⅰ".into()),
        max_copayment: Some("5000".into()),
        ..record("５２１３６０１７", "1234566", day(2025, 4, 1), day(2026, 3, 31))
    }];
    assert_eq!(kinds(&kohi::reconcile(&stored, &p, day(2025, 6, 4)))[0], "unchanged");
}

#[test]
fn expired_when_the_reported_end_is_before_today() {
    let p = patient("face_pmh_two.xml");
    let changes = kohi::reconcile(&[], &p, day(2026, 4, 1));
    // 52 ended 2026-03-31; 88 runs to 2027-09-30.
    assert_eq!(kinds(&changes), ["expired", "added"]);
}

#[test]
fn missing_from_a_received_result_is_not_reported_never_ended() {
    let p = patient("face_pmh_two.xml");
    let stored = [record("54136015", "1112226", day(2025, 3, 1), day(2026, 2, 28))];
    let changes = kohi::reconcile(&stored, &p, day(2025, 6, 4));
    assert_eq!(kinds(&changes), ["not_reported", "added", "added"]);
}

/// PMH data kohi could not read is not data that was not sent: the person's state is
/// `received_unread`, and a stored 公費 whose certificate came under names kohi does not know
/// (the layout is provisional) is `unknown`, never `not_reported` (which a レセコン shows as
/// "the subsidy may have ended").
#[test]
fn a_certificate_kohi_could_not_read_is_unknown_not_missing() {
    let face = String::from_utf8(kohi_fixtures::read("face_pmh_two.xml")).unwrap();
    let second = face.rfind("<MedicalSubsidyCertificateInfo>").unwrap();
    let end = face.rfind("</MedicalSubsidyCertificateInfo>").unwrap() + "</MedicalSubsidyCertificateInfo>".len();
    let renamed = face[second..end]
        .replace("MedicalSubsidyCertificateInfo", "ChihoIryosho")
        .replace("MedicalSubsidyInsurerNumber", "ChihoFutanshaNo");
    let xml = format!("{}{renamed}{}", &face[..second], &face[end..]);
    let doc = kohi::parse(xml.as_bytes()).unwrap();
    let codes: Vec<&str> = doc.warnings.iter().map(|w| w.code.as_str()).collect();
    assert!(codes.contains(&"unmapped_kohi_number"), "{codes:?}");
    let p = &doc.patients[0];
    assert_eq!((p.pmh.as_str(), p.kohi.len()), ("received_unread", 1));
    let stored = [
        KohiRecord {
            payer_number: "88131016".into(),
            recipient_number: Some("K000012345".into()),
            ..Default::default()
        },
        KohiRecord {
            income_segment: Some("一般Ⅰ".into()),
            max_copayment: Some("5000".into()),
            ..record("52136017", "1234566", day(2025, 4, 1), day(2026, 3, 31))
        },
    ];
    let changes = kohi::reconcile(&stored, p, day(2025, 6, 4));
    assert_eq!(kinds(&changes), ["unknown", "unchanged"]);
    // Read whole, the same result still says which stored 公費 it did not carry.
    let whole = patient("face_pmh_two.xml");
    let other = [record("54136015", "1112226", day(2025, 3, 1), day(2026, 2, 28))];
    assert_eq!(kinds(&kohi::reconcile(&other, &whole, day(2025, 6, 4))), ["not_reported", "added", "added"]);
}

#[test]
fn no_pmh_data_means_unknown() {
    let stored = [record("54136015", "1112226", day(2025, 3, 1), day(2026, 2, 28))];
    for fixture in ["face_no_pmh.xml", "pmh_consent_refused.xml", "insured_card_utf8.xml"] {
        let changes = kohi::reconcile(&stored, &patient(fixture), day(2025, 6, 4));
        assert_eq!(kinds(&changes), ["unknown"], "{fixture}");
    }
}

#[test]
fn medical_aid_is_judged_by_its_own_source() {
    let stored = [record("12136016", "7654320", day(2025, 12, 1), day(2025, 12, 31))];
    // A PMH result says nothing about 生活保護: unknown, not "not reported".
    assert_eq!(kinds(&kohi::reconcile(&stored, &patient("face_pmh_two.xml"), day(2025, 12, 2)))[0], "unknown");
    let changes = kohi::reconcile(&stored, &patient("medical_aid_a1.xml"), day(2025, 12, 2));
    assert_eq!(kinds(&changes), ["unchanged"]);
}

#[test]
fn stored_records_from_json() {
    let json = r#"[{"payer_number": "52136017", "recipient_number": "1234566", "valid_from": "2025-04-01",
                    "valid_to": "2026-03-31", "income_segment": "一般Ⅰ", "max_copayment": "5000"}]"#;
    let records = KohiRecord::list_from_json(json).unwrap();
    assert_eq!(records[0].valid_to, Some(day(2026, 3, 31)));
    for bad in [
        "{",
        "{}",
        r#"[{"recipient_number": "1"}]"#,
        r#"[{"payer_number": "1", "extra": 1}]"#,
        r#"[{"payer_number": 5}]"#,
    ] {
        let e = KohiRecord::list_from_json(bad).unwrap_err();
        assert_eq!(e.code(), "invalid_stored_record", "{bad}");
    }
    // The message never quotes the input.
    let e = KohiRecord::list_from_json(r#"[{"payer_number": "見本太郎", "valid_to": "見本"}]"#).unwrap_err();
    assert!(!e.to_string().contains("見本"), "{e}");
}

#[test]
fn changes_serialize_with_a_tag() {
    let p = patient("face_pmh_two.xml");
    let changes = kohi::reconcile(&[], &p, day(2025, 6, 4));
    let json = serde_json::to_value(&changes).unwrap();
    assert_eq!(json[0]["change"], "added");
    assert_eq!(json[0]["kohi"]["payer_number"], "52136017");
}

/// April: the stored certificate was renewed. The result carries both; reconcile proposes the
/// renewal as a change of period and cap, never `not_reported`, and does not add it again.
#[test]
fn a_renewal_is_a_change_of_period_not_a_missing_kohi() {
    let xml = kohi_fixtures::read("pmh_renewal.xml");
    let doc = kohi::parse(&xml).unwrap();
    let stored = [
        KohiRecord {
            max_copayment: Some("5000".into()),
            income_segment: Some("一般Ⅰ".into()),
            ..record("52136017", "1234566", day(2025, 4, 1), day(2026, 3, 31))
        },
        record("88131016", "K000012345", day(2025, 4, 1), day(2027, 9, 30)),
    ];
    // Before the renewal starts: the stored certificate is unchanged.
    let before = reconcile(&stored, &doc.patients[0], day(2026, 3, 1));
    assert_eq!(kinds(&before), ["unchanged", "unchanged"]);
    // Once it has started: a change of period and cap, and nothing else.
    let after = reconcile(&stored, &doc.patients[0], day(2026, 5, 1));
    assert_eq!(kinds(&after), ["changed", "unchanged"]);
    match &after[0] {
        Change::Changed { fields, kohi, .. } => {
            assert_eq!(fields, &[ChangedField::ValidFrom, ChangedField::ValidTo, ChangedField::MaxCopayment]);
            assert_eq!(kohi.max_copayment.as_ref().unwrap().amount.as_deref(), Some("10000"));
        }
        other => panic!("{other:?}"),
    }
}
