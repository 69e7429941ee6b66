//! Lists cross napi as one string; index.js turns it into plain objects. Setting each property
//! through napi costs a key lookup per field (27 per 公費, 59 per qualification): several times
//! more. `patient.kohi`, the hot path, goes as bare values, each after its length, read by
//! index.js into an object literal (JSON with keys doubled the string and the parse; values
//! split at separators cost V8 a search); `patient.qualifications` as JSON objects.

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

fn date(d: &Option<Date>) -> Option<NaiveDate> {
    d.as_ref().and_then(|d| d.value)
}

fn raw(d: &Option<Date>) -> Option<&str> {
    d.as_ref().map(|d| &*d.raw)
}

fn exposed(p: &Option<Personal<kohi_core::Text>>) -> Option<&str> {
    p.as_ref().map(|p| p.expose().as_str())
}

/// One value of an entry: null, a text, a date written ISO, a flag, the slot, or the 上限額
/// object (its texts and its items' in order, see `Value::write`).
enum Value<'a> {
    Text(Option<&'a str>),
    Date(Option<NaiveDate>),
    Flag(Option<bool>),
    Slot(Option<u8>),
    MaxCopay(&'a Option<kohi_core::model::MaxCopayment>),
}

/// The 公費 object's keys and their values, declared once: `KOHI_KEYS` (exported to index.js,
/// which builds each object in this order, decoding each value by its kind) and `write_values`
/// both come from these rows.
macro_rules! kohi_values {
    ($k:ident, $($key:literal => $kind:ident($value:expr),)+) => {
        /// (key, kind) per value of an entry, in the order of `index.d.ts`'s `Kohi` (a test
        /// compares the objects with the goldens and with `index.d.ts`).
        pub const KOHI_KEYS: &[(&str, &str)] = &[$(($key, stringify!($kind))),+];

        /// Each value written in turn, its kind known where it is written: from an array of
        /// `Value`s, one jump by kind per value (28 an entry, mispredicted by turns) was the
        /// larger part of writing a face result's 公費.
        fn write_values($k: &KohiEntry, out: &mut Vec<u16>) {
            use Value::*;
            let mut last = None;
            $(last = $kind($value).write(out, last);)+
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
    "validFrom" => Date(date(&k.valid_from)),
    "validFromRaw" => Text(raw(&k.valid_from)),
    "validTo" => Date(date(&k.valid_to)),
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

/// The head of a text whose length follows in two units (high, low 16 bits): one of `SAME` - 1
/// bytes of UTF-8 or more (at least as many bytes as it has UTF-16 units), and a 上限額 of
/// `LONG` - 1 items or more.
const LONG: u16 = 0xFFFF;

/// The head of a text that is the same as the value just before it, itself a text (the raw
/// number after its normalised form, nearly always the same): index.js gives the same string
/// again, with no slice and no string of its own (two fewer of each per 公費). So a text's
/// head of its own is below `SAME` (see `LONG`).
const SAME: u16 = 0xFFFE;

impl<'a> Value<'a> {
    /// The value as `kohi_values` writes it: a head unit, 0 for null, then by kind: a flag's
    /// head is 1 (false) or 2 (true), the slot's the slot + 1, a text's its length + 1 in UTF-16
    /// units followed by the text (`LONG`, the length's high and low 16 bits, the text when
    /// that does not fit one unit). Dates are ISO. The 上限額's head is its number of items + 1
    /// (or `LONG` and the number in two units), followed by `amount` and `raw` as texts (0 when
    /// null) and each item's `name` and `value`: index.js builds the object from them. As JSON
    /// text (before 2026-12-05) it cost a `JSON.parse` of 0.36 µs in V8 per 公費 that has one,
    /// besides serde_json's string, against 0.03 µs for the object literal. A text the same as
    /// `last` (the value before it, when that was a text) is the head `SAME` alone. Returns the
    /// text written, the next value's `last`.
    #[inline(always)]
    fn write(&self, out: &mut Vec<u16>, last: Option<&str>) -> Option<&'a str> {
        match *self {
            Value::Text(Some(s)) if last == Some(s) => {
                out.push(SAME);
                return Some(s);
            }
            Value::Text(Some(s)) => {
                push_text(out, s);
                return Some(s);
            }
            Value::Date(Some(d)) => {
                out.push(11);
                push_iso_date(out, d);
            }
            Value::Flag(Some(b)) => out.push(1 + u16::from(b)),
            Value::Slot(Some(n)) => out.push(1 + u16::from(n)),
            Value::MaxCopay(Some(m)) => {
                push_count(out, m.items.len());
                for text in [m.amount.as_deref(), m.raw.as_deref()] {
                    match text {
                        Some(text) => push_text(out, text),
                        None => out.push(0),
                    }
                }
                for item in &m.items {
                    push_text(out, &item.name);
                    push_text(out, &item.value);
                }
            }
            _ => out.push(0),
        }
        None
    }
}

/// A count as a head unit: the count + 1, or `LONG` followed by the count's high and low 16 bits
/// when that does not fit one unit (so no head is 0, which is null).
fn push_count(out: &mut Vec<u16>, count: usize) {
    match u16::try_from(count + 1) {
        Ok(head) if head < LONG => out.push(head),
        _ => out.extend_from_slice(&[LONG, (count >> 16) as u16, count as u16]),
    }
}

/// `text` after its length (see `Value::write`). Most values are short ASCII (numbers, codes,
/// dates, paths), widened a byte at a time in a loop the compiler vectorises; the others go
/// through encoding_rs's converter (a call of its own per value was a tenth of the getter).
fn push_text(out: &mut Vec<u16>, text: &str) {
    // UTF-16 never takes more units than UTF-8 takes bytes: whether the length surely fits one
    // head unit, and the room the converter asks for.
    let long = text.len() + 1 >= usize::from(SAME);
    let head = out.len();
    let start = head + if long { 3 } else { 1 };
    if text.is_ascii() {
        out.extend_from_slice(&[0; 3][..start - head]);
        out.extend(text.bytes().map(u16::from));
    } else {
        out.resize(start + text.len(), 0);
        let written = encoding_rs::mem::convert_str_to_utf16(text, &mut out[start..]);
        out.truncate(start + written);
    }
    let written = out.len() - start;
    if long {
        out[head..start].copy_from_slice(&[LONG, (written >> 16) as u16, written as u16]);
    } else {
        out[head] = written as u16 + 1;
    }
}

/// `'YYYY-MM-DD'` as UTF-16 units.
fn push_iso_date(out: &mut Vec<u16>, d: NaiveDate) {
    let digits = |out: &mut Vec<u16>, n: u32, width: u32| {
        for place in (0..width).rev() {
            out.push(u16::from(b'0') + (n / 10u32.pow(place) % 10) as u16);
        }
    };
    digits(out, d.year().clamp(0, 9999) as u32, 4);
    out.push(u16::from(b'-'));
    digits(out, d.month(), 2);
    out.push(u16::from(b'-'));
    digits(out, d.day(), 2);
}

/// Every entry's values as UTF-16 units for one JS string, which index.js reads with
/// `charCodeAt` and `slice` (no search, no escaping: a text may hold any character). Each entry
/// is its length in units (high, low 16 bits) and then its `KOHI_FIELDS` values (see
/// `Value::write`), so that index.js finds a patient's entries in a block by their lengths and
/// checks every entry it reads against its length. Splitting one string at separators instead
/// was about a third of a face result's `patient.kohi` in V8.
pub fn kohi_values<'a>(entries: impl IntoIterator<Item = &'a KohiEntry>) -> Vec<u16> {
    let entries = entries.into_iter();
    let mut out = Vec::with_capacity(512 * entries.size_hint().0.max(1));
    for entry in entries {
        let head = out.len();
        out.extend_from_slice(&[0, 0]);
        write_values(entry, &mut out);
        let length = out.len() - head - 2;
        out[head..head + 2].copy_from_slice(&[(length >> 16) as u16, length as u16]);
    }
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
    use super::*;

    /// The reading index.js does (`kohiEntry`): the values of every entry, null as None, the
    /// 上限額 as the JSON of the object index.js builds.
    fn read(units: &[u16]) -> Vec<Vec<Option<String>>> {
        let mut entries = Vec::new();
        let mut p = 0;
        while p < units.len() {
            let end = p + 2 + ((units[p] as usize) << 16 | units[p + 1] as usize);
            p += 2;
            let mut values: Vec<Option<String>> = Vec::new();
            for (_, kind) in KOHI_KEYS {
                // The same text as the value before, itself a text.
                if *kind == "Text" && units[p] == SAME {
                    p += 1;
                    let before = values.len().checked_sub(1).filter(|&b| KOHI_KEYS[b].1 == "Text");
                    let before = before.and_then(|b| values[b].clone());
                    assert!(before.is_some(), "`SAME` after a value that is no text");
                    values.push(before);
                    continue;
                }
                values.push(match *kind {
                    "Flag" => head(units, &mut p).map(|h| (h == 2).to_string()),
                    "Slot" => head(units, &mut p).map(|h| (h - 1).to_string()),
                    "MaxCopay" => head(units, &mut p).map(|h| {
                        let count = length(units, &mut p, h);
                        let (amount, raw) = (text(units, &mut p), text(units, &mut p));
                        let items: Vec<_> = (0..count)
                            .map(|_| serde_json::json!({ "name": text(units, &mut p), "value": text(units, &mut p) }))
                            .collect();
                        serde_json::json!({ "amount": amount, "raw": raw, "items": items }).to_string()
                    }),
                    _ => text(units, &mut p),
                });
            }
            assert_eq!(p, end, "an entry's length");
            entries.push(values);
        }
        entries
    }

    /// The head unit at `p`, or None for null.
    fn head(units: &[u16], p: &mut usize) -> Option<u16> {
        *p += 1;
        (units[*p - 1] != 0).then_some(units[*p - 1])
    }

    /// The length or count a head says (two more units after a `LONG` one).
    fn length(units: &[u16], p: &mut usize, head: u16) -> usize {
        if head < LONG {
            return usize::from(head) - 1;
        }
        *p += 2;
        (units[*p - 2] as usize) << 16 | units[*p - 1] as usize
    }

    /// The text at `p`, its head included, or None for null.
    fn text(units: &[u16], p: &mut usize) -> Option<String> {
        let h = head(units, p)?;
        let len = length(units, p, h);
        *p += len;
        Some(String::from_utf16(&units[*p - len..*p]).unwrap())
    }

    /// The face fixture's second 公費 (地方単独: no recipient verdict, no program), with a
    /// certificate name holding the characters the old separated format could not carry and
    /// an end date that is no date.
    fn entry() -> KohiEntry {
        let xml = include_bytes!("../../../fixtures/face_pmh_two.xml");
        let doc = kohi_core::parse(xml).unwrap();
        let mut entry = doc.patients[0].kohi[1].clone();
        entry.certificate_name = Some("子ども医療証\u{0}\u{1}".into());
        entry.valid_to.as_mut().unwrap().value = None;
        entry.max_copayment = doc.patients[0].kohi[0].max_copayment.clone();
        entry
    }

    /// The value of `key` in each entry `units` holds, as `read` gives it.
    fn values_of(units: &[u16], key: &str) -> Vec<Option<String>> {
        let at = KOHI_KEYS.iter().position(|(k, _)| *k == key).unwrap();
        read(units).into_iter().map(|mut e| e.swap_remove(at)).collect()
    }

    #[test]
    fn a_text_the_same_as_the_one_before_is_its_head_alone() {
        let mut entry = entry();
        // The face fixture's numbers as sent: each raw text the same as its normalised one.
        assert_eq!(exposed(&entry.payer_number), exposed(&entry.payer_number_raw));
        assert_eq!(exposed(&entry.recipient_number), exposed(&entry.recipient_number_raw));
        let units = kohi_values([&entry]);
        assert_eq!(units.iter().filter(|&&u| u == SAME).count(), 2, "payerNumberRaw and recipientNumberRaw");
        assert_eq!(values_of(&units, "payerNumberRaw"), vec![Some("88131016".to_owned())]);
        assert_eq!(values_of(&units, "recipientNumberRaw"), vec![Some("K000012345".to_owned())]);
        // Different texts stay apart; a null before a text is no text to repeat.
        entry.payer_number_raw = Some(Personal::new("８８１３１０１６".into()));
        entry.recipient_number = None;
        entry.recipient_number_raw = Some(Personal::new("K1".into()));
        let units = kohi_values([&entry]);
        assert!(!units.contains(&SAME));
        assert_eq!(values_of(&units, "payerNumberRaw"), vec![Some("８８１３１０１６".to_owned())]);
        assert_eq!(values_of(&units, "recipientNumber"), vec![None]);
        assert_eq!(values_of(&units, "recipientNumberRaw"), vec![Some("K1".to_owned())]);
    }

    #[test]
    fn a_text_as_long_as_the_same_head_goes_the_long_way() {
        for len in [usize::from(SAME) - 2, usize::from(SAME) - 1, usize::from(SAME)] {
            let mut entry = entry();
            entry.path = "p".repeat(len);
            let units = kohi_values([&entry]);
            assert_eq!(values_of(&units, "path"), vec![Some("p".repeat(len))], "a path of {len} units");
        }
    }

    #[test]
    fn every_value_reads_back_by_its_length() {
        let mut long = entry();
        long.path = "𠮷".repeat(40_000);
        // A 上限額 with more items than one head unit counts, and no amount.
        let mut max = kohi_core::model::MaxCopayment::default();
        max.raw = Some("月額".into());
        max.items = (0..70_000)
            .map(|i| kohi_core::model::NamedValue { name: "MonthlyLimit".into(), value: i.to_string().into() })
            .collect();
        long.max_copayment = Some(max.clone());
        let units = kohi_values([&entry(), &long]);
        let entries = read(&units);
        assert_eq!(entries.len(), 2);
        let value = |e: usize, key: &str| {
            let at = KOHI_KEYS.iter().position(|(k, _)| *k == key).unwrap();
            entries[e][at].clone()
        };
        assert_eq!(value(0, "slot").as_deref(), Some("2"));
        assert_eq!(value(0, "lawNumber").as_deref(), Some("88"));
        assert_eq!(value(0, "program"), None);
        assert_eq!(value(0, "certificateName").as_deref(), Some("子ども医療証\u{0}\u{1}"));
        assert_eq!(value(0, "payerNumber").as_deref(), Some("88131016"));
        assert_eq!(value(0, "payerNumberRaw").as_deref(), Some("88131016"));
        assert_eq!(value(0, "payerNumberValid").as_deref(), Some("true"));
        assert_eq!(value(0, "alwaysReimbursement").as_deref(), Some("false"));
        assert_eq!(value(0, "recipientNumberValid"), None);
        assert_eq!(value(0, "validFrom").as_deref(), Some("2025-04-01"));
        assert_eq!(value(0, "validFromRaw").as_deref(), Some("20250401"));
        assert_eq!(value(0, "validTo"), None);
        assert_eq!(value(0, "validToRaw").as_deref(), Some("20270930"));
        let json = |v: Option<String>| v.map(|v| serde_json::from_str::<serde_json::Value>(&v).unwrap());
        assert_eq!(
            json(value(0, "maxCopayment")),
            Some(serde_json::json!({"amount": "5000", "raw": "5000", "items": []}))
        );
        assert_eq!(json(value(1, "maxCopayment")), Some(serde_json::to_value(&max).unwrap()));
        assert_eq!(value(0, "path").as_deref(), Some(entry().path.as_str()));
        // 80,000 units: past one head unit, read back whole by the long form.
        assert_eq!(value(1, "path").map(|p| p.chars().count()), Some(40_000));
        assert_eq!(value(1, "certificateName"), value(0, "certificateName"));
    }
}
