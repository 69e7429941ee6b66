//! `result.toJSON()` in parts, and `toJsonString()` only when V8 can hold the string.
//!
//! `toJSON()` is V8's `JSON.parse` of the core's JSON (napi's per-value conversion was 2.5-3x
//! slower and capped at 1,000,000 values; a serializer straight into Node-API values, with
//! cached names, was still 1.5-2.2x slower: two Node-API calls a field, docs/BENCHMARKS.md).
//! One string for a whole bulk file can pass V8's longest string (about 2^29 UTF-16 units): 199,000 units of two results each, 63 MB, are about
//! 540 million characters, within the default limits. So index.js parses the document without
//! its patients, then the patients a part at a time: at most 1,024 patients (`PATIENTS_PER_PART`
//! there), and a part ends early, before the patient that would take it past V8's longest string
//! (`patients_part`), so no limit a caller raises (`kohi_per_patient`, the input size) makes a
//! part too long for V8. Only one patient whose JSON alone is longer is `limit_exceeded`.

use std::io::Write;

use napi::JsString;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde::Serialize;

use kohi_core::model::{BulkInfo, Header, Patient, UnknownElement};
use kohi_core::{Encoding, Warning};

use crate::KohiResult;

/// V8's `String::kMaxLength` on 64-bit platforms: 2^29 - 24 UTF-16 code units.
const V8_MAX_STRING: usize = (1 << 29) - 24;

/// The length of `text` in UTF-16 code units: one per character, two from U+10000 (the
/// characters UTF-8 writes in four bytes). Counted over the bytes, which the compiler vectorises.
fn utf16_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() + bytes.iter().filter(|&&b| b >= 0xF0).count()
}

/// `text`, if V8 can make a string of it (`None`: index.js throws `limit_exceeded`).
fn within_v8(text: String) -> Option<String> {
    (text.len() <= V8_MAX_STRING || utf16_len(&text) <= V8_MAX_STRING).then_some(text)
}

/// serde_json's compact output with every character past ASCII written as `\uXXXX` (a surrogate
/// pair from U+10000): the text is then Latin-1, which V8 takes as a one-byte string by copying
/// it, where UTF-8 text is decoded into a two-byte string character by character (most of
/// `toJSON()`'s time after the core's serializing: 78 of 119 ms for a 10,000-unit file).
/// `JSON.parse` gives the same strings back.
struct AsciiOnly;

impl serde_json::ser::Formatter for AsciiOnly {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, out: &mut W, fragment: &str) -> std::io::Result<()> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = fragment.as_bytes();
        let mut ascii_from = 0;
        let mut units = [0u16; 2];
        for (at, c) in fragment.char_indices() {
            if c.is_ascii() {
                continue;
            }
            // The ASCII run before this character in one write, not a byte at a time.
            out.write_all(&bytes[ascii_from..at])?;
            for &unit in c.encode_utf16(&mut units).iter() {
                let digit = |shift: u16| HEX[usize::from((unit >> shift) & 0xF)];
                out.write_all(&[b'\\', b'u', digit(12), digit(8), digit(4), digit(0)])?;
            }
            ascii_from = at + c.len_utf8();
        }
        out.write_all(&bytes[ascii_from..])
    }
}

/// `value`'s JSON as a JavaScript string (`None` past V8's longest; see `within_v8`).
fn ascii_json<'env>(env: &'env Env, value: &impl Serialize) -> Result<Option<JsString<'env>>> {
    let mut text = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, AsciiOnly);
    // Plain structs of strings, options and vectors: serializing them cannot fail.
    let _ = value.serialize(&mut serializer);
    if text.len() > V8_MAX_STRING {
        return Ok(None);
    }
    env.create_string_latin1(&text).map(Some)
}

/// The document with `patients` empty, in the contract's key order. A field added to
/// `Document` and not here is missing from `toJSON()`: the golden tests (`toJSON()` against
/// every fixture's expected JSON) fail on it.
#[derive(Serialize)]
struct WithoutPatients<'a> {
    encoding: &'a Encoding,
    header: &'a Header,
    patients: [(); 0],
    unknown_elements: &'a [UnknownElement],
    warnings: &'a [Warning],
    bulk: &'a Option<BulkInfo>,
}

#[napi]
impl KohiResult {
    /// The core's JSON contract, byte for byte. Longer than a JavaScript string can be (about
    /// 2^29 characters): a `limit_exceeded` error (`toJSON()` still works).
    #[napi(ts_return_type = "string")]
    pub fn to_json_string(&self, env: &Env) -> Result<Option<String>> {
        // None: index.js throws the error.
        Ok(within_v8(kohi_core::to_json(self.doc(env)?)))
    }

