//! The Web API's JSON form reads as the XML it stands for: every fixture that parses, written
//! in the JSON form here (by the rules of `json_form`, from the other side), gives the same
//! document, its encoding aside; and so does every spelling of that JSON the form allows.

use proptest::prelude::*;
use serde_json::Value;

mod common;
use common::json::{Json, json_form, json_tree};
use common::tree::Dice;

/// A document as JSON, its encoding aside.
fn read(doc: &kohi::Document) -> Value {
    let mut value = serde_json::to_value(doc).unwrap();
    value.as_object_mut().unwrap().remove("encoding");
    value
}

#[test]
fn every_fixture_reads_alike_in_the_json_form() {
    let mut checked = 0;
    for path in kohi_fixtures::xml_cases() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(doc) = kohi::parse(&bytes) else { continue };
        let text = kohi::decode(&bytes).unwrap().text.into_owned();
        let json = json_form(&text);
        let from_json = kohi::parse(json.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(read(&from_json), read(&doc), "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 25, "{checked}");
}

/// The fixtures that parse, each with its text in the JSON form's values and what it reads to.
fn sound_fixtures() -> &'static [(String, Json, Value)] {
    static CASES: std::sync::OnceLock<Vec<(String, Json, Value)>> = std::sync::OnceLock::new();
    CASES.get_or_init(|| {
        common::parsed_fixtures()
            .map(|(name, bytes, doc)| (name, json_tree(&kohi::decode(&bytes).unwrap().text), read(&doc)))
            .collect()
    })
}

/// The spellings are made (or the property would compare one spelling with itself).
#[test]
fn every_json_spelling_is_made() {
    let mut seen = String::new();
    for (name, tree, _) in sound_fixtures() {
        if ["pmh_attributes.xml", "header_error.xml"].contains(&name.as_str()) {
            for seed in 0..8 {
                tree.write_spelled(&mut seen, Some(&mut Dice(seed)));
            }
        }
    }
    for mark in ["{}", "{\"#text\": ", "\\u", ":[", "\r\n\t"] {
        assert!(seen.contains(mark), "{mark:?} never made");
    }
    // A key's colon, then a digit.
    let number = |(at, _): (usize, &str)| {
        seen[..at].trim_end().ends_with('"')
            && seen[at + 1..].trim_start_matches([' ', '\n']).starts_with(|c: char| c.is_ascii_digit())
    };
    assert!(seen.match_indices(':').any(number), "no text as a number");
}

proptest! {
    // One fixture a case (the test script runs 10,000 cases: each fixture about 300 times).
    #![proptest_config(common::properties(512))]

    #[test]
    fn every_spelling_of_the_json_form_reads_alike(which in any::<prop::sample::Index>(), seed in any::<u64>()) {
        let (name, tree, expected) = which.get(sound_fixtures());
        let mut json = String::new();
        tree.write_spelled(&mut json, Some(&mut Dice(seed)));
        let doc = kohi::parse(json.as_bytes());
        prop_assert!(doc.is_ok(), "{} spelled with seed {}: {}", name, seed, doc.err().unwrap());
        prop_assert_eq!(&read(&doc.unwrap()), expected, "{} spelled with seed {}", name, seed);
    }
}
