//! Element order is not fixed (the terminal's files give an element's children in any order):
//! every sound fixture, its children reordered in every element, reads to the same document.
//! Siblings of one name keep their order among themselves: that order is data (the patients of
//! a bulk file, the 公費 of a person, the first 医療券). So do the items of a 自己負担上限額, which
//! kohi lists as the file gives them.

use kohi::ParseOptions;
use proptest::prelude::*;
use quick_xml::events::Event;

mod common;
use common::{Everything, everything_streamed, everything_whole};

/// A piece of a document, as its bytes in the file (so Shift_JIS text stays Shift_JIS).
enum Node {
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
fn nodes(document: &[u8]) -> Vec<Node> {
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

/// A number from `seed` and `bytes`, the same for the same both.
fn key(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Reorders the children of every element in `nodes` (not `nodes` themselves: the top level
/// keeps its declaration first) by a key of their name (a stable sort: siblings of one name keep
/// their order), text and comments by a key of their place.
fn reorder(nodes: &mut [Node], seed: u64, names: &Names) {
    for node in nodes.iter_mut() {
        if let Node::Element { name, children, .. } = node {
            reorder(children, seed.rotate_left(7) ^ 0x9e37_79b9_7f4a_7c15, names);
            if !KEPT_IN_ORDER.contains(&names.of(name)) {
                shuffle(children, seed, names);
            }
        }
    }
}

/// The names a layout gives elements: two names it reads as one field (two kinds of
/// certificate, each an entry of the one list) are siblings of one name.
#[derive(Default)]
struct Names(std::collections::HashMap<Vec<u8>, Vec<u8>>);

impl Names {
    /// From a layout file's `rename` (`{"MedicalSubsidyCertificateInfo": ["A", "B"]}`).
    fn of_layout(layout: &serde_json::Value) -> Names {
        let mut names = Names::default();
        for (field, aliases) in layout["rename"].as_object().into_iter().flatten() {
            for alias in aliases.as_array().into_iter().flatten() {
                names.0.insert(alias.as_str().unwrap().as_bytes().to_vec(), field.as_bytes().to_vec());
            }
        }
        names
    }

    fn of<'a>(&'a self, name: &'a [u8]) -> &'a [u8] {
        self.0.get(name).map_or(name, Vec::as_slice)
    }
}

/// Elements whose children kohi keeps as a list in the file's order, as data: the 自己負担上限額's
/// items (`MaxCopayment::items`, whose schema is unknown).
const KEPT_IN_ORDER: [&[u8]; 1] = [b"MaxCopaymentAmount"];

fn shuffle(nodes: &mut [Node], seed: u64, names: &Names) {
    let keys: Vec<u64> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| match node {
            Node::Element { name, .. } => key(seed, names.of(name)),
            Node::Other(_) => key(seed, &i.to_le_bytes()),
        })
        .collect();
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by_key(|&i| keys[i]);
    let mut taken: Vec<Option<Node>> =
        nodes.iter_mut().map(|n| Some(std::mem::replace(n, Node::Other(Vec::new())))).collect();
    for (slot, i) in nodes.iter_mut().zip(order) {
        *slot = taken[i].take().expect("each once");
    }
}

/// The document `nodes` stand for, byte for byte.
fn written(nodes: &[Node]) -> Vec<u8> {
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

/// The fixtures that parse, with what they read to: with the built-in layout, and with the
/// layout a survey of the fixture proposes, where it proposes one (a fixture whose PMH data is
/// under other names, wrapped, or in a document of its own).
fn sound_fixtures() -> &'static [Case] {
    static CASES: std::sync::OnceLock<Vec<Case>> = std::sync::OnceLock::new();
    CASES.get_or_init(read_fixtures)
}

fn read_fixtures() -> Vec<Case> {
    let mut cases = Vec::new();
    for path in kohi_fixtures::xml_cases() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let default = ParseOptions::default();
        let proposed = kohi::survey::survey([bytes.as_slice()], &default).layout.map(|layout| {
            let options = default.with_layout_json(&layout.to_string()).expect("kohi takes its own proposal");
            (options, Names::of_layout(&layout))
        });
        for (options, names) in [Some((ParseOptions::default(), Names::default())), proposed].into_iter().flatten() {
            if let Ok(read) = everything_whole(&bytes, &options) {
                cases.push(Case { name: name.clone(), bytes: bytes.clone(), options, names, read });
            }
        }
    }
    cases
}

struct Case {
    name: String,
    bytes: Vec<u8>,
    options: ParseOptions,
    names: Names,
    /// What it reads to as it is.
    read: Everything,
}

/// The reordering itself: a document written back unchanged is the same bytes, and a reordered
/// one has other bytes (or the test would compare a document with itself).
#[test]
fn the_reordering_keeps_every_byte_and_moves_them() {
    let bytes = kohi_fixtures::read("pmh_two_kinds_sjis.xml");
    assert_eq!(written(&nodes(&bytes)), bytes);
    let mut tree = nodes(&bytes);
    reorder(&mut tree, 1, &Names::default());
    let moved = written(&tree);
    assert_ne!(moved, bytes);
    let sorted = |b: &[u8]| {
        let mut b = b.to_vec();
        b.sort_unstable();
        b
    };
    assert_eq!(sorted(&moved), sorted(&bytes));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: kohi_fixtures::proptest_cases(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whole, and streamed (a stream reads a unit as its elements come).
    #[test]
    fn any_order_of_the_children_reads_alike(seed in any::<u64>(), chunk in 1usize..300) {
        for Case { name, bytes, options, names, read } in sound_fixtures() {
            let mut tree = nodes(bytes);
            reorder(&mut tree, seed, names);
            let moved = written(&tree);
            let whole = everything_whole(&moved, options);
            prop_assert_eq!(whole.as_ref(), Ok(read), "{} reordered with seed {}", name, seed);
            let streamed = everything_streamed(&moved, chunk, options);
            prop_assert_eq!(
                streamed.as_ref(),
                whole.as_ref(),
                "{} reordered with seed {}, streamed {} bytes a read", name, seed, chunk
            );
        }
    }
}
