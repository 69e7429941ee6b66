//! Memory stays within the limits: whatever the bytes, a parse (and its JSON), and a survey (and
//! its report), each allocate at most twice the kept-bytes limit plus a multiple of the input.
//! A counting allocator measures the peak of live heap bytes during each call; libFuzzer's own
//! `-malloc_limit_mb` catches a single huge allocation. Short inputs with long or deep names are
//! what this target is for (the dictionary in fuzz.sh gives it the layout's names).
#![no_main]
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use libfuzzer_sys::fuzz_target;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, size) };
        if !q.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(size);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The peak of live heap bytes while `work` runs.
fn peak_of(work: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    work();
    PEAK.load(Ordering::Relaxed) - base
}

fuzz_target!(|data: &[u8]| {
    let options = kohi::ParseOptions::default();
    let bound = 2 * options.limits().kept_bytes + 64 * data.len() + (16 << 20);
    let parse = peak_of(|| {
        if let Ok(doc) = kohi::parse_with(data, &options) {
            let mut sink = std::io::sink();
            kohi::write_json(&doc, &mut sink).unwrap();
        }
    });
    assert!(parse <= bound, "parse: {parse} bytes at peak for {} bytes of input (bound {bound})", data.len());
    let survey = peak_of(|| {
        let report = kohi::survey::survey([data], &options);
        std::hint::black_box(report.to_json());
    });
    assert!(survey <= bound, "survey: {survey} bytes at peak for {} bytes of input (bound {bound})", data.len());
});
