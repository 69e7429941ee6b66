//! A layout file reads a file that names or nests kohi's elements its own way exactly as kohi
//! reads the file written its way: every sound fixture, with known elements renamed (and a
//! layout's `rename` naming them) or children wrapped in elements kohi does not know (and a
//! layout's `wrappers` naming them), reads to the same document, whole and streamed, but for
//! the names in its paths. This is what a real file's layout has to do the first time it
//! comes, without a release.

use std::collections::BTreeSet;

use kohi::ParseOptions;
use proptest::prelude::*;

mod common;
use common::tree::{Dice, Node, nodes, written};
use common::{Everything, everything_streamed, everything_whole};

/// The prefix of a renamed element's name, and the name of a wrapper (numbered): marks found in
/// no fixture, so that a path can be read back by taking them out.
const RENAMED: &str = "Qz";
const WRAPPER: &str = "Wq";

/// Names the survey counts as known that a layout does not take: spelling variants kohi accepts
/// built in (a layout renames canonical names), and the 自己負担上限額, whose children are
/// items, not fields a wrapper could hold. And `CharacterCodeIdentifier`: renamed, it is read
/// into the header, but the encoding it says is looked for under its own name only, before a
/// layout applies (README, "Errors"), so a Shift_JIS file without a declaration would not read.
const NOT_RENAMED: [&str; 3] = ["DiagnosisInfoConsTim", "PharmaceuticalInfoConsFlg", "CharacterCodeIdentifier"];
const NOT_WRAPPED: [&str; 1] = ["MaxCopaymentAmount"];

struct Case {
    name: String,
    bytes: Vec<u8>,
    /// The element names the built-in layout knows in this file, containers apart.
    known: BTreeSet<String>,
    containers: BTreeSet<String>,
    read: Everything,
}

fn sound_fixtures() -> &'static [Case] {
    static CASES: std::sync::OnceLock<Vec<Case>> = std::sync::OnceLock::new();
    CASES.get_or_init(|| {
        let default = ParseOptions::default();
        kohi_fixtures::xml_cases()
            .into_iter()
            .filter_map(|path| {
                let bytes = std::fs::read(&path).unwrap();
                let read = everything_whole(&bytes, &default).ok()?;
                let survey = kohi::survey::survey([bytes.as_slice()], &default);
                let (mut known, mut containers) = (BTreeSet::new(), BTreeSet::new());
                for element in survey.elements.iter().filter(|e| e.known) {
                    let name = element.path.rsplit('/').next().unwrap().to_owned();
                    if name.starts_with('@') {
                        continue;
                    }
                    if element.container && !NOT_WRAPPED.contains(&name.as_str()) {
                        containers.insert(name.clone());
                    }
                    if !NOT_RENAMED.contains(&name.as_str()) {
                        known.insert(name);
                    }
                }
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                Some(Case { name, bytes, known, containers, read })
            })
            .collect()
    })
}

/// `read` with the marks taken out of its names: what the original reads to, if the layout
/// did its job.
fn unmarked(read: Everything) -> Everything {
    let wrapper = |s: &str| {
        // `…/Wq3/…` → `…/…`; `Qz` before a name → nothing.
        let mut out = s.replace(RENAMED, "");
        while let Some(at) = out.find(&format!("/{WRAPPER}")) {
            let digits = out[at + 3..].bytes().take_while(u8::is_ascii_digit).count();
            out.replace_range(at..at + 3 + digits, "");
        }
        out
    };
    let all = |v: Vec<String>| {
        let mut v: Vec<String> = v.iter().map(|s| wrapper(s)).collect();
        v.sort();
        v
    };
    Everything {
        patients: read.patients.iter().map(|s| wrapper(s)).collect(),
        warnings: all(read.warnings),
        unknown: all(read.unknown),
        rest: wrapper(&read.rest),
    }
}

/// Renames the elements named in `chosen` (`Name` → `QzName`, start and end tags).
fn rename(nodes: &mut [Node], chosen: &BTreeSet<String>) {
    for node in nodes {
        if let Node::Element { name, start, children, end } = node {
            rename(children, chosen);
            if chosen.contains(std::str::from_utf8(name).unwrap()) {
                start.splice(1..1, RENAMED.bytes());
                if !end.is_empty() {
                    end.splice(2..2, RENAMED.bytes());
                }
            }
        }
    }
}

