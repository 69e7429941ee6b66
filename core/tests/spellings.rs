//! One document, other bytes: every sound fixture reads to the same document whole and streamed,
//! whatever XML lets a writer choose.
//!
//! - The order of an element's children is not fixed (the terminal's files give them in any
//!   order). Siblings of one name keep their order among themselves: that order is data (the
//!   patients of a bulk file, the 公費 of a person, the first 医療券). So do the items of a
//!   自己負担上限額, which kohi lists as the file gives them.
//! - Blanks between elements (none, spaces, tabs, CRLF), comments and processing instructions
//!   there, blanks inside tags, attribute values and the declaration's in either quotes, a text
//!   as CDATA or with character references for its ASCII characters, and an empty element as
//!   `<X/>` or `<X></X>`.
//! - The encoding: a UTF-8 fixture written in Shift_JIS, a Shift_JIS one in UTF-8 (its
//!   declaration and `CharacterCodeIdentifier` saying so).

use kohi::ParseOptions;
use proptest::prelude::*;

mod common;
use common::tree::{Dice, Node, nodes, written};
use common::{Everything, everything_streamed, everything_whole};

/// A number from `seed` and `bytes`, the same for the same both.
fn key(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Reorders the children of every element in `nodes` (not `nodes` themselves: the top level
/// keeps its declaration first) by a key of their name (a stable sort: siblings of one name keep
/// their order), text and comments by a key of their place.
fn reorder(nodes: &mut [Node], seed: u64, names: &Names) {
    for node in nodes.iter_mut() {
        if let Node::Element { name, children, .. } = node
            && !KEPT_IN_ORDER.contains(&names.of(name))
        {
            reorder(children, seed.rotate_left(7) ^ 0x9e37_79b9_7f4a_7c15, names);
            shuffle(children, seed, names);
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

/// Elements whose descendants kohi keeps as a list in the file's order, as data: the
/// 自己負担上限額's items (`MaxCopayment::items`, whose schema is unknown), those of a group inside
/// it too (`Monthly/Outpatient`).
const KEPT_IN_ORDER: [&[u8]; 1] = [b"MaxCopaymentAmount"];

/// What may stand between elements besides blanks: a comment, a processing instruction.
const BLANKS: [&[u8]; 7] = [b"", b" ", b"\r\n", b"\n\t\t", b" \r\n \t", b"<!--c-->", b"\n<?kohi test?>\n"];

/// Blanks inside a tag, before its `>` or `/>`.
const TAG_BLANKS: [&[u8]; 3] = [b" ", b"\r\n\t", b"\n"];

/// Spells every element in `nodes` another way XML allows, by the dice: its blanks between
/// child elements, its text (CDATA, character references), its emptiness (`<X/>`, `<X></X>`).
fn respell(nodes: &mut [Node], dice: &mut Dice) {
    for node in nodes.iter_mut() {
        let Node::Element { start, children, end, .. } = node else {
            if let Node::Other(raw) = node
                && raw.starts_with(b"<?xml ")
                && dice.roll(2) == 0
            {
                // The declaration: other quotes, blanks around `=` and before `?>`.
                let mut spelled: Vec<u8> = raw.iter().map(|&b| if b == b'"' { b'\'' } else { b }).collect();
                spelled = String::from_utf8(spelled).unwrap().replace('=', " = ").replace("?>", " ?>").into_bytes();
                *raw = spelled;
            }
            continue;
        };
        respell(children, dice);
        // Blanks inside the tags, and attribute values in other quotes.
        if dice.roll(3) == 0 {
            let at = start.len() - if start.ends_with(b"/>") { 2 } else { 1 };
            start.splice(at..at, TAG_BLANKS[dice.roll(TAG_BLANKS.len() as u64) as usize].iter().copied());
        }
        if end.len() > 3 && dice.roll(3) == 0 {
            let at = end.len() - 1;
            end.splice(at..at, TAG_BLANKS[dice.roll(TAG_BLANKS.len() as u64) as usize].iter().copied());
        }
        if start.contains(&b'"') && !start.contains(&b'\'') && dice.roll(2) == 0 {
            start.iter_mut().filter(|b| **b == b'"').for_each(|b| *b = b'\'');
        }
        let has_elements = children.iter().any(|c| matches!(c, Node::Element { .. }));
        if has_elements {
            // Blanks between elements only: a text beside elements would be a value.
            for child in children.iter_mut() {
                if let Node::Other(raw) = child
                    && raw.iter().all(u8::is_ascii_whitespace)
                {
                    *raw = BLANKS[dice.roll(BLANKS.len() as u64) as usize].to_vec();
                }
            }
        } else if end.is_empty() {
            // `<X/>` as `<X></X>`.
            if dice.roll(2) == 0 {
                let name_end = start.iter().position(|&b| b == b'/' || b.is_ascii_whitespace()).unwrap_or(start.len());
                let open = start.len() - start.iter().rev().position(|&b| b == b'/').map_or(0, |i| i + 1);
                *end = [b"</", &start[1..name_end], b">"].concat();
                *start = [&start[..open], b">"].concat();
            }
        } else if children.is_empty() {
            // `<X></X>` as `<X/>`.
            if dice.roll(2) == 0 {
                start.pop();
                start.extend_from_slice(b"/>");
                end.clear();
            }
        } else if let [Node::Other(text)] = &mut children[..]
            && !text.iter().all(u8::is_ascii_whitespace)
            && !text.contains(&b'&')
            && !text.starts_with(b"<")
        {
            match dice.roll(3) {
                0 => *text = [b"<![CDATA[", &text[..], b"]]>"].concat(),
                // ASCII texts only: in Shift_JIS a character's second byte may be a letter.
                1 if text.is_ascii() => {
                    let mut spelled = Vec::new();
                    for &b in text.iter() {
                        match (b.is_ascii_alphanumeric(), dice.roll(3)) {
                            (true, 0) => spelled.extend_from_slice(format!("&#{b};").as_bytes()),
                            (true, 1) => spelled.extend_from_slice(format!("&#x{b:X};").as_bytes()),
                            _ => spelled.push(b),
                        }
                    }
                    *text = spelled;
                }
                _ => {}
            }
        }
    }
}

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

/// Each spelling is made (or the property would compare a document with itself): across a few
/// seeds, the face result and a document with attributes and a declaration come out with every
/// kind of mark.
#[test]
fn every_spelling_is_made() {
    let mut seen = String::new();
    for fixture in ["face_pmh_two.xml", "pmh_attributes.xml", "insured_card_utf8.xml", "header_error.xml"] {
        let bytes = kohi_fixtures::read(fixture);
        for seed in 0..8 {
            let mut tree = nodes(&bytes);
            respell(&mut tree, &mut Dice(seed));
            seen.push_str(&String::from_utf8_lossy(&written(&tree)));
        }
    }
    let marks = ["<![CDATA[", "&#x", "&#4", "<!--c-->", "<?kohi test?>", "\r\n\t>", "='0'", "version = '1.0'"];
    for mark in marks.into_iter().chain(["<MessageBody></MessageBody>"]) {
        assert!(seen.contains(mark), "{mark:?} never made");
    }
    assert!([" />", "\t/>", "\n/>"].iter().any(|mark| seen.contains(mark)), "no blank before `/>`");
}

/// `bytes` in the other of kohi's two encodings, said so by its declaration and identifier;
/// `None` where a character has no Shift_JIS code.
fn in_other_encoding(bytes: &[u8], shift_jis: bool) -> Option<Vec<u8>> {
    let (from, to, labels, codes) = if shift_jis {
        (encoding_rs::SHIFT_JIS, encoding_rs::UTF_8, ("Shift_JIS", "UTF-8"), (">1<", ">0<"))
    } else {
        (encoding_rs::UTF_8, encoding_rs::SHIFT_JIS, ("UTF-8", "Shift_JIS"), (">0<", ">1<"))
    };
    let (text, _, bad) = from.decode(bytes);
    assert!(!bad, "a sound fixture decodes");
    let text = text.replacen(&format!("encoding=\"{}\"", labels.0), &format!("encoding=\"{}\"", labels.1), 1).replacen(
        &format!("<CharacterCodeIdentifier{}", codes.0),
        &format!("<CharacterCodeIdentifier{}", codes.1),
        1,
    );
    let (out, _, unmappable) = to.encode(&text);
    (!unmappable).then(|| out.into_owned())
}

/// Every sound fixture, in the other encoding, reads to the same patients, warnings and
/// unknown elements, and says the other encoding.
#[test]
fn the_other_encoding_reads_alike() {
    let swap = |rest: &str, shift_jis: bool| {
        let (utf8, sjis) = (
            ["[\"UTF-8\",", "{\"code\":\"0\",\"label\":\"UTF-8\"}"],
            ["[\"Shift_JIS\",", "{\"code\":\"1\",\"label\":\"Shift_JIS\"}"],
        );
        let (from, to) = if shift_jis { (sjis, utf8) } else { (utf8, sjis) };
        rest.replacen(from[0], to[0], 1).replacen(from[1], to[1], 1)
    };
    let mut transcoded = 0;
    for Case { name, bytes, options, read, .. } in sound_fixtures() {
        let shift_jis = read.rest.starts_with("[\"Shift_JIS\"");
        let Some(other) = in_other_encoding(bytes, shift_jis) else { continue };
        let expected = Everything {
            patients: read.patients.clone(),
            warnings: read.warnings.clone(),
            unknown: read.unknown.clone(),
            rest: swap(&read.rest, shift_jis),
        };
        assert_eq!(everything_whole(&other, options), Ok(expected), "{name} in the other encoding");
        for chunk in [7, 4096] {
            assert_eq!(
                everything_streamed(&other, chunk, options),
                everything_whole(&other, options),
                "{name}, streamed"
            );
        }
        transcoded += 1;
    }
    assert!(transcoded >= 35, "{transcoded} fixtures transcoded");
}

proptest! {
    // One fixture a case (the test script runs 10,000 cases: each fixture about 200 times).
    #![proptest_config(common::properties(512))]

    /// Whole, and streamed (a stream reads a unit as its elements come).
    #[test]
    fn any_order_of_the_children_reads_alike(which in any::<prop::sample::Index>(), seed in any::<u64>(), chunk in 1usize..300) {
        let Case { name, bytes, options, names, read } = which.get(sound_fixtures());
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

    /// Whole, and streamed.
    #[test]
    fn any_spelling_of_the_same_document_reads_alike(which in any::<prop::sample::Index>(), seed in any::<u64>(), chunk in 1usize..300) {
        let Case { name, bytes, options, read, .. } = which.get(sound_fixtures());
        let mut tree = nodes(bytes);
        respell(&mut tree, &mut Dice(seed));
        let spelled = written(&tree);
        let whole = everything_whole(&spelled, options);
        prop_assert_eq!(whole.as_ref(), Ok(read), "{} spelled with seed {}", name, seed);
        let streamed = everything_streamed(&spelled, chunk, options);
        prop_assert_eq!(
            streamed.as_ref(),
            whole.as_ref(),
            "{} spelled with seed {}, streamed {} bytes a read", name, seed, chunk
        );
    }
}
