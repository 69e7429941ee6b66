//! Whatever the bytes, parse returns Ok or a typed error: never a panic.
//! 10,000 cases each (set PROPTEST_CASES to change).

use proptest::prelude::*;

mod common;

fn fixture_bytes() -> Vec<Vec<u8>> {
    kohi_fixtures::xml_cases().iter().map(|f| std::fs::read(f).unwrap()).collect()
}

fn assert_typed(result: kohi::Result<kohi::Document>) {
    match result {
        Ok(doc) => {
            // A parsed document always serializes.
            let json = kohi::to_json(&doc);
            assert!(json.starts_with('{'));
            for p in &doc.patients {
                assert!(p.kohi.iter().filter(|k| k.slot.is_some()).count() <= 4);
            }
        }
        Err(e) => assert!(kohi::ERROR_CODES.iter().any(|c| c.code == e.code())),
    }
}

/// A fixture with a few bytes replaced, removed or inserted.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Remove(usize, usize),
    Insert(usize, Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Remove(i, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, v)| Edit::Insert(i, v)),
        (
            any::<usize>(),
            prop::sample::select(vec![&b"<"[..], b">", b"</", b"/>", b"&", b"&#", b"<![CDATA[", b"\x82", b"<X>"])
        )
            .prop_map(|(i, s)| Edit::Insert(i, s.to_vec())),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Replace(i, b) => {
                if !bytes.is_empty() {
                    bytes[i % len] = *b;
                }
            }
            Edit::Remove(i, n) => {
                let start = i % len;
                let end = (start + n).min(bytes.len());
                if start < end {
                    bytes.drain(start..end);
                }
            }
            Edit::Insert(i, v) => {
                let at = i % (bytes.len() + 1);
                bytes.splice(at..at, v.iter().copied());
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(common::properties(10_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        assert_typed(kohi::parse(&bytes));
    }

    #[test]
    fn mutated_fixtures_never_panic(index in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 1..6)) {
        let fixtures = fixture_bytes();
        let original = index.get(&fixtures).clone();
        assert_typed(kohi::parse(&apply(original, &edits)));
    }
}
