//! Shift_JIS (CP932, the WHATWG `Shift_JIS` = windows-31j mapping) bytes → text, for a whole
//! document ([`decode`]) and for a stream read in chunks ([`StreamDecoder`]).
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
    let first = ascii_end(bytes, 0);
    if first == bytes.len() {
        return ascii(bytes).map(Cow::Borrowed);
    }
    // Room for the worst case (a half-width katakana byte becomes three bytes), as encoding_rs
    // made it, so the text is never moved on the way; pages of it never written are never
    // touched.
    let mut text = String::with_capacity(bytes.len() + (bytes.len() - first) * 2);
    match decode_onto(bytes, &mut text) {
        Ended::Whole => Some(Cow::Owned(text)),
        Ended::Lead(_) | Ended::Refused => None,
    }
}

/// Every run this is given ends where `ascii_end` found its first byte of 0x80 or more, so it
/// is ASCII and the check cannot fail; it is kept (std checks ASCII a word at a time, and the
/// check of each run cost less than one of the whole text after it) so that the core's one
/// `unsafe` stays the one in `decode`.
fn ascii(run: &[u8]) -> Option<&str> {
    std::str::from_utf8(run).ok()
}

/// How [`decode_onto`] ended.
enum Ended {
    /// Every byte was decoded.
    Whole,
    /// The last byte is a lead byte whose second byte is still to come; the rest was decoded.
    Lead(u8),
    /// A byte sequence that is not Shift_JIS; what was decoded before it is on the text.
    Refused,
}

/// Decodes `bytes` onto the end of `text`.
fn decode_onto(bytes: &[u8], text: &mut String) -> Ended {
    let pairs: &[u16] = &PAIRS;
    let mut at = 0;
    while at < bytes.len() {
        let c = match bytes[at] {
            0x00..=0x7F => {
                let end = ascii_end(bytes, at);
                let Some(run) = ascii(&bytes[at..end]) else { return Ended::Refused };
                text.push_str(run);
                at = end;
                continue;
            }
            lead @ (0x81..=0x9F | 0xE0..=0xFC) => {
                let Some(&trail) = bytes.get(at + 1) else { return Ended::Lead(lead) };
                at += 2;
                pair(pairs, lead, trail)
            }
            // Half-width katakana, U+FF61–U+FF9F.
            b @ 0xA1..=0xDF => {
                at += 1;
                char::from_u32(0xFF61 + u32::from(b - 0xA1))
            }
            0x80 => {
                at += 1;
                Some('\u{80}')
            }
            _ => None,
        };
        let Some(c) = c else { return Ended::Refused };
        text.push(c);
    }
    Ended::Whole
}

/// The character a (lead, second byte) pair stands for, if it is one.
fn pair(pairs: &[u16], lead: u8, trail: u8) -> Option<char> {
    let unit = *pairs.get(pair_index(lead, trail)?)?;
    char::from_u32(u32::from(unit)).filter(|&c| c != '\0')
}

/// A stream's decoder: UTF-8 by `encoding_rs`, Shift_JIS a chunk at a time as [`decode`] does
/// it, with a lead byte that ends a chunk kept for the next. Its results are `encoding_rs`'s
/// own, so the stream's offsets and errors are what they were: on a chunk holding bytes that
/// are not Shift_JIS, and for quick-xml's reads (which give no room for more than they ask),
/// the `encoding_rs` decoder takes over in the same state (the kept lead byte given to it) and
/// reads on.
pub(crate) struct StreamDecoder {
    decoder: encoding_rs::Decoder,
    /// Shift_JIS read here, not yet by `decoder`.
    fast: bool,
    /// The lead byte the last chunk ended with, while `fast`.
    kept: Option<u8>,
}

impl StreamDecoder {
    /// A decoder of Shift_JIS, or else of UTF-8.
    pub(crate) fn new(shift_jis: bool) -> Self {
        let decoder = match shift_jis {
            true => encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling(),
            false => encoding_rs::UTF_8.new_decoder_without_bom_handling(),
        };
        StreamDecoder { decoder, fast: shift_jis, kept: None }
    }

    /// Whether it decodes Shift_JIS (else UTF-8).
    pub(crate) fn is_shift_jis(&self) -> bool {
        self.decoder.encoding() == encoding_rs::SHIFT_JIS
    }

    /// The most text `raw_len` more bytes can decode to (a kept lead byte included).
    pub(crate) fn max_utf8_len(&self, raw_len: usize) -> usize {
        match self.fast {
            true => raw_len.saturating_add(1).saturating_mul(3),
            false => self.decoder.max_utf8_buffer_length_without_replacement(raw_len).unwrap_or(usize::MAX),
        }
    }

    /// `encoding_rs`'s `decode_to_string_without_replacement`: decodes `raw` onto `text`, whose
    /// spare room the caller made at least [`Self::max_utf8_len`].
    pub(crate) fn decode_to_string(
        &mut self,
        raw: &[u8],
        text: &mut String,
        last: bool,
    ) -> (encoding_rs::DecoderResult, usize) {
        if self.fast {
            let start = text.len();
            if let Some(kept) = Self::fast(self.kept, raw, text, last) {
                self.kept = kept;
                return (encoding_rs::DecoderResult::InputEmpty, raw.len());
            }
            text.truncate(start);
        }
        self.hand_over().decode_to_string_without_replacement(raw, text, last)
    }

