//! The Web API's JSON form reads as the XML it stands for: every fixture that parses, written
//! in the JSON form here (by the rules of `json_form`, from the other side), gives the same
//! document, its encoding aside.

use quick_xml::events::Event;
use serde_json::Value;

/// A JSON value of the form, its keys in the order written (serde_json's map sorts them).
enum Json {
    Text(String),
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
}

impl Json {
    fn write(&self, out: &mut String) {
        match self {
            Json::Text(text) => out.push_str(&serde_json::to_string(text).unwrap()),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    out.push_str(&serde_json::to_string(key).unwrap());
                    out.push_str(": ");
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// One element as the JSON form writes it: its text alone as a string; otherwise an object of
/// its attributes (`@name`), its text (`#text`) and its children, a name that repeats as an
/// array where it first stands (the form has no other way to say it; kohi does not rely on the
/// order of different names).
#[derive(Default)]
struct Element {
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<(String, Element)>,
}

impl Element {
    fn into_json(self) -> Json {
        if self.attributes.is_empty() && self.children.is_empty() {
            return Json::Text(self.text);
        }
        let mut members: Vec<(String, Json)> = Vec::new();
        for (name, value) in self.attributes {
            members.push((format!("@{name}"), Json::Text(value)));
        }
        if !self.text.trim().is_empty() {
            members.push(("#text".into(), Json::Text(self.text)));
        }
        for (name, child) in self.children {
            let child = child.into_json();
            match members.iter_mut().find(|(key, _)| *key == name) {
                Some((_, Json::Array(items))) => items.push(child),
                Some((_, first)) => {
                    let taken = std::mem::replace(first, Json::Array(Vec::new()));
                    *first = Json::Array(vec![taken, child]);
                }
                None => members.push((name, child)),
            }
        }
        Json::Object(members)
    }
}

/// The XML text (decoded) in the JSON form.
fn json_form(xml: &str) -> String {
    let mut reader = quick_xml::Reader::from_str(xml);
    // The document is the children of an element with no name.
    let mut stack = vec![(String::new(), Element::default())];
    let close = |stack: &mut Vec<(String, Element)>| {
        let (name, element) = stack.pop().unwrap();
        stack.last_mut().unwrap().1.children.push((name, element));
    };
    loop {
        match reader.read_event().unwrap() {
            event @ (Event::Start(_) | Event::Empty(_)) => {
                let (Event::Start(e) | Event::Empty(e)) = &event else { continue };
                let mut element = Element::default();
                for attribute in e.attributes() {
                    let attribute = attribute.unwrap();
                    let name = attribute.key.as_ref().to_owned();
                    element.attributes.push((
                        name,
                        attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned(),
                    ));
                }
                stack.push((e.name().as_ref().to_owned(), element));
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack);
                }
            }
            Event::End(_) => close(&mut stack),
            Event::Text(t) => stack.last_mut().unwrap().1.text.push_str(&t.xml10_content()),
            Event::CData(t) => stack.last_mut().unwrap().1.text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r).unwrap().to_owned(),
                };
                stack.last_mut().unwrap().1.text.push_str(&text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let (_, document) = stack.pop().unwrap();
    let top = Json::Object(document.children.into_iter().map(|(name, element)| (name, element.into_json())).collect());
    let mut out = String::new();
    top.write(&mut out);
    out
}

/// A document as JSON, its encoding aside.
fn read(doc: &kohi::Document) -> Value {
    let mut value = serde_json::to_value(doc).unwrap();
    value.as_object_mut().unwrap().remove("encoding");
    value
}

#[test]
fn every_fixture_reads_alike_in_the_json_form() {
    let mut checked = 0;
    for path in kohi_fixtures::xml_cases() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(doc) = kohi::parse(&bytes) else { continue };
        let text = kohi::decode(&bytes).unwrap().text.into_owned();
        let json = json_form(&text);
        let from_json = kohi::parse(json.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(read(&from_json), read(&doc), "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 25, "{checked}");
}
