//! How many heap allocations a parse makes, counted by an allocator in this test binary alone
//! (no timed test asserts speed; these counts are what moves it, and they do not depend on the
//! machine). A count above its bound is a change in what the model costs per document or per
//! unit: say why in the commit and in docs/BENCHMARKS.md before raising it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting this thread's calls (tests run on threads of their own).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static REALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn bump(counter: &'static std::thread::LocalKey<Cell<usize>>) {
    // `try_with`: a thread being torn down may still free and allocate.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call goes to the system allocator unchanged; counting allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCATIONS);
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: the caller's block and layout, passed on.
        unsafe { System.dealloc(p, layout) }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&REALLOCATIONS);
        // SAFETY: the caller's arguments, passed on.
        unsafe { System.realloc(p, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// (allocations, reallocations) of one parse of `bytes` on this thread, the document's drop
/// not included. A first parse is made and dropped before, as a program's first parse makes
/// what every later one reuses (the standard layout, the walker's buffers).
fn counted(bytes: &[u8]) -> (usize, usize, kohi::Document) {
    let options = kohi::ParseOptions::default().with_max_input_bytes(1 << 30);
    drop(kohi::parse_with(bytes, &options).unwrap());
    let (a, r) = (ALLOCATIONS.with(Cell::get), REALLOCATIONS.with(Cell::get));
    let doc = kohi::parse_with(bytes, &options).unwrap();
    (ALLOCATIONS.with(Cell::get) - a, REALLOCATIONS.with(Cell::get) - r, doc)
}

/// A bulk file of 2,000 generated units (a quarter of them 医療扶助, whose 受給者番号 fails its
/// check): 2.98 allocations a unit (its result, an address past 24 bytes, and for 医療扶助
/// its 公費 list, the result's path, the entry's and the warning's), and reallocations only
/// for the growth of the document's lists (8), not one per unit. Each warning's path was made by
/// `format!`, which grows the string on the way: a reallocation per 医療扶助 unit, a third of
/// the path's bytes left unused.
#[test]
fn a_bulk_unit_makes_few_allocations_and_no_reallocation() {
    let units = 2000;
    let (allocations, reallocations, doc) = counted(&kohi_fixtures::bulk_file(units));
    assert_eq!(doc.patients.len(), units);
    assert!(doc.warnings.len() >= units / 5, "the file has the warnings this test is about");
    let per_unit = allocations as f64 / units as f64;
    assert!(per_unit <= 3.0, "{per_unit:.2} allocations a unit");
    assert!(reallocations <= 16, "{reallocations} reallocations for {units} units");
    for warning in &doc.warnings {
        assert_eq!(warning.path.capacity(), warning.path.len(), "{}", warning.path);
    }
}

/// A file over a megabyte has its units counted while its characters are checked, and its
/// patients are one vector made at that size: never grown (a doubling leaves up to half of it
/// unused, kept as long as the document), from bytes and from text alike.
#[test]
fn a_large_bulk_file_sizes_its_patients_once() {
    let units = 1500;
    let bytes = kohi_fixtures::bulk_file(units);
    assert!(bytes.len() > 1 << 20, "large enough to be counted");
    let (_, _, doc) = counted(&bytes);
    assert_eq!((doc.patients.len(), doc.patients.capacity()), (units, units));
    let options = kohi::ParseOptions::default().with_max_input_bytes(1 << 30);
    let doc = kohi::parse_str_with(std::str::from_utf8(&bytes).unwrap(), &options).unwrap();
    assert_eq!((doc.patients.len(), doc.patients.capacity()), (units, units));
}

/// The face result with two PMH certificates: 13 allocations (the patient list, the result, its
/// consents, the certificate list, each certificate's path and its 公費 entry's copy, the 公費
/// list, three texts past 24 bytes, the scanner's stack) and one reallocation (the certificate
/// list trimmed to its length).
#[test]
fn a_face_result_makes_few_allocations() {
    let (allocations, reallocations, doc) = counted(&kohi_fixtures::read("face_pmh_two.xml"));
    assert_eq!(doc.patients[0].kohi.len(), 2);
    assert!(allocations <= 13, "{allocations} allocations");
    assert!(reallocations <= 2, "{reallocations} reallocations");
}
