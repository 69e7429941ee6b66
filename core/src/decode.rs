//! Bytes → UTF-8 text, before any XML parsing.
//!
//! The whole document is transcoded up front: quick-xml's streaming decoder guesses UTF-8 for
//! the first 64 bytes and fails on Shift_JIS files whose first non-ASCII byte comes early.
//! Shift_JIS is read as CP932 (`encoding_rs::SHIFT_JIS` is the WHATWG = windows-31j mapping),
//! so NEC/IBM extension characters such as ①, ㈱ and 髙 survive. Bytes that do not decode are an
//! error: a replacement character must never end up in a patient's name.

use std::borrow::Cow;
use std::ops::Range;

use serde::Serialize;

use crate::error::{Error, MalformedReason, Result};
use crate::mislabelled::Utf8Japanese;

/// The encoding a document was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "UTF-8")]
    /// UTF-8.
    Utf8,
    #[serde(rename = "Shift_JIS")]
    /// Shift_JIS, read as CP932 (Windows-31J), as the terminal writes it.
    ShiftJis,
}

impl Encoding {
    /// The encoding's name as the contract spells it (`UTF-8`, `Shift_JIS`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::ShiftJis => "Shift_JIS",
        }
    }
}

/// What told us the encoding, most authoritative first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    /// A UTF-8 byte order mark.
    ByteOrderMark,
    /// The XML declaration's `encoding`.
    Declaration,
    /// The header's `CharacterCodeIdentifier`.
    CharacterCodeIdentifier,
    /// Nothing said: UTF-8 was assumed.
    Default,
}

/// A decoded document.
pub struct Decoded<'a> {
    /// The decoded text (borrowed when the input was already UTF-8).
    pub text: Cow<'a, str>,
    /// The encoding the bytes were decoded from.
    pub encoding: Encoding,
    /// Where the encoding was read from.
    pub source: EncodingSource,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How far into a document its encoding is looked for (its declaration and
/// `CharacterCodeIdentifier`): a stream reads this much before it starts (`PatientReader::new`),
/// and the whole-file parse looks no further, so that both choose the same encoding for the
/// same bytes. The header, where `CharacterCodeIdentifier` belongs,
/// comes first. Until 2026-12-06 the whole-file parse searched the whole file: an element of
/// that name after 64 KiB of bulk units made it decode the file as Shift_JIS and refuse it,
/// while the stream read the same bytes as UTF-8 (found by the `stream` fuzz target). A file
/// whose identifier comes later and says Shift_JIS is not read wrong silently: its Shift_JIS
/// kana and kanji are not UTF-8, and it is refused with `invalid_encoding`.
pub(crate) const DETECT_BYTES: usize = 64 * 1024;

/// Detects the encoding (BOM → declaration → `CharacterCodeIdentifier` in the first 64 KiB →
/// UTF-8) and decodes.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>> {
    decode_with(bytes, &mut |_, _| {})
}

/// [`decode`], handing `also` each block of the decoded text (its bytes, and the block's range
/// in them) while the checks have it in the cache (see [`check_characters_with`]).
pub(crate) fn decode_with<'a>(bytes: &'a [u8], also: &mut dyn FnMut(&[u8], Range<usize>)) -> Result<Decoded<'a>> {
    let (encoding, source, body) = detect(bytes)?;
    if encoding == Encoding::ShiftJis && Utf8Japanese::of_whole(body) {
        return Err(MISLABELLED);
    }
    // A byte that does not decode is placed in the file, its byte order mark counted, as a
    // stream places it (the offset in `body` was three bytes short after a mark).
    let in_file = |error| match error {
        Error::InvalidEncoding { encoding, offset } => {
            Error::InvalidEncoding { encoding, offset: offset + (bytes.len() - body.len()) }
        }
        other => other,
    };
    let text = match encoding {
        Encoding::Utf8 => Cow::Borrowed(decode_utf8_checked(body, also).map_err(in_file)?),
        Encoding::ShiftJis => {
            let text = decode_shift_jis(body).map_err(in_file)?;
            check_characters_with(&text, encoding, also)?;
            text
        }
    };
    Ok(Decoded { text, encoding, source })
}

