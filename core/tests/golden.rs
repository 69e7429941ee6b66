//! The golden contract: every `fixtures/<case>.xml` parses to `fixtures/<case>.expected.json`
//! (or, for a negative fixture, fails with the error recorded there). The same files are
//! checked from C, Python and Node.
//!
//! Goldens are pretty-printed in the contract's key order; a golden with its insignificant
//! whitespace removed must equal `kohi::to_json` byte for byte (that is how C checks them).
//!
//! `KOHI_WRITE_GOLDENS=1 cargo test --test golden` writes missing goldens only; an existing
//! golden is never overwritten: it is a reviewed statement of what is right.

use std::path::Path;

use serde_json::Value;

use kohi_fixtures::{dir as fixtures, xml_cases as cases};

/// The contract text for a fixture, compact and pretty.
fn contract(xml: &Path) -> (String, String) {
    let bytes = std::fs::read(xml).unwrap();
    match kohi::parse(&bytes) {
        Ok(doc) => (kohi::to_json(&doc), serde_json::to_string_pretty(&doc).unwrap()),
        Err(e) => {
            let compact = format!("{{\"error\":{}}}", e.to_json());
            let value: Value = serde_json::from_str(&compact).unwrap();
            (compact, serde_json::to_string_pretty(&value).unwrap())
        }
    }
}

fn actual(xml: &Path) -> Value {
    serde_json::from_str(&contract(xml).0).unwrap()
}

/// Removes whitespace outside strings (what the C test does too).
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_fixture_matches_its_golden() {
    let write_missing = std::env::var_os("KOHI_WRITE_GOLDENS").is_some();
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 20, "fixtures went missing: {}", cases.len());
    for xml in cases {
        let golden = xml.with_extension("expected.json");
        let (compact, pretty) = contract(&xml);
        let got: Value = serde_json::from_str(&compact).unwrap();
        if !golden.exists() {
            if write_missing {
                std::fs::write(&golden, pretty + "\n").unwrap();
            }
            failures.push(format!("{}: no golden", xml.display()));
            continue;
        }
        let text = std::fs::read_to_string(&golden).unwrap();
        let want: Value = serde_json::from_str(&text).unwrap();
        if got != want {
            failures.push(format!("{}: differs from its golden\n--- got\n{pretty}", xml.display()));
        } else if minify(&text) != compact {
            failures.push(format!("{}: same values, but not in the contract's key order", xml.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn minify_keeps_strings_whole() {
    assert_eq!(minify("{ \"a b\" : [ 1 , \"x\\\" y\" ] }"), "{\"a b\":[1,\"x\\\" y\"]}");
}

#[test]
fn utf8_and_shift_jis_give_the_same_json_apart_from_encoding() {
    let mut utf8 = actual(&fixtures().join("insured_card_utf8.xml"));
    let mut sjis = actual(&fixtures().join("insured_card_sjis.xml"));
    assert_eq!(utf8["encoding"], "UTF-8");
    assert_eq!(sjis["encoding"], "Shift_JIS");
    utf8.as_object_mut().unwrap().remove("encoding");
    sjis.as_object_mut().unwrap().remove("encoding");
    assert_eq!(utf8, sjis);
    // And the two files really are different bytes.
    let a = std::fs::read(fixtures().join("insured_card_utf8.xml")).unwrap();
    let b = std::fs::read(fixtures().join("insured_card_sjis.xml")).unwrap();
    assert_ne!(a, b);
}

#[test]
fn written_json_is_the_contract_byte_for_byte() {
    for xml in cases() {
        if let Ok(doc) = kohi::parse(&std::fs::read(&xml).unwrap()) {
            let mut written = Vec::new();
            kohi::write_json(&doc, &mut written).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), kohi::to_json(&doc), "{}", xml.display());
        }
    }
}

/// Each patient's JSON is what the whole contract holds for it, in order.
#[test]
fn a_patient_s_json_is_its_part_of_the_contract() {
    for xml in cases() {
        if let Ok(doc) = kohi::parse(&std::fs::read(&xml).unwrap()) {
            let patients: Vec<String> = doc.patients.iter().map(kohi::patient_to_json).collect();
            let part = format!("\"patients\":[{}]", patients.join(","));
            assert!(kohi::to_json(&doc).contains(&part), "{}", xml.display());
        }
    }
}

/// The Web API's JSON form of a fixture (`fixtures/webapi/<case>.json`) parses to that
/// fixture's golden, in the same key order.
#[test]
fn web_api_json_form_gives_the_same_golden() {
    let dir = fixtures().join("webapi");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let golden = fixtures().join(path.file_name().unwrap()).with_extension("expected.json");
        let want = std::fs::read_to_string(&golden).unwrap();
        let doc = kohi::parse(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(serde_json::to_string(&doc).unwrap(), minify(&want), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 1);
}

/// `case` holds each of `written` and reads exactly as `face_pmh_two`, which writes the same
/// values the plain way.
fn reads_as_face_pmh_two(case: &str, written: &[&str]) {
    let with = std::fs::read_to_string(fixtures().join(case)).unwrap();
    for text in written {
        assert!(with.contains(text), "{case} holds {text}");
    }
    assert_eq!(actual(&fixtures().join(case)), actual(&fixtures().join("face_pmh_two.xml")), "{case}");
}

/// Namespace declarations and XML Schema's instance attributes are XML's own, not the file's
/// values: a file that carries them reads exactly as one without (they were kept as unknown
/// elements, with an `unknown_element` warning each, on every such file).
#[test]
fn namespaces_and_schema_attributes_read_as_if_absent() {
    reads_as_face_pmh_two("face_pmh_namespaces.xml", &[" xmlns=", "xmlns:xsi=", "xsi:nil="]);
}

/// Periods written `2025/4/1`, `2026/03/31`, in full-width digits and hyphens, and `2027/9/30`
/// are the days `face_pmh_two` writes `YYYYMMDD`: the same JSON (they were `invalid_date`s,
/// every 公費 without a readable period).
#[test]
fn periods_written_other_ways_read_as_yyyymmdd() {
    reads_as_face_pmh_two("pmh_date_forms.xml", &[">2025/4/1<", ">２０２５－０４－０１<"]);
}

/// Periods written as dates and times (`2026-03-30T15:00:00.000Z`, as a JSON API may write a
/// date) are the days they are in Japan: `face_pmh_two`'s JSON (they were `invalid_date`s).
#[test]
fn periods_written_as_dates_and_times_read_as_the_days_in_japan() {
    reads_as_face_pmh_two("pmh_date_times.xml", &[">2026-03-30T15:00:00.000Z<", ">2027-09-30T23:59:59<"]);
}

/// Periods in 和暦 and with 年月日 (`令和7年4月1日`, `R08.03.31`, `２０２５年４月１日`,
/// `Ｒ９．９．３０`: how a municipality's system may write them) are the days they spell:
/// `face_pmh_two`'s JSON (they were `invalid_date`s).
#[test]
fn periods_in_wareki_read_as_their_days() {
    reads_as_face_pmh_two("pmh_date_wareki.xml", &[">令和7年4月1日<", ">R08.03.31<"]);
}
