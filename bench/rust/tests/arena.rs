//! The arena build's soundness check (`src/arena.rs`): it passes kohi's parse and fails a block
//! made in the region that outlives what made it. Only with `--features arena-ceiling`, whose
//! allocator this test binary installs as the binary does.
#![cfg(feature = "arena-ceiling")]

use kohi_bench::arena::{Ceiling, check, parse};

#[global_allocator]
static ALLOCATOR: Ceiling = Ceiling;

#[test]
fn the_check_passes_a_parse_and_catches_a_block_that_outlives_it() {
    // What is made and dropped within the call comes back.
    assert_eq!(check(|| vec![7u8; 100]), Ok(()));
    // A block made in the region and kept past the call (here in a list made before it): caught.
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(4);
    let escaped = check(|| kept.push(vec![7u8; 100]));
    assert_eq!(escaped, Err((1, 0)), "one block made in the region (the warm-up call's is the system's), none freed");
    // One of its blocks is the region's: never handed to the system allocator to free.
    std::mem::forget(kept);
    // kohi: every block of a parse comes back with its document, on the face result and on a
    // bulk file, and the tool gives their patients.
    for (bytes, patients) in [(kohi_fixtures::read("face_pmh_two.xml"), 1), (kohi_fixtures::bulk_file(300), 300)] {
        assert_eq!(check(|| kohi_bench::kohi_parse(&bytes)), Ok(()));
        assert_eq!(parse(&bytes), patients);
        assert_eq!(parse(&bytes), patients, "again, in the region reused");
    }
}
