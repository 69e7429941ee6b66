//! Reconcile with arbitrary stored JSON against a parsed PMH result.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn patient() -> &'static kohi::Patient {
    static DOC: OnceLock<kohi::Document> = OnceLock::new();
    let doc = DOC.get_or_init(|| kohi::parse(include_bytes!("../../fixtures/pmh_three_out_of_order.xml")).unwrap());
    &doc.patients[0]
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(records) = kohi::KohiRecord::list_from_json(text) {
        let today = kohi::reconcile::parse_day("2025-11-10").unwrap();
        let changes = kohi::reconcile(&records, patient(), today);
        assert!(changes.len() >= records.len());
        let _ = kohi::reconcile::changes_to_json(&changes);
    }
});
