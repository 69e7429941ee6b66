//! The alias-table and layout-file loaders with arbitrary text, then parses with whatever they
//! accepted: a layout file may move, wrap, rename and root elements anywhere (a wrapper inside
//! itself, a list placed under its own entry), and every parse under it must still end typed.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// Files a layout can act on: the built-in names, PMH data under unknown names and wrappers, a
/// document of its own, and numbers under one leaf name in groups of their own with the cap in
/// an attribute (`Group/name`, `@name` in `rename`).
const DOCUMENTS: [&[u8]; 5] = [
    b"<XmlMsg><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus></MessageBody></XmlMsg>",
    include_bytes!("../../fixtures/face_pmh_two.xml"),
    include_bytes!("../../fixtures/pmh_wrapped.xml"),
    include_bytes!("../../fixtures/pmh_document.xml"),
    b"<XmlMsg><MessageBody><ResultList><ResultOfQualificationConfirmation><MedicalSubsidyCertificateList>\
      <MedicalSubsidyCertificateInfo Jogen=\"5000\"><Futansha bango=\"52136017\"><Bango>52136017</Bango></Futansha>\
      <Jukyusha><Bango>1234566</Bango></Jukyusha></MedicalSubsidyCertificateInfo></MedicalSubsidyCertificateList>\
      </ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let default = kohi::ParseOptions::default();
    // Also a layout file and an alias table together, in both orders (split at the first tab):
    // their names are combined into one layout.
    let both = text.split_once('\t').map(|(layout, aliases)| {
        let layout_first = default.clone().with_layout_json(layout).and_then(|o| o.with_aliases_json(aliases));
        let aliases_first = default.clone().with_aliases_json(aliases).and_then(|o| o.with_layout_json(layout));
        // The same layout either way: accepted by both or by neither.
        assert_eq!(layout_first.is_ok(), aliases_first.is_ok());
        layout_first
    });
    let alone = [default.clone().with_aliases_json(text), default.with_layout_json(text)];
    for options in alone.into_iter().chain(both).flatten() {
        for document in DOCUMENTS {
            if let Ok(doc) = kohi::parse_with(document, &options) {
                let _ = kohi::to_json(&doc);
            }
        }
    }
});
