//! The 資格確認 Web API's JSON form of the same `XmlMsg`, read as the XML it stands for.
//!
//! `{"XmlMsg":{"MessageHeader":{…},"MessageBody":{"ResultList":[{"ResultOfQualificationConfirmation":{…}}]}}}`:
//! an object is an element's children, a string (or number, as written, or boolean) its text, an array the
//! element repeated, `null` an absent element, a key `@name` an attribute of the element and
//! `#text` its text beside them (as XML-to-JSON converters write them), so that one layout file
//! reads both forms. The JSON is turned into that XML in one streaming
//! pass (no JSON tree is built) and then parsed like any result file: the same layout, limits,
//! warnings and errors. The XML written counts against the input size limit, so a short JSON
//! file of long keys in long arrays cannot grow without bound.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, MalformedReason, Result};

/// Whether the bytes are the JSON form: the first byte that is not white space (after a UTF-8
/// byte order mark) opens an object, within the first 64 KiB, where a stream decides (a file of
/// more white space than that went to JSON whole and to XML streamed). An XML file starts with
/// `<`.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let bytes = &bytes[..bytes.len().min(crate::decode::DETECT_BYTES)];
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The XML the JSON stands for (UTF-8, no declaration). `max_bytes` bounds the XML written;
/// `max_depth` the nesting (as for XML).
pub fn to_xml(json: &str, max_bytes: usize, max_depth: usize) -> Result<String> {
    let json = json.strip_prefix('\u{FEFF}').unwrap_or(json);
    let mut out = Out {
        xml: String::with_capacity(json.len() + json.len() / 4),
        max_bytes,
        max_depth,
        failure: None,
        track: None,
    };
    let quoted = crate::json_numbers::Quoted::new(json);
    let mut de = serde_json::Deserializer::from_str(&quoted.json);
    // serde_json's own recursion limit (128) stops runaway nesting before ours would.
    let read = Element { name: None, out: &mut out, depth: 0 }.deserialize(&mut de).and_then(|()| de.end());
    match (read, out.failure) {
        (_, Some(error)) => Err(error),
        (Ok(()), None) => Ok(out.xml),
        (Err(e), None) => {
            let (line, column) = json_position(json, &quoted, e.line(), e.column());
            Err(Error::MalformedXml { line, column, reason: MalformedReason::InvalidJson })
        }
    }
}

/// serde_json's line and column (in bytes, in the text with its inexact numbers quoted) as a
/// line and a column in characters of the JSON as sent, as every other error gives them: on a
/// line of names in kanji, a column in bytes was up to three times too far on.
fn json_position(json: &str, quoted: &crate::json_numbers::Quoted<'_>, line: usize, column: usize) -> (usize, usize) {
    let column = quoted.original_column(line, column);
    crate::decode::line_column(json, crate::decode::line_start(json.as_bytes(), line) + column.saturating_sub(1))
}

/// `error`, met while reading the XML that `json` stands for (or while writing it), with its
/// line and column moved to where it lies in `json`: the XML is kohi's own, all on one line,
/// and its positions are nowhere in the caller's file (a pretty-printed response's control
/// character was said to be "at line 1, column 507"). The place is the JSON value the element
/// around the error stands for: an object's `{`, an array item's first byte, a string's opening
/// quote. Found by writing the XML again, reading the JSON as serde_json reads a stream (one
/// byte at a time) so that where each value starts is known: done only for an error, and
/// slower than [`to_xml`] (about 50 MB/s: a 43 MB bulk response refused near its end in 1.1 s
/// instead of 0.3 s), in time and memory proportional to the JSON as before. Errors without a
/// position, and those placed in the JSON already, are given back as they are.
pub(crate) fn locate(json: &str, mut error: Error, max_bytes: usize, max_depth: usize) -> Error {
    let json = json.strip_prefix('\u{FEFF}').unwrap_or(json);
    let Some((line, column)) = error.markup_position_mut() else { return error };
    let quoted = crate::json_numbers::Quoted::new(json);
    let token = Rc::new(Cell::new(0));
    let reader = Tokens { bytes: quoted.json.as_bytes(), at: 0, lexed: Lexed::Between, token: Rc::clone(&token) };
    let track = Track { token, marks: Vec::new(), failed_at: None };
    let mut out = Out { xml: String::new(), max_bytes, max_depth, failure: None, track: Some(track) };
    let mut de = serde_json::Deserializer::from_reader(reader);
    // Its outcome is the first pass's: only where things were written is wanted.
    let _ = Element { name: None, out: &mut out, depth: 0 }.deserialize(&mut de);
    let Some(track) = out.track else { return error };
    let at = match track.failed_at {
        // The writing itself stopped (nesting): the first pass stopped at the same value, and
        // gave no line.
        Some(at) if *line == 0 => at,
        _ => {
            let in_xml = crate::decode::offset_of(&out.xml, *line, *column);
            let i = track.marks.partition_point(|&(xml_at, _)| xml_at <= in_xml);
            i.checked_sub(1).map_or(0, |i| track.marks[i].1)
        }
    };
    (*line, *column) = crate::decode::line_column(json, quoted.original_offset(at));
    error
}

