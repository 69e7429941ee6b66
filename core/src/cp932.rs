//! Text → CP932 (Windows-31J) bytes, for requests written to the terminal and for C callers
//! who want CP932 strings.
//!
//! The WHATWG encoder behind `encoding_rs` turns a character it cannot map into an HTML
//! numeric reference (`&#12316;`). In a request or a name that is data corruption, so every
//! unmappable character is an error here. Characters that Unicode's JIS mapping and CP932 spell
//! differently (WAVE DASH and friends, as typed on a Mac or converted by a JIS-minded tool) are
//! first mapped to the forms Windows uses, which is what the terminal and レセコン expect.

/// (JIS-style character, the CP932 character Windows uses for the same glyph).
const TO_CP932_FORM: &[(char, char)] = &[
    ('\u{301C}', '\u{FF5E}'), // WAVE DASH → FULLWIDTH TILDE
    ('\u{2016}', '\u{2225}'), // DOUBLE VERTICAL LINE → PARALLEL TO
    ('\u{2014}', '\u{2015}'), // EM DASH → HORIZONTAL BAR
    ('\u{00A2}', '\u{FFE0}'), // CENT SIGN → FULLWIDTH CENT SIGN
    ('\u{00A3}', '\u{FFE1}'), // POUND SIGN → FULLWIDTH POUND SIGN
    ('\u{00AC}', '\u{FFE2}'), // NOT SIGN → FULLWIDTH NOT SIGN
];

/// A character CP932 cannot hold, at this character index of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unrepresentable {
    /// The position of the character that cannot be encoded, in characters from the start (never the character itself).
    pub char_index: usize,
}

/// CP932 bytes → text, or `None` if they are not CP932 (never a replacement character): for
/// callers whose strings are CP932, such as file paths from a Japanese Windows program.
/// The same decoder as a Shift_JIS document's (`shift_jis.rs`), so the core reads CP932 one way.
pub fn decode(bytes: &[u8]) -> Option<String> {
    crate::shift_jis::decode(bytes).map(std::borrow::Cow::into_owned)
}

/// Encodes to CP932, mapping JIS-style variants first; never substitutes.
pub fn encode(text: &str) -> Result<Vec<u8>, Unrepresentable> {
    let mapped: std::borrow::Cow<'_, str> = if text.chars().any(|c| TO_CP932_FORM.iter().any(|&(from, _)| from == c)) {
        text.chars().map(|c| TO_CP932_FORM.iter().find(|&&(from, _)| from == c).map_or(c, |&(_, to)| to)).collect()
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let mut encoder = encoding_rs::SHIFT_JIS.new_encoder();
    let mut out = Vec::with_capacity(mapped.len());
    let mut rest: &str = &mapped;
    loop {
        let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        match result {
            encoding_rs::EncoderResult::InputEmpty => return Ok(out),
            encoding_rs::EncoderResult::OutputFull => {
                out.reserve(rest.len().max(16));
                rest = &rest[read..];
            }
            encoding_rs::EncoderResult::Unmappable(_) => {
                let consumed = mapped.len() - rest.len() + read;
                // `read` includes the unmappable character itself.
                let char_index = mapped[..consumed].chars().count() - 1;
                return Err(Unrepresentable { char_index });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_and_cp932_extensions() {
        assert_eq!(encode("見本").unwrap(), vec![0x8C, 0xA9, 0x96, 0x7B]);
        assert_eq!(encode("髙①㈱").unwrap(), vec![0xFB, 0xFC, 0x87, 0x40, 0x87, 0x8A]);
        assert_eq!(encode("A-1").unwrap(), b"A-1".to_vec());
    }

    #[test]
    fn jis_variants_become_their_cp932_forms() {
        assert_eq!(encode("〜").unwrap(), vec![0x81, 0x60]);
        assert_eq!(encode("‖—¢£¬").unwrap(), vec![0x81, 0x61, 0x81, 0x5C, 0x81, 0x91, 0x81, 0x92, 0x81, 0xCA]);
        // Never a character reference.
        assert!(!encode("東京〜大阪").unwrap().contains(&b'&'));
    }

    #[test]
    fn unmappable_is_an_error_with_its_position() {
        assert_eq!(encode("見本𠮷"), Err(Unrepresentable { char_index: 2 }));
        assert_eq!(encode("😀"), Err(Unrepresentable { char_index: 0 }));
    }
}
