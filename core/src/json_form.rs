//! The 資格確認 Web API's JSON form of the same `XmlMsg`, read as the XML it stands for.
//!
//! `{"XmlMsg":{"MessageHeader":{…},"MessageBody":{"ResultList":[{"ResultOfQualificationConfirmation":{…}}]}}}`:
//! an object is an element's children, a string (or number, or boolean) its text, an array the
//! element repeated, `null` an absent element. The JSON is turned into that XML in one streaming
//! pass (no JSON tree is built) and then parsed like any result file: the same layout, limits,
//! warnings and errors. The XML written counts against the input size limit, so a short JSON
//! file of long keys in long arrays cannot grow without bound.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, MalformedReason, Result};

/// Whether the bytes are the JSON form: the first byte that is not white space (after a UTF-8
/// byte order mark) opens an object. An XML file starts with `<`.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The XML the JSON stands for (UTF-8, no declaration). `max_bytes` bounds the XML written;
/// `max_depth` the nesting (as for XML).
pub fn to_xml(json: &str, max_bytes: usize, max_depth: usize) -> Result<String> {
    let json = json.strip_prefix('\u{FEFF}').unwrap_or(json);
    let mut out = Out { xml: String::with_capacity(json.len() + json.len() / 4), max_bytes, max_depth, failure: None };
    let mut de = serde_json::Deserializer::from_str(json);
    // serde_json's own recursion limit (128) stops runaway nesting before ours would.
    let read = Element { name: None, out: &mut out, depth: 0 }.deserialize(&mut de).and_then(|()| de.end());
    match (read, out.failure) {
        (_, Some(error)) => Err(error),
        (Ok(()), None) => Ok(out.xml),
        (Err(e), None) => {
            Err(Error::MalformedXml { line: e.line(), column: e.column(), reason: MalformedReason::InvalidJson })
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
        if let Some(name) = self.name {
            self.out
                .push("<")
                .and_then(|()| self.out.push(name))
                .and_then(|()| self.out.push(">"))
                .map_err(|()| A::Error::custom("limit"))?;
        }
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if !crate::layout::is_xml_name(&key) {
                return Err(A::Error::custom("a key is not an element name"));
            }
            map.next_value_seed(Element { name: Some(&key), out: &mut *self.out, depth: self.depth + 1 })?;
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
    fn detection() {
        assert!(looks_like_json(b"\xEF\xBB\xBF \n{\"XmlMsg\":{}}"));
        assert!(!looks_like_json(b"<?xml version=\"1.0\"?><XmlMsg/>"));
        assert!(!looks_like_json(b"[]"));
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
