//! Shift_JIS (CP932, the WHATWG `Shift_JIS` = windows-31j mapping) bytes → text, for a whole
//! document.
//!
//! Why not `encoding_rs`'s whole-text decode: on stable Rust (its `simd-accel` needs a nightly
//! compiler) its ASCII path calls two functions it keeps out of line for every 16 bytes, and its
//! decoder is entered anew for every run of kana and kanji. A result file is nearly all ASCII
//! markup with short runs of Japanese (the Shift_JIS fixture: 62 bytes of 3,146, in 31 runs),
//! and that decode was about a tenth of a Shift_JIS parse.
//!
//! The mapping is still `encoding_rs`'s: the two-byte table is read off its decoder, pair by
//! pair, the first time a document needs it, and the tests compare every one- and two-byte
//! sequence with it. A byte sequence that does not decode gives `None`; the caller asks
//! `encoding_rs` where (only on that error path).

use std::borrow::Cow;
use std::sync::LazyLock;

/// Lead bytes of a two-byte character: 0x81–0x9F and 0xE0–0xFC (60).
const LEADS: usize = 60;
/// Second bytes of a two-byte character: 0x40–0x7E and 0x80–0xFC (188).
const TRAILS: usize = 188;

/// The character of each (lead, second byte) pair, or 0 where the pair is not CP932. Every
/// CP932 two-byte character is in the Basic Multilingual Plane (user-defined ones map to its
/// private use area), and none is U+0000.
static PAIRS: LazyLock<Box<[u16]>> = LazyLock::new(|| {
    let mut pairs = vec![0u16; LEADS * TRAILS].into_boxed_slice();
    let mut out = [0u8; 8];
    for lead in (0x81..=0x9F).chain(0xE0..=0xFC) {
        for trail in (0x40..=0x7E).chain(0x80..=0xFC) {
            let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
            let (result, _, written) = decoder.decode_to_utf8_without_replacement(&[lead, trail], &mut out, true);
            let one =
                std::str::from_utf8(&out[..written]).ok().filter(|_| result == encoding_rs::DecoderResult::InputEmpty);
            let mut chars = one.unwrap_or_default().chars();
            if let (Some(c), None, Some(i)) = (chars.next(), chars.next(), pair_index(lead, trail)) {
                pairs[i] = u16::try_from(u32::from(c)).unwrap_or(0);
            }
        }
    }
    pairs
});

/// The place of a (lead, second byte) pair in [`PAIRS`], if both bytes can be in a pair.
fn pair_index(lead: u8, trail: u8) -> Option<usize> {
    let lead = match lead {
        0x81..=0x9F => lead - 0x81,
        0xE0..=0xFC => lead - 0xE0 + 31,
        _ => return None,
    };
    let trail = match trail {
        0x40..=0x7E => trail - 0x40,
        0x80..=0xFC => trail - 0x80 + 63,
        _ => return None,
    };
    Some(usize::from(lead) * TRAILS + usize::from(trail))
}

/// `bytes` as text, borrowed when they are all ASCII; `None` if they are not Shift_JIS.
pub(crate) fn decode(bytes: &[u8]) -> Option<Cow<'_, str>> {
    // Every run this is given ends where `ascii_end` found its first byte of 0x80 or more, so
    // it is ASCII and the check cannot fail; it is kept (and costs little: std checks ASCII a
    // word at a time) so that the core's one `unsafe` stays the one in `decode`.
    let ascii = |run| std::str::from_utf8(run).ok();
    let first = ascii_end(bytes, 0);
    if first == bytes.len() {
        return ascii(bytes).map(Cow::Borrowed);
    }
    let pairs: &[u16] = &PAIRS;
    // Room for the worst case (a half-width katakana byte becomes three bytes), as encoding_rs
    // made it, so the text is never moved on the way; pages of it never written are never
    // touched.
    let mut text = String::with_capacity(bytes.len() + (bytes.len() - first) * 2);
    text.push_str(ascii(&bytes[..first])?);
    let mut at = first;
    while at < bytes.len() {
        let c = match bytes[at] {
            0x00..=0x7F => {
                let end = ascii_end(bytes, at);
                text.push_str(ascii(&bytes[at..end])?);
                at = end;
                continue;
            }
            lead @ (0x81..=0x9F | 0xE0..=0xFC) => {
                let trail = *bytes.get(at + 1)?;
                at += 2;
                char::from_u32(u32::from(*pairs.get(pair_index(lead, trail)?)?)).filter(|&c| c != '\0')?
            }
            // Half-width katakana, U+FF61–U+FF9F.
            b @ 0xA1..=0xDF => {
                at += 1;
                char::from_u32(0xFF61 + u32::from(b - 0xA1))?
            }
            0x80 => {
                at += 1;
                '\u{80}'
            }
            _ => return None,
        };
        text.push(c);
    }
    Some(Cow::Owned(text))
}

