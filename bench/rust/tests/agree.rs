//! The comparison is fair only if every peer finds what kohi finds: the same 公費, numbers,
//! check-digit verdicts, dates and order, on every input of the benchmark.

use kohi_bench::{Entry, floor, hand, kohi_entries, kohi_parse, roxmltree, serde_peer};

type Peer = fn(&[u8]) -> Vec<Entry>;

fn peers() -> [(&'static str, Peer); 3] {
    [("hand", hand), ("roxmltree", roxmltree), ("serde", serde_peer::extract)]
}

fn assert_peers_agree(label: &str, bytes: &[u8]) -> Vec<Entry> {
    let expected = kohi_entries(&kohi_parse(bytes));
    for (name, peer) in peers() {
        assert_eq!(peer(bytes), expected, "{name} on {label}");
    }
    assert!(floor(bytes) > 0, "the floor reads events of {label}");
    expected
}

#[test]
fn face_result_national_before_local() {
    let entries = assert_peers_agree("face", &kohi_fixtures::read("face_pmh_two.xml"));
    let payers: Vec<&str> = entries.iter().map(|e| e.payer.as_str()).collect();
    assert_eq!(payers, ["52136017", "88131016"]);
    assert_eq!(
        (entries[0].recipient.as_str(), entries[0].from.as_str(), entries[0].to.as_str()),
        ("1234566", "20250401", "20260331")
    );
    assert!(entries.iter().all(|e| e.payer_valid));
}

#[test]
fn shift_jis_result() {
    assert_peers_agree("sjis", &kohi_fixtures::read("insured_card_sjis.xml"));
}

#[test]
fn out_of_order_and_full_width_results() {
    for case in
        ["pmh_three_out_of_order.xml", "fullwidth_padded_numbers.xml", "medical_aid_a1.xml", "wrong_check_digit.xml"]
    {
        assert!(!assert_peers_agree(case, &kohi_fixtures::read(case)).is_empty(), "{case} has 公費");
    }
}

#[test]
fn the_streamed_and_whole_reads_find_the_same_entries_and_the_floors_read_the_same_events() {
    let bytes = kohi_fixtures::bulk_file(40);
    assert_eq!(kohi_bench::kohi_stream(&bytes), 10);
    assert_eq!(kohi_bench::streaming_floor(&bytes), floor(&bytes));
}

#[test]
fn bulk_file_every_fourth_unit_medical_aid() {
    let entries = assert_peers_agree("bulk", &kohi_fixtures::bulk_file(40));
    assert_eq!(entries.len(), 10);
    assert_eq!((entries[0].payer.as_str(), entries[0].recipient.as_str()), ("12136016", "0000003"));
    assert_eq!(entries[9].recipient, "0000039");
    assert_eq!(entries[0].from, "20130401");
}
