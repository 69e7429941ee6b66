//! Lists cross napi as one string; index.js turns it into plain objects. Setting each property
//! through napi costs a key lookup per field (27 per 公費, 59 per qualification): several times
//! more. `patient.kohi`, the hot path, goes as bare values split in index.js and put into an
//! object literal (JSON with keys doubled the string and the parse); `patient.qualifications` as
//! JSON objects.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use serde::Serialize;

use kohi_core::model::Date;
use kohi_core::{KohiEntry, Personal};

/// `'YYYY-MM-DD'` without chrono's formatting machinery (this runs for every date read).
pub(crate) fn iso_date(d: NaiveDate) -> String {
    let mut s = String::with_capacity(19);
    push_digits(&mut s, d.year().clamp(0, 9999) as u32, 4);
    s.push('-');
    push_digits(&mut s, d.month(), 2);
    s.push('-');
    push_digits(&mut s, d.day(), 2);
    s
}

/// `'YYYY-MM-DDTHH:MM:SS'`.
pub(crate) fn iso_date_time(t: NaiveDateTime) -> String {
    let mut s = iso_date(t.date());
    s.push('T');
    push_digits(&mut s, t.hour(), 2);
    s.push(':');
    push_digits(&mut s, t.minute(), 2);
    s.push(':');
    push_digits(&mut s, t.second(), 2);
    s
}

fn push_digits(s: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        s.push(char::from(b'0' + (n / 10u32.pow(place) % 10) as u8));
    }
}

fn iso(d: &Option<Date>) -> Option<String> {
    d.as_ref().and_then(|d| d.value).map(iso_date)
}

fn raw(d: &Option<Date>) -> Option<&str> {
    d.as_ref().map(|d| &*d.raw)
}

fn exposed(p: &Option<Personal<kohi_core::Text>>) -> Option<&str> {
    p.as_ref().map(|p| p.expose().as_str())
}

/// One value of an entry: null, a flag, the slot, a string, or the 上限額 object.
enum Value<'a> {
    Text(Option<&'a str>),
    Owned(Option<String>),
    Flag(Option<bool>),
    Slot(Option<u8>),
    MaxCopay(&'a Option<kohi_core::model::MaxCopayment>),
}

/// The 公費 object's keys and their values, declared once: `KOHI_KEYS` (exported to index.js,
/// which builds each object in this order) and `entry_values` both come from these rows.
macro_rules! kohi_values {
    ($k:ident, $($key:literal => $kind:ident($value:expr),)+) => {
        /// (key, kind) per value of an entry, in the order of `index.d.ts`'s `Kohi` (a test
        /// compares the objects with the goldens and with `index.d.ts`).
        pub const KOHI_KEYS: &[(&str, &str)] = &[$(($key, stringify!($kind))),+];

        fn entry_values($k: &KohiEntry) -> [Value<'_>; KOHI_FIELDS as usize] {
            use Value::*;
            [$($kind($value)),+]
        }
    };
}

/// Values per 公費 in `kohi_values`.
pub const KOHI_FIELDS: u32 = KOHI_KEYS.len() as u32;

kohi_values! { k,
    "slot" => Slot(k.slot),
    "source" => Text(Some(k.source.as_str())),
    "lawNumber" => Text(k.law_number.as_deref()),
    "prefectureNumber" => Text(k.prefecture_number.as_deref()),
    "agencyNumber" => Text(k.agency_number.as_deref()),
    "payerNumber" => Text(exposed(&k.payer_number)),
    "payerNumberRaw" => Text(exposed(&k.payer_number_raw)),
    "payerNumberValid" => Flag(k.payer_number_valid),
    "recipientNumber" => Text(exposed(&k.recipient_number)),
    "recipientNumberRaw" => Text(exposed(&k.recipient_number_raw)),
    "recipientNumberValid" => Flag(k.recipient_number_valid),
    "scope" => Text(Some(k.scope.as_str())),
    "program" => Text(k.program),
    "certificateName" => Text(k.certificate_name.as_deref()),
    "validFrom" => Owned(iso(&k.valid_from)),
    "validFromRaw" => Text(raw(&k.valid_from)),
    "validTo" => Owned(iso(&k.valid_to)),
    "validToRaw" => Text(raw(&k.valid_to)),
    "incomeSegment" => Text(k.income_segment.as_deref()),
    "maxCopayment" => MaxCopay(&k.max_copayment),
    "alwaysReimbursement" => Flag(k.always_reimbursement),
    "segment" => Text(k.segment.as_deref()),
    "certificationSubKey" => Text(k.certification_sub_key.as_deref()),
    "additionalConditions" => Text(k.additional_conditions.as_deref()),
    "designatedMedicalInstitutions" => Text(k.designated_medical_institutions.as_deref()),
    "welfareOfficeName" => Text(k.welfare_office_name.as_deref()),
    "path" => Text(Some(&k.path)),
    "renewal" => Text(k.renewal.map(|r| r.as_str())),
}

/// Between values in `kohi_values`, and a value that is null. Neither can occur in parsed text
/// (the core refuses control characters, also as character references), so nothing needs
/// escaping and index.js splits the string once.
const SEPARATOR: char = '\0';
const NULL: char = '\u{1}';

impl Value<'_> {
    /// The text a value carries from the document, if any.
    fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => *t,
            Value::Owned(t) => t.as_deref(),
            _ => None,
        }
    }

    fn write(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Text(Some(s)) => out.push_str(s),
            Value::Owned(Some(s)) => out.push_str(s),
            Value::Flag(Some(b)) => out.push(if *b { 't' } else { 'f' }),
            Value::Slot(Some(n)) => {
                let _ = write!(out, "{n}");
            }
            Value::MaxCopay(Some(m)) => out.push_str(&serde_json::to_string(m).unwrap_or_default()),
            _ => out.push(NULL),
        }
    }
}

