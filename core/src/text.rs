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

/// `str::trim`, decided at the two end bytes when neither is whitespace, as for nearly every
/// value of a result file. `str::trim` reads characters from both ends through Unicode's
/// whitespace table: 2–3 % of a parse, since every code, date and text of a result is trimmed.
/// Exact: every whitespace character is either an ASCII byte up to 0x20 or outside ASCII.
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&first), Some(&last)) if (0x21..0x80).contains(&first) && (0x21..0x80).contains(&last) => s,
        _ => s.trim(),
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
                "a", "0", "~", "\u{7f}", "!", "見", "ｱ",
            ]), 0..8),
        ) {
            let text = parts.concat();
            proptest::prop_assert_eq!(super::trim(&text), text.trim());
        }
    }
}
