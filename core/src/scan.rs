//! The fast path for whole documents: the same events quick-xml's reader gives, for the markup
//! real result files use, without its per-event UTF-8 validation (the text was validated once,
//! whole) and event machinery. Those were about half of a parse's instructions.
//!
//! It never decides anything quick-xml would decide differently: on anything outside the
//! common subset (a DOCTYPE, unusual `<!`/`<?` markup, a reference without `;`, an end tag that
//! does not match, a truncated document…) it gives up, and the caller parses the document again
//! with quick-xml from the start. Errors therefore always come from the quick-xml path, and the
//! events it does give, with their positions, are quick-xml's own (a differential test and a
//! fuzz target compare the two on generated and mutated documents).

use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesPI, BytesRef, BytesStart, BytesText, Event};

/// quick-xml's whitespace inside markup.
fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n' | b'\t')
}

/// quick-xml's name length: up to the first whitespace.
fn name_len(content: &[u8]) -> usize {
    content.iter().position(|&b| is_whitespace(b)).unwrap_or(content.len())
}

pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    /// Names of the open elements, innermost last.
    open: Vec<&'a str>,
    /// Streaming: the elements opened in earlier segments and still open, outermost first;
    /// the first `outer_open` of them are still open here.
    outer: &'a [String],
    outer_open: usize,
}

impl<'a> Scanner<'a> {
    /// `None` for text that starts with a byte order mark: quick-xml skips it without counting
    /// it in its positions. The callers strip it, so the scanner leaves that case to quick-xml.
    pub(crate) fn new(text: &'a str) -> Option<Self> {
        (!text.starts_with('\u{FEFF}')).then(|| Self::resume(text, &[]))
    }

    /// Streaming: a segment of a document that continues one already read, inside the elements
    /// `outer` (outermost first). A segment ends just before a `<` (or at the end of the
    /// document), so no event is cut in two: the events of the segments, one after the other,
    /// are the events of the whole.
    pub(crate) fn resume(text: &'a str, outer: &'a [String]) -> Self {
        Scanner { text, pos: 0, open: Vec::with_capacity(16), outer, outer_open: outer.len() }
    }

    /// Where the next event starts (after a `None` from [`Self::next_event`]: where the
    /// scanner stopped, for quick-xml to go on from).
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The names of the elements open at [`Self::position`], outermost first.
    pub(crate) fn open_names(&self) -> Vec<String> {
        let outer = self.outer[..self.outer_open].iter().map(String::as_str);
        outer.chain(self.open.iter().copied()).map(str::to_owned).collect()
    }

