//! Parse + map throughput, beside the limit: a raw quick-xml event scan of the same bytes with
//! no model. Run: `cargo bench -p kohi --bench parse` (or `scripts/bench.sh` for the table).
//! Benchmarks, not tests: nothing here asserts a time.

use divan::counter::BytesCount;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/").to_owned() + name).unwrap()
}

fn bench_parse(bencher: Bencher, bytes: Vec<u8>) {
    bencher.counter(BytesCount::of_slice(&bytes)).bench(|| kohi::parse(black_box(&bytes)).unwrap());
}

#[divan::bench]
fn face_pmh_utf8(bencher: Bencher) {
    bench_parse(bencher, fixture("face_pmh_two.xml"));
}

#[divan::bench]
fn insured_card_shift_jis(bencher: Bencher) {
    bench_parse(bencher, fixture("insured_card_sjis.xml"));
}

#[divan::bench(sample_count = 20)]
fn bulk_1000_units(bencher: Bencher) {
    bench_parse(bencher, kohi_fixtures::bulk_file(1000));
}

#[divan::bench(sample_count = 10)]
fn bulk_10000_units(bencher: Bencher) {
    bench_parse(bencher, kohi_fixtures::bulk_file(10_000));
}

/// The ceiling: every event of the document, no decoding of text, no model.
fn raw_scan(bytes: &[u8]) -> usize {
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    let mut reader = quick_xml::Reader::from_str(text);
    let mut events = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) | Err(_) => return events,
            Ok(_) => events += 1,
        }
    }
}

fn bench_raw(bencher: Bencher, bytes: Vec<u8>) {
    bencher.counter(BytesCount::of_slice(&bytes)).bench(|| raw_scan(black_box(&bytes)));
}

#[divan::bench]
fn raw_scan_face_pmh(bencher: Bencher) {
    bench_raw(bencher, fixture("face_pmh_two.xml"));
}

#[divan::bench(sample_count = 10)]
fn raw_scan_bulk_10000_units(bencher: Bencher) {
    bench_raw(bencher, kohi_fixtures::bulk_file(10_000));
}

/// The raw scan of the Shift_JIS file needs the same transcoding kohi does.
#[divan::bench]
fn raw_scan_insured_card_shift_jis(bencher: Bencher) {
    let bytes = fixture("insured_card_sjis.xml");
    bencher.counter(BytesCount::of_slice(&bytes)).bench(|| {
        let text = encoding_rs::SHIFT_JIS.decode_without_bom_handling(black_box(&bytes)).0;
        raw_scan(text.as_bytes())
    });
}

#[divan::bench]
fn face_pmh_to_json(bencher: Bencher) {
    let doc = kohi::parse(&fixture("face_pmh_two.xml")).unwrap();
    bencher.bench(|| kohi::to_json(black_box(&doc)));
}
