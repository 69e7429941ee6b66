//! 保険者番号, 公費負担者番号 and 受給者番号: normalisation, check digits (検証番号), structure.
//!
//! Every number stays a string. Normalisation (full-width → ASCII, space padding stripped) is
//! for validation and the mapped fields only; the raw text is always kept beside it.
//!
//! The check digit is the same for all three kinds (docs/DOMAIN.md §4): from the rightmost digit of the
//! body, weights 2,1,2,1…; two-digit products add their digits; check = 10 − (sum mod 10), and 0
//! when the sum is a multiple of 10. A failed check is a warning, never an error.

use serde::Serialize;

use crate::text::Text;

/// A number as it came, and as normalised. `Debug` shows neither.
///
/// Kept in one text: the raw form alone when normalising changes nothing (nearly every number),
/// else the normalised form followed by the raw one (so the text is longer than the normalised
/// form exactly when the two differ). A second text for every number was 24 bytes
/// more in every number field of every result, and a second copy made per number.
#[derive(Clone, PartialEq, Eq)]
pub struct NumberText {
    /// The raw text, or the normalised text followed by the raw one.
    text: Text,
    /// The length of the normalised form at the start of `text`.
    normalized_len: u32,
}

impl NumberText {
    /// Keeps `raw` and its normalised form (full-width digits to ASCII, padding removed).
    pub fn new(raw: &str) -> Self {
        let Ok(raw_len) = u32::try_from(raw.len()) else {
            // Over 4 GiB (the parse's text limit stops such a text long before): no number, so
            // the normalised form is empty; the raw text is kept whole.
            return Self { text: Text::from(raw), normalized_len: 0 };
        };
        // Normalising only ever shortens a text (padding dropped, 3-byte full-width characters
        // made 1-byte ASCII): the same length means nothing changed, with no comparison.
        if raw.is_ascii() && trim_padding(raw).len() == raw.len() {
            return Self { text: Text::from(raw), normalized_len: raw_len };
        }
        let normalized = normalize(raw);
        let normalized_len = normalized.len() as u32; // at most `raw_len`
        if normalized.len() == raw.len() {
            return Self { text: normalized, normalized_len };
        }
        let mut text = normalized;
        text.push_str(raw);
        Self { text, normalized_len }
    }

    /// The normalised value: full-width digits and letters made ASCII, surrounding spaces removed.
    pub fn value(&self) -> &str {
        self.text.get(..self.normalized_len as usize).unwrap_or_default()
    }

    /// The number exactly as in the document.
    pub fn raw(&self) -> &str {
        let normalized_len = self.normalized_len as usize;
        if self.text.len() == normalized_len { &self.text } else { self.text.get(normalized_len..).unwrap_or_default() }
    }
}

impl std::fmt::Debug for NumberText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NumberText(<redacted>)")
    }
}

impl Serialize for NumberText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("NumberText", 2)?;
        out.serialize_field("normalized", self.value())?;
        out.serialize_field("raw", self.raw())?;
        out.end()
    }
}

/// Full-width digits/letters → ASCII; ASCII and ideographic spaces trimmed at both ends. Never
/// longer than `raw`, and as long only when unchanged ([`NumberText::new`] relies on it).
pub fn normalize(raw: &str) -> Text {
    let trimmed = trim_padding(raw);
    // Most numbers are plain ASCII: nothing to map, and short enough to need no allocation.
    if trimmed.is_ascii() {
        return Text::from(trimmed);
    }
    let mut out = Text::with_capacity(trimmed.len());
    out.extend(trimmed.chars().map(|c| match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFF10 + 0x30).unwrap_or(c)
        }
        '\u{FF0D}' | '\u{2212}' => '-',
        other => other,
    }));
    out
}

/// Without the padding (ASCII and ideographic spaces, tabs, line ends) at both ends. Most numbers
/// start and end with a digit, a 記号 with kanji or kana: the end bytes decide then, instead of
/// decoding characters from both ends.
fn trim_padding(raw: &str) -> &str {
    if padded_at_start(raw.as_bytes()) || padded_at_end(raw.as_bytes()) {
        raw.trim_matches(|c: char| c == ' ' || c == '\u{3000}' || c == '\t' || c == '\r' || c == '\n')
    } else {
        raw
    }
}

