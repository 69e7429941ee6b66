//! The Web API's JSON form of an XML document, written by the form's rules from the other side
//! (the JSON form's tests, and the survey's on the same certificates in either form).

use quick_xml::events::Event;

use super::tree::Dice;

/// A JSON value of the form, its keys in the order written (serde_json's map sorts them).
pub enum Json {
    Text(String),
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
}

impl Json {
    pub fn write(&self, out: &mut String) {
        self.write_spelled(out, None);
    }

    /// Written, or, with dice, spelled another way the form allows: blanks of any kind between
    /// tokens, any character of a string as a `\u` escape, a name met once as an array of one,
    /// a text that is a JSON integer as a number, an empty text as `{}`, a text alone as
    /// `{"#text": …}`.
    pub fn write_spelled(&self, out: &mut String, mut dice: Option<&mut Dice>) {
        const BLANKS: [&str; 4] = ["\n", "", " ", "\r\n\t"];
        match self {
            Json::Text(text) if text.is_empty() && roll(&mut dice, 3) == 0 => out.push_str("{}"),
            Json::Text(text) if roll(&mut dice, 4) == 0 => {
                out.push_str("{\"#text\": ");
                write_string(text, out, &mut dice);
                out.push('}');
            }
            Json::Text(text) if is_json_integer(text) && roll(&mut dice, 2) == 0 => out.push_str(text),
            Json::Text(text) => write_string(text, out, &mut dice),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "" } else { "," });
                    out.push_str(BLANKS[roll(&mut dice, 4) as usize % 4]);
                    item.write_spelled(out, dice.as_deref_mut());
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    out.push_str(if i == 0 { "" } else { "," });
                    out.push_str(BLANKS[roll(&mut dice, 4) as usize % 4]);
                    out.push_str(&serde_json::to_string(key).unwrap());
                    out.push_str([": ", ":", " :\n"][roll(&mut dice, 3) as usize % 3]);
                    let alone = !matches!(value, Json::Array(_)) && !key.starts_with(['@', '#']);
                    if let (true, Json::Text(text)) = (key.starts_with(['@', '#']), value) {
                        // An attribute or a text beside children: a string.
                        write_string(text, out, &mut dice);
                    } else if alone && roll(&mut dice, 4) == 0 {
                        out.push('[');
                        value.write_spelled(out, dice.as_deref_mut());
                        out.push(']');
                    } else {
                        value.write_spelled(out, dice.as_deref_mut());
                    }
                }
                out.push('}');
            }
        }
    }
}

/// A JSON string of `text`, some of its characters as `\u` escapes by the dice.
fn write_string(text: &str, out: &mut String, dice: &mut Option<&mut Dice>) {
    if roll(dice, 3) != 0 {
        out.push_str(&serde_json::to_string(text).unwrap());
        return;
    }
    out.push('"');
    for c in text.chars() {
        if roll(dice, 2) == 0 {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            let one = serde_json::to_string(&c.to_string()).unwrap();
            out.push_str(&one[1..one.len() - 1]);
        }
    }
    out.push('"');
}

/// A number from the dice, or 1 (the plain spelling) without them.
fn roll(dice: &mut Option<&mut Dice>, sides: u64) -> u64 {
    dice.as_deref_mut().map_or(1, |d| d.roll(sides))
}

/// `0`, or digits not starting with 0: a text the form may give as a JSON number.
fn is_json_integer(text: &str) -> bool {
    text == "0" || ((1..16).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0'))
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
pub fn json_form(xml: &str) -> String {
    let mut out = String::new();
    json_tree(xml).write(&mut out);
    out
}

/// The XML text (decoded) as the JSON form's values.
pub fn json_tree(xml: &str) -> Json {
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
    Json::Object(document.children.into_iter().map(|(name, element)| (name, element.into_json())).collect())
}