/// Wraps a run of the children of elements named in `chosen` in a wrapper of its own
/// (`Wq1`, `Wq2`…), by the dice; returns each wrapper's name with its parent's.
fn wrap(nodes: &mut [Node], chosen: &BTreeSet<String>, dice: &mut Dice, made: &mut Vec<(String, String)>) {
    for node in nodes {
        let Node::Element { name, children, .. } = node else { continue };
        wrap(children, chosen, dice, made);
        let parent = String::from_utf8(name.clone()).unwrap();
        if !chosen.contains(&parent) || children.is_empty() || dice.roll(2) == 0 {
            continue;
        }
        let from = dice.roll(children.len() as u64) as usize;
        let to = from + 1 + dice.roll((children.len() - from) as u64) as usize;
        let wrapper = format!("{WRAPPER}{}", made.len() + 1);
        let run: Vec<Node> = children.drain(from..to).collect();
        children.insert(
            from,
            Node::Element {
                name: wrapper.clone().into_bytes(),
                start: format!("<{wrapper}>").into_bytes(),
                children: run,
                end: format!("</{wrapper}>").into_bytes(),
            },
        );
        made.push((wrapper, parent));
    }
}

/// `bytes`, read with `layout`, whole and streamed, read as the original did (`read`), but for
/// the marks in its names.
fn read_alike(
    name: &str,
    bytes: &[u8],
    layout: &serde_json::Value,
    read: &Everything,
    chunk: usize,
) -> Result<(), TestCaseError> {
    let layout = layout.to_string();
    let options = ParseOptions::default().with_layout_json(&layout);
    prop_assert!(options.is_ok(), "{}: {:?} refused", name, layout);
    let options = options.unwrap();
    let whole = everything_whole(bytes, &options);
    let as_original = whole.clone().map(unmarked);
    prop_assert_eq!(as_original.as_ref(), Ok(read), "{} with {}", name, layout);
    let streamed = everything_streamed(bytes, chunk, &options);
    prop_assert_eq!(streamed, whole, "{} with {}, streamed", name, layout);
    Ok(())
}

/// The names in `all` the dice pick, about half of them.
fn some(all: &BTreeSet<String>, dice: &mut Dice) -> BTreeSet<String> {
    all.iter().filter(|_| dice.roll(2) == 0).cloned().collect()
}

#[test]
fn renaming_and_wrapping_change_the_file() {
    let case = sound_fixtures().iter().find(|c| c.name == "face_pmh_two.xml").unwrap();
    let mut tree = nodes(&case.bytes);
    rename(&mut tree, &case.known);
    let renamed = String::from_utf8(written(&tree)).unwrap();
    assert!(
        renamed.contains("<QzMedicalSubsidyInsurerNumber>") && renamed.contains("</QzMedicalSubsidyInsurerNumber>")
    );
    let mut made = Vec::new();
    let mut tree = nodes(&case.bytes);
    wrap(&mut tree, &case.containers, &mut Dice(3), &mut made);
    assert!(!made.is_empty());
    let wrapped = String::from_utf8(written(&tree)).unwrap();
    assert!(made.iter().all(|(w, _)| wrapped.contains(&format!("<{w}>"))));
}

proptest! {
    // One fixture a case (the test script runs 10,000 cases: each fixture about 200 times).
    #![proptest_config(common::properties(512))]

    /// Known elements renamed, read with a layout's `rename`.
    #[test]
    fn renamed_elements_read_alike_with_their_layout(which in any::<prop::sample::Index>(), seed in any::<u64>(), chunk in 1usize..300) {
        let Case { name, bytes, known, read, .. } = which.get(sound_fixtures());
        let mut dice = Dice(seed);
        let chosen = some(known, &mut dice);
        let mut tree = nodes(bytes);
        rename(&mut tree, &chosen);
        let renamed = written(&tree);
        let rename: serde_json::Map<String, serde_json::Value> =
            chosen.iter().map(|n| (n.clone(), serde_json::json!([format!("{RENAMED}{n}")]))).collect();
        let layout = serde_json::json!({ "kohi_layout": 1, "rename": rename });
        read_alike(name, &renamed, &layout, read, chunk)?;
    }

    /// Children wrapped in elements kohi does not know, read with a layout's `wrappers`.
    #[test]
    fn wrapped_children_read_alike_with_their_layout(which in any::<prop::sample::Index>(), seed in any::<u64>(), chunk in 1usize..300) {
        let Case { name, bytes, containers, read, .. } = which.get(sound_fixtures());
        let mut dice = Dice(seed);
        let chosen = some(containers, &mut dice);
        let mut tree = nodes(bytes);
        let mut made = Vec::new();
        wrap(&mut tree, &chosen, &mut dice, &mut made);
        let wrapped = written(&tree);
        let wrappers: serde_json::Map<String, serde_json::Value> =
            made.iter().map(|(w, parent)| (w.clone(), serde_json::json!([parent]))).collect();
        let layout = serde_json::json!({ "kohi_layout": 1, "wrappers": wrappers });
        read_alike(name, &wrapped, &layout, read, chunk)?;
    }
}
