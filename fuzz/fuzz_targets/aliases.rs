//! The alias-table loader with arbitrary text, then a parse with whatever it accepted.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(options) = kohi::ParseOptions::default().with_aliases_json(text) {
        let _ = kohi::parse_with(b"<XmlMsg><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus></MessageBody></XmlMsg>", &options);
    }
});
