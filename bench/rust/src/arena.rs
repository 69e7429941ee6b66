//! `--features arena-ceiling`: how fast kohi's parse could be at most if its model came from one
//! per-document arena (issue 18's first item: texts sliced out of one buffer, a document dropped
//! in O(1) allocations), measured without building that model.
//!
//! While `kohi::parse` runs, every allocation is a bump of a pointer in one reserved region, and
//! freeing is nothing; the document is then forgotten (not walked) and the region reset, as an
//! arena-backed document would be dropped. What remains of the parse's time is kohi's own work
//! and the memory traffic of reading the input and writing the model: the floor an arena model
//! could not go under. Every other tool runs on the system allocator, as without the feature.
//!
//! Sound only in this harness's one thread. Nothing made during a parse may outlive its
//! document, or the next parse would write over it: [`parse`] checks that once per input, with a
//! parse whose document is dropped the ordinary way (every block it made must come back).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

use kohi_bench::kohi_parse;

/// Virtual room for one document's allocations. Only the pages a parse writes are backed, and
/// they are the same pages every parse (a 100,000-unit file makes about a third of a GiB).
const RESERVED: usize = 16 << 30;

/// Whether allocations come from the region (only while [`parse`] is parsing).
static OPEN: AtomicBool = AtomicBool::new(false);
/// The region: its start (0 until first used) and the next free byte.
static BASE: AtomicUsize = AtomicUsize::new(0);
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// Blocks handed out from the region and blocks of it freed, since the last check began.
static MADE: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

/// The process's allocator in this build: the region while a parse is open, else the system's.
pub struct Ceiling;

fn in_region(p: *mut u8) -> bool {
    let base = BASE.load(Relaxed);
    base != 0 && (base..base + RESERVED).contains(&(p as usize))
}

/// A block of the region; null (the caller's allocation error) past its end.
fn bump(layout: Layout) -> *mut u8 {
    let base = BASE.load(Relaxed);
    let start = NEXT.load(Relaxed).next_multiple_of(layout.align());
    if start + layout.size() > base + RESERVED {
        return std::ptr::null_mut();
    }
    NEXT.store(start + layout.size(), Relaxed);
    MADE.fetch_add(1, Relaxed);
    start as *mut u8
}

// SAFETY: every block is either the system allocator's (passed through unchanged) or a fresh,
// aligned, unshared range of the region, which is mapped read-write for the process's life and
// reused only after `parse` has made sure nothing of the previous document is reachable.
unsafe impl GlobalAlloc for Ceiling {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, passed on.
        if OPEN.load(Relaxed) { bump(layout) } else { unsafe { System.alloc(layout) } }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if in_region(p) {
            FREED.fetch_add(1, Relaxed);
        } else {
            // SAFETY: not the region's, so the system allocator's, with the caller's layout.
            unsafe { System.dealloc(p, layout) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A block that was the system's stays the system's, even while a parse is open: a buffer
        // kohi keeps between parses (its walker's scratch) grows in place of its own and never
        // moves into the region.
        if !in_region(p) {
            // SAFETY: the system allocator's block, with the caller's arguments.
            return unsafe { System.realloc(p, layout, new_size) };
        }
        // SAFETY: the caller's alignment with a new size (non-zero, as `realloc` requires).
        let grown = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let was_open = OPEN.swap(true, Relaxed);
        let q = bump(grown);
        OPEN.store(was_open, Relaxed);
        if !q.is_null() {
            // SAFETY: both blocks are live, distinct and at least this long.
            unsafe { std::ptr::copy_nonoverlapping(p, q, layout.size().min(new_size)) };
            FREED.fetch_add(1, Relaxed);
        }
        q
    }
}

/// Maps the region on first use.
fn region() -> usize {
    if BASE.load(Relaxed) == 0 {
        // SAFETY: a fresh private anonymous mapping; no existing memory is touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                RESERVED,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert!(p != libc::MAP_FAILED, "kohi-bench: cannot reserve the arena's region");
        BASE.store(p as usize, Relaxed);
        NEXT.store(p as usize, Relaxed);
    }
    BASE.load(Relaxed)
}

/// `kohi::parse` with every allocation in the region, from its start (whatever the last document
/// left there is given up).
fn parse_in_region(bytes: &[u8]) -> kohi::Document {
    let base = region();
    NEXT.store(base, Relaxed);
    OPEN.store(true, Relaxed);
    let doc = kohi_parse(bytes);
    OPEN.store(false, Relaxed);
    doc
}

/// The inputs [`parse`] has checked, by address and length.
static CHECKED: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

/// The `kohi::parse` tool of this build. The first time it sees an input it parses it the
/// ordinary way (kohi's statics and kept buffers are made outside the region), then in the
/// region with the document dropped by walking it: every block the parse made must have been
/// freed by then, or something made during a parse outlives its document and the figures would
/// be of a program that overwrites its own memory, so it stops.
pub fn parse(bytes: &[u8]) -> usize {
    let key = (bytes.as_ptr() as usize, bytes.len());
    let checked = CHECKED.lock().unwrap_or_else(|e| e.into_inner()).contains(&key);
    if !checked {
        drop(kohi_parse(bytes));
        MADE.store(0, Relaxed);
        FREED.store(0, Relaxed);
        drop(parse_in_region(bytes));
        let (made, freed) = (MADE.load(Relaxed), FREED.load(Relaxed));
        assert_eq!(made, freed, "kohi-bench: a block made during a parse outlived its document; no ceiling to measure");
        CHECKED.lock().unwrap_or_else(|e| e.into_inner()).push(key);
    }
    let doc = parse_in_region(bytes);
    let patients = doc.patients.len();
    std::mem::forget(doc);
    patients
}