    /// The contract's JSON without the patients (`toJSON()` adds them, see `patientsJson`).
    #[napi(skip_typescript)]
    pub fn json_without_patients<'env>(&self, env: &'env Env) -> Result<Option<JsString<'env>>> {
        let doc = self.doc(env)?;
        let part = WithoutPatients {
            encoding: &doc.encoding,
            header: &doc.header,
            patients: [],
            unknown_elements: &doc.unknown_elements,
            warnings: &doc.warnings,
            bulk: &doc.bulk,
        };
        ascii_json(env, &part)
    }

    /// A JSON array of the patients from `start`, at most up to `end` (clamped to the
    /// document), ending before the patient that would make it longer than V8's longest string:
    /// index.js goes on from `start` + the array's length. `None` (index.js throws
    /// `limit_exceeded`): the patient at `start` alone is longer.
    #[napi(skip_typescript)]
    pub fn patients_json<'env>(&self, env: &'env Env, start: u32, end: u32) -> Result<Option<JsString<'env>>> {
        let patients = &self.doc(env)?.patients;
        let end = (end as usize).min(patients.len());
        let start = (start as usize).min(end);
        match patients_part(&patients[start..end], V8_MAX_STRING) {
            Some(text) => env.create_string_latin1(&text).map(Some),
            None => Ok(None),
        }
    }
}

/// The ASCII JSON array of the first of `patients` that fit in `limit` bytes (one character
/// each): every one when they fit, else up to the one that would pass it. `None` when the first
/// alone does not fit (an empty slice gives `[]`).
fn patients_part(patients: &[Patient], limit: usize) -> Option<Vec<u8>> {
    let mut text = vec![b'['];
    for (i, patient) in patients.iter().enumerate() {
        let before = text.len();
        if i > 0 {
            text.push(b',');
        }
        let mut serializer = serde_json::Serializer::with_formatter(&mut text, AsciiOnly);
        // Plain structs of strings, options and vectors: serializing them cannot fail.
        let _ = patient.serialize(&mut serializer);
        if text.len() + 1 > limit {
            if i == 0 {
                return None;
            }
            text.truncate(before);
            break;
        }
    }
    text.push(b']');
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk_patients() -> Vec<Patient> {
        let xml = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/bulk_three_units.xml")).unwrap();
        let patients = kohi_core::parse(&xml).unwrap().patients;
        assert_eq!(patients.len(), 3);
        patients
    }

    fn ascii(value: &impl Serialize) -> String {
        let mut text = Vec::new();
        value.serialize(&mut serde_json::Serializer::with_formatter(&mut text, AsciiOnly)).unwrap();
        String::from_utf8(text).unwrap()
    }

    #[test]
    fn ascii_json_escapes_past_ascii_and_reads_back_the_same() {
        let text = "a見\"b𠀋\u{7f}\u{80}ｱ\n";
        let json = ascii(&text);
        assert!(json.is_ascii());
        // DEL is ASCII: serde_json leaves it as it is, and so do we.
        assert_eq!(json, "\"a\\u898b\\\"b\\ud840\\udc0b\u{7f}\\u0080\\uff71\\n\"");
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
        let patients = bulk_patients();
        let back: serde_json::Value = serde_json::from_str(&ascii(&patients)).unwrap();
        assert_eq!(back, serde_json::to_value(&patients).unwrap());
    }

    #[test]
    fn a_part_ends_before_the_patient_that_would_pass_the_limit() {
        let patients = bulk_patients();
        let each: Vec<usize> = patients.iter().map(|p| ascii(p).len()).collect();
        let all = ascii(&patients);
        assert_eq!(patients_part(&patients, usize::MAX).unwrap(), all.as_bytes());
        assert_eq!(patients_part(&patients, all.len()).unwrap(), all.as_bytes());
        // One byte short of all three: the first two, a valid array.
        let two = patients_part(&patients, all.len() - 1).unwrap();
        assert_eq!(two, ascii(&&patients[..2]).as_bytes());
        assert_eq!(two.len(), each[0] + each[1] + 3);
        // Room for the first alone, then none for even the first.
        assert_eq!(patients_part(&patients, each[0] + 2).unwrap(), ascii(&&patients[..1]).as_bytes());
        assert_eq!(patients_part(&patients, each[0] + 1), None);
        assert_eq!(patients_part(&[], 2).unwrap(), b"[]");
    }

    #[test]
    fn utf16_length_counts_units_not_bytes() {
        assert_eq!(utf16_len(""), 0);
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("見本"), 2); // 3 bytes each in UTF-8, one unit each
        assert_eq!(utf16_len("𠀋a"), 3); // 4 bytes in UTF-8, a surrogate pair
        let text = "見本𠀋x\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}";
        assert_eq!(utf16_len(text), text.encode_utf16().count());
    }
}
