//! The decoder alone: detected encoding, no replacement characters ever.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = kohi::decode(data) {
        assert!(!decoded.text.contains('\u{FFFD}') || std::str::from_utf8(data).is_ok_and(|s| s.contains('\u{FFFD}')));
    }
});
