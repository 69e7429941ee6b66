//! The golden contract: every `fixtures/<case>.xml` parses to `fixtures/<case>.expected.json`
//! (or, for a negative fixture, fails with the error recorded there). The same files are
//! checked from C, Python and Node.
//!
//! `KOHI_WRITE_GOLDENS=1 cargo test --test golden` writes missing goldens only; an existing
//! golden is never overwritten: it is a reviewed statement of what is right.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    cases.sort();
    cases
}

fn actual(xml: &Path) -> Value {
    let bytes = std::fs::read(xml).unwrap();
    let text = match kohi::parse(&bytes) {
        Ok(doc) => kohi::to_json(&doc),
        Err(e) => format!("{{\"error\":{}}}", e.to_json()),
    };
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_fixture_matches_its_golden() {
    let write_missing = std::env::var_os("KOHI_WRITE_GOLDENS").is_some();
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 20, "fixtures went missing: {}", cases.len());
    for xml in cases {
        let golden = xml.with_extension("expected.json");
        let got = actual(&xml);
        if !golden.exists() {
            if write_missing {
                std::fs::write(&golden, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            }
            failures.push(format!("{}: no golden", xml.display()));
            continue;
        }
        let want: Value = serde_json::from_str(&std::fs::read_to_string(&golden).unwrap()).unwrap();
        if got != want {
            failures.push(format!(
                "{}: differs from its golden\n--- got\n{}",
                xml.display(),
                serde_json::to_string_pretty(&got).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
