//! What the tests of several areas compare: everything a parse read, whole or streamed; and a
//! document as a tree of its bytes (`tree`), to write it another way.
// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

pub mod json;
pub mod tree;

use kohi::{ParseOptions, PatientReader};
use kohi_fixtures::Trickle;

/// Every fixture the whole-file parse reads (with the built-in layout): its file name, its
/// bytes and what it reads to.
pub fn parsed_fixtures() -> impl Iterator<Item = (String, Vec<u8>, kohi::Document)> {
    kohi_fixtures::xml_cases().into_iter().filter_map(|path| {
        let bytes = std::fs::read(&path).unwrap();
        let doc = kohi::parse(&bytes).ok()?;
        Some((path.file_name().unwrap().to_string_lossy().into_owned(), bytes, doc))
    })
}

/// The settings of a property: `cases` cases unless `PROPTEST_CASES` says (a longer hunt), and
/// no file of failures (a failing case is in the test's output).
pub fn properties(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: kohi_fixtures::proptest_cases(cases),
        failure_persistence: None,
        ..Default::default()
    }
}

/// Everything a parse read: the patients in order; the warnings and unknown elements, sorted
/// (a stream gives each unit's with its patient, the rest after the last; and they are listed
/// in the order they were met); the encoding, header and bulk status (a stream's remainder).
/// Each as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Everything {
    pub patients: Vec<String>,
    pub warnings: Vec<String>,
    pub unknown: Vec<String>,
    pub rest: String,
}

fn sorted_json<T: serde::Serialize>(items: &[T]) -> Vec<String> {
    let mut all: Vec<String> = items.iter().map(|x| serde_json::to_string(x).unwrap()).collect();
    all.sort();
    all
}

/// A document's encoding, header and bulk status, as JSON.
pub fn rest_of(doc: &kohi::Document) -> String {
    serde_json::to_string(&(&doc.encoding, &doc.header, &doc.bulk)).unwrap()
}

/// What the whole-file parse read, or its error's message.
pub fn everything_whole(bytes: &[u8], options: &ParseOptions) -> Result<Everything, String> {
    let doc = kohi::parse_with(bytes, options).map_err(|e| e.to_string())?;
    Ok(Everything {
        patients: doc.patients.iter().map(|p| serde_json::to_string(p).unwrap()).collect(),
        warnings: sorted_json(&doc.warnings),
        unknown: sorted_json(&doc.unknown_elements),
        rest: rest_of(&doc),
    })
}

/// What a stream read, fed `chunk` bytes a read, or its first error's message.
pub fn everything_streamed(bytes: &[u8], chunk: usize, options: &ParseOptions) -> Result<Everything, String> {
    let mut reader = PatientReader::new(Trickle { data: bytes, n: chunk }, options).map_err(|e| e.to_string())?;
    let (mut patients, mut warnings, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for patient in reader.by_ref() {
        let patient = patient.map_err(|e| e.to_string())?;
        patients.push(serde_json::to_string(&patient.patient).unwrap());
        warnings.extend(patient.warnings);
        unknown.extend(patient.unknown_elements);
    }
    let remainder = reader.remainder().expect("a stream read to its end keeps the rest");
    warnings.extend(remainder.warnings.iter().cloned());
    unknown.extend(remainder.unknown_elements.iter().cloned());
    Ok(Everything {
        patients,
        warnings: sorted_json(&warnings),
        unknown: sorted_json(&unknown),
        rest: rest_of(remainder),
    })
}

/// A face result whose PMH list holds `certificates` (XML of the certificates themselves).
pub fn with_certificates(certificates: &str) -> Vec<u8> {
    let face = String::from_utf8(kohi_fixtures::read("face_pmh_two.xml")).unwrap();
    let (start, end) =
        (face.find("<MedicalSubsidyCertificateList>").unwrap(), face.find("</MedicalSubsidyCertificateList>").unwrap());
    format!(
        "{}<KohiList>{certificates}</KohiList>{}",
        &face[..start],
        &face[end + "</MedicalSubsidyCertificateList>".len()..]
    )
    .into_bytes()
}