/// While [`locate`] writes the XML again: where serde_json is in the JSON, and for each start
/// tag, where it was written in the XML and where its JSON value starts.
struct Track {
    token: Rc<Cell<usize>>,
    marks: Vec<(usize, usize)>,
    /// Where the value was that the writing stopped at (too deeply nested).
    failed_at: Option<usize>,
}

/// The JSON, handed to serde_json as a reader that notes where the last token began (what
/// serde_json has just read, or begun to: it reads a reader one byte at a time and looks one
/// byte ahead at most, past a number's end, which is never a token's start).
struct Tokens<'a> {
    bytes: &'a [u8],
    at: usize,
    lexed: Lexed,
    token: Rc<Cell<usize>>,
}

/// Where a byte of JSON stands.
#[derive(Clone, Copy, PartialEq)]
enum Lexed {
    Between,
    InString,
    /// Just after a backslash in a string.
    Escaped,
    /// In a number or a `true`, `false`, `null`.
    Bare,
}

impl Tokens<'_> {
    fn see(&mut self, at: usize, b: u8) {
        self.lexed = match (self.lexed, b) {
            (Lexed::InString, b'\\') => Lexed::Escaped,
            (Lexed::InString, b'"') => Lexed::Between,
            (Lexed::InString, _) | (Lexed::Escaped, _) => Lexed::InString,
            (_, b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b']' | b'}') => Lexed::Between,
            (_, b'"') => {
                self.token.set(at);
                Lexed::InString
            }
            (_, b'{' | b'[') => {
                self.token.set(at);
                Lexed::Between
            }
            (Lexed::Bare, _) => Lexed::Bare,
            (Lexed::Between, _) => {
                self.token.set(at);
                Lexed::Bare
            }
        };
    }
}

impl std::io::Read for Tokens<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = out.len().min(self.bytes.len() - self.at);
        for i in self.at..self.at + n {
            self.see(i, self.bytes[i]);
        }
        out[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

struct Out {
    xml: String,
    max_bytes: usize,
    max_depth: usize,
    /// A kohi error met while writing (serde's error type cannot carry it).
    failure: Option<Error>,
    /// Only while [`locate`] writes the XML again.
    track: Option<Track>,
}

impl Out {
    fn push(&mut self, s: &str) -> Result<(), ()> {
        if self.xml.len() + s.len() > self.max_bytes {
            self.fail(Error::InputTooLarge { size: self.xml.len() + s.len(), limit: self.max_bytes });
            return Err(());
        }
        self.xml.push_str(s);
        Ok(())
    }

    /// Inserts `s` at byte `at` (an attribute into a start tag written earlier), within the
    /// same bound as [`Out::push`].
    fn insert(&mut self, at: usize, s: &str) -> Result<(), ()> {
        if self.xml.len() + s.len() > self.max_bytes {
            self.fail(Error::InputTooLarge { size: self.xml.len() + s.len(), limit: self.max_bytes });
            return Err(());
        }
        self.xml.insert_str(at, s);
        if let Some(track) = &mut self.track {
            // The start tags written after it (its element's children) moved along.
            track.marks.iter_mut().filter(|(xml_at, _)| *xml_at > at).for_each(|(xml_at, _)| *xml_at += s.len());
        }
        Ok(())
    }

    /// A start tag begins here: where, and where its JSON value starts (only while locating).
    fn mark(&mut self) {
        if let Some(track) = &mut self.track {
            track.marks.push((self.xml.len(), track.token.get()));
        }
    }

    fn text(&mut self, s: &str) -> Result<(), ()> {
        let mut rest = s;
        while let Some(i) = rest.find(['&', '<', '>']) {
            self.push(&rest[..i])?;
            self.push(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                _ => "&gt;",
            })?;
            rest = &rest[i + 1..];
        }
        self.push(rest)
    }

    fn fail(&mut self, error: Error) {
        if let Some(track) = self.track.as_mut().filter(|_| self.failure.is_none()) {
            track.failed_at = Some(track.token.get());
        }
        self.failure.get_or_insert(error);
    }
}