/// The encoding of a stream from its first bytes, how many of them are a BOM to skip, and,
/// for Shift_JIS, the question whether it is UTF-8 Japanese after all, as far as those bytes
/// answer it (the stream asks the rest of it as it reads on).
pub(crate) fn detect_prefix(prefix: &[u8]) -> Result<(Encoding, usize, Option<Utf8Japanese>)> {
    let (encoding, _, body) = detect(prefix)?;
    let mut question = None;
    if encoding == Encoding::ShiftJis {
        let mut asked = Utf8Japanese::default();
        match asked.feed(body) {
            Some(true) => return Err(MISLABELLED),
            Some(false) => {}
            None => question = Some(asked),
        }
    }
    Ok((encoding, prefix.len() - body.len(), question))
}

/// UTF-8 Japanese said to be Shift_JIS (see `mislabelled`), by a declaration or an identifier.
pub(crate) const MISLABELLED: Error = Error::EncodingConflict { declared: "Shift_JIS", found: "UTF-8" };

fn detect(bytes: &[u8]) -> Result<(Encoding, EncodingSource, &[u8])> {
    // Everything that says the encoding is looked for in the first 64 KiB, as a stream reads
    // them, the declaration too: one of more than 64 KiB (`<?xml` and `?>` 99 KB apart) made the
    // whole-file parse decode a file that a stream read as UTF-8 (found by the `stream` fuzz
    // target on 2026-12-06).
    let head = &bytes[..bytes.len().min(DETECT_BYTES)];
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        if declared_encoding(&head[UTF8_BOM.len()..]).and_then(encoding_for_label) == Some(Encoding::ShiftJis) {
            return Err(Error::EncodingConflict { declared: "Shift_JIS", found: "UTF-8 (byte order mark)" });
        }
        return Ok((Encoding::Utf8, EncodingSource::ByteOrderMark, rest));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        // UTF-16 is never written by the terminal; refusing beats guessing.
        return Err(Error::UnsupportedEncoding { line: 1 });
    }
    if let Some(label) = declared_encoding(head) {
        let encoding = encoding_for_label(label).ok_or(Error::UnsupportedEncoding { line: 1 })?;
        return Ok((encoding, EncodingSource::Declaration, bytes));
    }
    if let Some(encoding) = character_code_identifier(head) {
        return Ok((encoding, EncodingSource::CharacterCodeIdentifier, bytes));
    }
    Ok((Encoding::Utf8, EncodingSource::Default, bytes))
}

/// The `encoding="…"` (or `'…'`) pseudo-attribute of an XML declaration at the very start.
fn declared_encoding(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(b"<?xml")?;
    if !rest.first().is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    let end = find(rest, b"?>")?;
    let decl = &rest[..end];
    let at = find(decl, b"encoding")?;
    let mut after = decl[at + b"encoding".len()..].trim_ascii_start();
    after = after.strip_prefix(b"=")?.trim_ascii_start();
    let quote = *after.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &after[1..];
    let close = value.iter().position(|&b| b == quote)?;
    Some(&value[..close])
}

fn encoding_for_label(label: &[u8]) -> Option<Encoding> {
    // The two labels the terminal writes, before encoding_rs's search of all its labels.
    if label.eq_ignore_ascii_case(b"UTF-8") {
        return Some(Encoding::Utf8);
    }
    if label.eq_ignore_ascii_case(b"Shift_JIS") {
        return Some(Encoding::ShiftJis);
    }
    // Windows-side spellings that WHATWG's label list does not carry.
    if [&b"cp932"[..], b"ms932", b"ibm-943", b"x-ms-cp932"].iter().any(|l| l.eq_ignore_ascii_case(label)) {
        return Some(Encoding::ShiftJis);
    }
    // encoding_rs matches labels case-insensitively itself.
    let found = encoding_rs::Encoding::for_label_no_replacement(label)?;
    if found == encoding_rs::UTF_8 {
        Some(Encoding::Utf8)
    } else if found == encoding_rs::SHIFT_JIS {
        Some(Encoding::ShiftJis)
    } else {
        None
    }
}