/// Whether the first character is padding (U+3000 is E3 80 80 in UTF-8), or there is none.
fn padded_at_start(b: &[u8]) -> bool {
    matches!(*b, [] | [b' ' | b'\t' | b'\r' | b'\n', ..] | [0xE3, 0x80, 0x80, ..])
}

/// Whether the last character is padding: E3 three bytes before the end starts the last
/// character (valid UTF-8), so no other character ends in E3 80 80.
fn padded_at_end(b: &[u8]) -> bool {
    matches!(*b, [] | [.., b' ' | b'\t' | b'\r' | b'\n'] | [.., 0xE3, 0x80, 0x80])
}

/// The 検証番号 for a body of ASCII digits, or `None` if the body is empty or not all digits.
pub fn check_digit(body: &str) -> Option<u8> {
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let product = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            product / 10 + product % 10
        })
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// True when the last digit is the check digit of the rest (all ASCII digits).
fn has_valid_check_digit(digits: &str) -> bool {
    match digits.as_bytes().split_last() {
        Some((&last, body)) => std::str::from_utf8(body).ok().and_then(check_digit).is_some_and(|d| last == b'0' + d),
        None => false,
    }
}

fn is_digits(s: &str, lengths: &[usize]) -> bool {
    lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

crate::spelled::spelled_enum! {
    /// The kinds of number kohi checks.
    pub enum NumberKind {
        /// 保険者番号: 8 digits, or 6 for 国保.
        Insurer = "insurer",
        /// 公費負担者番号: 8 digits.
        Payer = "payer",
        /// 受給者番号 of a national program: 7 digits.
        Recipient = "recipient",
    }
}

/// The verdict on one number.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct NumberCheck {
    /// Which number it was checked as.
    pub kind: NumberKind,
    /// The number normalised: half-width digits, no spaces.
    pub normalized: String,
    /// Right length, all digits, and the check digit holds.
    pub valid: bool,
    /// The check digit the body calls for, when the number has its kind's shape (digits, of one
    /// of [`NumberKind::lengths`]); `None` otherwise: on a number of the wrong length no change
    /// of its last digit makes it right, so there is no digit to offer as the fix.
    pub expected_check_digit: Option<u8>,
}

impl std::fmt::Debug for NumberCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumberCheck").field("kind", &self.kind).field("valid", &self.valid).finish_non_exhaustive()
    }
}

/// Checks a number of the given kind (normalising it first).
///
/// ```
/// use kohi::NumberKind;
/// let ok = kohi::check_number(NumberKind::Payer, "５２１３６０１７"); // full-width input
/// assert!(ok.valid);
/// assert_eq!(ok.normalized, "52136017");
/// let bad = kohi::check_number(NumberKind::Payer, "52136018");
/// assert_eq!((bad.valid, bad.expected_check_digit), (false, Some(7)));
/// let long = kohi::check_number(NumberKind::Payer, "521360172"); // 9 digits: no digit fixes it
/// assert_eq!((long.valid, long.expected_check_digit), (false, None));
/// ```
pub fn check_number(kind: NumberKind, raw: &str) -> NumberCheck {
    let normalized = normalize(raw);
    let valid = is_valid_normalized(kind, &normalized);
    // The body is everything before the last digit. Given before 2026-12-05 for any all-digit
    // body, whatever its length: `kohi check 521360172` said "should be 2" of a 9-digit number.
    let expected_check_digit = match kind.has_shape(&normalized) {
        true => check_digit(&normalized[..normalized.len() - 1]),
        false => None,
    };
    NumberCheck { kind, normalized: normalized.into_string(), valid, expected_check_digit }
}

/// `check_number(kind, n).valid` for a number that is already normalised (no allocation).
pub fn is_valid_normalized(kind: NumberKind, normalized: &str) -> bool {
    is_digits(normalized, kind.lengths()) && has_valid_check_digit(normalized)
}

impl NumberKind {
    /// How many digits a number of this kind has (check digit included).
    ///
    /// ```
    /// assert_eq!(kohi::NumberKind::Insurer.lengths(), &[6, 8]);
    /// ```
    pub fn lengths(self) -> &'static [usize] {
        match self {
            NumberKind::Insurer => &[6, 8],
            NumberKind::Payer => &[8],
            NumberKind::Recipient => &[7],
        }
    }

    /// Whether `normalized` (see [`normalize`]) has this kind's shape: digits only, of one of
    /// its [`lengths`](Self::lengths). A number of the wrong shape has no check digit to fix.
    pub fn has_shape(self, normalized: &str) -> bool {
        is_digits(normalized, self.lengths())
    }
}

