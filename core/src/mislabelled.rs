//! Is a document said to be Shift_JIS (by its declaration or its `CharacterCodeIdentifier`)
//! UTF-8 Japanese after all? Such bytes decode as Shift_JIS into plausible garbage with no error
//! (every UTF-8 kana and kanji is also a run of Shift_JIS characters), the one silent failure an
//! encoding check must catch. Real Shift_JIS Japanese is practically never UTF-8 for long: its
//! kana lead with 0x82 and 0x83, which in UTF-8 only continue a character.
//!
//! The rule, one for a whole file and for a stream read in chunks of any size: such a document
//! is UTF-8 if its bytes are UTF-8 from the start to [`WINDOW`] bytes past its first byte of 0xE0
//! or more (the lead of a three-byte character: UTF-8 kana and kanji), or to its end if that
//! comes first and there is such a byte. A character cut at the end of the input counts as UTF-8.
//!
//! Until 2026-12-06 the whole-file parse asked whether the whole file was UTF-8 and a stream
//! asked it of its first 64 KiB only: a file whose first 64 KiB were ASCII and whose later
//! names were UTF-8 was refused whole but streamed as garbage, and a UTF-8 file with one bad
//! byte far from its first kana was read whole as Shift_JIS garbage. A window past the first
//! kana or kanji is a question a stream can answer by reading ahead a bounded amount (it holds
//! back what follows that byte until it knows), and it asks no less of a real Shift_JIS file
//! than the old rule did of one whose Japanese all lies in the window.

/// How far past the first kana or kanji the bytes must stay UTF-8 to be taken for UTF-8.
pub(crate) const WINDOW: u64 = 64 * 1024;

/// The question put to bytes as they come: [`Utf8Japanese::feed`] each chunk in order, then
/// [`Utf8Japanese::finish`] at the end if no answer came before. Not `Debug`: `cut` holds the
/// first bytes of a character of the file, which may be part of a patient's name.
#[derive(Default)]
pub(crate) struct Utf8Japanese {
    /// Bytes from the start known to be whole UTF-8 characters.
    valid: u64,
    /// A character cut by the end of the last chunk (its first bytes, UTF-8 so far).
    cut: [u8; 4],
    cut_len: usize,
    /// Where the first byte of 0xE0 or more is, among the `valid` bytes.
    first_japanese: Option<u64>,
    answer: Option<bool>,
}

impl Utf8Japanese {
    /// The answer for a whole document.
    pub(crate) fn of_whole(bytes: &[u8]) -> bool {
        let mut question = Self::default();
        match question.feed(bytes) {
            Some(answer) => answer,
            None => question.finish(),
        }
    }

    /// While there is no answer, where the bytes that may decide it start, from the start of
    /// the input: the first kana or kanji, or a character cut by the end of the last chunk,
    /// which may be one. A stream decodes nothing from there until the answer comes.
    pub(crate) fn held_from(&self) -> Option<u64> {
        self.first_japanese.or((self.cut_len > 0).then_some(self.valid))
    }

    /// Reads the next bytes: `Some(true)` UTF-8 Japanese, `Some(false)` not UTF-8 (or the
    /// answer was given already), `None` not known yet.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> Option<bool> {
        if self.answer.is_some() {
            return self.answer;
        }
        if self.cut_len > 0 {
            let width = utf8_width(self.cut[0]);
            let take = (width - self.cut_len).min(bytes.len());
            self.cut[self.cut_len..self.cut_len + take].copy_from_slice(&bytes[..take]);
            self.cut_len += take;
            bytes = &bytes[take..];
            match std::str::from_utf8(&self.cut[..self.cut_len]) {
                Ok(_) => {
                    let cut = self.cut;
                    self.read_valid(&cut[..width]);
                    self.cut_len = 0;
                }
                Err(e) if e.error_len().is_none() => return None,
                Err(_) => return self.decide_at_bad_byte(),
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => self.read_valid(bytes),
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                self.read_valid(good);
                if e.error_len().is_some() {
                    return self.decide_at_bad_byte();
                }
                self.cut[..rest.len()].copy_from_slice(rest);
                self.cut_len = rest.len();
            }
        }
        if self.first_japanese.is_some_and(|at| self.valid >= at + WINDOW) {
            self.answer = Some(true);
        }
        self.answer
    }

    /// The input has ended: UTF-8 to its end (a cut character counting), with a kana or kanji.
    pub(crate) fn finish(&mut self) -> bool {
        if let Some(answer) = self.answer {
            return answer;
        }
        if self.cut_len > 0 && self.first_japanese.is_none() && self.cut[0] >= 0xE0 {
            self.first_japanese = Some(self.valid);
        }
        let answer = self.first_japanese.is_some();
        self.answer = Some(answer);
        answer
    }

    fn read_valid(&mut self, valid: &[u8]) {
        if self.first_japanese.is_none()
            && let Some(i) = valid.iter().position(|&b| b >= 0xE0)
        {
            self.first_japanese = Some(self.valid + i as u64);
        }
        self.valid += valid.len() as u64;
    }

    /// A byte that is not UTF-8 at `valid`: UTF-8 Japanese only if it comes past the window.
    fn decide_at_bad_byte(&mut self) -> Option<bool> {
        self.answer = Some(self.first_japanese.is_some_and(|at| self.valid >= at + WINDOW));
        self.answer
    }
}