/// The header's `CharacterCodeIdentifier` (OQSCD005: 0 UTF-8, 1 Shift_JIS), read from the raw
/// bytes. `<` is never a Shift_JIS trail byte, so an ASCII search cannot match mid-character.
fn character_code_identifier(bytes: &[u8]) -> Option<Encoding> {
    let name = crate::layout::names::CHARACTER_CODE_IDENTIFIER.as_bytes();
    let mut from = 0;
    // `<Name>` exactly (not `<NameOther>`; blanks before `>` as XML allows), searched by its name.
    let rest = loop {
        let at = from + find(&bytes[from..], name)?;
        let after = at + name.len();
        let tag_end = after + bytes[after..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        if at > 0 && bytes[at - 1] == b'<' && bytes.get(tag_end) == Some(&b'>') {
            break &bytes[tag_end + 1..];
        }
        from = after;
    };
    match short_text(rest)?.trim_ascii() {
        b"0" => Some(Encoding::Utf8),
        b"1" => Some(Encoding::ShiftJis),
        _ => None,
    }
}

/// The text at the start of an element's content, up to its first tag, read as XML reads it as
/// far as a one-character code needs: CDATA sections, comments and character references
/// (`&#49;`, `&#x31;`) besides plain bytes. `None` for anything longer than a code (16 bytes
/// read) or any other markup: the parse reads the value itself, and says if it disagrees.
/// The same value spelled `<![CDATA[1]]>` read as no identifier, and a Shift_JIS file
/// without a declaration was refused as UTF-8 (found by the property that spells each fixture
/// every way XML allows, `core/tests/spellings.rs`).
fn short_text(mut rest: &[u8]) -> Option<Vec<u8>> {
    const MOST: usize = 16;
    let mut text = Vec::new();
    while text.len() <= MOST {
        if let Some(after) = rest.strip_prefix(b"<![CDATA[") {
            let end = find(&after[..after.len().min(MOST + 3)], b"]]>")?;
            text.extend_from_slice(&after[..end]);
            rest = &after[end + 3..];
        } else if let Some(after) = rest.strip_prefix(b"<!--") {
            let end = find(&after[..after.len().min(4 * MOST)], b"-->")?;
            rest = &after[end + 3..];
        } else if rest.first() == Some(&b'<') {
            return Some(text);
        } else if let Some(after) = rest.strip_prefix(b"&#") {
            let end = after.iter().take(10).position(|&b| b == b';')?;
            let (digits, radix) = match after[..end].strip_prefix(b"x") {
                Some(hex) => (hex, 16),
                None => (&after[..end], 10),
            };
            let code = u32::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()?;
            text.push(u8::try_from(code).ok().filter(u8::is_ascii)?);
            rest = &after[end + 1..];
        } else {
            let (&byte, after) = rest.split_first()?;
            text.push(byte);
            rest = after;
        }
    }
    None
}

/// Validation is the largest single cost of a parse (Japanese text is all multi-byte), so it
/// uses SIMD; the error still says where the bad bytes start.
fn decode_utf8(bytes: &[u8]) -> Result<&str> {
    simdutf8::compat::from_utf8(bytes)
        .map_err(|e| Error::InvalidEncoding { encoding: "UTF-8", offset: e.valid_up_to() })
}

/// [`decode_utf8`] and [`check_characters_with`] in one pass: each block is validated, then
/// checked, while it is in the cache. Validating the whole text first read a large file from
/// memory once more than this does. What is refused, and where, is what the two would say one
/// after the other: a byte that is not UTF-8 anywhere before a forbidden character anywhere.
fn decode_utf8_checked<'a>(bytes: &'a [u8], also: &mut dyn FnMut(&[u8], Range<usize>)) -> Result<&'a str> {
    decode_utf8_checked_in(bytes, BLOCK, also)
}

