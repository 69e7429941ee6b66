//! `--features arena-ceiling`: how fast kohi's parse could be at most if its model came from one
//! per-document arena (issue 18's first item: texts sliced out of one buffer, a document dropped
//! in O(1) allocations), measured without building that model.
//!
//! While `kohi::parse` runs, every allocation it makes is a bump of a pointer in one reserved
//! region, and freeing is nothing; the document is then forgotten (not walked) and the region
//! reset, as an arena-backed document would be dropped. What remains of the parse's time is
//! kohi's own work and the memory traffic of reading the input and writing the model: the floor
//! an arena model could not go under. Every other tool, and every other thread, runs on the
//! system allocator. The binary installs [`Ceiling`] as its allocator (`src/main.rs`).
//!
//! Nothing made during a parse may outlive its document, or the next parse would write over it:
//! [`parse`] checks that once per input ([`check`]: every block made comes back when the
//! document is dropped the ordinary way), and `tests/arena.rs` shows the check catching a block
//! that does not.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::kohi_parse;

/// Virtual room for one document's allocations. Only the pages a parse writes are backed, and
/// they are the same pages every parse (a 100,000-unit file makes about a third of a GiB).
const RESERVED: usize = 16 << 30;

thread_local! {
    /// Whether this thread's allocations come from the region (only inside [`in_region`]).
    /// Per thread, so that no other thread's block lands in memory the next parse reuses.
    static OPEN: Cell<bool> = const { Cell::new(false) };
}

/// The region: its start (0 until first used) and the next free byte. One thread at a time
/// opens it ([`in_region`] holds [`USER`]).
static BASE: AtomicUsize = AtomicUsize::new(0);
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// Blocks handed out from the region, and blocks of it freed, since the region was last opened.
static MADE: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);
/// Held while a thread uses the region.
static USER: Mutex<()> = Mutex::new(());

/// The process's allocator in the arena build: the region inside [`in_region`] on the thread
/// that opened it, else the system's.
pub struct Ceiling;

fn open() -> bool {
    // `try_with`: a thread being torn down may still allocate (its flag is gone: not open).
    OPEN.try_with(Cell::get).unwrap_or(false)
}

fn from_region(p: *mut u8) -> bool {
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
// reused only after `check` (through `parse`) has made sure nothing made there outlives its
// document.
unsafe impl GlobalAlloc for Ceiling {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, passed on.
        if open() { bump(layout) } else { unsafe { System.alloc(layout) } }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if from_region(p) {
            FREED.fetch_add(1, Relaxed);
        } else {
            // SAFETY: not the region's, so the system allocator's, with the caller's layout.
            unsafe { System.dealloc(p, layout) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A block that was the system's stays the system's, even while the region is open: a
        // buffer kohi keeps between parses (its walker's scratch) grows in place of its own and
        // never moves into the region.
        if !from_region(p) {
            // SAFETY: the system allocator's block, with the caller's arguments.
            return unsafe { System.realloc(p, layout, new_size) };
        }
        // SAFETY: the caller's alignment with a new size (non-zero, as `realloc` requires).
        let grown = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let q = bump(grown);
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

/// `make()` with this thread's allocations in the region, from its start (whatever was made
/// there before is given up), then `then` with what it made, the region closed. Each block of the
/// region is counted as it is made and freed ([`check`] reads the counts).
fn in_region<T, R>(make: impl FnOnce() -> T, then: impl FnOnce(T) -> R) -> R {
    let _user = USER.lock().unwrap_or_else(|e| e.into_inner());
    let base = region();
    NEXT.store(base, Relaxed);
    MADE.store(0, Relaxed);
    FREED.store(0, Relaxed);
    OPEN.with(|o| o.set(true));
    let made = make();
    OPEN.with(|o| o.set(false));
    then(made)
}

/// Whether everything `make()` allocates in the region is freed by the time what it returns is
/// dropped (the ordinary way): `Err((made, freed))` if a block outlives it, which would make
/// reusing the region unsound. `make` runs once outside the region first, so that what a first
/// call makes for good (statics, buffers kept for the next call) is made on the system's heap.
pub fn check<T>(mut make: impl FnMut() -> T) -> Result<(), (usize, usize)> {
    drop(make());
    in_region(&mut make, |made| {
        drop(made);
        let (made, freed) = (MADE.load(Relaxed), FREED.load(Relaxed));
        if made == freed { Ok(()) } else { Err((made, freed)) }
    })
}

/// The inputs [`parse`] has checked, by address and length.
static CHECKED: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

/// The `kohi::parse` tool of the arena build: the parse in the region, its document forgotten;
/// the number of patients. The first time it sees an input it [`check`]s it, and stops if
/// something made during the parse outlives the document: the figures would be of a program
/// that overwrites its own memory.
pub fn parse(bytes: &[u8]) -> usize {
    let key = (bytes.as_ptr() as usize, bytes.len());
    if !CHECKED.lock().unwrap_or_else(|e| e.into_inner()).contains(&key) {
        if let Err((made, freed)) = check(|| kohi_parse(bytes)) {
            panic!(
                "kohi-bench: {made} blocks made during a parse, {freed} freed with the document; no ceiling to measure"
            );
        }
        CHECKED.lock().unwrap_or_else(|e| e.into_inner()).push(key);
    }
    in_region(
        || kohi_parse(bytes),
        |doc| {
            let patients = doc.patients.len();
            std::mem::forget(doc);
            patients
        },
    )
}
