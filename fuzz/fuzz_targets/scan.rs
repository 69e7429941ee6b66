//! The fast scanner against quick-xml's reader: wherever the scanner gives an event, it must be
//! quick-xml's event at quick-xml's position (it may hand over to quick-xml at any point).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(kohi::scan::agrees_with_quick_xml(text).is_ok());
    }
});