/// [`decode_utf8_checked`] in blocks of at most `size` bytes (tests use small ones).
#[allow(unsafe_code)]
fn decode_utf8_checked_in<'a>(
    bytes: &'a [u8],
    size: usize,
    also: &mut dyn FnMut(&[u8], Range<usize>),
) -> Result<&'a str> {
    let validate = |block: &[u8]| simdutf8::basic::from_utf8(block).map(drop);
    let Ok(forbidden) = check_blocks(bytes, Encoding::Utf8, size, validate, also) else {
        // Where: the whole text validated (the fast validation of a block only says whether).
        let text = decode_utf8(bytes)?;
        // Not reached: a block ends before a byte that starts a character (see `blocks`), so
        // every block of valid UTF-8 is valid. Were one to split a character, the text is still
        // read right, the slow way (the unit count `also` makes could then count twice).
        check_characters_with(text, Encoding::Utf8, also)?;
        return Ok(text);
    };
    // SAFETY: `check_blocks` validated every block of `bytes` as UTF-8 (an invalid one ends it
    // with the error handled above, and it goes on validating after a forbidden character), and
    // its blocks are consecutive and cover `bytes` from first byte to last (`blocks`). UTF-8
    // texts put end to end are UTF-8.
    let text = unsafe { std::str::from_utf8_unchecked(bytes) };
    refused_where(text, forbidden)?;
    Ok(text)
}

/// Shift_JIS (CP932) bytes as text (see [`crate::shift_jis`]), or where they stop being that.
fn decode_shift_jis(bytes: &[u8]) -> Result<Cow<'_, str>> {
    crate::shift_jis::decode(bytes)
        .ok_or_else(|| Error::InvalidEncoding { encoding: "Shift_JIS", offset: first_bad_shift_jis_byte(bytes) })
}

/// Only on the error path: find where decoding stopped, to say *where* in the message.
fn first_bad_shift_jis_byte(bytes: &[u8]) -> usize {
    let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(
        decoder.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(bytes.len() * 3),
    );
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(bad, after) => read - bad as usize - after as usize,
        _ => read,
    }
}

/// XML 1.0's characters (its `Char` production): tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD and
/// U+10000 up. So the other C0 controls and U+FFFE/U+FFFF are refused, raw or as a character
/// reference; DEL and the C1 controls are allowed, raw or as a reference. Checked here because
/// quick-xml does not, and a NUL must not slip into a name.
///
/// The text was decoded from `encoding` (see [`forbidden_in_decoded`]). It is checked a block of
/// at most [`BLOCK`] bytes at a time, each block handed to `also` (in order, up to the first
/// forbidden character) once it is checked. Both checks and the caller's `also` (the parser
/// counts a bulk file's units) read a block while it is in the cache: one whole-text pass after
/// another read a large file from memory each time, and a 100,000-unit file's parse spent
/// twice what a 1,000-unit file's did per byte on them.
pub(crate) fn check_characters_with(
    text: &str,
    encoding: Encoding,
    also: &mut dyn FnMut(&[u8], Range<usize>),
) -> Result<()> {
    let no_validation = |_: &[u8]| Ok::<(), std::convert::Infallible>(());
    let Ok(forbidden) = check_blocks(text.as_bytes(), encoding, BLOCK, no_validation, also);
    refused_where(text, forbidden)
}

/// One pass over `bytes`, a block of at most `size` bytes at a time (see
/// [`check_characters_with`]): every block `validate`d (its error ends the pass), then, up to
/// the first character XML does not allow in text decoded from `encoding`, checked for one and
/// handed to `also`. After one, blocks are only validated, so that a byte that is not UTF-8
/// later in the text is still what is refused. The first forbidden character's offset, if any.
fn check_blocks<E>(
    bytes: &[u8],
    encoding: Encoding,
    size: usize,
    mut validate: impl FnMut(&[u8]) -> Result<(), E>,
    also: &mut dyn FnMut(&[u8], Range<usize>),
) -> Result<Option<usize>, E> {
    let mut forbidden = None;
    for block in blocks(bytes, size) {
        let piece = &bytes[block.clone()];
        validate(piece)?;
        if forbidden.is_none() {
            forbidden = forbidden_in_decoded(piece, encoding).map(|i| block.start + i);
            if forbidden.is_none() {
                also(bytes, block);
            }
        }
    }
    Ok(forbidden)
}

