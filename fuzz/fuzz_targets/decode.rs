//! The decoder alone: detected encoding, no replacement characters ever, and text that is
//! UTF-8 (the decoder validates UTF-8 input a block at a time and takes the whole as text
//! unchecked: the one `unsafe` of the core). A Shift_JIS document is decoded by kohi's own loop
//! (`core/src/shift_jis.rs`) to exactly what encoding_rs's CP932 decoder gives, and refused as
//! not Shift_JIS exactly when encoding_rs finds a malformed sequence in it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match kohi::decode(data) {
        Ok(decoded) => {
            assert!(std::str::from_utf8(decoded.text.as_bytes()).is_ok());
            assert!(
                !decoded.text.contains('\u{FFFD}') || std::str::from_utf8(data).is_ok_and(|s| s.contains('\u{FFFD}'))
            );
            if decoded.encoding == kohi::Encoding::ShiftJis {
                // A Shift_JIS document has no byte order mark to skip: the text is all of it.
                let (expected, malformed) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(data);
                assert!(!malformed, "kohi read a Shift_JIS document that encoding_rs finds malformed");
                assert!(decoded.text == expected, "kohi's Shift_JIS text differs from encoding_rs's");
            }
        }
        Err(kohi::Error::InvalidEncoding { encoding: "Shift_JIS", offset }) => {
            let (_, malformed) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(data);
            assert!(malformed, "kohi refused as not Shift_JIS a document encoding_rs decodes");
            assert!(offset <= data.len());
        }
        Err(_) => {}
    }
});
