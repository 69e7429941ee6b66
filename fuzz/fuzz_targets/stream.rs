//! Streaming against the whole-file parse on arbitrary bytes: `PatientReader`, fed a few bytes
//! per read, gives the same patients as `kohi::parse` (and, over the stream, the same warnings
//! and unknown elements, and in its remainder the same encoding, header and bulk status), or an error where it gives one; never a panic. (Which error: a
//! document broken twice may be refused for either defect, as the whole parse checks the
//! encoding of everything before it reads any markup and a stream reads as it goes; the fixtures
//! hold the codes equal for documents broken once.) Then the same with the layout a survey of the
//! bytes proposes, when it proposes one: kohi must take its own proposal.
//!
//! The first byte picks the mode. Below 128: the bytes as they are, read 1–64 bytes at a time.
//! From 128: the bytes placed after about 64 KB of valid bulk units (shifted by up to 4.7 KB of
//! blanks), so that the stream's first segment ends inside them, wherever their `<`s fall: the
//! scanner's segment boundary and its hand-over to quick-xml meet arbitrary markup there. With
//! an even first byte the units are UTF-8 with Japanese names; with an odd one they are declared
//! Shift_JIS with ASCII names, so that the encoding is still in question when the bytes come (a
//! stream decided it from its first 64 KiB alone until 2026-12-06, and decoded later UTF-8 names
//! into garbage).
#![no_main]
use std::sync::OnceLock;

use kohi_fixtures::Trickle;
use libfuzzer_sys::fuzz_target;

/// A bulk result's start and about 62 KB of units, just short of the stream's first segment:
/// UTF-8 with Japanese names, or declared Shift_JIS with ASCII names.
fn units_before(shift_jis: bool) -> &'static [u8] {
    static BEFORE: [OnceLock<Vec<u8>>; 2] = [OnceLock::new(), OnceLock::new()];
    BEFORE[usize::from(shift_jis)].get_or_init(|| {
        let (declaration, name) = if shift_jis {
            ("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>", "MIHON ICHIRO")
        } else {
            ("", "見本　一郎")
        };
        let mut xml = format!(
            "{declaration}<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>\
             <ReceptionNumber>R1</ReceptionNumber>\n"
        );
        let mut i = 0;
        while xml.len() < 62 * 1024 {
            xml.push_str(&format!(
                "<BulkConfirmUnit><ReferenceNumber>{i}</ReferenceNumber><ResultList><ResultOfQualificationConfirmation>\
                 <InsuredCardClassification>A1</InsuredCardClassification><InsurerNumber>12136016</InsurerNumber>\
                 <Name>{name}</Name></ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>\n"
            ));
            i += 1;
        }
        xml.into_bytes()
    })
}

/// What a parse read: the patients in order, the warnings and unknown elements (sorted: a
/// stream gives each unit's with its patient and the rest after the last), and the rest of the
/// document (encoding, header, bulk status: a stream's remainder).
#[derive(PartialEq)]
struct Read {
    rest: String,
    patients: Vec<String>,
    warnings: Vec<String>,
    unknown: Vec<String>,
}

/// Each item's JSON, sorted.
fn sorted(mut all: Vec<String>) -> Vec<String> {
    all.sort();
    all
}

macro_rules! json {
    ($items:expr) => {
        sorted($items.into_iter().map(|x| serde_json::to_string(&x).expect("serializes")).collect())
    };
}

fn read_whole(data: &[u8], options: &kohi::ParseOptions) -> kohi::Result<Read> {
    let doc = kohi::parse_with(data, options)?;
    let patients = doc.patients.iter().map(|p| serde_json::to_string(p).expect("serializes")).collect();
    Ok(Read { rest: rest(&doc), patients, warnings: json!(&doc.warnings), unknown: json!(&doc.unknown_elements) })
}

/// A document's encoding, header and bulk status, as JSON.
fn rest(doc: &kohi::Document) -> String {
    serde_json::to_string(&(&doc.encoding, &doc.header, &doc.bulk)).expect("serializes")
}