/// A forbidden character refused where it is, by line and column of `text`.
fn refused_where(text: &str, forbidden: Option<usize>) -> Result<()> {
    match forbidden {
        None => Ok(()),
        Some(offset) => {
            let (line, column) = line_column(text, offset);
            Err(Error::MalformedXml { line, column, reason: MalformedReason::InvalidCharacter })
        }
    }
}

/// How much text [`check_characters_with`] reads at a time: well inside a core's L2 cache.
const BLOCK: usize = 64 << 10;

/// `bytes` in consecutive ranges of at most `size` bytes (at least 4) from first byte to last,
/// each ending before a byte that starts a UTF-8 character (not `10xxxxxx`): in valid UTF-8
/// no character (and no U+FFFE the check looks for) is split between two blocks. Where four
/// bytes in a row continue a character, which no valid text has, the block ends at `size`.
fn blocks(bytes: &[u8], size: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let continues = |b: u8| b & 0xC0 == 0x80;
    let mut start = 0;
    std::iter::from_fn(move || {
        if start == bytes.len() {
            return None;
        }
        let full = (start + size).min(bytes.len());
        let mut ends = (start + 1..=full).rev().take(4);
        let end = ends.find(|&end| bytes.get(end).is_none_or(|&b| !continues(b))).unwrap_or(full);
        Some(std::mem::replace(&mut start, end)..end)
    })
}