    /// The innermost open element's name; `None` if none is open.
    fn innermost(&self) -> Option<&'a str> {
        match self.open.last() {
            Some(name) => Some(name),
            None => Some(self.outer[..self.outer_open].last()?.as_str()),
        }
    }

    /// Closes the innermost open element.
    fn close(&mut self) {
        if self.open.pop().is_none() {
            self.outer_open = self.outer_open.saturating_sub(1);
        }
    }

    /// The next event and the offset it starts at, as quick-xml's reader would give them; `None`
    /// to hand the document to quick-xml.
    #[inline(always)]
    pub(crate) fn next_event(&mut self) -> Option<(usize, Event<'a>)> {
        let bytes = self.text.as_bytes();
        let at = self.pos;
        if at >= bytes.len() {
            return Some((bytes.len(), Event::Eof));
        }
        match bytes[at] {
            b'<' => self.markup(at).map(|event| (at, event)),
            b'&' => self.reference(at).map(|event| (at, event)),
            _ => {
                let end = text_end(bytes, at);
                self.pos = end;
                Some((at, Event::Text(BytesText::from_escaped(&self.text[at..end]))))
            }
        }
    }

    /// `&name;` (quick-xml looks for `;` before the next `&` or `<`).
    fn reference(&mut self, at: usize) -> Option<Event<'a>> {
        let bytes = self.text.as_bytes();
        let i = memchr::memchr3(b';', b'&', b'<', &bytes[at + 1..])?;
        let end = at + 1 + i;
        if bytes[end] != b';' {
            return None;
        }
        self.pos = end + 1;
        Some(Event::GeneralRef(BytesRef::new(&self.text[at + 1..end])))
    }

    #[inline(always)]
    fn markup(&mut self, at: usize) -> Option<Event<'a>> {
        let bytes = self.text.as_bytes();
        match bytes.get(at + 1).copied()? {
            b'!' => self.bang(at),
            b'?' => self.processing_instruction(at),
            b'/' => {
                // `</Name>` closing the innermost element, as it almost always is: compared
                // whole. An open name has no `>`, whitespace or quote (see the start tags), so
                // this is the tag the plain pass below would find (an empty name is left to it).
                let innermost = self.innermost()?;
                let after = at + 2 + innermost.len();
                let whole = !innermost.is_empty()
                    && bytes.get(at + 2..after).is_some_and(|n| same_name(n, innermost.as_bytes()));
                if whole && bytes.get(after) == Some(&b'>') {
                    self.close();
                    self.pos = after + 1;
                    return Some(Event::End(BytesEnd::new(&self.text[at + 2..after])));
                }
                // `</Name>`: one plain pass; whitespace or quotes take the general path.
                let (end, name) = match plain_tag_end(bytes, at + 2) {
                    Some(end) => (end, &self.text[at + 2..end]),
                    None => {
                        let end = tag_end(bytes, at)?;
                        let content = &self.text[at + 2..end];
                        (end, content.trim_end_matches(|c: char| c.is_ascii() && is_whitespace(c as u8)))
                    }
                };
                // quick-xml does not trim a name that is all whitespace: left to it.
                // A mismatch leaves everything as it was: quick-xml goes on from this tag with
                // the same elements open (streaming hands them over).
                if name.is_empty() || self.innermost()? != name {
                    return None;
                }
                self.close();
                self.pos = end + 1;
                Some(Event::End(BytesEnd::new(name)))
            }
            _ => {
                // `<Name>` or `<Name/>`: the name is all of it (no whitespace was seen).
                let plain = plain_tag_end(bytes, at + 1);
                let end = match plain {
                    Some(end) => end,
                    None => tag_end(bytes, at)?,
                };
                let content = &self.text[at + 1..end];
                let (content, empty) = match content.strip_suffix('/') {
                    Some(content) => (content, true),
                    None => (content, false),
                };
                let name_len = if plain.is_some() { content.len() } else { name_len(content.as_bytes()) };
                // A quote in a name (`<a"b c>`) is left to quick-xml: an end tag's quotes are
                // read as quoting, and the whole-name match of end tags above relies on none.
                if plain.is_none() && content.as_bytes()[..name_len].iter().any(|&b| b == b'"' || b == b'\'') {
                    return None;
                }
                self.pos = end + 1;
                let start = BytesStart::from_content(content, name_len);
                if empty {
                    return Some(Event::Empty(start));
                }
                self.open.push(&content[..name_len]);
                Some(Event::Start(start))
            }
        }
    }

    /// Comments and CDATA; anything else after `<!` (a DOCTYPE above all) goes to quick-xml.
    fn bang(&mut self, at: usize) -> Option<Event<'a>> {
        let rest = &self.text[at..];
        if rest.starts_with("<!--") {
            // quick-xml ends a comment at the first `-->` whose `>` is at least 6 bytes in.
            let end = at + 4 + memchr::memmem::find(&rest.as_bytes()[4..], b"-->")?;
            self.pos = end + 3;
            return Some(Event::Comment(BytesText::from_escaped(&self.text[at + 4..end])));
        }
        if rest.starts_with("<![CDATA[") {
            let end = at + 9 + memchr::memmem::find(&rest.as_bytes()[9..], b"]]>")?;
            self.pos = end + 3;
            return Some(Event::CData(BytesCData::new(&self.text[at + 9..end])));
        }
        None
    }

    /// `<?xml …?>` and other processing instructions (kohi ignores both).
    fn processing_instruction(&mut self, at: usize) -> Option<Event<'a>> {
        let bytes = self.text.as_bytes();
        // `<?>` is an error for quick-xml (its `?>` search may reuse the opening `?`).
        if bytes.get(at + 2) == Some(&b'>') {
            return None;
        }
        let end = at + 2 + memchr::memmem::find(&bytes[at + 2..], b"?>")?;
        self.pos = end + 2;
        let content = &self.text[at + 2..end];
        let c = content.as_bytes();
        if c.starts_with(b"xml") && (c.len() == 3 || is_whitespace(c[3])) {
            return Some(Event::Decl(BytesDecl::from_start(BytesStart::from_content(content, 3))));
        }
        Some(Event::PI(BytesPI::new(content)))
    }
}

