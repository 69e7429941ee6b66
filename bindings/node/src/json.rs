//! `result.toJSON()` in parts, and `toJsonString()` only when V8 can hold the string.
//!
//! `toJSON()` builds its objects in index.js from parts of values (src/values.rs), not from JSON
//! text. One part for a whole bulk file could pass V8's longest string (about 2^29 UTF-16
//! units), as one JSON string could: 199,000 units of two results each, 63 MB, were about 540
//! million characters of JSON, within the default limits. So index.js reads the document without
//! its patients, then the patients a part at a time: at most 1,024 patients (`PATIENTS_PER_PART`
//! there), and a part ends early, before the patient that would take it past V8's longest string
//! (`values::patients_part`), so no limit a caller raises (`kohi_per_patient`, the input size)
//! makes a part too long for V8. Only one patient whose part alone is longer is
//! `limit_exceeded`.

use napi::JsString;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde::Serialize;

use kohi_core::model::{BulkInfo, Header, UnknownElement};
use kohi_core::{Encoding, Warning};

use crate::{KohiResult, values};

/// V8's `String::kMaxLength` on 64-bit platforms: 2^29 - 24 UTF-16 code units.
pub(crate) const V8_MAX_STRING: usize = (1 << 29) - 24;

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

/// The document with `patients` empty, in the contract's key order. A field added to
/// `Document` and not here is missing from `toJSON()`: the golden tests (`toJSON()` against
/// every fixture's expected JSON) fail on it.
#[derive(Serialize)]
pub(crate) struct WithoutPatients<'a> {
    encoding: &'a Encoding,
    header: &'a Header,
    patients: [(); 0],
    unknown_elements: &'a [UnknownElement],
    warnings: &'a [Warning],
    bulk: &'a Option<BulkInfo>,
}

impl<'a> WithoutPatients<'a> {
    pub(crate) fn of(doc: &'a kohi_core::Document) -> Self {
        WithoutPatients {
            encoding: &doc.encoding,
            header: &doc.header,
            patients: [],
            unknown_elements: &doc.unknown_elements,
            warnings: &doc.warnings,
            bulk: &doc.bulk,
        }
    }
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

    /// The document without its patients as one part of values (src/values.rs), for a reader
    /// that has the builders of the first `known` shapes; `toJSON()` adds the patients (see
    /// `patientsValues`). Null past V8's longest string.
    #[napi(skip_typescript)]
    pub fn values_without_patients<'env>(&self, env: &'env Env, known: u32) -> Result<Option<PartStrings<'env>>> {
        strings(env, values::part(&WithoutPatients::of(self.doc(env)?), known as usize, V8_MAX_STRING))
    }

    /// An array of the patients from `start`, at most up to `end` (clamped to the document), as
    /// one part of values (`known` as above), ending before the patient that would make one of
    /// its strings or texts longer than V8's longest: index.js goes on from `start` + the array's
    /// length. Null (index.js throws `limit_exceeded`): the patient at `start` alone is longer.
    #[napi(skip_typescript)]
    pub fn patients_values<'env>(
        &self,
        env: &'env Env,
        start: u32,
        end: u32,
        known: u32,
    ) -> Result<Option<PartStrings<'env>>> {
        let patients = &self.doc(env)?.patients;
        let end = (end as usize).min(patients.len());
        let start = (start as usize).min(end);
        strings(env, values::patients_part(&patients[start..end], V8_MAX_STRING, known as usize))
    }
}

/// A part (src/values.rs) as index.js takes it: its control string (Latin-1, one byte a
/// character), its short texts past Latin-1 (UTF-16) and the buffer of its longer texts.
type PartStrings<'env> = (JsString<'env>, Utf16String, Buffer);

fn strings(env: &Env, part: Option<values::Part>) -> Result<Option<PartStrings<'_>>> {
    let Some((control, short_wide, long)) = part else { return Ok(None) };
    Ok(Some((env.create_string_latin1(&control)?, Utf16String::from(short_wide), Buffer::from(long))))
}

#[cfg(test)]
mod tests {
    use super::*;

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
