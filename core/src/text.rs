//! The text type of the model.

/// The text of a field as the model keeps it: a string of up to 24 bytes is stored inline, with
/// no heap allocation (nearly every code, number and date of a result), a longer one on the heap.
/// It is the size of a `String` and derefs to `str`; use `.as_str()`, `.to_string()` or
/// `String::from` where a `&str` or a `String` is wanted.
///
/// Why not `String`: a result is mostly short texts, and one heap allocation for each (and one
/// free when the document is dropped) was most of the allocator's work and a fifth of a parse.
pub type Text = compact_str::CompactString;

/// The serde name under which kohi writes the texts of its own tables (a code's label, a
/// program's name): a newtype struct of this name around a `&'static str`. Every serde format
/// writes a newtype struct as its content, so the JSON shows the plain string; a serializer that
/// knows the name may make each such text once and reuse it (Python's `to_dict()` does).
pub const STATIC_TEXT: &str = "kohi::StaticText";

/// A text of kohi's own tables (a code's label, a program's name), serialized as a newtype
/// struct named [`STATIC_TEXT`]. Every serde format writes a newtype struct as its content, so
/// the JSON is the plain string; the name tells a serializer that the text lives as long as the
/// program, so it can be made once, not once per field of every result (a bulk unit carries
/// four labels). Its only field is a `&'static str`, so nothing else can be passed off as one.
pub(crate) struct StaticText(pub(crate) &'static str);

impl serde::Serialize for StaticText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(STATIC_TEXT, self.0)
    }
}

/// `Option<&'static str>` as [`StaticText`] (for `#[serde(serialize_with)]`).
pub(crate) fn serialize_static<S: serde::Serializer>(
    text: &Option<&'static str>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&text.map(StaticText), serializer)
}

/// `str::trim`, decided at the two end characters when neither is whitespace, as for nearly
/// every value of a result file. `str::trim` reads characters from both ends through Unicode's
/// whitespace table: 2–3 % of a parse, since every code, date and text of a result is trimmed
/// (names, addresses and insurer names end in kana or kanji, so the ends are looked at as
/// UTF-8 too, not only as ASCII).
pub(crate) fn trim(s: &str) -> &str {
    if starts_without_space(s.as_bytes()) && ends_without_space(s.as_bytes()) { s } else { s.trim() }
}

// Unicode's White_Space (what `str::trim` removes) outside ASCII is U+0085, U+00A0 (UTF-8 lead
// byte C2), U+1680 (E1), U+2000–U+205F (E2 80 and E2 81) and U+3000 (E3 80 80, the
// ideographic space of Japanese text). Any other character is not whitespace: kana and CJK
// punctuation (E3, U+3001 and up), kanji (E4–E9), full-width forms and half-width kana (EF),
// symbols from U+2080 (E2 82 and up: Ⅰ, ①, ─), every two-byte character but C2's. `false`
// sends the text to `str::trim`, so what is not decided here (C2, E1, E2 80–81) costs time,
// never a wrong answer.

/// Whether the first character is certainly not whitespace.
pub(crate) fn starts_without_space(b: &[u8]) -> bool {
    match *b {
        [c, ..] if (0x21..0x80).contains(&c) => true,
        [0xE3, x, y, ..] => !(x == 0x80 && y == 0x80),
        [0xE2, x, ..] => x >= 0x82,
        [c, ..] => (0xC3..=0xE0).contains(&c) || c >= 0xE4,
        [] => false,
    }
}

/// Whether the last character is certainly not whitespace. In valid UTF-8 a lead byte two,
/// three or four bytes before the end starts the last character.
fn ends_without_space(b: &[u8]) -> bool {
    match *b {
        [.., c] if (0x21..0x80).contains(&c) => true,
        [.., 0xE3, x, y] => !(x == 0x80 && y == 0x80),
        [.., 0xE2, x, _] => x >= 0x82,
        [.., lead, _, _] if (0xE4..0xF0).contains(&lead) || lead == 0xE0 => true,
        [.., lead, _] if (0xC3..0xE0).contains(&lead) => true,
        [.., lead, _, _, _] => lead >= 0xF0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// The same as `str::trim` for texts made of whitespace (ASCII, Unicode), printable
        /// ASCII, kana and controls, at either end.
        #[test]
        fn trim_is_str_trim(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                " ", "\t", "\n", "\r", "\u{b}", "\u{c}", "\u{1f}", "\u{85}", "\u{a0}", "\u{3000}", "\u{2028}",
                "\u{1680}", "\u{2000}", "\u{200a}", "\u{202f}", "\u{205f}", "\u{180e}", "\u{200b}", "\u{feff}",
                "a", "0", "~", "\u{7f}", "!", "見", "ｱ", "ア", "、", "\u{3001}", "\u{303f}", "１", "é", "\u{c0}",
                "\u{800}", "\u{fff}", "\u{1000}", "\u{1fff}", "\u{2100}", "𠮷", "\u{10ffff}",
            ]), 0..8),
        ) {
            let text = parts.concat();
            proptest::prop_assert_eq!(super::trim(&text), text.trim());
        }
    }

    /// Every character's verdict at either end agrees with `char::is_whitespace`: a character
    /// the fast path calls "not whitespace" never is.
    #[test]
    fn end_characters_are_decided_as_char_is_whitespace() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let text = c.to_string();
            for wrapped in [text.clone(), format!("a{c}"), format!("{c}a")] {
                assert_eq!(super::trim(&wrapped), wrapped.trim(), "U+{:04X}", c as u32);
            }
            if super::starts_without_space(text.as_bytes()) || super::ends_without_space(text.as_bytes()) {
                assert!(!c.is_whitespace(), "U+{:04X}", c as u32);
            }
        }
        // Japanese text is decided at its ends, without `str::trim` (the point of the above).
        for text in ["見本　一郎", "ﾐﾎﾝ ｲﾁﾛｳ", "東京都練馬区見本町１－２－３", "一般Ⅰ", "「見本」", "①", "é", "𠮷"]
        {
            assert!(
                super::starts_without_space(text.as_bytes()) && super::ends_without_space(text.as_bytes()),
                "{text}"
            );
        }
    }
}