fn read_streamed(data: &[u8], n: usize, options: &kohi::ParseOptions) -> kohi::Result<Read> {
    let mut reader = kohi::PatientReader::new(Trickle { data, n }, options)?;
    let (mut patients, mut warnings, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for patient in reader.by_ref() {
        let patient = patient?;
        patients.push(serde_json::to_string(&patient.patient).expect("serializes"));
        warnings.extend(patient.warnings);
        unknown.extend(patient.unknown_elements);
    }
    let remainder = reader.remainder().expect("a stream read to its end keeps the rest of the document");
    warnings.extend(remainder.warnings.iter().cloned());
    unknown.extend(remainder.unknown_elements.iter().cloned());
    Ok(Read { rest: rest(remainder), patients, warnings: json!(warnings), unknown: json!(unknown) })
}

fuzz_target!(|input: &[u8]| {
    let Some((&pick, data)) = input.split_first() else { return };
    let (document, n) = if pick < 128 {
        (data.to_vec(), usize::from(pick % 64) + 1)
    } else {
        let mut document = units_before(pick % 2 == 1).to_vec();
        document.resize(document.len() + usize::from((pick - 128) / 2) * 75, b' ');
        document.extend_from_slice(data);
        document.extend_from_slice(b"</MessageBody></XmlMsg>\n");
        (document, 4096)
    };
    let default = kohi::ParseOptions::default();
    alike(&document, n, &default);
    // The layout a survey of these bytes proposes (what `kohi survey --write` saves): kohi takes
    // it, and reads the bytes with it alike whole and streamed.
    if let Some(layout) = kohi::survey::survey([&document[..]], &default).layout {
        let layout = layout.to_string();
        match default.with_layout_json(&layout) {
            Ok(options) => alike(&document, n, &options),
            Err(e) => panic!("kohi refused the layout its survey proposed ({}): {layout}", e.code()),
        }
    }
});

/// The whole-file parse and a stream read `document` alike with `options`.
fn alike(document: &[u8], n: usize, options: &kohi::ParseOptions) {
    match (read_whole(document, options), read_streamed(document, n, options)) {
        (Ok(a), Ok(b)) => same(&a, &b),
        (Err(_), Err(_)) => {}
        // The document past a limit a stream applies per unit (it holds one unit at a time; the
        // README says so): the whole parse again with room for all the units, alike then. A
        // 91 KB file of two units, each keeping 17 MB of unknown elements' deep paths, failed
        // the CI smoke on 2026-12-07 (the whole file is past the 32 MiB kept-bytes limit, each
        // unit is not): this target had asserted that both read it alike as they were.
        (Err(kohi::Error::LimitExceeded { limit, .. }), Ok(b)) if applied_per_unit(limit) => {
            let roomy = options.clone().with_limits(room_for_units(options.limits()));
            match read_whole(document, &roomy) {
                Ok(a) => same(&a, &b),
                // Past even that (a few MB of input can keep more): nothing more to compare.
                Err(kohi::Error::LimitExceeded { limit, .. }) if applied_per_unit(limit) => {}
                Err(e) => panic!("whole with room for the units {:?} but streamed Ok", e.code()),
            }
        }
        (a, b) => panic!("whole {:?} but streamed {:?}", a.err().map(|e| e.code()), b.err().map(|e| e.code())),
    }
}

/// The limits a stream applies to each unit, and a whole-file parse to the document.
fn applied_per_unit(limit: kohi::Limit) -> bool {
    use kohi::Limit::*;
    matches!(limit, Elements | Patients | UnknownElements | Warnings | KeptBytes)
}

/// `limits` with 4 times the room for those (bounded, so that a fuzzing process stays within
/// its memory limit).
fn room_for_units(limits: kohi::Limits) -> kohi::Limits {
    let mut roomy = limits;
    roomy.elements *= 4;
    roomy.patients *= 4;
    roomy.unknown_elements *= 4;
    roomy.warnings *= 4;
    roomy.kept_bytes *= 4;
    roomy
}

/// Whole and streamed read alike: patients, warnings, unknown elements and the rest.
fn same(a: &Read, b: &Read) {
    // A header after more than 256 units: the stream completed the units before it without
    // the header, and said so on each (`header_after_units`): alike only in the rest.
    if b.warnings.iter().any(|w| w.contains("\"header_after_units\"")) {
        assert!(a.rest == b.rest, "the same encoding, header and bulk status");
        assert!(a.patients.len() == b.patients.len(), "as many patients");
        return;
    }
    assert!(a.patients == b.patients, "the same patients");
    assert!(a.warnings == b.warnings, "the same warnings");
    assert!(a.unknown == b.unknown, "the same unknown elements");
    assert!(a.rest == b.rest, "the same encoding, header and bulk status");
}