/// Words of eight bytes, for the scanner's and the walker's short searches: 0x01 and 0x80 in
/// every byte.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// `b` in every byte of a word.
pub(crate) const fn splat(b: u8) -> u64 {
    ONES * b as u64
}

/// The high bit of every byte of `x` below `n` (for `n` ≤ 0x80), exact at the lowest such
/// byte: a borrow only ever marks bytes above a true one, and a search reads the lowest.
pub(crate) const fn bytes_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(splat(n)) & !x & HIGH
}

/// The `>` of a tag without whitespace or quotes (`<Name>`, `</Name>`, `<Name/>`), looking from
/// `from`; `None` when either comes first (the general path decides then).
///
/// Eight bytes at a time: every byte that stops the search (`>`, whitespace, quotes) is `>` or
/// below `(`, so a word with neither goes by in a few instructions, and the byte-by-byte loop
/// only sees the word where something is (a tag name is 20–30 bytes; the loop alone was a tenth
/// of a parse).
fn plain_tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(word) = bytes.get(at..at + 8) {
        let x = u64::from_le_bytes(word.try_into().ok()?);
        let gt = x ^ splat(b'>');
        // A byte of `gt` that is zero (a `>`), or a byte of `x` below `(`: only bytes below 0x80
        // can be either, so the high-bit mask of `!x` leaves UTF-8 out. No false positive below
        // the first true one, which is all that is read.
        let hit = bytes_below(gt, 1) | bytes_below(x, 0x28);
        if hit != 0 {
            break;
        }
        at += 8;
    }
    for (i, &b) in bytes.get(at..)?.iter().enumerate() {
        match b {
            b'>' => return Some(at + i),
            b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' => return None,
            _ => {}
        }
    }
    None
}

/// Whether two names are the same bytes, compared eight at a time in line: element names are
/// 10–40 bytes, and a call to `memcmp` for each cost more than the comparison (the layout
/// lookup and the end-tag match make one per element).
#[inline]
pub(crate) fn same_name(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a == b;
    }
    let word = |s: &[u8], i: usize| s.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map(u64::from_ne_bytes);
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

