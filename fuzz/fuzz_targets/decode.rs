//! The decoder alone: detected encoding, no replacement characters ever, and text that is
//! UTF-8 (the decoder validates UTF-8 input a block at a time and takes the whole as text
//! unchecked: the one `unsafe` of the core).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = kohi::decode(data) {
        assert!(std::str::from_utf8(decoded.text.as_bytes()).is_ok());
        assert!(!decoded.text.contains('\u{FFFD}') || std::str::from_utf8(data).is_ok_and(|s| s.contains('\u{FFFD}')));
    }
});
