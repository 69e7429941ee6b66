//! Arbitrary bytes through the whole parse: Ok or a typed error, never a panic; a parsed
//! document always serializes and never has more than four slotted 公費 per patient.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match kohi::parse(data) {
        Ok(doc) => {
            let json = kohi::to_json(&doc);
            assert!(json.starts_with('{'));
            for p in &doc.patients {
                assert!(p.kohi.iter().filter(|k| k.slot.is_some()).count() <= 4);
            }
        }
        Err(e) => assert!(kohi::ERROR_CODES.iter().any(|c| c.code == e.code())),
    }
});