/// A 公費負担者番号 split into its parts. Only for 8 ASCII digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayerParts<'a> {
    /// 法別番号 (2)
    pub law: &'a str,
    /// 都道府県番号 (2)
    pub prefecture: &'a str,
    /// 実施機関番号 (3)
    pub agency: &'a str,
}

/// The parts of a normalised 8-digit 公費負担者番号 (法別, 都道府県, 実施機関, 検証番号); `None` when it is not 8 ASCII digits.
pub fn split_payer_number(normalized: &str) -> Option<PayerParts<'_>> {
    is_digits(normalized, &[8]).then(|| PayerParts {
        law: &normalized[0..2],
        prefecture: &normalized[2..4],
        agency: &normalized[4..7],
    })
}

/// What a 法別 is: insurance (a 保険者番号), a national 公費 program, or 地方単独.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LawKind {
    Insurance,
    National,
    Local,
}

impl LawKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Insurance => "insurance",
            Self::National => "national 公費",
            Self::Local => "local 公費",
        }
    }
}

/// The 法別 of 8 normalised digits that pass the 公費負担者番号 check, and what it is.
pub(crate) fn payer_law(normalized: &str) -> Option<(&str, LawKind)> {
    if !is_valid_normalized(NumberKind::Payer, normalized) {
        return None;
    }
    let law = split_payer_number(normalized)?.law;
    let kind = if crate::programs::INSURANCE_LAWS.contains(&law) {
        LawKind::Insurance
    } else if crate::programs::national_program(law).is_some() {
        LawKind::National
    } else {
        LawKind::Local
    };
    Some((law, kind))
}

/// A value shaped like a 公費負担者番号 of a 公費 program: 8 digits with a valid check digit and a
/// 公費 法別, and not a date (some dates pass the check: 20260331).
pub(crate) fn is_kohi_payer_value(raw: &str) -> bool {
    let n = normalize(raw);
    let n = crate::text::trim(&n);
    date_value(n).is_none() && payer_law(n).is_some_and(|(_, kind)| kind != LawKind::Insurance)
}