/// ` name="value"`, the value escaped so that a parse reads it back exactly: a tab or line end
/// as a character reference (XML reads a literal one in an attribute as a space).
fn attribute_text(name: &str, value: &str) -> String {
    let mut out = format!(" {name}=\"");
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An attribute's value: a string, number or boolean (`null`: no attribute).
struct AttributeValue(String);

impl<'de> serde::Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = AttributeValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute's value: a string, number or boolean")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AttributeValue, E> {
                Ok(AttributeValue(v.to_owned()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<AttributeValue, E> {
                Ok(AttributeValue(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<AttributeValue, E> {
                Ok(AttributeValue(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<AttributeValue, E> {
                Ok(AttributeValue(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<AttributeValue, E> {
                Ok(AttributeValue(v.to_string()))
            }
        }
        deserializer.deserialize_any(Text)
    }
}

/// One JSON value, written as the element `name` (none for the top-level object).
struct Element<'a> {
    name: Option<&'a str>,
    out: &'a mut Out,
    depth: usize,
}

impl Element<'_> {
    fn leaf<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
        let Some(name) = self.name else { return Err(E::custom("the top level must be an object")) };
        let out = self.out;
        out.mark();
        (|| {
            out.push("<")?;
            out.push(name)?;
            out.push(">")?;
            out.text(text)?;
            out.push("</")?;
            out.push(name)?;
            out.push(">")
        })()
        .map_err(|()| E::custom("limit"))
    }
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Element<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the JSON form of an XmlMsg")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.leaf(v)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        self.leaf(if v { "true" } else { "false" })
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.leaf(&v.to_string())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.leaf(&v.to_string())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.leaf(&v.to_string())
    }

    /// `null`: the element is absent.
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        if self.depth > self.out.max_depth {
            self.out.fail(Error::NestingTooDeep { line: 0, column: 0, limit: self.out.max_depth });
            return Err(A::Error::custom("depth"));
        }
        // While the start tag is open: where its attributes end (its `>` is written before the
        // first child, or at the end).
        let mut tag_end = None;
        if let Some(name) = self.name {
            self.out.mark();
            self.out.push("<").and_then(|()| self.out.push(name)).map_err(|()| A::Error::custom("limit"))?;
            tag_end = Some(self.out.xml.len());
        }
        let mut attributes_end = tag_end;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if let Some(attribute) = key.strip_prefix('@') {
                // `"@name": "value"`, as XML-to-JSON converters write an attribute: the
                // attribute of this element, in its start tag even when children came first.
                let Some(at) = attributes_end.filter(|_| crate::layout::is_xml_name(attribute)) else {
                    return Err(A::Error::custom("a key is not an attribute name"));
                };
                let Some(AttributeValue(value)) = map.next_value::<Option<AttributeValue>>()? else { continue };
                let written = attribute_text(attribute, &value);
                self.out.insert(at, &written).map_err(|()| A::Error::custom("limit"))?;
                attributes_end = Some(at + written.len());
                continue;
            }
            if key == "#text" && self.name.is_some() {
                // `"#text": "value"`: the element's own text beside its attributes (how
                // XML-to-JSON converters write `<E a="1">value</E>`).
                let Some(AttributeValue(text)) = map.next_value::<Option<AttributeValue>>()? else { continue };
                if tag_end.take().is_some() {
                    self.out.push(">").map_err(|()| A::Error::custom("limit"))?;
                }
                self.out.text(&text).map_err(|()| A::Error::custom("limit"))?;
                continue;
            }
            if !crate::layout::is_xml_name(&key) {
                return Err(A::Error::custom("a key is not an element name"));
            }
            if tag_end.take().is_some() {
                self.out.push(">").map_err(|()| A::Error::custom("limit"))?;
            }
            map.next_value_seed(Element { name: Some(&key), out: &mut *self.out, depth: self.depth + 1 })?;
        }
        if tag_end.is_some() {
            self.out.push(">").map_err(|()| A::Error::custom("limit"))?;
        }
        if let Some(name) = self.name {
            self.out
                .push("</")
                .and_then(|()| self.out.push(name))
                .and_then(|()| self.out.push(">"))
                .map_err(|()| A::Error::custom("limit"))?;
        }
        Ok(())
    }

    /// An array: the element repeated, once per item.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        let Some(name) = self.name else { return Err(A::Error::custom("the top level must be an object")) };
        while seq.next_element_seed(Element { name: Some(name), out: &mut *self.out, depth: self.depth })?.is_some() {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(json: &str) -> Result<String> {
        to_xml(json, 1 << 20, 64)
    }

    #[test]
    fn objects_arrays_and_text() {
        assert_eq!(
            xml(r#"{"XmlMsg":{"A":"1 & <2>","L":[{"I":"x"},{"I":"y"}],"N":null,"B":7}}"#).unwrap(),
            "<XmlMsg><A>1 &amp; &lt;2&gt;</A><L><I>x</I></L><L><I>y</I></L><B>7</B></XmlMsg>"
        );
    }

    #[test]
    fn at_keys_are_attributes_of_their_element_wherever_they_come() {
        assert_eq!(
            xml(r#"{"XmlMsg":{"C":{"@P":"5 & \"6\"","I":"x","@Q":7,"@R":null},"E":{"@T":"a\nb\tc"}}}"#).unwrap(),
            "<XmlMsg><C P=\"5 &amp; &quot;6&quot;\" Q=\"7\"><I>x</I></C><E T=\"a&#10;b&#9;c\"></E></XmlMsg>"
        );
        // Read back exactly by a parse (a line end is not turned into a space).
        let d = crate::parse(br#"{"XmlMsg":{"MessageBody":{"@Note":"a\nb"}}}"#).unwrap();
        assert_eq!(d.unknown_elements[0].path, "XmlMsg/MessageBody/@Note");
        assert_eq!(d.unknown_elements[0].text.expose(), "a\nb");
        // `#text`: the element's text beside its attributes.
        assert_eq!(
            xml(r##"{"XmlMsg":{"P":{"@kind":"x","#text":"5213 & 6017"},"Q":{"#text":null}}}"##).unwrap(),
            "<XmlMsg><P kind=\"x\">5213 &amp; 6017</P><Q></Q></XmlMsg>"
        );
        for bad in [
            r##"{"#text":"1"}"##,
            r##"{"XmlMsg":{"#text":{"A":"1"}}}"##,
            r#"{"@XmlMsg":{}}"#,
            r#"{"XmlMsg":{"@a b":"1"}}"#,
            r#"{"XmlMsg":{"@":"1"}}"#,
            r#"{"XmlMsg":{"@A":{"B":"1"}}}"#,
            r#"{"XmlMsg":{"@A":["1"]}}"#,
        ] {
            assert_eq!(xml(bad).unwrap_err().code(), "malformed_xml", "{bad}");
        }
    }

    #[test]
    fn detection() {
        assert!(looks_like_json(b"\xEF\xBB\xBF \n{\"XmlMsg\":{}}"));
        assert!(!looks_like_json(b"<?xml version=\"1.0\"?><XmlMsg/>"));
        assert!(!looks_like_json(b"[]"));
        let mut far = vec![b' '; 64 * 1024];
        far.extend_from_slice(b"{\"XmlMsg\":{}}");
        assert!(!looks_like_json(&far), "decided in the first 64 KiB, as a stream decides");
        assert!(looks_like_json(&far[1..]));
    }

    #[test]
    fn bad_json_and_bad_keys_are_typed() {
        for bad in ["{", r#"{"XmlMsg":{"a b":"1"}}"#, r#"["x"]"#, r#""x""#, r#"{"XmlMsg":{}} trailing"#] {
            let e = xml(bad).unwrap_err();
            assert_eq!(e.code(), "malformed_xml", "{bad}");
            assert!(!e.to_string().contains("a b"), "{e}");
        }
    }

    /// The line and column an error gives, read off its message (where it is kept).
    fn position(error: &Error) -> (usize, usize) {
        match *error {
            Error::MalformedXml { line, column, .. }
            | Error::UnexpectedRoot { line, column }
            | Error::NestingTooDeep { line, column, .. }
            | Error::LimitExceeded { line, column, .. } => (line, column),
            ref other => panic!("no position: {other}"),
        }
    }

    /// Where `needle` starts in `json`, as a line and column (characters, from 1).
    fn place(json: &str, needle: &str) -> (usize, usize) {
        crate::decode::line_column(json, json.find(needle).expect("in the JSON"))
    }

    #[test]
    fn errors_of_the_xml_it_stands_for_are_placed_in_the_json() {
        let parse =
            |json: &str, options: &crate::ParseOptions| crate::parse_with(json.as_bytes(), options).unwrap_err();
        let plain = crate::ParseOptions::default();
        // A character XML does not allow, in a string value: the value's opening quote. After
        // an inexact number (quoted before reading: the quotes are not counted) and a byte
        // order mark, in a value of an array, and in an element whose attribute came after its
        // children (written into its start tag, before them).
        let json = "{\n \"XmlMsg\": {\n  \"MessageBody\": {\"N\": 1.50e3,\n   \"Name\": \"見本\\u0001\"}}}";
        let e = parse(json, &plain);
        assert_eq!((e.code(), position(&e)), ("malformed_xml", place(json, "\"見本")), "{e}");
        let with_bom = format!("\u{FEFF}{json}");
        assert_eq!(position(&parse(&with_bom, &plain)), place(json, "\"見本"));
        let json = "{\"XmlMsg\": {\"L\": [\"a\", \"b\",\n  \"c\\u0002\"]}}";
        assert_eq!(position(&parse(json, &plain)), (2, 3));
        let json = "{\"XmlMsg\": {\"C\": {\"I\": \"x\",\n  \"J\": \"y\\u0002\", \"@P\": \"1\"}}}";
        assert_eq!(position(&parse(json, &plain)), place(json, "\"y"));
        // The element that is one too many (`C`, the fourth): its value.
        let json = "{\"XmlMsg\": {\n \"A\": \"1\",\n \"B\": {\"C\": \"2\"}}}";
        let limits = crate::Limits::default().with(crate::Limit::Elements, 3);
        let e = parse(json, &plain.clone().with_limits(limits));
        assert_eq!((e.code(), position(&e)), ("limit_exceeded", place(json, "\"2")), "{e}");
        // The wrong root: its value. Too deep: the value that is (the writing stopped there,
        // and gave no line at all before).
        let json = "{\n  \"Foo\": {}}";
        assert_eq!(position(&parse(json, &plain)), (2, 10));
        let json = format!("{{\"XmlMsg\":\n{}\"1\"{}}}", "{\"A\":".repeat(8), "}".repeat(8));
        let e = parse(&json, &plain.clone().with_max_depth(4));
        assert_eq!((e.code(), position(&e)), ("nesting_too_deep", (2, 21)), "{e}");
        // What serde_json finds is placed in the JSON already (its column, in bytes, counted
        // in characters as every other error's is).
        let e = parse("{\"XmlMsg\":\n {\"a b\": 1}}", &plain);
        assert_eq!((e.code(), position(&e)), ("malformed_xml", (2, 7)), "{e}");
        let e = parse("{\"XmlMsg\":\n {\"見本\": \"見本\", \"a b\": 1}}", &plain);
        assert_eq!((e.code(), position(&e)), ("malformed_xml", (2, 19)), "{e}");
        let e = parse("{\"XmlMsg\": {\"N\": 1.50e3, \"見本\": \"1\", 7}}", &plain);
        assert_eq!((e.code(), position(&e)), ("malformed_xml", (1, 37)), "{e}");
    }

    #[test]
    fn the_xml_written_is_bounded() {
        let key = "K".repeat(200);
        let json = format!("{{\"XmlMsg\":{{\"{key}\":[{}\"1\"]}}}}", "\"1\",".repeat(10_000));
        assert_eq!(to_xml(&json, 100_000, 64).unwrap_err().code(), "input_too_large");
        let deep = format!("{}{}", "{\"A\":".repeat(100), "}".repeat(100));
        assert!(matches!(to_xml(&deep, 1 << 20, 64).unwrap_err().code(), "nesting_too_deep" | "malformed_xml"));
    }
}