/// Where the text starting at `at` ends: the next `<` or `&`, or the end of the document.
///
/// Most texts are short (indentation, numbers, codes, a name): the first 32 bytes are looked at
/// eight at a time, which costs less than memchr's set-up; a longer text goes on with memchr.
fn text_end(bytes: &[u8], at: usize) -> usize {
    let mut from = at;
    while let Some(word) = bytes.get(from..from + 8) {
        if from - at >= 32 {
            break;
        }
        let x = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // A zero byte of either, exact at the lowest one.
        let hit = bytes_below(x ^ splat(b'<'), 1) | bytes_below(x ^ splat(b'&'), 1);
        if hit != 0 {
            return from + (hit.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    memchr::memchr2(b'<', b'&', &bytes[from..]).map_or(bytes.len(), |i| from + i)
}

/// The `>` closing the tag that starts at `at`, skipping quoted attribute values (quick-xml's
/// element parser does the same for start and end tags).
fn tag_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut quote = None;
    for i in memchr::memchr3_iter(b'>', b'\'', b'"', &bytes[at + 1..]) {
        let b = bytes[at + 1 + i];
        match (quote, b) {
            (None, b'>') => return Some(at + 1 + i),
            (None, b'\'' | b'"') => quote = Some(b),
            (Some(q), b) if q == b => quote = None,
            _ => {}
        }
    }
    None
}

/// Runs the fast scanner and quick-xml's reader side by side over `text`. `Ok(true)`: the
/// scanner read the whole document, every event and position equal to quick-xml's; `Ok(false)`:
/// it handed over to quick-xml, after equal events only. `Err(offset)`: the first event (by its
/// offset) where the scanner said something quick-xml did not. (The scanner's tests and the
/// `scan` fuzz target.)
#[cfg(any(test, fuzzing))]
pub fn agrees_with_quick_xml(text: &str) -> Result<bool, usize> {
    let mut reader = quick_xml::Reader::from_str(text);
    let Some(mut scanner) = Scanner::new(text) else { return Ok(false) };
    loop {
        let at = reader.buffer_position() as usize;
        let expected = reader.read_event();
        let Some((fast_at, fast)) = scanner.next_event() else { return Ok(false) };
        match expected {
            Ok(event) if event == fast && at == fast_at => {
                if event == Event::Eof {
                    return Ok(true);
                }
            }
            _ => return Err(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::agrees_with_quick_xml;

    fn fixtures() -> Vec<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "xml") {
                let bytes = std::fs::read(&path).unwrap();
                if let Ok(decoded) = crate::decode::decode(&bytes) {
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    out.push((name, decoded.text.into_owned()));
                }
            }
        }
        assert!(out.len() >= 25, "{}", out.len());
        out
    }

    #[test]
    fn every_fixture_takes_the_fast_path_with_quick_xml_events() {
        for (name, text) in fixtures() {
            // DOCTYPEs and broken documents go to quick-xml; everything real stays on the fast path.
            let expect_fast = !text.contains("<!DOCTYPE") && !name.starts_with("error_truncated");
            assert_eq!(agrees_with_quick_xml(&text), Ok(expect_fast), "{name}");
        }
    }

    #[test]
    fn edge_cases_agree() {
        let cases = [
            "",
            "x",
            "<",
            "<a",
            "<a>",
            "<a></a>",
            "<a/>",
            "<a />",
            "<a/ >",
            "< a></ a>",
            "<a></a >",
            "<a></ a>",
            "<a></b>",
            "</a>",
            "<a><b></a></b>",
            "<a x='>' y=\">\"/>",
            "<a x='/>",
            "<a>&amp;&#65;&#x42;</a>",
            "<a>&amp</a>",
            "<a>&</a>",
            "<a>& b;</a>",
            "<a>&;</a>",
            "<a>x&y;z</a>",
            "<!---->",
            "<!-->",
            "<!--->",
            "<!-- - -- -->",
            "<!-x-->",
            "<![CDATA[]]>",
            "<![CDATA[a]]]>",
            "<![CDAT[a]]>",
            "<!DOCTYPE a>",
            "<!doctype a>",
            "<!>",
            "<?>",
            "<??>",
            "<?xml?>",
            "<?xml version='1.0'?>",
            "<?xmlx?>",
            "<?pi a?b?>",
            "<a>\r\n</a>",
            "<a>日本</a>",
            "<日本>x</日本>",
            "<a\t\r\nb='1'>x</a>",
            "text<a/>tail",
            "<a>]]></a>",
            "<a>></a>",
            "<>",
            "</>",
            "<a></>",
            "<a>\u{3000}</a>",
            "\u{FEFF}<a/>",
            "\u{FEFF}",
            "<>n</\r>",
            "<>n</>",
            // Names the whole-name match of end tags must not misread.
            "<a\"b c='1'>x</a\"b>",
            "<a\"b c><a\"b c></a\"b>",
            "<a'b c>x</a'b>",
            "<a\"b>x</a\"b>",
            "< a>x</>",
            "<a b>x</a >",
            "<a/b>x</a/b>",
            "<ab>x</a>",
            "<a>x</ab>",
        ];
        for case in cases {
            assert!(agrees_with_quick_xml(case).is_ok(), "{case:?}");
        }
        assert_eq!(agrees_with_quick_xml("<a><b x='1'/>t&amp;u<![CDATA[c]]><!--c--><?p?></a>"), Ok(true));
    }

    const TOKENS: &[&str] = &[
        "<",
        ">",
        "/",
        "</",
        "<a",
        "<b",
        "a",
        "b",
        " ",
        "\n",
        "\r\n",
        "\t",
        "&",
        ";",
        "&amp;",
        "&#x41;",
        "&lt",
        "\"",
        "'",
        "=",
        "x='1'",
        "<!--",
        "-->",
        "-",
        "--",
        "<![CDATA[",
        "]]>",
        "]",
        "<?",
        "?>",
        "?",
        "xml",
        "<!DOCTYPE",
        "!",
        "[",
        "日本",
        "<a>",
        "</a>",
        "<b/>",
        "<a x='>'>",
        "</b>",
        "<日>",
        "</日>",
        "\u{3000}",
        "<a\"b c>",
        "</a\"b>",
        "< a>",
    ];

    fn tokens() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(TOKENS), 0..40).prop_map(|t| t.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        #[test]
        fn token_soup_agrees(text in tokens()) {
            prop_assert!(agrees_with_quick_xml(&text).is_ok(), "{:?}", text);
        }

        /// The word-at-a-time search finds what a byte-by-byte one does, from any start, with a
        /// stop byte, a near miss (`=` `?` `!` `&` control bytes) or UTF-8 in any place of a word.
        #[test]
        fn plain_tag_end_reads_like_the_byte_loop(
            bytes in proptest::collection::vec(proptest::sample::select(
                b"ab>= \t\r\n\"'!&?(\x01\x27\x28\x3d\x3f\xe6\x97\xa5".to_vec()), 0..40),
            from in 0usize..40,
        ) {
            let byte_loop = bytes.get(from..).and_then(|rest| {
                rest.iter().position(|b| matches!(b, b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\''))
                    .filter(|&i| rest[i] == b'>')
                    .map(|i| from + i)
            });
            prop_assert_eq!(super::plain_tag_end(&bytes, from), byte_loop);
        }
    }

    proptest! {
        /// Equal when the bytes are, at every length around a word's (one byte changed anywhere).
        #[test]
        fn same_name_is_byte_equality(a in proptest::collection::vec(any::<u8>(), 0..40), at in any::<prop::sample::Index>(), flip in 1u8..) {
            prop_assert!(super::same_name(&a, &a));
            let mut b = a.clone();
            if !b.is_empty() {
                let i = at.index(b.len());
                b[i] ^= flip;
            }
            prop_assert_eq!(super::same_name(&a, &b), a == b);
            prop_assert!(!super::same_name(&a, &a[..a.len().saturating_sub(1)]) || a.is_empty());
        }

        /// The word-at-a-time text end is the byte loop's, from any start, wherever the `<` or
        /// `&` is (in the first words or past them), with UTF-8 and near misses around it.
        #[test]
        fn text_end_reads_like_the_byte_loop(
            bytes in proptest::collection::vec(proptest::sample::select(
                b"ab<&; \n=>\x3b\x3d\x25\x27\xbc\xa6\xe6\x97\xa5".to_vec()), 0..80),
            from in 0usize..80,
        ) {
            let from = from.min(bytes.len());
            let byte_loop = bytes[from..].iter().position(|&b| b == b'<' || b == b'&').map_or(bytes.len(), |i| from + i);
            prop_assert_eq!(super::text_end(&bytes, from), byte_loop);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

        /// A real document with one splice: a byte range removed and a token put in its place.
        #[test]
        fn mutated_fixtures_agree(pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(),
                                  len in 0usize..12, token in proptest::sample::select(TOKENS)) {
            let all = fixtures();
            let (_, text) = &all[pick.index(all.len())];
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) { start -= 1; }
            let mut end = (start + len).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            let mutated = format!("{}{}{}", &text[..start], token, &text[end..]);
            prop_assert!(agrees_with_quick_xml(&mutated).is_ok());
        }
    }
}
