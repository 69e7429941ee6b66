//! The alias-table and layout-file loaders with arbitrary text, then parses with whatever they
//! accepted: a layout file may move, wrap, rename and root elements anywhere (a wrapper inside
//! itself, a list placed under its own entry), and every parse under it must still end typed.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// Files a layout can act on: the built-in names, PMH data under unknown names and wrappers, a
/// document of its own.
const DOCUMENTS: [&[u8]; 4] = [
    b"<XmlMsg><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus></MessageBody></XmlMsg>",
    include_bytes!("../../fixtures/face_pmh_two.xml"),
    include_bytes!("../../fixtures/pmh_wrapped.xml"),
    include_bytes!("../../fixtures/pmh_document.xml"),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let default = kohi::ParseOptions::default();
    for options in [default.clone().with_aliases_json(text), default.with_layout_json(text)].into_iter().flatten() {
        for document in DOCUMENTS {
            if let Ok(doc) = kohi::parse_with(document, &options) {
                let _ = kohi::to_json(&doc);
            }
        }
    }
});