/// The length of the UTF-8 character a valid lead byte starts.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_chunks(bytes: &[u8], sizes: &[usize]) -> bool {
        let mut question = Utf8Japanese::default();
        let mut rest = bytes;
        let mut sizes = sizes.iter().cycle();
        while !rest.is_empty() {
            let n = (*sizes.next().unwrap()).min(rest.len());
            if let Some(answer) = question.feed(&rest[..n]) {
                return answer;
            }
            rest = &rest[n..];
        }
        question.finish()
    }

    fn sjis(s: &str) -> Vec<u8> {
        encoding_rs::SHIFT_JIS.encode(s).0.into_owned()
    }

    #[test]
    fn utf8_japanese_is_found_and_shift_jis_is_not() {
        assert!(Utf8Japanese::of_whole("<Name>見本　一郎</Name>".as_bytes()));
        assert!(!Utf8Japanese::of_whole(&sjis("<Name>見本　一郎</Name>")));
        assert!(!Utf8Japanese::of_whole(b"<Name>ASCII</Name>"), "no kana or kanji: nothing to say");
        assert!(!Utf8Japanese::of_whole("<Name>é</Name>".as_bytes()), "two-byte characters only");
        assert!(Utf8Japanese::of_whole(&"見".as_bytes()[..2]), "a character cut at the end counts");
    }

    #[test]
    fn a_bad_byte_decides_by_where_it_is() {
        let mut near = "<Name>見本</Name>".as_bytes().to_vec();
        near.push(0x82);
        assert!(!Utf8Japanese::of_whole(&near), "a bad byte inside the window: not UTF-8");
        let mut far = "<Name>見本</Name>".as_bytes().to_vec();
        far.resize(far.len() + WINDOW as usize, b' ');
        far.push(0x82);
        assert!(Utf8Japanese::of_whole(&far), "a bad byte past the window: UTF-8 Japanese");
    }

    /// The rule as the module states it, on the whole input at once.
    fn as_stated(bytes: &[u8]) -> bool {
        let valid = match std::str::from_utf8(bytes) {
            Ok(_) => bytes.len(),
            Err(e) if e.error_len().is_none() => bytes.len(),
            Err(e) => e.valid_up_to(),
        };
        let Some(first) = bytes[..valid].iter().position(|&b| b >= 0xE0) else { return false };
        valid == bytes.len() || valid as u64 >= first as u64 + WINDOW
    }

    proptest::proptest! {
        #[test]
        fn chunks_answer_as_the_rule_says(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    b"<a>".to_vec(), "見".as_bytes().to_vec(), "é".as_bytes().to_vec(), "𠀋".as_bytes().to_vec(),
                    sjis("見"), sjis("ア"), vec![0xE3, 0x81], vec![0x82], vec![b' '; 20_000],
                ]),
                0..12,
            ),
            sizes in proptest::collection::vec(1usize..9000, 1..5),
        ) {
            let bytes = parts.concat();
            proptest::prop_assert_eq!(Utf8Japanese::of_whole(&bytes), as_stated(&bytes));
            proptest::prop_assert_eq!(in_chunks(&bytes, &sizes), as_stated(&bytes));
        }
    }
}