    /// `encoding_rs`'s `decode_to_utf8_without_replacement`, by `encoding_rs` from here on.
    pub(crate) fn decode_to_utf8(
        &mut self,
        raw: &[u8],
        out: &mut [u8],
        last: bool,
    ) -> (encoding_rs::DecoderResult, usize, usize) {
        self.hand_over().decode_to_utf8_without_replacement(raw, out, last)
    }

    /// The chunk decoded onto `text` after the kept lead byte, and the lead byte it ends
    /// with; `None` where `encoding_rs` must say what is wrong (what was added is then for the
    /// caller to take off).
    fn fast(kept: Option<u8>, raw: &[u8], text: &mut String, last: bool) -> Option<Option<u8>> {
        let mut rest = raw;
        if let Some(lead) = kept {
            let Some((&trail, after)) = rest.split_first() else {
                return if last { None } else { Some(Some(lead)) };
            };
            text.push(pair(&PAIRS, lead, trail)?);
            rest = after;
        }
        match decode_onto(rest, text) {
            Ended::Whole => Some(None),
            Ended::Lead(lead) if !last => Some(Some(lead)),
            Ended::Lead(_) | Ended::Refused => None,
        }
    }

    /// The `encoding_rs` decoder, in this decoder's state: from now on it reads.
    fn hand_over(&mut self) -> &mut encoding_rs::Decoder {
        if self.fast {
            self.fast = false;
            if let Some(lead) = self.kept.take() {
                // A lead byte alone is taken and kept, and writes nothing.
                let _ = self.decoder.decode_to_utf8_without_replacement(&[lead], &mut [0; 8], false);
            }
        }
        &mut self.decoder
    }
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

    /// Feeds `bytes` in chunks (ending at `cuts`) to a [`StreamDecoder`] and to `encoding_rs`'s
    /// own decoder, as the stream does (`decode_to_string`, then from chunk `switch` on
    /// `decode_to_utf8` as quick-xml's reads do), and says where the two differ: what each call
    /// returns and the text so far. Up to the first error, where the stream stops.
    fn stream_differs(bytes: &[u8], cuts: &[usize], switch: usize) -> Option<String> {
        let mut ours = StreamDecoder::new(true);
        let mut theirs = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
        let (mut ours_text, mut theirs_text) = (String::new(), String::new());
        let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
        ends.push(bytes.len());
        ends.sort_unstable();
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            let (chunk, last) = (&bytes[start..end], i + 1 == ends.len());
            let (a, b) = if i < switch {
                ours_text.reserve(ours.max_utf8_len(chunk.len()));
                theirs_text.reserve(theirs.max_utf8_buffer_length_without_replacement(chunk.len()).unwrap_or(0));
                let a = ours.decode_to_string(chunk, &mut ours_text, last);
                let b = theirs.decode_to_string_without_replacement(chunk, &mut theirs_text, last);
                (a, b)
            } else {
                let (mut x, mut y) = ([0u8; 256], [0u8; 256]);
                let (ra, na, wa) = ours.decode_to_utf8(chunk, &mut x, last);
                let (rb, nb, wb) = theirs.decode_to_utf8_without_replacement(chunk, &mut y, last);
                ours_text.push_str(std::str::from_utf8(&x[..wa]).unwrap());
                theirs_text.push_str(std::str::from_utf8(&y[..wb]).unwrap());
                ((ra, na), (rb, nb))
            };
            if a != b || ours_text != theirs_text {
                return Some(format!("chunk {i} ({start}..{end}): {a:?} / {b:?}, {ours_text:?} / {theirs_text:?}"));
            }
            if !matches!(a.0, encoding_rs::DecoderResult::InputEmpty) {
                return None;
            }
            start = end;
        }
        None
    }

    #[test]
    fn a_stream_decodes_as_encoding_rs_decodes_it_wherever_the_chunks_end() {
        let text = encoding_rs::SHIFT_JIS.encode("<Name>山田　太郎</Name><Kana>ﾔﾏﾀﾞ ﾀﾛｳ</Kana>①㈱髙").0.into_owned();
        for cut in 0..=text.len() {
            assert_eq!(stream_differs(&text, &[cut], 9), None, "cut at {cut}");
            assert_eq!(stream_differs(&text, &[cut], 1), None, "cut at {cut}, quick-xml after it");
        }
        // A lead byte that ends the input, alone or after a chunk that ended with it.
        assert_eq!(stream_differs(b"<a>\x82", &[4], 9), None);
        assert_eq!(stream_differs(b"<a>\x82", &[3], 9), None);
        // A pair that is not CP932, split or not.
        assert_eq!(stream_differs(b"ab\x85\x40cd", &[3], 9), None);
        assert_eq!(stream_differs(b"ab\x85\x40cd", &[], 9), None);
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

        #[test]
        fn any_bytes_stream_as_encoding_rs_streams_them(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![proptest::sample::select(b"<a/>\n \x40\x7e\x80\x81\x82\x9f\xa0\xa1\xdf\xe0\xef\xf0\xfc\xfd\xff".to_vec()), proptest::num::u8::ANY],
                0..64,
            ),
            cuts in proptest::collection::vec(0..64usize, 0..5),
            switch in 0..6usize,
        ) {
            proptest::prop_assert_eq!(stream_differs(&bytes, &cuts, switch), None);
        }
    }
}