/// Whether a character is one XML 1.0 allows (see [`check_characters_with`]).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The byte offset of the first character XML 1.0 does not allow in UTF-8 `bytes` (whole
/// characters only, as a decoder writes them).
pub(crate) fn forbidden_at(bytes: &[u8]) -> Option<usize> {
    match (control_at(bytes), noncharacter_at(bytes)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// [`forbidden_at`] in text a decoder wrote from `encoding`. Shift_JIS (CP932) decodes to no
/// noncharacter: no byte sequence maps to U+FFFE or U+FFFF (a test decodes every one), so only
/// the controls are looked for, which spares the search of a tenth of a Shift_JIS parse.
pub(crate) fn forbidden_in_decoded(bytes: &[u8], encoding: Encoding) -> Option<usize> {
    match encoding {
        Encoding::Utf8 => forbidden_at(bytes),
        Encoding::ShiftJis => control_at(bytes),
    }
}

/// The first C0 control other than tab, LF and CR.
fn control_at(bytes: &[u8]) -> Option<usize> {
    let forbidden = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
    // Branch-free per 128-byte block of a fixed length (it vectorises, unrolled, with one
    // reduction a block); the position is looked up only on failure.
    let dirty = |block: &[u8]| block.iter().fold(false, |bad, &b| bad | forbidden(b));
    let mut blocks = bytes.chunks_exact(128);
    let clean = !blocks.by_ref().any(dirty) && !dirty(blocks.remainder());
    if clean { None } else { bytes.iter().position(|&b| forbidden(b)) }
}

/// The first U+FFFE or U+FFFF (EF BF BE and EF BF BF).
fn noncharacter_at(bytes: &[u8]) -> Option<usize> {
    // The searcher is built once: building it per document cost more than the search.
    static LEAD: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\xEF\xBF"));
    LEAD.find_iter(bytes).find(|&i| matches!(bytes.get(i + 2), Some(0xBE | 0xBF)))
}

/// 1-based line and column (in characters) of a byte offset into decoded text.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Where line `line` (from 1; 0 is read as 1) starts in `bytes`; past the last line, the end.
pub(crate) fn line_start(bytes: &[u8], line: usize) -> usize {
    match line {
        0 | 1 => 0,
        _ => memchr::memchr_iter(b'\n', bytes).nth(line - 2).map_or(bytes.len(), |n| n + 1),
    }
}

/// The byte offset of a line and column as [`line_column`] gives them (lines from 1, columns
/// in characters from 1); past the end of a line or of the text, its end.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = line_start(text.as_bytes(), line);
    let rest = &text[line_start..];
    let line_end = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
    line_start + rest[..line_end].char_indices().nth(column.saturating_sub(1)).map_or(line_end, |(i, _)| i)
}

/// Where `needle` first starts in `haystack`: its first byte found by memchr, the rest compared
/// there (a compare at every window called `memcmp` each time: reading the XML declaration took
/// about 470 instructions of every parse, and matching its label about 440 more).
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(at) = memchr::memchr(first, &haystack[from..]).map(|i| from + i) {
        if haystack[at + 1..].starts_with(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 5_000, ..Default::default() })]

        /// `find` finds what a search of every window does, overlapping starts too.
        #[test]
        fn find_is_a_search_of_every_window(
            haystack in proptest::collection::vec(proptest::sample::select(b"<?xa=\"".to_vec()), 0..40),
            needle in proptest::collection::vec(proptest::sample::select(b"<?xa=\"".to_vec()), 1..4),
        ) {
            let plain = haystack.windows(needle.len()).position(|w| w == needle.as_slice());
            proptest::prop_assert_eq!(find(&haystack, &needle), plain);
        }

        /// The block-wise search finds what a plain one does, wherever the character is, across
        /// block ends too.
        #[test]
        fn forbidden_at_finds_the_first_as_a_plain_search_does(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "a", "\t", "\n", "\r", "\u{1}", "\u{1f}", " ", "日", "１", "\u{FFFD}", "\u{FFFE}", "\u{FFFF}",
                "\u{FFEF}", "\u{7FFF}", "abcdefghijklmnopqrstuvwxyz0123456789",
            ]), 0..60),
        ) {
            let text = parts.concat();
            let plain = text.char_indices().find(|&(_, c)| !is_xml_char(c)).map(|(i, _)| i);
            proptest::prop_assert_eq!(forbidden_at(text.as_bytes()), plain);
        }

        /// Blocks cover the bytes end to end, none longer than asked, and on text none splits
        /// a character; on bytes that are not UTF-8 they still cover it all.
        #[test]
        fn blocks_cover_the_text_and_split_no_character(
            bytes in near_utf8(),
            size in 4usize..12,
        ) {
            let mut next = 0;
            for block in blocks(&bytes, size) {
                proptest::prop_assert_eq!(block.start, next);
                proptest::prop_assert!(!block.is_empty() && block.len() <= size);
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    proptest::prop_assert!(text.is_char_boundary(block.end));
                }
                next = block.end;
            }
            proptest::prop_assert_eq!(next, bytes.len());
        }

        /// Validating and checking a block at a time says what validating the whole and then
        /// checking the whole says, error and place alike (an encoding error first, wherever
        /// it is); `also` is handed every block before the one with the first forbidden
        /// character, in order, and nothing after it.
        #[test]
        fn one_pass_in_blocks_says_what_two_whole_passes_say(
            bytes in near_utf8(),
            size in 4usize..12,
        ) {
            let whole = decode_utf8(&bytes).and_then(|text| refused_where(text, forbidden_at(text.as_bytes())).map(|()| text));
            let mut handed = Vec::new();
            let blockwise = decode_utf8_checked_in(&bytes, size, &mut |all, block| {
                assert_eq!(all.len(), bytes.len());
                handed.push(block);
            });
            proptest::prop_assert_eq!(format!("{blockwise:?}"), format!("{whole:?}"));
            let covered = handed.last().map_or(0, |last| last.end);
            proptest::prop_assert!(handed.iter().map(|b| b.start).eq(
                std::iter::once(0).chain(handed.iter().map(|b| b.end)).take(handed.len())
            ));
            match &whole {
                Ok(text) => proptest::prop_assert_eq!(covered, text.len()),
                Err(Error::MalformedXml { .. }) => {
                    let first = forbidden_at(&bytes).unwrap_or(0);
                    proptest::prop_assert!(covered <= first && first < covered + size);
                }
                Err(_) => {}
            }
        }
    }

    /// Bytes that are mostly UTF-8 text of every length of character, with forbidden
    /// characters (a control, U+FFFE, U+FFFF) and bytes that are not UTF-8 (a lone
    /// continuation, a lead without its rest, a byte never in UTF-8) among them.
    fn near_utf8() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::strategy::Strategy;
        let parts: Vec<&[u8]> = vec![
            b"a",
            b"<x>",
            b"\n",
            "日".as_bytes(),
            "𠀋".as_bytes(),
            "é".as_bytes(),
            "\u{FFFD}".as_bytes(),
            "\u{FFFE}".as_bytes(),
            "\u{FFFF}".as_bytes(),
            b"\x01",
            b"\x80",
            b"\xE3",
            b"\xEF\xBF",
            b"\xFF",
        ];
        proptest::collection::vec(proptest::sample::select(parts), 0..30).prop_map(|parts| parts.concat())
    }

    /// What `forbidden_in_decoded` relies on: no Shift_JIS byte sequence (one byte, or a lead
    /// byte and any second byte) decodes to U+FFFE or U+FFFF.
    #[test]
    fn shift_jis_decodes_to_no_noncharacter() {
        let mut decoded = 0;
        for first in 0u8..=0xFF {
            for second in std::iter::once(None).chain((0u8..=0xFF).map(Some)) {
                let bytes: Vec<u8> = std::iter::once(first).chain(second).collect();
                if let Some(text) = encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(&bytes) {
                    decoded += 1;
                    assert!(!text.contains(['\u{FFFE}', '\u{FFFF}']), "{bytes:02X?}");
                }
            }
        }
        assert!(decoded > 20_000, "{decoded}");
    }

    #[test]
    fn a_shift_jis_control_is_refused_where_it_is() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\n<a>".to_vec();
        bytes.extend(sjis("東京"));
        bytes.extend(b"\x01</a>");
        match decode(&bytes) {
            Err(Error::MalformedXml { line: 2, column: 6, reason: MalformedReason::InvalidCharacter }) => {}
            other => panic!("{:?}", other.err()),
        }
    }

    fn sjis(s: &str) -> Vec<u8> {
        encoding_rs::SHIFT_JIS.encode(s).0.into_owned()
    }

    #[test]
    fn bom_wins_and_is_stripped() {
        let d = decode(b"\xEF\xBB\xBF<?xml version=\"1.0\"?><a/>").unwrap();
        assert_eq!(d.encoding, Encoding::Utf8);
        assert_eq!(d.source, EncodingSource::ByteOrderMark);
        assert!(d.text.starts_with("<?xml"));
    }

    #[test]
    fn declaration_in_single_or_double_quotes() {
        let mut bytes = b"<?xml version='1.0' encoding='Shift_JIS' standalone='no'?><a>".to_vec();
        bytes.extend(sjis("東京①髙㈱"));
        bytes.extend(b"</a>");
        let d = decode(&bytes).unwrap();
        assert_eq!((d.encoding, d.source), (Encoding::ShiftJis, EncodingSource::Declaration));
        assert!(d.text.contains("東京①髙㈱"));
        let d = decode(b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a/>").unwrap();
        assert_eq!(d.encoding, Encoding::Utf8);
    }

    #[test]
    fn windows_labels_are_shift_jis() {
        for label in ["windows-31j", "CP932", "MS932", "sjis", "x-sjis"] {
            let doc = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><a/>");
            assert_eq!(decode(doc.as_bytes()).unwrap().encoding, Encoding::ShiftJis, "{label}");
        }
    }

    #[test]
    fn declarations_that_contradict_the_bytes_are_refused() {
        let utf8_declared_sjis = "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a>見本</a>";
        let e = decode(utf8_declared_sjis.as_bytes()).err().unwrap();
        assert_eq!(e.code(), "encoding_conflict");
        assert_eq!(e.to_string(), "the document declares Shift_JIS but its bytes are UTF-8");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a/>");
        assert_eq!(decode(&bom).err().unwrap().code(), "encoding_conflict");
        // Shift_JIS bytes declared UTF-8 do not decode: invalid_encoding.
        let mut sjis = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>".to_vec();
        sjis.extend(super::tests::sjis("見本"));
        assert_eq!(decode(&sjis).err().unwrap().code(), "invalid_encoding");
        // ASCII-only documents declared Shift_JIS are fine.
        assert!(decode(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a>1</a>").is_ok());
    }

    #[test]
    fn other_encodings_are_refused() {
        let e = decode(b"<?xml version=\"1.0\" encoding=\"EUC-JP\"?><a/>").err().unwrap();
        assert_eq!(e.code(), "unsupported_encoding");
        let e = decode(b"\xFF\xFE<\0a\0/\0>\0").err().unwrap();
        assert_eq!(e.code(), "unsupported_encoding");
    }

    #[test]
    fn character_code_identifier_when_no_declaration() {
        let mut bytes =
            b"<XmlMsg><MessageHeader><CharacterCodeIdentifier>1</CharacterCodeIdentifier></MessageHeader><N>".to_vec();
        bytes.extend(sjis("見本"));
        bytes.extend(b"</N></XmlMsg>");
        let d = decode(&bytes).unwrap();
        assert_eq!((d.encoding, d.source), (Encoding::ShiftJis, EncodingSource::CharacterCodeIdentifier));
        assert!(d.text.contains("見本"));
    }

    /// The identifier spelled any way XML allows for a one-digit text.
    #[test]
    fn character_code_identifier_spelled_other_ways() {
        for (identifier, expected) in [
            ("<CharacterCodeIdentifier><![CDATA[1]]></CharacterCodeIdentifier>", Some(Encoding::ShiftJis)),
            ("<CharacterCodeIdentifier>&#49;</CharacterCodeIdentifier>", Some(Encoding::ShiftJis)),
            ("<CharacterCodeIdentifier>&#x30;</CharacterCodeIdentifier>", Some(Encoding::Utf8)),
            ("<CharacterCodeIdentifier><!-- sjis --> 1 </CharacterCodeIdentifier>", Some(Encoding::ShiftJis)),
            ("<CharacterCodeIdentifier \n>1</CharacterCodeIdentifier>", Some(Encoding::ShiftJis)),
            // The text before a child, as for `<CharacterCodeIdentifier>1<X/>` always.
            ("<CharacterCodeIdentifier><![CDATA[1]]><X/></CharacterCodeIdentifier>", Some(Encoding::ShiftJis)),
            // Not a code, or not this element.
            ("<CharacterCodeIdentifier>&#x131;</CharacterCodeIdentifier>", None),
            ("<CharacterCodeIdentifier>11111111111111111</CharacterCodeIdentifier>", None),
            ("<CharacterCodeIdentifierX>1</CharacterCodeIdentifierX>", None),
            ("<CharacterCodeIdentifier><![CDATA[1</CharacterCodeIdentifier>", None),
        ] {
            assert_eq!(character_code_identifier(identifier.as_bytes()), expected, "{identifier}");
        }
    }

    #[test]
    fn default_is_utf8() {
        let d = decode("<a>見本</a>".as_bytes()).unwrap();
        assert_eq!((d.encoding, d.source), (Encoding::Utf8, EncodingSource::Default));
    }

    #[test]
    fn undecodable_bytes_are_an_error_with_offset() {
        let e = decode(b"<a>ab\xFFc</a>").err().unwrap();
        assert!(matches!(e, Error::InvalidEncoding { encoding: "UTF-8", offset: 5 }), "{e:?}");
        // 0x85 0x20: a lead byte followed by a byte that cannot trail it.
        let e = decode(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a>x\x85 </a>").err().unwrap();
        match e {
            Error::InvalidEncoding { encoding: "Shift_JIS", offset } => assert_eq!(offset, 46),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nul_is_malformed_with_position() {
        let e = decode(b"<a>\n x\0</a>").err().unwrap();
        assert!(
            matches!(e, Error::MalformedXml { line: 2, column: 3, reason: MalformedReason::InvalidCharacter }),
            "{e:?}"
        );
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\n見本x", 9), (2, 3));
        assert_eq!(line_column("abc", 0), (1, 1));
    }
}
