//! A fixed workload for callgrind or an allocation count:
//! `valgrind --tool=callgrind target/release/examples/profile FILE N [json]`
//! (`json`: also write each document's JSON, to measure `to_json`).
fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().unwrap_or_else(|| "fixtures/face_pmh_two.xml".into());
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let json = args.next().as_deref() == Some("json");
    let bytes = std::fs::read(file).unwrap_or_default();
    let (mut patients, mut json_bytes) = (0, 0);
    for _ in 0..rounds {
        if let Ok(doc) = kohi::parse(&bytes) {
            patients += doc.patients.len();
            if json {
                json_bytes += kohi::to_json(&doc).len();
            }
        }
    }
    println!("{patients} {json_bytes}");
}