/// Where the ASCII run starting at `from` ends: the first byte of 0x80 or more, or the end.
/// Sixteen bytes at a time (two words' high bits): most runs are 50–150 bytes of markup.
fn ascii_end(bytes: &[u8], from: usize) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default()) & HIGH;
    let mut chunks = bytes[from..].chunks_exact(16);
    let mut at = from;
    for chunk in chunks.by_ref() {
        let (low, high) = (word(&chunk[..8]), word(&chunk[8..]));
        if low | high != 0 {
            let first = if low != 0 { low.trailing_zeros() } else { 64 + high.trailing_zeros() };
            return at + first as usize / 8;
        }
        at += 16;
    }
    let tail = chunks.remainder();
    at + tail.iter().position(|&b| b >= 0x80).unwrap_or(tail.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `encoding_rs` makes of the bytes, decoding them whole.
    fn reference(bytes: &[u8]) -> Option<String> {
        encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes).map(Cow::into_owned)
    }

    fn ours(bytes: &[u8]) -> Option<String> {
        decode(bytes).map(Cow::into_owned)
    }

    #[test]
    fn every_one_and_two_byte_sequence_decodes_as_encoding_rs_decodes_it() {
        for a in 0..=255u8 {
            assert_eq!(ours(&[a]), reference(&[a]), "{a:02X}");
            for b in 0..=255u8 {
                assert_eq!(ours(&[a, b]), reference(&[a, b]), "{a:02X} {b:02X}");
                // A pair followed by markup: the second byte is never read as ASCII once a
                // lead took it, and an ASCII byte after a lone lead is not swallowed.
                let three = [a, b, b'<'];
                assert_eq!(ours(&three), reference(&three), "{a:02X} {b:02X} 3C");
            }
        }
    }

    #[test]
    fn the_table_holds_the_known_characters() {
        assert_eq!(ours(&encoding_rs::SHIFT_JIS.encode("①㈱髙～").0), Some("①㈱髙～".to_owned()));
        assert_eq!(ours(b"\x82\xa0\xb1<a>"), Some("あｱ<a>".to_owned()));
        // User-defined characters (F040) map to the private use area, as in encoding_rs.
        assert_eq!(ours(b"\xf0\x40"), Some("\u{E000}".to_owned()));
    }

    #[test]
    fn ascii_is_borrowed() {
        assert!(matches!(decode(b"<a>plain ASCII, long enough for a word or two</a>"), Some(Cow::Borrowed(_))));
    }

    #[test]
    fn ascii_runs_end_at_the_first_high_byte_wherever_it_is() {
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes = vec![b'a'; len];
                if at < len {
                    bytes[at] = 0x82;
                }
                assert_eq!(ascii_end(&bytes, 0), at, "len {len}");
                assert_eq!(ascii_end(&bytes, at.min(len)), at, "len {len} from {at}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 5_000, ..Default::default() })]
        #[test]
        fn any_bytes_decode_as_encoding_rs_decodes_them(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![proptest::sample::select(b"<a/>\n \x40\x7e\x80\x81\x9f\xa0\xa1\xdf\xe0\xef\xf0\xfc\xfd\xff".to_vec()), proptest::num::u8::ANY],
                0..64,
            ),
        ) {
            proptest::prop_assert_eq!(ours(&bytes), reference(&bytes));
        }
    }
}