/// A date as a parse reads one (`YYYYMMDD`, `YYYY-MM-DD`, `YYYY/MM/DD`, see `dates::parse_date`),
/// in years a certificate can carry, as a comparable number
/// (88131016 is a local 公費負担者番号, not a day in 8813).
pub(crate) fn date_value(s: &str) -> Option<u32> {
    use chrono::Datelike;
    let date = crate::dates::parse_date(s)?;
    let year = u32::try_from(date.year()).ok().filter(|y| (1900..2200).contains(y))?;
    Some(year * 10_000 + date.month() * 100 + date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_trimmed_with_or_without_the_fast_path() {
        for (raw, normalized) in [
            ("52136017", "52136017"),
            ("  138057", "138057"),
            ("\u{3000}１２３\u{3000}", "123"),
            ("\t7\r\n", "7"),
            ("K0001 ", "K0001"),
            ("", ""),
            ("-1-", "-1-"),
        ] {
            assert_eq!(normalize(raw), normalized, "{raw:?}");
        }
    }

    #[test]
    fn worked_examples_from_the_reference() {
        // §4: 保険者番号 33120015 → 5; 公費負担者番号 54016027 → 7.
        assert_eq!(check_digit("3312001"), Some(5));
        assert_eq!(check_digit("5401602"), Some(7));
        assert!(check_number(NumberKind::Insurer, "33120015").valid);
        assert!(check_number(NumberKind::Payer, "54016027").valid);
        for n in ["21136015", "54136015", "01130012", "39131156", "52136017", "88131016"] {
            assert!(check_number(NumberKind::Payer, n).valid, "{n}");
        }
        assert!(check_number(NumberKind::Insurer, "138057").valid);
        assert!(check_number(NumberKind::Recipient, "1234566").valid);
    }

    #[test]
    fn failures_report_the_expected_digit() {
        let c = check_number(NumberKind::Insurer, "06139993");
        assert!(!c.valid);
        assert_eq!(c.expected_check_digit, Some(2));
        let c = check_number(NumberKind::Payer, "87654321");
        assert_eq!((c.valid, c.expected_check_digit), (false, Some(3)));
        let c = check_number(NumberKind::Recipient, "0000002");
        assert_eq!((c.valid, c.expected_check_digit), (false, Some(0)));
    }

    #[test]
    fn lengths_and_non_digits_fail() {
        assert!(!check_number(NumberKind::Payer, "5401602").valid);
        assert!(!check_number(NumberKind::Payer, "138057").valid);
        assert!(!check_number(NumberKind::Recipient, "K000012345").valid);
        assert!(!check_number(NumberKind::Insurer, "").valid);
        assert_eq!(check_number(NumberKind::Insurer, "").expected_check_digit, None);
        // Found by the property test: a multi-byte last character must not split a slice.
        assert!(!check_number(NumberKind::Payer, "1234567見").valid);
        assert_eq!(check_number(NumberKind::Payer, "見").expected_check_digit, None);
        assert!(!check_number(NumberKind::Recipient, "123456見").valid);
    }

    #[test]
    fn padding_and_full_width_are_normalised() {
        assert_eq!(normalize("  138057"), "138057");
        assert_eq!(normalize("５４０１６０２７　"), "54016027");
        assert_eq!(normalize("Ｋ０００１"), "K0001");
        assert!(check_number(NumberKind::Insurer, "  138057").valid);
        assert!(check_number(NumberKind::Payer, "５４０１６０２７").valid);
        // Leading zeros do not change the sum: 6-digit 国保 and its zero-padded form agree.
        assert!(check_number(NumberKind::Insurer, "00138057").valid);
    }

    #[test]
    fn split_payer() {
        let p = split_payer_number("54270000").unwrap();
        assert_eq!((p.law, p.prefecture, p.agency), ("54", "27", "000"));
        assert_eq!(split_payer_number("5427000"), None);
        assert_eq!(split_payer_number("5427000a"), None);
    }

    #[test]
    fn number_text_stores_raw_once() {
        // (raw, normalised): unchanged, padded, full-width with an ideographic space, empty.
        let cases = [
            ("52136017", "52136017"),
            ("  138057", "138057"),
            ("\u{3000}５２１３６０１７ ", "52136017"),
            ("Ｋ－０１", "K-01"),
            ("練馬", "練馬"),
            ("", ""),
            ("   ", ""),
        ];
        for (raw, normalized) in cases {
            let n = NumberText::new(raw);
            assert_eq!((n.value(), n.raw()), (normalized, raw));
            assert_eq!(n, NumberText::new(raw));
            let json = serde_json::to_value(&n).unwrap();
            assert_eq!(json, serde_json::json!({"normalized": normalized, "raw": raw}));
        }
        // Two numbers that normalise alike but were sent differently stay different.
        assert_ne!(NumberText::new("138057"), NumberText::new("  138057"));
        // One text and its lengths: 16 bytes less than two texts in every number field.
        assert_eq!(std::mem::size_of::<NumberText>(), 32);
        assert_eq!(std::mem::size_of::<Option<NumberText>>(), 32);
    }

    #[test]
    fn number_text_keeps_raw_and_hides_both() {
        let n = NumberText::new("  138057");
        assert_eq!(n.value(), "138057");
        assert_eq!(n.raw(), "  138057");
        assert!(!format!("{n:?}").contains("138057"));
        assert!(!format!("{:?}", check_number(NumberKind::Insurer, "138057")).contains("138057"));
    }

    proptest::proptest! {
        /// The end-byte test trims exactly what decoding the characters trims, for texts of
        /// padding, digits, kana, kanji and the characters whose UTF-8 is near U+3000's.
        #[test]
        fn trim_padding_is_trim_matches(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                " ", "\t", "\r", "\n", "\u{3000}", "\u{3001}", "\u{3040}", "\u{2000}", "\u{a0}", "\u{b}",
                "1", "K", "-", "１", "練", "ｱ", "ア", "\u{e000}", "𠮷",
            ]), 0..8),
        ) {
            let text = parts.concat();
            let reference = text.trim_matches(|c: char| c == ' ' || c == '\u{3000}' || c == '\t' || c == '\r' || c == '\n');
            proptest::prop_assert_eq!(trim_padding(&text), reference);
        }
    }
}
