//! A fixed workload for callgrind: `valgrind --tool=callgrind target/release/examples/profile FILE N`.
fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().unwrap_or_else(|| "fixtures/face_pmh_two.xml".into());
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let bytes = std::fs::read(file).unwrap_or_default();
    let mut patients = 0;
    for _ in 0..rounds {
        patients += kohi::parse(&bytes).map_or(0, |d| d.patients.len());
    }
    println!("{patients}");
}