/// Every entry's values, `SEPARATOR` between them: strings as they are, null as `NULL`, flags
/// `t`/`f`, the slot in digits, the 上限額 object as JSON. (A JSON array cost twice as much to
/// write and to parse; keys more again.) `None` if a value holds either marker after all: the
/// getter then fails loudly rather than shift every later field.
pub fn kohi_values<'a>(entries: impl IntoIterator<Item = &'a KohiEntry>) -> Option<String> {
    let entries = entries.into_iter();
    let mut out = String::with_capacity(512 * entries.size_hint().0.max(1));
    for (i, value) in entries.flat_map(entry_values).enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        // A byte test without an early exit (vectorised): both markers are single bytes in
        // UTF-8, and a `char` pattern search per value was most of this function.
        if value.text().is_some_and(|t| t.bytes().fold(false, |found, b| found | (b <= NULL as u8))) {
            return None;
        }
        value.write(&mut out);
    }
    Some(out)
}

/// `text` as UTF-16, by encoding_rs's converter: ASCII (most of it: numbers, dates, paths) a
/// vector at a time. A loop of our own (ASCII runs widened a slice at a time, each other
/// character encoded alone) took about as many instructions as building the values.
pub fn utf16(text: &str) -> Vec<u16> {
    // UTF-16 never takes more units than UTF-8 takes bytes, which is the room the converter asks.
    let mut out = vec![0u16; text.len()];
    let written = encoding_rs::mem::convert_str_to_utf16(text, &mut out);
    out.truncate(written);
    out
}

/// A JSON array of the items (`None` only if serialising failed, which these types cannot).
pub fn list_json<T: Serialize>(items: impl Iterator<Item = T>) -> Option<String> {
    let mut out = Vec::with_capacity(1024);
    let mut serializer = serde_json::Serializer::new(&mut out);
    serde::Serializer::collect_seq(&mut serializer, items).ok()?;
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn utf16_is_encode_utf16() {
        for text in ["", "1\u{0}medical_aid\u{1}", "生活保護法 医療扶助", "ｱ𠮷a\u{3000}é", &"XmlMsg/見".repeat(40)]
        {
            assert_eq!(super::utf16(text), text.encode_utf16().collect::<Vec<_>>(), "{text}");
        }
    }
}
