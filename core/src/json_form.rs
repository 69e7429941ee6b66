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
use std::fmt;

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
    let mut out = Out { xml: String::with_capacity(json.len() + json.len() / 4), max_bytes, max_depth, failure: None };
    let quoted = crate::json_numbers::Quoted::new(json);
    let mut de = serde_json::Deserializer::from_str(&quoted.json);
    // serde_json's own recursion limit (128) stops runaway nesting before ours would.
    let read = Element { name: None, out: &mut out, depth: 0 }.deserialize(&mut de).and_then(|()| de.end());
    match (read, out.failure) {
        (_, Some(error)) => Err(error),
        (Ok(()), None) => Ok(out.xml),
        (Err(e), None) => {
            let column = quoted.original_column(e.line(), e.column());
            Err(Error::MalformedXml { line: e.line(), column, reason: MalformedReason::InvalidJson })
        }
    }
}

struct Out {
    xml: String,
    max_bytes: usize,
    max_depth: usize,
    /// A kohi error met while writing (serde's error type cannot carry it).
    failure: Option<Error>,
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
        Ok(())
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

    #[test]
    fn the_xml_written_is_bounded() {
        let key = "K".repeat(200);
        let json = format!("{{\"XmlMsg\":{{\"{key}\":[{}\"1\"]}}}}", "\"1\",".repeat(10_000));
        assert_eq!(to_xml(&json, 100_000, 64).unwrap_err().code(), "input_too_large");
        let deep = format!("{}{}", "{\"A\":".repeat(100), "}".repeat(100));
        assert!(matches!(to_xml(&deep, 1 << 20, 64).unwrap_err().code(), "nesting_too_deep" | "malformed_xml"));
    }
}
