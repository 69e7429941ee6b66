//! A document as a tree of its bytes, for tests that write the same document another way.

use quick_xml::events::Event;

/// A piece of a document, as its bytes in the file (so Shift_JIS text stays Shift_JIS).
pub enum Node {
    Element {
        name: Vec<u8>,
        start: Vec<u8>,
        children: Vec<Node>,
        end: Vec<u8>,
    },
    /// Text, a comment, a declaration: moved with nothing.
    Other(Vec<u8>),
}

/// The nodes of a document at the top level (the declaration, the root, blanks). Each byte is
/// read as the character of that number (quick-xml wants UTF-8; a Shift_JIS fixture is not),
/// and `written` turns them back into the same bytes.
pub fn nodes(document: &[u8]) -> Vec<Node> {
    let wide: String = document.iter().map(|&b| char::from(b)).collect();
    let bytes = wide.as_bytes();
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut open: Vec<(Vec<u8>, Vec<u8>, Vec<Node>)> = Vec::new();
    let mut top = Vec::new();
    let mut buf = Vec::new();
    loop {
        let from = reader.buffer_position() as usize;
        let event = reader.read_event_into(&mut buf).expect("a sound fixture");
        let raw = bytes[from..reader.buffer_position() as usize].to_vec();
        let node = match event {
            Event::Eof => break,
            Event::Start(e) => {
                open.push((e.name().into_inner().as_bytes().to_vec(), raw, Vec::new()));
                continue;
            }
            Event::End(_) => {
                let (name, start, children) = open.pop().expect("balanced");
                Node::Element { name, start, children, end: raw }
            }
            Event::Empty(e) => Node::Element {
                name: e.name().into_inner().as_bytes().to_vec(),
                start: raw,
                children: Vec::new(),
                end: Vec::new(),
            },
            _ => Node::Other(raw),
        };
        match open.last_mut() {
            Some((_, _, children)) => children.push(node),
            None => top.push(node),
        }
        buf.clear();
    }
    top
}

/// The document `nodes` stand for, byte for byte.
pub fn written(nodes: &[Node]) -> Vec<u8> {
    let mut wide = Vec::new();
    write(nodes, &mut wide);
    String::from_utf8(wide)
        .expect("whole characters")
        .chars()
        .map(|c| u8::try_from(c).expect("one byte each"))
        .collect()
}

fn write(nodes: &[Node], out: &mut Vec<u8>) {
    for node in nodes {
        match node {
            Node::Element { start, children, end, .. } => {
                out.extend_from_slice(start);
                write(children, out);
                out.extend_from_slice(end);
            }
            Node::Other(raw) => out.extend_from_slice(raw),
        }
    }
}

/// Numbers from a seed (splitmix64): one decision each.
pub struct Dice(pub u64);

impl Dice {
    pub fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % sides
    }
}
