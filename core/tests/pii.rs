//! Personal data never reaches Debug output or error messages.

const PERSONAL: &[&str] = &[
    "見本",
    "ﾐﾎﾝ",
    "髙橋",
    "練馬区見本町",
    "176-0000",
    "19530311",
    "1953-03-11",
    "138057",
    "４０１２３",
    "40123",
    "52136017",
    "1234566",
    "K000012345",
    "12136016",
    "7654320",
    "24434",
    "1112226",
    "見本病",
];

use kohi_fixtures::xml_cases as fixtures;

/// Every personal value of a document, read explicitly, as sent and trimmed (values of 4+
/// characters, so that a branch number like `00` does not match unrelated digits).
fn personal_values(doc: &kohi::Document) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |v: Option<&str>| {
        if let Some(v) = v.filter(|v| v.trim().chars().count() >= 4) {
            out.push(v.to_owned());
            out.push(v.trim().to_owned());
        }
    };
    for p in &doc.patients {
        add(p.reference_number.as_ref().map(|r| r.expose().as_str()));
        for q in &p.qualifications {
            for field in [&q.name, &q.name_kana, &q.insured_name, &q.address, &q.post_number, &q.name_of_other] {
                add(field.as_ref().map(|v| v.expose().as_str()));
            }
            add(q.birthdate.as_ref().map(|d| d.expose().raw.as_ref()));
            add(q.insurer_number.as_ref().map(|n| n.text.raw()));
            for n in [&q.insured_card_symbol, &q.insured_identification_number] {
                add(n.as_ref().map(|n| n.raw()));
            }
            for t in &q.medical_aid_details().medical_tickets {
                add(t.injury_name1.as_ref().map(|v| v.expose().as_str()));
            }
        }
        for k in &p.kohi {
            add(k.payer_number.as_ref().map(|v| v.expose().as_str()));
            add(k.recipient_number.as_ref().map(|v| v.expose().as_str()));
        }
    }
    out
}

#[test]
fn debug_of_every_parsed_fixture_hides_personal_fields() {
    let mut checked = 0;
    for file in fixtures() {
        match kohi::parse(&std::fs::read(&file).unwrap()) {
            Ok(doc) => {
                let debug = format!("{doc:?}");
                let secrets = personal_values(&doc);
                // Debug prints a leaked string quoted; a bare substring could be a coincidence
                // (a symbol inside a 医療機関コード).
                for secret in &secrets {
                    let quoted = format!("{secret:?}");
                    assert!(!debug.contains(&quoted), "{}: Debug shows a personal value", file.display());
                }
                checked += secrets.len();
            }
            Err(e) => {
                for text in [e.to_string(), format!("{e:?}"), e.to_json()] {
                    for secret in PERSONAL {
                        assert!(!text.contains(secret), "{}: error shows {secret}", file.display());
                    }
                }
            }
        }
    }
    // The test must have had something to look for.
    assert!(checked > 50, "{checked}");
}

#[test]
fn malformed_documents_with_personal_text_do_not_echo_it() {
    for xml in [
        "<XmlMsg><Name>見本太郎</Nam>",
        "<XmlMsg><Name>見本太郎</Name></XmlMsg></見本>",
        "<XmlMsg><Name a=見本>x</Name></XmlMsg>",
        "<XmlMsg><Name>見本&見本;</Name></XmlMsg>",
        "<見本太郎/>",
        "<?xml version=\"1.0\" encoding=\"見本\"?><XmlMsg/>",
    ] {
        let e = kohi::parse(xml.as_bytes()).unwrap_err();
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains("見本"), "{xml}: {text}");
        }
    }
}

/// The new refusals of hostile shapes (issue 13) say where, never what: a limit on names or on
/// kept bytes, a character XML does not allow, a split number.
#[test]
fn limit_and_character_errors_do_not_echo_personal_text() {
    let name = "見本太郎".repeat(40); // 480 bytes: over the name limit
    let deep: String = (0..40).map(|i| format!("<見本{i:0200}>")).collect();
    for xml in [
        format!("<XmlMsg><MessageBody><{name}/></MessageBody></XmlMsg>"),
        format!("<XmlMsg><MessageBody>{deep}{}</MessageBody></XmlMsg>", "<B 見本=\"52136017\"/>".repeat(3000)),
        "<XmlMsg><MessageBody><Name>見本\u{fffe}52136017</Name></MessageBody></XmlMsg>".to_owned(),
        "<XmlMsg><MessageBody><Name>見本&#xFFFF;52136017</Name></MessageBody></XmlMsg>".to_owned(),
    ] {
        let e = kohi::parse(xml.as_bytes()).unwrap_err();
        for text in [e.to_string(), format!("{e:?}"), e.to_json()] {
            assert!(!text.contains("見本") && !text.contains("52136017"), "{text}");
        }
    }
    let split = "<XmlMsg><MessageBody><ResultList><ResultOfQualificationConfirmation><MedicalSubsidyCertificateList>\
        <MedicalSubsidyCertificateInfo><MedicalSubsidyInsurerNumber>5213<X>9</X>6017</MedicalSubsidyInsurerNumber>\
        </MedicalSubsidyCertificateInfo></MedicalSubsidyCertificateList></ResultOfQualificationConfirmation></ResultList>\
        </MessageBody></XmlMsg>";
    let doc = kohi::parse(split.as_bytes()).unwrap();
    let shown = format!("{doc:?}");
    assert!(!shown.contains("52136017") && !shown.contains("5213"), "{shown}");
}
